"""GET /responses/{id}?stream=true: replay from the start, resume after a cursor, tail a live response."""

from __future__ import annotations

from typing import Any

from responsekit.conformance import ordering
from responsekit.conformance.client import StreamCapture
from responsekit.conformance.context import TERMINAL_STATUSES, Context
from responsekit.conformance.registry import MUST, SHOULD, Failed, Skipped, check


def _original(ctx: Context) -> tuple[str, StreamCapture]:
    """The shared background stream, once its response is finished (what every replay repeats)."""
    with ctx.precondition("create.stream_background"):
        cap = ctx.bg_stream()
        events = ctx.expect_stream(cap, "POST /responses stream=true background=true")
        if not events or not isinstance(events[0].get("response"), dict):
            raise Failed("the background stream has no response.created to take the id from")
    rid = events[0]["response"]["id"]
    with ctx.precondition("background.completes"):
        ctx.poll_terminal(rid)
    return rid, cap


def _compare(original: list[Any], replayed: StreamCapture, what: str, first: int) -> None:
    """The replayed frames must repeat the original ones byte for byte (event name and data)."""
    got = replayed.payload_frames
    events = replayed.events
    for n, (want, seen) in enumerate(zip(original, got, strict=False)):
        if (want.event, want.data) != (seen.event, seen.data):
            raise Failed(
                f"{what}: frame {n} (expected #{first + n}) differs from the original",
                timeline=ordering.timeline(events, n),
                expected=want.data[:600],
                seen=seen.data[:600],
                sequence_number=events[n].get("sequence_number"),
            )
    if len(got) != len(original):
        raise Failed(
            f"{what}: {len(got)} event(s) where the original has {len(original)} after the cursor",
            timeline=ordering.timeline(events, min(len(got), len(original)) - 1 if events else None),
            expected_count=len(original),
            seen_count=len(got),
        )


@check(
    "replay.full",
    "GET ?stream=true replays every event from 0, byte for byte",
    level=MUST,
    fact="A background response's events can be streamed again; the replay repeats the original "
    "events exactly, sequence numbers included.",
)
def full(ctx: Context) -> None:
    rid, cap = _original(ctx)
    replayed = ctx.replay(rid)
    ctx.expect_stream(replayed, f"GET /responses/{rid}?stream=true")
    _compare(cap.payload_frames, replayed, "replay", 0)


def _resume(ctx: Context, *, header: bool) -> None:
    rid, cap = _original(ctx)
    frames, events = cap.payload_frames, cap.events
    cut = max(0, len(events) // 2 - 1)
    after = events[cut].get("sequence_number", cut)
    if header:
        replayed = ctx.replay(rid, headers={"Last-Event-ID": str(after)})
        what = f"GET /responses/{rid}?stream=true with Last-Event-ID: {after}"
    else:
        replayed = ctx.replay(rid, starting_after=after)
        what = f"GET /responses/{rid}?stream=true&starting_after={after}"
    tail = ctx.expect_stream(replayed, what)
    ctx.judge_events(tail, {"sequence", "terminal"}, what, first_sequence_number=after + 1, complete=False)
    _compare(frames[cut + 1 :], replayed, what, after + 1)


@check(
    "replay.starting_after",
    "starting_after=N replays exactly the events after N",
    level=MUST,
    fact="starting_after resumes a stream after the event with that sequence_number; numbering "
    "continues from N+1.",
)
def starting_after(ctx: Context) -> None:
    _resume(ctx, header=False)


@check(
    "replay.last_event_id",
    "A Last-Event-ID header resumes like starting_after",
    level=SHOULD,
    fact="SSE reconnection sends Last-Event-ID; a server that resumes streams honours it as a cursor.",
)
def last_event_id(ctx: Context) -> None:
    _resume(ctx, header=True)


@check(
    "replay.live_tail",
    "Resuming a response still in progress yields the events after N, then the live tail",
    level=MUST,
    fact="A resumed stream of an unfinished response delivers the stored events after the cursor and "
    "then new events as they happen, up to the terminal event.",
)
def live_tail(ctx: Context) -> None:
    body = ctx.body(ctx.config.prompt_long, stream=True, background=True)
    with ctx.http.open_stream("POST", "/responses", json_body=body) as live:
        with ctx.precondition("create.stream_background"):
            if live.capture.status != 200 or not live.capture.is_sse:
                raise Failed(f"POST /responses stream=true background=true answered {live.capture.status}")
        head = []
        for frame in live:  # read until the first item event, so the cursor sits inside the output
            if frame.data == "[DONE]":
                break
            head.append(frame)
            ev = live.capture.events[-1]
            if "output_index" in ev or ev.get("type") in ordering.TERMINAL_TYPES:
                break
        events = live.capture.events
        with ctx.precondition("create.stream_background"):
            if not events or not isinstance(events[0].get("response"), dict):
                raise Failed("the stream has no response.created to take the id from")
        rid = events[0]["response"]["id"]
        status = ctx.read_response(
            ctx.get(rid), f"GET /responses/{rid}", judged_by="retrieve.body", needs=("status",)
        )["status"]
        if status in TERMINAL_STATUSES:
            raise Skipped(
                f"the response was already {status} before the tail was opened; "
                "give a prompt that takes longer (--prompt-long)"
            )
        after = events[-1].get("sequence_number", len(events) - 1)
        what = f"GET /responses/{rid}?stream=true&starting_after={after} (while in progress)"
        tail = ctx.replay(rid, starting_after=after)
        live.read_all()
    tail_events = ctx.expect_stream(tail, what)
    ctx.judge_events(
        tail_events, {"sequence", "terminal"}, what, first_sequence_number=after + 1, complete=False
    )
    _compare(live.capture.payload_frames[len(head) :], tail, what, after + 1)
