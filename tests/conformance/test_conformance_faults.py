"""Proving the checks can fail: each deliberate fault makes its check FAIL, naming the fault, and
leaves the verdict of every independent check as it was against the compliant server.

The faulty servers are the reference app behind a middleware that rewrites what it sends (see
conformance_support.FAULTS), served over real loopback HTTP like the compliant one.
"""

from __future__ import annotations

import json

import pytest
from conformance_support import (
    FAULTS,
    SERVER_OPTIONS,
    TERMINAL_TYPES,
    FaultMiddleware,
    WsRewriter,
    make_reference_app,
    run_against,
    serve,
    suite_config,
)

from responsekit.conformance.checks import all_checks
from responsekit.conformance.registry import FAIL, PASS, WARN, Result
from responsekit.conformance.runner import run_suite, select


def _describe(r: Result) -> str:
    return f"{r.verdict} {r.id}: {r.message} {json.dumps(r.evidence, default=str)}"


def test_the_middleware_itself_changes_no_verdict(baseline: dict[str, Result]) -> None:
    app = FaultMiddleware(
        make_reference_app(**SERVER_OPTIONS),
        events=lambda scope: None,
        json=lambda s, st, b: (st, b),
        request=lambda scope, body: (scope, body),
        ws=lambda scope: WsRewriter(),
    )
    with serve(app) as url:
        results = run_against(url)
    changed = [_describe(results[i]) for i in baseline if results[i].verdict != baseline[i].verdict]
    assert not changed, "\n".join(changed)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_fails_its_check_and_only_dependent_ones(fault: str, baseline: dict[str, Result]) -> None:
    middleware, target, words, dependent = FAULTS[fault]
    assert baseline[target].verdict == PASS, f"{target} must pass against the compliant app first"
    with serve(FaultMiddleware(make_reference_app(**SERVER_OPTIONS), **middleware)) as url:
        results = run_against(url)
    hit = results[target]
    assert hit.verdict in (FAIL, WARN) and hit.verdict == (FAIL if hit.level == "MUST" else WARN), _describe(
        hit
    )
    assert words in hit.message + json.dumps(hit.evidence, default=str), _describe(hit)
    changed = [
        _describe(results[i])
        for i in baseline
        if i != target and i not in dependent and results[i].verdict != baseline[i].verdict
    ]
    assert not changed, "independent checks changed verdict:\n" + "\n".join(changed)


class _WsRepeatedTerminal(WsRewriter):
    def outgoing(self, message):
        if isinstance(message, dict) and message.get("type") in TERMINAL_TYPES:
            return [
                message,
                {**json.loads(json.dumps(message)), "sequence_number": message["sequence_number"] + 1},
            ]
        return [message]


def test_a_repeated_terminal_event_on_the_socket_fails_websocket_create_alone() -> None:
    # The other WebSocket checks read their turns past it (it belongs to a response already ended).
    app = FaultMiddleware(make_reference_app(**SERVER_OPTIONS), ws=lambda scope: _WsRepeatedTerminal())
    with serve(app) as url:
        results = run_suite(suite_config(url), select(all_checks(), ["websocket"]))
    verdicts = {r.id: r.verdict for r in results}
    assert verdicts.pop("websocket.create") == FAIL, results[0]
    assert "a second terminal event" in results[0].message
    assert set(verdicts.values()) == {PASS}, [(r.id, r.message) for r in results]
