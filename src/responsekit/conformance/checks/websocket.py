"""The WebSocket transport on GET /responses (optional: skipped when the upgrade is refused).

Each check opens its own connection, so a connection one check leaves in a bad state cannot change
another's verdict.
"""

from __future__ import annotations

import time
from typing import Any

from responsekit.conformance import capabilities, ordering
from responsekit.conformance.checks.create import _validate_events
from responsekit.conformance.context import Context
from responsekit.conformance.event_types import TERMINAL_TYPES
from responsekit.conformance.registry import MUST, SHOULD, Failed, Skipped, Warned, check
from responsekit.conformance.wsclient import WsConnection, WsTurn, is_turn_error

NOT_FOUND = "previous_response_not_found"
ERRORS = (
    'WebSocket failures are sent as {"type": "error", "status": <HTTP status>, "error": {"code", '
    '"message", ...}}.'
)


def _open(ctx: Context) -> WsConnection:
    capabilities.require(ctx, "websocket")
    return ctx.ws().open()


def _evidence(conn: WsConnection, *turns: WsTurn) -> dict[str, Any]:
    info: dict[str, Any] = {"url": conn.url}
    for n, turn in enumerate(turns, 1):
        info[f"turn_{n}"] = turn.summary()
    info["transcript_tail"] = conn.transcript_tail()
    return info


def _completed(conn: WsConnection, turn: WsTurn, what: str) -> str:
    """The id of the turn's response, which must have ended with response.completed; else Failed."""
    if turn.terminal is None or turn.terminal.get("type") != "response.completed" or not turn.response_id:
        raise Failed(
            f"{what} ended with {turn.outcome()}, expected response.completed", **_evidence(conn, turn)
        )
    return turn.response_id


def _leading(turn: WsTurn) -> list[dict[str, Any]]:
    """The events a turn read before its own response.created (they belong to the turn before)."""
    out: list[dict[str, Any]] = []
    for ev in turn.events:
        if ev.get("type") == "response.created":
            break
        out.append(ev)
    return out


@check(
    "websocket.create",
    "A response.create message streams the same events as SSE, by the same rules",
    level=MUST,
    fact="Over the WebSocket each turn is a response.create message; the server answers with the "
    "streaming event objects of SSE, one per message: same ordering, sequence_number from 0, "
    "exactly one terminal event, nothing after it.",
)
def create(ctx: Context) -> None:
    with _open(ctx) as conn:
        first = conn.turn(ctx.body())
        # A second turn on the same socket shows whether anything followed the first terminal event.
        second = conn.turn(ctx.body("And again.")) if first.terminal is not None else None
    what = "the WebSocket turn"
    if first.error is not None:
        raise Failed(f"response.create was answered with {first.outcome()}", **_evidence(conn, first))
    if first.anomalies:
        raise Failed(f"{what}: {first.anomalies[0]}", **_evidence(conn, first))
    if first.problem:
        ctx.judge_events(first.events, set(ordering.RULES) - {"terminal", "output"}, what, complete=False)
        raise Failed(f"{what}: {first.problem}", **_evidence(conn, first))
    events = first.events + (second.leftovers + _leading(second) if second is not None else [])
    _validate_events(events, what)
    ctx.judge_events(events, set(ordering.RULES), what)


