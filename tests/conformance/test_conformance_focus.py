"""Focused verdicts: a server that differs from a correct one in one way fails exactly the checks whose
rule that is. A schema fault fails the schema checks only (the others note it and go on); an ordering,
cancel or pagination fault fails only the checks of that behaviour; a precondition the server cannot
meet makes the checks that start from it SKIP, naming the check that judges it.

Each faulty server is the reference app behind a middleware that changes one thing on the wire, served
over real loopback HTTP; the expected verdict changes are spelled out here, check by check.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conformance_support import (
    SERVER_OPTIONS,
    EventRewriter,
    FaultMiddleware,
    WsRewriter,
    make_reference_app,
    run_against,
    serve,
)

from responsekit.conformance.checks import all_checks
from responsekit.conformance.registry import FAIL, MUST, PASS, SKIP, WARN, Result

#: The checks whose rule is that a Response object validates, one per place a Response is answered.
RESPONSE_SCHEMA_CHECKS = {
    "create.default",  # POST /responses
    "create.background",  # POST /responses background=true
    "create.stream",  # the events (and the responses they carry) of stream=true
    "create.stream_background",  # ... of stream=true background=true
    "retrieve.body",  # GET /responses/{id}
    "cancel.body",  # POST /responses/{id}/cancel
    "websocket.create",  # the events of a WebSocket turn
}
#: Checks that read a Response leniently: with a schema fault they pass and say so in their evidence.
SCHEMA_NOTED = {
    "delete.then_404",
    "chain.previous_response",
    "input_items.order",
    "tools.output_accepted",
    "retrieve.after_create",
    "background.completes",
}


def _describe(r: Result) -> str:
    return f"{r.verdict} {r.id}: {r.message} {json.dumps(r.evidence, default=str)}"


def _changes(baseline: dict[str, Result], results: dict[str, Result]) -> dict[str, str]:
    """The checks whose verdict differs from the baseline, with their new verdict."""
    return {i: results[i].verdict for i in baseline if results[i].verdict != baseline[i].verdict}


def _run(**middleware: Any) -> dict[str, Result]:
    with serve(FaultMiddleware(make_reference_app(**SERVER_OPTIONS), **middleware)) as url:
        return run_against(url)


def _assert_exactly(
    baseline: dict[str, Result],
    results: dict[str, Result],
    failing: set[str],
    skipped: dict[str, str] | None = None,
) -> None:
    """Exactly ``failing`` fail (or warn, for a SHOULD) and ``skipped`` (check -> the check the reason
    names) skip; the rest keep their baseline verdict."""
    skipped = skipped or {}
    assert all(baseline[i].verdict == PASS for i in failing | set(skipped)), "the baseline must pass them"
    failed = {i: FAIL if baseline[i].level == MUST else WARN for i in failing}  # a broken SHOULD warns
    expected = {**failed, **{i: SKIP for i in skipped}}
    seen = _changes(baseline, results)
    assert seen == expected, "\n".join(_describe(results[i]) for i in sorted(set(seen) | set(expected)))
    for check_id, covered_by in skipped.items():
        message = results[check_id].message
        assert message.startswith("precondition: ") and f"(see {covered_by})" in message, _describe(
            results[check_id]
        )


def test_the_schema_checks_are_the_ones_named() -> None:
    ids = {c.id for c in all_checks()}
    assert RESPONSE_SCHEMA_CHECKS <= ids and SCHEMA_NOTED <= ids


# -- a schema fault ----------------------------------------------------------------------------------


def _is_response(value: Any) -> bool:
    return isinstance(value, dict) and value.get("object") == "response" and "deleted" not in value


def _response_rewriter(change):
    """Middleware arguments applying ``change(response)`` to every Response the server sends: JSON
    bodies, the ``response`` of stream events, on SSE and on the WebSocket alike."""

    def event(ev: Any) -> list[Any]:
        if isinstance(ev, dict) and _is_response(ev.get("response")):
            change(ev["response"])
        return [ev]

    class Events(EventRewriter):
        def feed(self, ev):
            return event(ev)

    class Socket(WsRewriter):
        def outgoing(self, message):
            return event(message)

    def body(scope, status, data):
        if _is_response(data):
            change(data)
        return status, data

    return {"events": lambda scope: Events(), "json": body, "ws": lambda scope: Socket()}


def _without_parallel_tool_calls(response: dict[str, Any]) -> None:
    response.pop("parallel_tool_calls", None)  # required by both model sets


def _usage_without_cache_write_tokens(response: dict[str, Any]) -> None:
    # The newest openai models require input_tokens_details.cache_write_tokens; this usage lacks it.
    response["usage"] = {
        "input_tokens": 3,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 2,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 5,
    }


@pytest.mark.parametrize(
    "change", [_without_parallel_tool_calls, _usage_without_cache_write_tokens], ids=lambda f: f.__name__
)
def test_a_schema_fault_fails_exactly_the_schema_checks(change, baseline: dict[str, Result]) -> None:
    results = _run(**_response_rewriter(change))
    _assert_exactly(baseline, results, RESPONSE_SCHEMA_CHECKS)
    for check_id in SCHEMA_NOTED:  # they judged their own rule and said what else they saw
        r = results[check_id]
        assert r.verdict == PASS and "does not validate" in r.evidence.get("schema_note", ""), _describe(r)
    assert "judged by create.default" in results["chain.previous_response"].evidence["schema_note"]


# -- an ordering fault --------------------------------------------------------------------------------


class _ItemDoneBeforePartDone(EventRewriter):
    """Sends output_item.done before the content_part.done it should follow (numbers stay in order),
    the same way on every stream of the response, replays included, as a server storing it would."""

    def __init__(self) -> None:
        self.held: dict | None = None

    def feed(self, ev):
        if isinstance(ev, dict) and ev.get("type") == "response.content_part.done" and self.held is None:
            self.held = ev
            return []
        if self.held is None:
            return [ev]
        held, self.held = self.held, None
        if isinstance(ev, dict) and ev.get("type") == "response.output_item.done":
            held["sequence_number"], ev["sequence_number"] = ev["sequence_number"], held["sequence_number"]
            return [ev, held]
        return [held, ev]

    def end(self):
        held, self.held = self.held, None
        return [held] if held is not None else []


class _SocketItemDoneBeforePartDone(WsRewriter):
    def __init__(self) -> None:
        self.events = _ItemDoneBeforePartDone()

    def outgoing(self, message):
        return self.events.feed(message)


def test_an_ordering_fault_fails_exactly_the_checks_of_that_rule(baseline: dict[str, Result]) -> None:
    results = _run(
        events=lambda scope: _ItemDoneBeforePartDone(), ws=lambda scope: _SocketItemDoneBeforePartDone()
    )
    # stream.bracketing judges the rule on the HTTP streams, websocket.create on the socket's.
    _assert_exactly(baseline, results, {"stream.bracketing", "websocket.create"})
    assert "after its response.output_item.done" in json.dumps(results["stream.bracketing"].evidence)


# -- cancel faults ------------------------------------------------------------------------------------


def _is_cancel(scope) -> bool:
    return scope["method"] == "POST" and scope["path"].endswith("/cancel")


async def _cancel_ignored(scope, inner):
    """Answers a cancel with the response as it stands, cancelling nothing."""
    return await inner("GET", scope["path"][: -len("/cancel")]) if _is_cancel(scope) else None


async def _cancel_not_idempotent(scope, inner):
    """Refuses to cancel a response already cancelled (the protocol answers it again)."""
    if not _is_cancel(scope):
        return None
    status, body = await inner("GET", scope["path"][: -len("/cancel")])
    if status == 200 and body.get("status") == "cancelled":
        envelope = {
            "message": "already cancelled",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
        return 400, {"error": envelope}
    return None


def test_an_ignored_cancel_fails_the_cancel_checks_and_skips_those_needing_a_cancelled_response(
    baseline: dict[str, Result],
) -> None:
    results = _run(intercept=_cancel_ignored)
    # The foreground checks judge the refusal to cancel, which the fault answers with 200 too.
    foreground = {i for i in baseline if i.startswith("cancel.foreground")}
    assert "cancel.foreground_400" in foreground
    _assert_exactly(
        baseline,
        results,
        {"cancel.background"} | foreground,
        skipped={"cancel.stream_end": "cancel.background", "cancel.idempotent": "cancel.background"},
    )
    assert "the cancel was ignored" in results["cancel.background"].message


def test_a_cancel_that_is_not_idempotent_fails_cancel_idempotent_alone(baseline: dict[str, Result]) -> None:
    results = _run(intercept=_cancel_not_idempotent)
    _assert_exactly(baseline, results, {"cancel.idempotent"})


# -- a pagination fault -------------------------------------------------------------------------------


def _input_items_ignore_after(scope, body):
    """GET /responses/{id}/input_items answers the first page whatever the `after` cursor."""
    parts = [p for p in scope["path"].split("/") if p]
    if scope["method"] == "GET" and len(parts) == 3 and parts[0] == "responses" and parts[2] == "input_items":
        query = b"&".join(p for p in scope["query_string"].split(b"&") if not p.startswith(b"after="))
        scope = {**scope, "query_string": query}
    return scope, body


def test_a_pagination_fault_fails_exactly_the_pagination_checks(baseline: dict[str, Result]) -> None:
    results = _run(request=_input_items_ignore_after)
    _assert_exactly(baseline, results, {"input_items.after", "input_items.paginator"})


# -- a precondition the server cannot meet ----------------------------------------------------------


def _no_background(scope, body):
    """The server cannot create a background response: background=true fails request validation."""
    if scope["method"] == "POST" and scope["path"].rstrip("/") == "/responses" and isinstance(body, dict):
        if body.get("background") is True:
            body["background"] = "unsupported"
    return scope, body


def test_without_background_responses_the_checks_needing_one_skip_naming_the_check_that_fails(
    baseline: dict[str, Result],
) -> None:
    results = _run(request=_no_background)
    covering = {"create.background", "create.stream_background"}
    skipped = {
        "background.completes": "create.background",
        "replay.full": "create.stream_background",
        "replay.starting_after": "create.stream_background",
        "replay.last_event_id": "create.stream_background",
        "replay.live_tail": "create.stream_background",
        "cancel.background": "create.stream_background",
        "cancel.body": "create.stream_background",
        "cancel.stream_end": "create.stream_background",
        "cancel.idempotent": "create.stream_background",
    }
    # Checks of other modules that start from a background response may skip too, for the same reason.
    others = {
        i: covered_by
        for i, r in results.items()
        if i not in skipped and r.verdict == SKIP and baseline[i].verdict != SKIP
        for covered_by in covering
        if f"(see {covered_by})" in r.message
    }
    _assert_exactly(baseline, results, covering, skipped={**skipped, **others})
