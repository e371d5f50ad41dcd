"""POST /responses/{id}/cancel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from responsekit.conformance import ordering
from responsekit.conformance.client import Reply, StreamCapture
from responsekit.conformance.context import TERMINAL_STATUSES, Context
from responsekit.conformance.registry import MUST, SHOULD, Failed, Skipped, check


@dataclass
class _Cancelled:
    response_id: str
    status_before: Any  # the status GET reported just before the cancel
    reply: Reply  # the answer to the first cancel
    stream: StreamCapture  # the live stream, read to its end after the cancel
    final: dict[str, Any]  # the response once terminal


def _cancel_in_flight(ctx: Context) -> _Cancelled:
    """Start a long background stream, cancel it once output is flowing, read the stream to its end.

    Until the cancel is sent everything is a precondition (a background stream to cancel, judged by
    create.stream_background); what follows is the cancel's outcome.
    """
    body = ctx.body(ctx.config.prompt_long, stream=True, background=True)
    with ctx.http.open_stream("POST", "/responses", json_body=body) as live:
        cap = live.capture
        with ctx.precondition("create.stream_background"):
            if cap.status != 200 or not cap.is_sse:
                raise Failed(f"POST /responses stream=true background=true answered {cap.status}")
        for frame in live:
            if frame.data == "[DONE]":
                break
            ev = cap.events[-1]
            if "output_index" in ev or ev.get("type") in ordering.TERMINAL_TYPES:
                break
        events = cap.events
        with ctx.precondition("create.stream_background"):
            if not events or not isinstance(events[0].get("response"), dict):
                raise Failed("the stream has no response.created to take the id from")
        rid = events[0]["response"]["id"]
        seen = ctx.get(rid).json  # only to tell "already finished" apart; retrieve.* judge GET
        before = seen.get("status") if isinstance(seen, dict) else None
        reply = ctx.cancel(rid)
        live.read_all()
    final = ctx.poll_terminal(rid)
    return _Cancelled(rid, before, reply, cap, final)


def _cancelled(ctx: Context, *, judged_here: bool = False) -> _Cancelled:
    """The shared cancel; unless ``judged_here`` (cancel.background), its failure is a precondition."""
    if judged_here:
        return ctx.memo("cancelled", lambda: _cancel_in_flight(ctx))
    with ctx.precondition("cancel.background"):
        return ctx.memo("cancelled", lambda: _cancel_in_flight(ctx))


@check(
    "cancel.background",
    "Cancelling an in-flight background response ends it `cancelled`",
    level=MUST,
    fact="POST /responses/{id}/cancel on a background response in progress answers 200 with the "
    "Response, and the response ends with status cancelled.",
)
def background(ctx: Context) -> None:
    c = _cancelled(ctx, judged_here=True)
    if c.status_before in TERMINAL_STATUSES:
        raise Skipped(
            f"the response was already {c.status_before} before the cancel; "
            "give a prompt that takes longer (--prompt-long)"
        )
    if c.reply.status != 200:
        if c.final.get("status") == "completed" and c.reply.status == 400:
            raise Skipped("the response completed before the cancel reached it; give a longer --prompt-long")
        raise Failed(
            f"cancel answered {c.reply.status}, expected 200",
            status_before=c.status_before,
            **c.reply.summary(),
        )
    ctx.read_response(
        c.reply, f"POST /responses/{c.response_id}/cancel", judged_by="cancel.body", needs=("status",)
    )
    if c.final.get("status") != "cancelled":
        raise Failed(
            f"the cancel was ignored: cancel answered 200 (status {c.reply.json.get('status')!r}) "
            f"but the response ended {c.final.get('status')!r}",
            expected="cancelled",
            seen=c.final.get("status"),
            cancel_reply=c.reply.json,
        )


@check(
    "cancel.body",
    "A successful cancel answers a Response the openai client accepts",
    level=MUST,
    fact="POST /responses/{id}/cancel answers 200 application/json with the Response object.",
)
def body(ctx: Context) -> None:
    c = _cancelled(ctx)
    if c.reply.status != 200:
        raise Skipped(
            f"precondition: the cancel answered {c.reply.status}, not a Response (see cancel.background)"
        )
    ctx.expect_response_json(c.reply, f"POST /responses/{c.response_id}/cancel")


@check(
    "cancel.stream_end",
    "The live stream of a cancelled response ends with a terminal event saying `cancelled`",
    level=SHOULD,
    fact="A cancelled response still ends its stream with one terminal event (response.failed, "
    "since the protocol has no cancelled event) whose response.status is cancelled.",
)
def stream_end(ctx: Context) -> None:
    c = _cancelled(ctx)
    if c.final.get("status") != "cancelled":
        raise Skipped(
            f"precondition: the response ended {c.final.get('status')!r}, not cancelled (see cancel.background)"
        )
    events = c.stream.events
    ctx.judge_events(events, {"sequence", "terminal"}, "the cancelled response's stream")
    last = events[-1].get("response") or {}
    if last.get("status") != "cancelled":
        raise Failed(
            f"the stream's terminal event carries status {last.get('status')!r}, expected cancelled",
            timeline=ordering.timeline(events, len(events) - 1),
        )


@check(
    "cancel.idempotent",
    "Cancelling a cancelled response again answers 200 with it, still `cancelled`",
    level=MUST,
    fact="Cancel is idempotent: a second cancel returns the cancelled response.",
)
def idempotent(ctx: Context) -> None:
    c = _cancelled(ctx)
    if c.final.get("status") != "cancelled":
        raise Skipped(
            f"precondition: no cancelled response to cancel again: it ended {c.final.get('status')!r} "
            "(see cancel.background)"
        )
    data = ctx.read_response(
        ctx.cancel(c.response_id),
        f"POST /responses/{c.response_id}/cancel (again)",
        judged_by="cancel.body",
        needs=("status",),
    )
    if data.get("status") != "cancelled":
        raise Failed(f"the second cancel returned status {data.get('status')!r}, expected cancelled")


@check(
    "cancel.foreground_4xx",
    "Cancelling a response not created in background is refused with a 4xx and the error envelope",
    level=MUST,
    fact="Only background responses can be cancelled; the others are refused as bad input (400 is "
    "judged by cancel.foreground_400).",
)
def foreground_refused(ctx: Context) -> None:
    data = ctx.hello_response()
    ctx.expect_error(ctx.cancel(data["id"]), f"POST /responses/{data['id']}/cancel")


@check(
    "cancel.foreground_400",
    "Cancelling a response not created in background is 400 with the error envelope",
    level=SHOULD,  # the MUST part, a 4xx with the envelope, is cancel.foreground_4xx
    fact="Only background responses can be cancelled; others are rejected with 400.",
)
def foreground(ctx: Context) -> None:
    data = ctx.hello_response()
    ctx.expect_error(ctx.cancel(data["id"]), f"POST /responses/{data['id']}/cancel", (400,))


@check(
    "cancel.unknown_404",
    "Cancelling an unknown id is 404 with the error envelope",
    level=MUST,
    fact="An id that names no response is not found: 404.",
)
def unknown(ctx: Context) -> None:
    rid = ctx.unknown_id()
    ctx.expect_error(ctx.cancel(rid), f"POST /responses/{rid}/cancel", (404,))
