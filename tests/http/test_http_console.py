"""The live event console over HTTP (responsekit/console): off by default, its page and static files,
the recent-responses JSON (user keys only as salted hashes, isolated responses only as summaries),
the loopback rule (403 for remote clients, startup refusal of a non-loopback bind) and
``responsekit serve --console``. The page itself is driven in a browser in test_console_browser.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from http_helpers import check_envelope
from support.hosts import echo_handler, make_host, slow_handler
from support.polling import poll
from support.servers import free_port, serve_in_thread, spawn_server

from responsekit import ResponsesServerOptions
from responsekit.console.loopback import bind_problem, client_is_loopback, is_loopback
from responsekit.console.recorder import ConsoleRecorder
from responsekit.server.observers import ResponseRun

SECRET_KEY = "alice-very-secret-isolation-key"
USER = {"x-agent-user-isolation-key": SECRET_KEY}


def _console_host(**options):
    host = make_host("memory", console=True, **options)
    host.response_handler(echo_handler())
    return host


def _wait_finished(client: httpx.Client, count: int) -> list[dict]:
    """The console's list once ``count`` responses in it have finished."""

    def finished() -> list[dict] | None:
        data = client.get("/_console/api/responses").json()["data"]
        return data if sum(e["finished"] for e in data) >= count else None

    return poll(finished, what=f"{count} finished responses in the console")


# -- off by default -------------------------------------------------------------------------------
def test_console_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESPONSEKIT_CONSOLE", raising=False)
    host = make_host("memory")
    host.response_handler(echo_handler())
    assert host.options.console is False
    assert not host.observers  # nothing watches responses: the runtime pays nothing
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url) as client:
        for path in ("/_console", "/_console/static/console.js", "/_console/api/responses"):
            check_envelope(client.get(path), 404, code="not_found")


def test_environment_turns_it_on_and_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESPONSEKIT_CONSOLE", "1")
    assert ResponsesServerOptions().console is True
    assert ResponsesServerOptions(console=False).console is False  # the code's choice wins
    monkeypatch.setenv("RESPONSEKIT_CONSOLE", "maybe")
    with pytest.raises(ValueError, match="RESPONSEKIT_CONSOLE"):
        ResponsesServerOptions()
    monkeypatch.delenv("RESPONSEKIT_CONSOLE")
    with pytest.raises(ValueError, match="console must be a bool"):
        ResponsesServerOptions(console="yes")


# -- the page ----------------------------------------------------------------------------------------
def test_page_and_static_files_under_the_route_prefix() -> None:
    host = make_host("memory", console=True, route_prefix="/v1")
    host.response_handler(echo_handler())
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url) as client:
        page = client.get("/v1/_console")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in page.headers["content-security-policy"]
        # Relative URLs to files of the package: no CDN, and right under any prefix.
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sorted(sources) == ["_console/static/console.css", "_console/static/console.js", "data:,"]
        assert not re.search(r"https?://", page.text)
        for name, kind, marker in (
            ("console.js", "text/javascript; charset=utf-8", "?stream=true"),
            ("console.css", "text/css; charset=utf-8", ".delta-run"),
        ):
            reply = client.get(f"/v1/_console/static/{name}")
            assert reply.status_code == 200, reply.text
            assert reply.headers["content-type"] == kind
            assert reply.headers["x-content-type-options"] == "nosniff"
            assert marker in reply.text
        check_envelope(client.get("/v1/_console/static/secrets.py"), 404, code="not_found")
        check_envelope(client.get("/v1/_console/static/..%2Frecorder.py"), 404)
        check_envelope(client.get("/_console"), 404)  # only under the prefix


