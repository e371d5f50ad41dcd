"""Creating a response in each of the four modes."""

from __future__ import annotations

from responsekit.conformance import ordering, schemas
from responsekit.conformance.context import TERMINAL_STATUSES, Context
from responsekit.conformance.registry import MUST, Failed, check


def _validate_events(events: list[dict], what: str) -> None:
    for n, event in enumerate(events):
        problem = schemas.event_errors(event)
        if problem:
            raise Failed(
                f"{what}: event #{event.get('sequence_number')} {event.get('type')} does not validate: {problem}",
                timeline=ordering.timeline(events, n),
                sequence_number=event.get("sequence_number"),
                event=event,
            )


@check(
    "create.default",
    "Default mode answers 200 JSON with a finished Response the openai client accepts",
    level=MUST,
    fact="Without stream or background, POST /responses runs to completion and returns the "
    "Response object (application/json) in a terminal status.",
)
def create_default(ctx: Context) -> None:
    data = ctx.expect_response_json(ctx.hello_json(), "POST /responses")
    if data.get("object") != "response":
        raise Failed(f"object is {data.get('object')!r}, expected 'response'", body=data)
    if data.get("status") not in TERMINAL_STATUSES:
        raise Failed(
            f"status is {data.get('status')!r}; default mode returns the finished response",
            expected=sorted(TERMINAL_STATUSES),
            seen=data.get("status"),
        )


@check(
    "create.stream",
    "stream=true answers 200 text/event-stream whose every event the openai client accepts",
    level=MUST,
    fact="With stream=true the answer is an SSE stream of ResponseStreamEvent payloads.",
)
def create_stream(ctx: Context) -> None:
    events = ctx.expect_stream(ctx.hello_stream(), "POST /responses stream=true")
    if not events:
        raise Failed("the stream carried no events", **ctx.hello_stream().summary())
    _validate_events(events, "POST /responses stream=true")


@check(
    "create.background",
    "background=true answers at once with a queued or in_progress Response",
    level=MUST,
    fact="A background create returns the Response immediately, status queued or in_progress, "
    "background true; the work continues after the answer.",
)
def create_background(ctx: Context) -> None:
    data = ctx.expect_response_json(ctx.bg_json(), "POST /responses background=true")
    if data.get("status") not in ("queued", "in_progress"):
        raise Failed(
            f"status is {data.get('status')!r}, expected queued or in_progress", seen=data.get("status")
        )
    if data.get("background") is not True:
        raise Failed(f"background is {data.get('background')!r} in the answer, expected true")


@check(
    "create.stream_background",
    "stream=true with background=true streams events the openai client accepts",
    level=MUST,
    fact="Streaming and background combine: the answer is an SSE stream whose response.created "
    "carries background true.",
)
def create_stream_background(ctx: Context) -> None:
    events = ctx.expect_stream(ctx.bg_stream(), "POST /responses stream=true background=true")
    if not events:
        raise Failed("the stream carried no events", **ctx.bg_stream().summary())
    _validate_events(events, "POST /responses stream=true background=true")
    first = events[0].get("response") if isinstance(events[0].get("response"), dict) else {}
    if first.get("background") is not True:
        raise Failed(
            f"the first event's response.background is {first.get('background')!r}, expected true",
            timeline=ordering.timeline(events, 0),
        )


@check(
    "background.completes",
    "A background response reaches a terminal status when polled",
    level=MUST,
    fact="GET /responses/{id} of a background response eventually reports completed, failed, "
    "incomplete or cancelled.",
)
def background_completes(ctx: Context) -> None:
    data = ctx.background_response()
    final = ctx.poll_terminal(data["id"])
    if final.get("id") != data["id"]:
        raise Failed(f"GET returned id {final.get('id')!r} for {data['id']!r}")