@check(
    "websocket.sequential",
    "A second response.create sent while one runs is processed after it, never interleaved",
    level=MUST,
    fact="One WebSocket connection runs at most one response at a time: further response.create "
    "messages are processed in order, each after the running one has ended.",
)
def sequential(ctx: Context) -> None:
    with _open(ctx) as conn:
        conn.create(ctx.body(ctx.config.prompt_long))
        conn.create(ctx.body())  # sent at once: the first is certainly still running
        messages, problem = _read_endings(conn, 2, ctx.deadline_s * 2)
    evidence = {"url": conn.url, "messages": _compact(messages), "transcript_tail": conn.transcript_tail()}
    errors = [m for m in messages if is_turn_error(m)]
    if errors:
        raise Warned(
            "a response.create sent while another response ran was answered with an error message; "
            "the protocol processes it once the running response has ended",
            error=errors[0],
            **evidence,
        )
    if problem:
        raise Failed(
            f"two response.create messages did not bring two finished responses: {problem}", **evidence
        )
    events = [m for m in messages if isinstance(m, dict)]
    created = [(n, ev["response"].get("id")) for n, ev in enumerate(events) if _is(ev, "response.created")]
    if len(created) != 2 or created[0][1] == created[1][1]:
        raise Failed(
            f"expected two response.created events of two responses, saw {[c[1] for c in created]}",
            **evidence,
        )
    (_, first_id), (_, second_id) = created
    first_end = next(
        (n for n, ev in enumerate(events) if ev.get("type") in TERMINAL_TYPES and _rid(ev) == first_id), None
    )
    if first_end is None:
        raise Failed(f"the first response {first_id} has no terminal event", **evidence)
    # Events of the first response after its terminal event are websocket.create's concern, not this one's.
    events = events[: first_end + 1] + [ev for ev in events[first_end + 1 :] if _rid(ev) != first_id]
    second_at = next(
        n for n, ev in enumerate(events) if _is(ev, "response.created") and _rid(ev) == second_id
    )
    if second_at < first_end:
        raise Failed(
            f"the second response {second_id} started (response.created) before the first one "
            f"{first_id} ended: the turns were interleaved",
            timeline=ordering.timeline(events, second_at),
            **evidence,
        )
    stray = [n for n, ev in enumerate(events[: first_end + 1]) if _rid(ev) not in (None, first_id)]
    if stray:
        raise Failed(
            f"an event of another response arrived before the first response {first_id} ended",
            timeline=ordering.timeline(events, stray[0]),
            **evidence,
        )
    last = events[-1]
    if last.get("type") not in TERMINAL_TYPES or _rid(last) != second_id or second_at != first_end + 1:
        raise Failed(
            f"after the first response ended, expected the second response {second_id} from its "
            "response.created to its terminal event",
            timeline=ordering.timeline(events, len(events) - 1),
            **evidence,
        )


def _read_endings(conn: WsConnection, count: int, deadline_s: float) -> tuple[list[Any], str | None]:
    """Read messages until ``count`` turns ended (terminal event or error message), bounded."""
    messages: list[Any] = []
    ended = 0
    finished: set[Any] = set()  # a repeated terminal event of a response ends no further turn
    ends = time.monotonic() + deadline_s
    while ended < count:
        left = ends - time.monotonic()
        if left <= 0:
            return messages, f"{ended} of {count} turns ended within {deadline_s:.0f}s"
        value, why = conn.receive(min(conn.timeout, left))
        if why is not None:
            return messages, f"{why}, after {ended} of {count} turns ended"
        messages.append(value)
        if is_turn_error(value):
            ended += 1
        elif isinstance(value, dict) and value.get("type") in TERMINAL_TYPES and _rid(value) not in finished:
            finished.add(_rid(value))
            ended += 1
    return messages, None


def _is(ev: Any, etype: str) -> bool:
    return isinstance(ev, dict) and ev.get("type") == etype and isinstance(ev.get("response"), dict)


def _rid(ev: dict[str, Any]) -> Any:
    return ev["response"].get("id") if isinstance(ev.get("response"), dict) else None


def _compact(messages: list[Any]) -> list[str]:
    out = []
    for m in messages[:60]:
        if isinstance(m, dict):
            rid = _rid(m)
            out.append(f"#{m.get('sequence_number')} {m.get('type')}" + (f" ({rid})" if rid else ""))
        else:
            out.append(repr(m)[:80])
    return out + (["..."] if len(messages) > 60 else [])