# -- what it records ----------------------------------------------------------------------------------
def test_recent_list_shows_summaries_and_hashes_user_keys() -> None:
    host = _console_host(default_model="the-model")
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url) as client:
        stored = client.post("/responses", json={"input": "one"}).json()
        isolated = [
            client.post("/responses", json={"input": f"mine {i}", "background": True}, headers=USER).json()
            for i in range(2)
        ]
        other = client.post(
            "/responses", json={"input": "theirs"}, headers={"x-agent-user-isolation-key": "bob"}
        ).json()
        unstored = client.post("/responses", json={"input": "gone", "store": False, "stream": True})
        assert unstored.status_code == 200
        data = _wait_finished(client, 5)
        listing = client.get("/_console/api/responses")
        assert SECRET_KEY not in listing.text and "bob" not in listing.text

        assert [e["id"] for e in data][1:] == [
            other["id"],
            isolated[1]["id"],
            isolated[0]["id"],
            stored["id"],
        ]
        by_id = {e["id"]: e for e in data}
        first = by_id[stored["id"]]
        assert first["status"] == "completed" and first["mode"] == "default" and first["model"] == "the-model"
        assert first["user_key_hash"] is None and first["isolated"] is False
        assert first["duration_seconds"] >= 0 and first["event_count"] >= 3
        assert first["replay"] == {"available": True, "reason": None}
        mine = [by_id[r["id"]] for r in isolated]
        assert all(e["mode"] == "background" and e["isolated"] for e in mine)
        assert re.fullmatch(r"[0-9a-f]{12}", mine[0]["user_key_hash"])
        assert mine[0]["user_key_hash"] == mine[1]["user_key_hash"]  # one key, one hash
        assert by_id[other["id"]]["user_key_hash"] not in (None, mine[0]["user_key_hash"])
        assert mine[0]["replay"]["available"] is False and "isolat" in mine[0]["replay"]["reason"]
        latest = data[0]
        assert latest["mode"] == "stream" and latest["stored"] is False
        assert latest["replay"]["available"] is False and "store=false" in latest["replay"]["reason"]

        # Detail: a stored response's timings; an isolated one's summary only; an unstored one's events.
        detail = client.get(f"/_console/api/responses/{stored['id']}").json()
        assert len(detail["timings"]) == detail["event_count"]
        assert [t for _, t in detail["timings"]] == sorted(t for _, t in detail["timings"])
        assert detail["response"]["status"] == "completed"
        assert detail["response"]["output"][0]["content"][0]["text"] == "Echo: one"
        private = client.get(f"/_console/api/responses/{isolated[0]['id']}")
        assert SECRET_KEY not in private.text and "mine 0" not in private.text
        assert private.json()["events"] == [] and private.json()["response"] is None
        assert len(private.json()["timings"]) == private.json()["event_count"]
        captured = client.get(f"/_console/api/responses/{latest['id']}").json()
        types = [e["event"]["type"] for e in captured["events"]]
        assert types[0] == "response.created" and types[-1] == "response.completed"
        assert [e["event"]["sequence_number"] for e in captured["events"]] == list(range(len(types)))
        assert captured["invalid"] == []  # the runtime's events match the protocol's event models
        assert captured["response"]["output"][0]["content"][0]["text"] == "Echo: gone"
        check_envelope(client.get("/_console/api/responses/resp_unknown"), 404, code="not_found")


def test_a_running_response_is_listed_while_it_runs() -> None:
    host = make_host("memory", console=True)
    host.response_handler(slow_handler(deltas=40, delay=0.05))
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url) as client:
        created = client.post("/responses", json={"input": "x", "background": True, "stream": False}).json()

        def running() -> dict | None:
            entry = client.get(f"/_console/api/responses/{created['id']}").json()
            return entry if entry["status"] == "in_progress" and entry["event_count"] > 4 else None

        entry = poll(running, what="the response listed as in_progress with events")
        assert entry["finished"] is False and entry["mode"] == "background"
        done = _wait_finished(client, 1)[0]
        assert done["status"] == "completed" and done["event_count"] > entry["event_count"]


