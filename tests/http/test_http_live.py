"""What depends on real sockets, against uvicorn on loopback: live streaming, disconnects, resuming,
keep-alives, oversized bodies, mounting, shutdown, and ``app.run()``.

Every handler that waits does so on a test-controlled gate (bounded), never on the clock, and every
read is bounded by the client's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import textwrap

import httpx
import pytest
from http_helpers import (
    LiveSSE,
    check_complete_stream,
    check_envelope,
    parse_sse,
    poll,
)
from support.hosts import (
    WAIT,
    Probe,
    echo_handler,
    gated_handler,
    host_with,
    slow_handler,
    stalling_handler,
    store_url_for,
)
from support.servers import serve_in_thread, spawn_server

from responsekit.server.runner import FAILURE_MESSAGES

FAST = {"shutdown_grace_period_seconds": 0.5}
BODY = {"model": "m", "input": "hi"}


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=WAIT)


def _status(
    client: httpx.Client, rid: str, statuses=("completed", "failed", "incomplete", "cancelled")
) -> dict:
    return poll(
        lambda: (body := client.get(f"/responses/{rid}").json())["status"] in statuses and body,
        what=f"{rid} terminal",
    )


def test_stream_is_live_events_arrive_while_the_handler_is_still_running(store_kind):
    probe = Probe()
    with (
        serve_in_thread(host_with(store_kind, gated_handler(probe), **FAST)) as server,
        _client(server.url) as client,
    ):
        with client.stream("POST", "/responses", json={**BODY, "stream": True}) as reply:
            live = LiveSSE(reply)
            delta = live.until_type("response.output_text.delta")  # the handler is parked at its gate
            assert delta.data["delta"] == "before0 " and not probe.is_set("finished")
            probe.set("release")
            sse = live.to_end()
        terminal = check_complete_stream(sse)
        assert terminal.data["response"]["status"] == "completed"
        assert live.raw.endswith(b"data: [DONE]\n\n")


def test_client_disconnect_cancels_a_foreground_stream_and_keeps_partial_output(store_kind):
    probe = Probe()
    with (
        serve_in_thread(host_with(store_kind, stalling_handler(probe), **FAST)) as server,
        _client(server.url) as client,
    ):
        with client.stream("POST", "/responses", json={**BODY, "stream": True}) as reply:
            live = LiveSSE(reply)
            rid = live.until_type("response.created").data["response"]["id"]
            live.until_type("response.output_text.delta")
        # leaving the block closed the connection mid-stream
        probe.wait("cancelled")
        final = _status(client, rid)
        assert final["status"] == "cancelled"
        (message,) = final["output"]
        assert message["status"] == "incomplete" and message["content"][0]["text"] == "partial"
        replay = parse_sse(client.get(f"/responses/{rid}?stream=true").content)
        terminal = check_complete_stream(replay)
        assert terminal.event == "response.failed" and terminal.data["response"]["status"] == "cancelled"
        assert replay.raw_events.startswith(live.sse.raw_events)


def test_disconnect_of_an_unstored_stream_cancels_the_handler_and_leaves_nothing_behind(store_kind):
    probe = Probe()
    host = host_with(store_kind, slow_handler(deltas=10**6, delay=0.01, probe=probe), **FAST)
    with serve_in_thread(host) as server, _client(server.url) as client:
        with client.stream("POST", "/responses", json={**BODY, "stream": True, "store": False}) as reply:
            live = LiveSSE(reply)
            rid = live.until_type("response.created").data["response"]["id"]
            live.until(lambda sse: sse.types.count("response.output_text.delta") >= 2)
        probe.wait("cancelled")
        check_envelope(client.get(f"/responses/{rid}"), 404)
        poll(lambda: not host._runs and not len(host._unstored_log), what="the run and its log released")


def test_background_stream_continues_after_disconnect_and_resumes_from_the_cursor(store_kind):
    probe = Probe()
    with (
        serve_in_thread(host_with(store_kind, gated_handler(probe, before=2, after=3), **FAST)) as server,
        _client(server.url) as client,
    ):
        with client.stream("POST", "/responses", json={**BODY, "stream": True, "background": True}) as reply:
            live = LiveSSE(reply)
            live.until(lambda sse: sse.types.count("response.output_text.delta") == 2)
        seen = live.sse
        rid = seen.frames[0].data["response"]["id"]
        probe.wait("waiting")
        assert not probe.is_set("cancelled")
        probe.set("release")
        assert _status(client, rid)["status"] == "completed"
        last = seen.frames[-1].seq
        with client.stream(
            "GET", f"/responses/{rid}", params={"stream": "true", "starting_after": last}
        ) as resumed:
            rest = LiveSSE(resumed).to_end()
        check_complete_stream(rest, first_seq=last + 1)
        full = client.get(f"/responses/{rid}", params={"stream": "true"})
        assert seen.raw_events + rest.raw_events + b"data: [DONE]\n\n" == full.content
        assert not probe.is_set("cancelled")


def test_replay_of_an_in_flight_response_tails_live_events(store_kind):
    probe = Probe()
    with (
        serve_in_thread(host_with(store_kind, gated_handler(probe), **FAST)) as server,
        _client(server.url) as client,
    ):
        rid = client.post("/responses", json={**BODY, "background": True}).json()["id"]
        probe.wait("waiting")
        with client.stream("GET", f"/responses/{rid}?stream=true") as reply:
            live = LiveSSE(reply)
            live.until_type("response.output_text.delta")
            probe.set("release")
            sse = live.to_end()
        assert check_complete_stream(sse).data["response"]["status"] == "completed"


@pytest.mark.parametrize("reader", ["create", "replay"])
def test_idle_streams_get_keep_alive_comments(store_kind, reader):
    probe = Probe()
    host = host_with(store_kind, gated_handler(probe), sse_keep_alive_interval_seconds=0.05, **FAST)
    with serve_in_thread(host) as server, _client(server.url) as client:
        if reader == "create":
            request = client.stream("POST", "/responses", json={**BODY, "stream": True})
        else:
            rid = client.post("/responses", json={**BODY, "background": True}).json()["id"]
            probe.wait("waiting")
            request = client.stream("GET", f"/responses/{rid}?stream=true")
        with request as reply:
            live = LiveSSE(reply)
            live.until(lambda sse: sse.comments >= 2, "two keep-alive comments")
            assert b"\n: keep-alive\n\n" in live.raw or live.raw.startswith(b": keep-alive")
            probe.set("release")
            sse = live.to_end()
        check_complete_stream(sse)  # comments never disturb the frames around them


def test_body_with_a_huge_declared_length_is_413_without_reading_it(store_kind):
    host = host_with(store_kind, echo_handler(), max_request_body_bytes=1024, **FAST)
    with serve_in_thread(host) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.sendall(
                b"POST /responses HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100000000000\r\n\r\n{"input": "'
            )
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(65536)
                assert chunk, "connection closed without a response"
                head += chunk
        status_line = head.split(b"\r\n", 1)[0]
        assert status_line.startswith(b"HTTP/1.1 413"), status_line


def test_client_headers_are_lowercased_over_a_real_socket(store_kind):
    probe = Probe()

    async def handler(request, context, signal):
        probe.note(dict(context.client_headers))
        return await echo_handler()(request, context, signal)

    with serve_in_thread(host_with(store_kind, handler, **FAST)) as server, _client(server.url) as client:
        client.post("/responses", json=BODY, headers={"X-Client-Request-ID": "r1", "X-CLIENT-Other": "o"})
        assert probe.notes == [{"x-client-request-id": "r1", "x-client-other": "o"}]


# -- mounting --------------------------------------------------------------------------------------------
def _fastapi_parent(host):
    from fastapi import FastAPI

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await host.startup()
        yield
        await host.shutdown()

    parent = FastAPI(lifespan=lifespan)

    @parent.get("/readiness")
    def ready():
        return {"ok": True}

    parent.mount("/agent", host)
    return parent


def _starlette_parent(host):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await host.startup()
        yield
        await host.shutdown()

    return Starlette(
        lifespan=lifespan,
        routes=[Route("/readiness", lambda r: JSONResponse({"ok": True})), Mount("/api/v2", app=host)],
    )


@pytest.mark.parametrize(
    ("parent", "prefix"),
    [(_fastapi_parent, "/agent"), (_starlette_parent, "/api/v2")],
    ids=["fastapi", "starlette"],
)
def test_mounted_under_a_path_prefix_serves_every_endpoint(store_kind, parent, prefix):
    probe = Probe()
    host = host_with(store_kind, gated_handler(probe, before=1, after=1), **FAST)
    with serve_in_thread(parent(host)) as server, _client(server.url + prefix) as client:
        assert client.get("/readiness").status_code == 200
        with client.stream("POST", "/responses", json={**BODY, "stream": True, "background": True}) as reply:
            live = LiveSSE(reply)
            live.until_type("response.output_text.delta")
            rid = live.sse.frames[0].data["response"]["id"]
            probe.set("release")
            sse = live.to_end()
        check_complete_stream(sse)
        assert client.get(f"/responses/{rid}").json()["status"] == "completed"
        assert parse_sse(client.get(f"/responses/{rid}?stream=true").content).raw_events == sse.raw_events
        assert client.get(f"/responses/{rid}/input_items").json()["data"][0]["content"][0]["text"] == "hi"
        check_envelope(client.post(f"/responses/{rid}/cancel"), 400)
        assert client.delete(f"/responses/{rid}").json()["deleted"] is True
        check_envelope(client.get(f"/responses/{rid}"), 404)
        check_envelope(client.put("/responses"), 405)
    # the parent's lifespan shut the host down
    assert host.is_shutdown_requested


# -- app.run() and shutdown on a real process --------------------------------------------------------------
SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from responsekit import ResponsesAgentServerHost, ResponsesServerOptions, ResponseEventStream, TextResponse

    # the store comes from RESPONSEKIT_STORE
    app = ResponsesAgentServerHost(options=ResponsesServerOptions(shutdown_grace_period_seconds=float(sys.argv[1])))

    @app.response_handler
    async def handler(request, context, cancellation_signal):
        mode = await context.get_input_text()
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        yield text.emit_delta("started ")
        if mode == "echo":
            pass
        elif mode == "graceful":  # finishes as soon as it learns the server is draining
            while not context.is_shutdown_requested:
                await asyncio.sleep(0.01)
            yield text.emit_delta("saw shutdown")
        else:  # stalls until the runtime cancels it
            await asyncio.Event().wait()
        yield text.emit_text_done()
        yield text.emit_done()
        yield message.emit_done()
        yield stream.emit_completed()

    app.run(host="127.0.0.1")
""")


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "server.py"
    path.write_text(SCRIPT)
    return str(path)