@check(
    "websocket.continuation",
    "A store=false response continues on the same socket with previous_response_id",
    level=SHOULD,
    fact="A connection keeps its most recent response in connection-local memory, so a store=false "
    "response can be continued on the same socket (previous_response_id), without persisted state.",
)
def continuation(ctx: Context) -> None:
    with _open(ctx) as conn:
        first = conn.turn(ctx.body(store=False))
        rid = _completed(conn, first, "the first store=false turn")
        second = conn.turn(ctx.body("And again.", store=False, previous_response_id=rid))
    if second.error is not None:
        raise Failed(
            f"continuing {rid} (store=false) on the same socket was answered with {second.outcome()}",
            **_evidence(conn, first, second),
        )
    if second.terminal is None or second.terminal.get("type") != "response.completed":
        raise Failed(
            f"the continuation of {rid} ended with {second.outcome()}, expected response.completed",
            **_evidence(conn, first, second),
        )
    echoed = second.response.get("previous_response_id")
    if echoed != rid:
        raise Failed(
            f"the continuation's Response has previous_response_id {echoed!r}, expected {rid!r}",
            **_evidence(conn, first, second),
        )


def _judge_error(conn: WsConnection, turn: WsTurn, what: str, code: str, *turns: WsTurn) -> dict[str, Any]:
    """The turn must have ended with an error message carrying ``code``; returns the message."""
    if turn.error is None:
        raise Failed(
            f"{what} ended with {turn.outcome()}, expected an error message with code {code}",
            **_evidence(conn, *turns),
        )
    err = turn.error.get("error")
    seen = err.get("code") if isinstance(err, dict) else None
    if seen != code:
        raise Failed(
            f"{what} was answered with an error whose code is {seen!r}, expected {code!r}",
            error_message=turn.error,
            **_evidence(conn, *turns),
        )
    return turn.error


@check(
    "websocket.previous_not_found",
    "store=false with a previous_response_id the socket does not hold fails with previous_response_not_found",
    level=MUST,
    fact="With store=false there is no persisted fallback: continuing an id not in connection-local "
    "state fails the turn with an error message whose code is previous_response_not_found. " + ERRORS,
)
def previous_not_found(ctx: Context) -> None:
    rid = ctx.unknown_id()
    with _open(ctx) as conn:
        turn = conn.turn(ctx.body(store=False, previous_response_id=rid))
    message = _judge_error(conn, turn, f"continuing the unknown id {rid}", NOT_FOUND, turn)
    status = message.get("status")
    if type(status) is not int or not 400 <= status < 500:
        raise Failed(
            f"the error message's status is {status!r}, expected the HTTP status (4xx) of the failure",
            error_message=message,
        )
    err = message["error"]
    if not isinstance(err.get("message"), str) or not err.get("message"):
        raise Failed("the error message has no error.message text", error_message=message)


@check(
    "websocket.eviction",
    "A failed continuation evicts the id: continuing it again fails with previous_response_not_found",
    level=MUST,
    fact="If a continuation turn fails with a 4xx or 5xx error, the server evicts the referenced "
    "previous_response_id from the connection-local cache; a later store=false continuation of "
    "that id on the same connection fails with previous_response_not_found.",
)
def eviction(ctx: Context) -> None:
    with _open(ctx) as conn:
        first = conn.turn(ctx.body(store=False))
        rid = _completed(conn, first, "the first store=false turn")
        # A continuation that must fail: a field of the wrong type (see errors.wrong_type).
        bad = conn.turn(ctx.body("And again.", store=False, previous_response_id=rid, temperature="hot"))
        if bad.error is None:
            raise Skipped(
                f"a continuation with temperature 'hot' was not refused (it ended with {bad.outcome()}), "
                "so no continuation failed"
            )
        again = conn.turn(ctx.body("And again.", store=False, previous_response_id=rid))
    if again.error is None:
        raise Failed(
            f"continuing {rid} after a failed continuation ended with {again.outcome()}: the id was not "
            f"evicted (expected an error message with code {NOT_FOUND})",
            **_evidence(conn, first, bad, again),
        )
    _judge_error(conn, again, f"continuing {rid} after a failed continuation", NOT_FOUND, first, bad, again)