def test_the_ring_keeps_the_most_recent_responses() -> None:
    recorder = ConsoleRecorder(max_responses=3, max_events=2)
    runs = [ResponseRun(f"resp_{i}", "default", None, None, 0.0, {}) for i in range(5)]
    for run in runs:
        recorder.response_started(run)
        for seq in range(4):
            recorder.event_emitted(run, {"type": "response.in_progress", "sequence_number": seq})
    assert [e.response_id for e in recorder.recent()] == ["resp_4", "resp_3", "resp_2"]
    detail = recorder.get("resp_4").detail()
    assert detail["event_count"] == 4 and len(detail["events"]) == 2 and detail["events_truncated"]
    assert recorder.get("resp_0") is None


# -- the loopback rule ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("::ffff:10.1.2.3", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_an_unknown_client_counts_as_remote() -> None:
    assert client_is_loopback({"client": ("127.0.0.1", 5)})
    assert not client_is_loopback({"client": None})
    assert not client_is_loopback({"client": ("testclient", 5)})


def test_non_loopback_clients_get_403_unless_allowed() -> None:
    # uvicorn takes the client address from X-Forwarded-For when the peer is 127.0.0.1 (a proxy on
    # this machine): how a console behind a reverse proxy sees remote clients.
    remote = {"x-forwarded-for": "203.0.113.9"}
    host = _console_host()
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url) as client:
        for path in ("/_console", "/_console/static/console.js", "/_console/api/responses"):
            check_envelope(client.get(path, headers=remote), 403, code="console_loopback_only")
            assert client.get(path).status_code == 200
        assert client.post("/responses", json={"input": "x"}, headers=remote).status_code == 200
    allowed = _console_host(console_allow_remote=True)
    with serve_in_thread(allowed) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/_console/api/responses", headers=remote).status_code == 200


def test_startup_refuses_a_non_loopback_bind(capsys: pytest.CaptureFixture[str]) -> None:
    host = _console_host()
    with pytest.raises(SystemExit, match="console=True.*serves only loopback.*0.0.0.0"):
        host.run(host="0.0.0.0", port=free_port())  # run()'s default host is 0.0.0.0 too
    with pytest.raises(SystemExit) as exited:
        host.run(host="0.0.0.0", port=free_port(), workers=2)
    assert exited.value.code == 2 and "console_allow_remote" in capsys.readouterr().err
    options = ResponsesServerOptions(console=True)
    assert bind_problem(options, "127.0.0.1") is None and bind_problem(options, "::1") is None
    assert bind_problem(ResponsesServerOptions(console=True, console_allow_remote=True), "0.0.0.0") is None
    assert bind_problem(ResponsesServerOptions(console=False), "0.0.0.0") is None


# -- responsekit serve --console ----------------------------------------------------------------------
APP = """
from responsekit import ResponsesAgentServerHost, TextResponse

app = ResponsesAgentServerHost()


@app.response_handler
async def handler(request, context, cancellation_signal):
    return TextResponse(context, request, text="hi")
"""


@pytest.mark.slow
def test_serve_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RESPONSEKIT_CONSOLE", "RESPONSEKIT_CONSOLE_ALLOW_REMOTE"):
        monkeypatch.delenv(name, raising=False)
    app = tmp_path / "console_app.py"
    app.write_text(APP)
    serve = [sys.executable, "-m", "responsekit.cli", "serve", f"{app}:app"]

    refused = subprocess.run(
        [*serve, "--console", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode == 2, refused.stderr
    assert "serves only loopback" in refused.stderr and "--console-allow-remote" in refused.stderr

    with spawn_server(serve) as server:  # without the flag: no console
        assert httpx.get(server.url + "/_console").status_code == 404
    with spawn_server([*serve, "--console"]) as server:
        page = httpx.get(server.url + "/_console")
        assert page.status_code == 200 and "console.js" in page.text
    with spawn_server([*serve, "--console", "--console-allow-remote", "--host", "0.0.0.0"]) as server:
        remote = {"x-forwarded-for": "203.0.113.9"}
        assert httpx.get(server.url + "/_console/api/responses", headers=remote).status_code == 200