@pytest.mark.slow  # a server process of its own
def test_app_run_takes_its_port_from_the_port_variable(script, store_kind):
    env = {"RESPONSEKIT_STORE": store_url_for(store_kind)}
    with spawn_server(["python", script, "1"], env=env) as server, _client(server.url) as client:
        assert client.get("/liveness").status_code == 200
        body = client.post("/responses", json={"model": "m", "input": "echo"}).json()
        assert body["status"] == "completed"


def test_app_run_port_resolution(monkeypatch):
    import uvicorn

    from responsekit import ResponsesAgentServerHost, ResponsesServerOptions

    seen = []

    async def fake_serve(self, sockets=None):
        seen.append((self.config.host, self.config.port))

    monkeypatch.setattr(uvicorn.Server, "serve", fake_serve)
    app = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory"))
    monkeypatch.delenv("PORT", raising=False)
    app.run()
    monkeypatch.setenv("PORT", "9123")
    app.run()
    app.run(host="127.0.0.1", port=7001)
    assert seen == [("0.0.0.0", 8088), ("0.0.0.0", 9123), ("127.0.0.1", 7001)]


@pytest.mark.slow  # a server process of its own
def test_sigterm_drains_grace_then_cancel_and_every_response_ends_terminal(script, store_kind):
    """SIGTERM: is_shutdown_requested turns true (the graceful handler completes), the stalled one is
    failed with server_error after the grace period, both streams end with a terminal event + [DONE]."""
    env = {"RESPONSEKIT_STORE": store_url_for(store_kind)}
    with (
        spawn_server(["python", script, "0.5"], env=env) as server,
        _client(server.url) as graceful_client,
        _client(server.url) as stalled_client,
    ):
        with (
            graceful_client.stream(
                "POST", "/responses", json={"input": "graceful", "stream": True, "background": True}
            ) as g_reply,
            stalled_client.stream("POST", "/responses", json={"input": "stall", "stream": True}) as s_reply,
        ):
            graceful, stalled = LiveSSE(g_reply), LiveSSE(s_reply)
            graceful.until_type("response.output_text.delta")
            stalled.until_type("response.output_text.delta")
            server.process.terminate()
            g_sse, s_sse = graceful.to_end(), stalled.to_end()
        g_final = check_complete_stream(g_sse).data["response"]
        assert g_final["status"] == "completed"
        assert g_final["output"][0]["content"][0]["text"] == "started saw shutdown"
        s_terminal = check_complete_stream(s_sse)
        assert s_terminal.event == "response.failed"
        s_final = s_terminal.data["response"]
        assert s_final["status"] == "failed"
        assert s_final["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["shutdown"]}
        assert s_final["output"][0]["status"] == "incomplete"
        # uvicorn re-raises the captured SIGTERM once its graceful shutdown is complete
        assert server.process.wait(WAIT) in (0, -signal.SIGTERM)


def test_lifespan_shutdown_ends_background_responses_in_a_terminal_state(store_kind):
    probe = Probe()
    host = host_with(store_kind, stalling_handler(probe), shutdown_grace_period_seconds=0.2)
    with serve_in_thread(host) as server, _client(server.url) as client:
        rid = client.post("/responses", json={**BODY, "background": True}).json()["id"]
        probe.wait("started")
    # the server thread has stopped: its lifespan shutdown drained the host
    assert probe.is_set("cancelled")
    assert host.is_shutdown_requested
    # The server's loop has ended; the memory store's get() needs none of its own.
    record = asyncio.run(host.store.records.get(rid)) if store_kind == "memory" else None
    if record is not None:
        assert record.status == "failed"
        assert record.snapshot["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["shutdown"]}
