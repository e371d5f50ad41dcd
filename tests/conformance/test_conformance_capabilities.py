"""Optional capabilities (WebSocket, compaction, input tokens, conversations): detected once, their checks
skipped (not failed) when the server lacks them, and named in every report. Plus the suite's WebSocket
client against test-only servers: every receive is bounded."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conformance_support import SERVER_OPTIONS, make_reference_app, serve, suite_config
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from responsekit.conformance import capabilities, html, report
from responsekit.conformance.checks import all_checks
from responsekit.conformance.cli import main
from responsekit.conformance.context import Context
from responsekit.conformance.registry import FAIL, PASS, SKIP
from responsekit.conformance.runner import run_suite, select
from responsekit.conformance.wsclient import WsConnection, WsRefused, ws_url

OPTIONAL_GROUPS = ["websocket", "compaction", "input_tokens", "conversations"]


class WithoutOptionalParts:
    """The reference app with its optional parts taken away: a server that never had them.

    The JSON endpoints answer 404 (405 for compaction, as a router whose `/responses/{id}` route
    knows no POST does), and the WebSocket upgrade is refused.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            return await send({"type": "websocket.close", "code": 1008})
        path = scope.get("path", "")
        if scope["type"] == "http" and (
            path.startswith("/conversations") or path in ("/responses/compact", "/responses/input_tokens")
        ):
            status = 405 if path == "/responses/compact" else 404
            error = {"message": "no route", "type": "invalid_request_error", "param": None, "code": None}
            raw = json.dumps({"error": error}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            return await send({"type": "http.response.body", "body": raw})
        return await self.app(scope, receive, send)


def _optional_checks():
    return select(all_checks(), OPTIONAL_GROUPS)


def test_every_optional_check_passes_on_the_reference_app(baseline) -> None:
    ids = [c.id for c in _optional_checks()]
    assert len(ids) == 15
    assert {i: baseline[i].verdict for i in ids} == dict.fromkeys(ids, PASS)


def test_absent_capabilities_skip_their_checks_and_are_reported(tmp_path: Path) -> None:
    with serve(WithoutOptionalParts(make_reference_app(**SERVER_OPTIONS))) as url:
        ctx = Context(suite_config(url))
        try:
            results = run_suite(ctx.config, _optional_checks(), context=ctx)
            found = capabilities.report(ctx, probe_all=False)
        finally:
            ctx.close()
        out_json, out_xml, out_html = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.html"
        code = main(
            ["--base-url", url, "--only", "create.default", "--timeout", "10", "--no-color"]
            + ["--report-json", str(out_json), "--junit-xml", str(out_xml)]
        )
    assert {r.verdict for r in results} == {SKIP}, [(r.id, r.verdict, r.message) for r in results]
    reasons = {r.id.split(".")[0]: r.message for r in results}
    assert "does not offer WebSocket transport" in reasons["websocket"]
    assert "instead of upgrading" in reasons["websocket"]
    assert "POST /responses/compact answered 405" in reasons["compaction"]
    assert "POST /responses/input_tokens answered 404" in reasons["input_tokens"]
    assert "POST /conversations answered 404" in reasons["conversations"]
    assert {name: info["found"] for name, info in found.items()} == dict.fromkeys(capabilities.NAMES, False)

    # The CLI probes every capability, even those the selected checks did not need, and reports them.
    assert code == 0
    doc = json.loads(out_json.read_text())
    assert {name: info["found"] for name, info in doc["capabilities"].items()} == dict.fromkeys(
        capabilities.NAMES, False
    )
    props = {p.get("name"): p.get("value") for p in ET.parse(out_xml).getroot().iter("property")}
    assert props == {
        "client_validation": "strict",
        **{f"capability.{name}": "not found" for name in capabilities.NAMES},
    }
    assert main(["report", str(out_json), "--html", str(out_html)]) == 0
    page = out_html.read_text()
    assert "Optional capabilities" in page and "POST /responses/input_tokens answered 404" in page


def test_found_capabilities_are_reported(reference_url: str, tmp_path: Path) -> None:
    out_json = tmp_path / "r.json"
    code = main(
        ["--base-url", reference_url, "--only", "input_tokens", "--timeout", "10", "--no-color"]
        + ["--report-json", str(out_json)]
    )
    assert code == 0
    doc = json.loads(out_json.read_text())
    assert {name: info["found"] for name, info in doc["capabilities"].items()} == dict.fromkeys(
        capabilities.NAMES, True
    )
    assert "upgraded to a WebSocket" in doc["capabilities"]["websocket"]["detail"]


def test_console_and_html_name_the_capabilities() -> None:
    found = {
        "websocket": {"found": True, "detail": "GET ws://x/responses upgraded to a WebSocket"},
        "compaction": {"found": False, "detail": "POST /responses/compact answered 404"},
        "input_tokens": {"found": None, "detail": "the probe failed: ReadTimeout: timed out"},
    }
    out = io.StringIO()
    report.Console(out, io.StringIO(), colour=False).summary([], 0.1, found)
    text = out.getvalue()
    assert "Optional capabilities" in text
    assert "websocket      found" in text and "compaction     not found" in text
    assert "input_tokens   unknown" in text and "ReadTimeout" in text
    doc = report.to_json([], base_url="http://x", profile="openai", model=None, started_at=0, duration_s=1)
    assert doc["capabilities"] == {} and "Optional capabilities" not in html.render(doc)
    doc["capabilities"] = found
    page = html.render(doc)
    assert "<td class='v PASS'>found</td>" in page and "<td class='v SKIP'>not found</td>" in page
    assert "<td class='v WARN'>unknown</td>" in page


# -- a probe that breaks leaves the capability undecided: its checks fail, they are not skipped --------


async def _slow_compact(request):
    await asyncio.sleep(1.5)


SLOW = Starlette(routes=[Route("/responses/compact", _slow_compact, methods=["POST"])])


def test_a_probe_that_breaks_fails_the_checks() -> None:
    with serve(SLOW) as url:
        config = suite_config(url)
        config.timeout = 0.3
        results = run_suite(config, select(all_checks(), ["compaction.shape"]))
    assert results[0].verdict == FAIL, results[0]
    assert "could not tell whether the server offers POST /responses/compact" in results[0].message


# -- the WebSocket client ----------------------------------------------------------------------------


async def _silent(ws: WebSocket) -> None:
    await ws.accept()
    await ws.receive_text()
    with contextlib.suppress(Exception):
        await ws.receive_text()  # never answers (the client's bound must end the turn), until it hangs up


async def _odd(ws: WebSocket) -> None:
    await ws.accept()
    await ws.receive_text()
    await ws.send_text("not json")
    await ws.send_bytes(b"\x00\x01")
    await ws.send_text(json.dumps({"type": "error", "status": 400, "error": {"code": "bad", "message": "m"}}))
    await ws.receive_text()
    await ws.close(code=1011, reason="going away")


async def _refuse(ws: WebSocket) -> None:
    await ws.close(code=1008)


WS_APP = Starlette(
    routes=[
        WebSocketRoute("/silent/responses", _silent),
        WebSocketRoute("/odd/responses", _odd),
        WebSocketRoute("/refuse/responses", _refuse),
    ]
)


def test_ws_url() -> None:
    assert ws_url("http://h:1/v1/") == "ws://h:1/v1/responses"
    assert ws_url("https://h/v1") == "wss://h/v1/responses"


def test_a_silent_server_cannot_hang_a_turn() -> None:
    with serve(WS_APP) as url:
        started = time.monotonic()
        with WsConnection(url + "/silent", timeout=0.3).open() as conn:
            turn = conn.turn({"input": "hi"})
    assert time.monotonic() - started < 5
    assert turn.problem and turn.problem.startswith("no message within 0.3s"), turn.problem
    assert turn.terminal is None and turn.error is None
    assert conn.transcript[0]["dir"] == "sent" and conn.transcript[0]["message"]["type"] == "response.create"


def test_the_turn_deadline_bounds_a_chatty_server() -> None:
    async def chatty(ws: WebSocket) -> None:
        await ws.accept()
        await ws.receive_text()
        n = 0
        with contextlib.suppress(Exception):  # ends when the client hangs up
            while True:  # events for ever, never a terminal one
                await ws.send_text(json.dumps({"type": "response.in_progress", "sequence_number": n}))
                n += 1
                await asyncio.sleep(0.01)

    app = Starlette(routes=[WebSocketRoute("/responses", chatty)])
    with serve(app) as url:
        with WsConnection(url, timeout=5, deadline=0.4).open() as conn:
            turn = conn.turn({})
    assert turn.problem and turn.problem.startswith("the turn did not end within 0.4s, after ")
    assert len(turn.events) > 3 and turn.terminal is None


def test_odd_messages_are_anomalies_and_a_close_ends_the_turn() -> None:
    with serve(WS_APP) as url:
        with WsConnection(url + "/odd", timeout=5).open() as conn:
            first = conn.turn({})
            second = conn.turn({})
    assert first.error == {"type": "error", "status": 400, "error": {"code": "bad", "message": "m"}}
    assert first.anomalies == [
        "a message that is not a JSON object: 'not json'",
        "a message that is not a JSON object: b'\\x00\\x01'",
    ]
    assert second.problem and "the server closed the connection (code 1011, 'going away')" in second.problem


def test_a_refused_upgrade_is_reported_with_its_status() -> None:
    with serve(WS_APP) as url:
        with pytest.raises(WsRefused) as refused:
            WsConnection(url + "/refuse", timeout=5).open()
        with pytest.raises(WsRefused) as missing:
            WsConnection(url + "/nowhere", timeout=5).open()
    assert refused.value.status == 403 and "answered 403 instead of upgrading" in str(refused.value)
    assert missing.value.status == 403
