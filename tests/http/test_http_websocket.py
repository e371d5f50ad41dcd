"""WebSocket mode against uvicorn on loopback: ``GET /responses`` upgraded, one ``response.create``
message per turn, the SSE stream's events as text messages.

The official ``openai`` client's WebSocket API (``client.responses.connect()``) drives the common
paths; a raw ``websockets`` client drives the error cases. Every wait is bounded by a receive
timeout or a test-controlled gate, never by the clock.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from http_helpers import check_complete_stream, check_envelope, parse_sse, poll
from openai.types.responses.responses_server_event import ResponsesServerEvent
from pydantic import TypeAdapter
from support.hosts import (
    WAIT,
    Probe,
    echo_handler,
    function_call_handler,
    gated_handler,
    host_with,
    reasoning_message_handler,
    stalling_handler,
    store_url_for,
)
from support.servers import serve_in_thread, spawn_server
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions, TextResponse
from responsekit.server.websocket import MAX_QUEUED_MESSAGES, WS_MAX_SIZE_MARGIN

# The openai client opens its sync socket without a context manager (its own code, not ours).
pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")

FAST = {"shutdown_grace_period_seconds": 0.5}
BODY = {"model": "m", "input": "hi"}
TERMINAL = {"response.completed", "response.failed", "response.incomplete"}
SERVER_EVENT = TypeAdapter(ResponsesServerEvent)


# -- helpers -----------------------------------------------------------------------------------------------
def ws_url(http_url: str) -> str:
    return "ws" + http_url.removeprefix("http") + "/responses"


@contextlib.contextmanager
def socket(http_url: str, **options: Any) -> Iterator[ClientConnection]:
    """A raw client (no compression: the server does not offer it by default anyway)."""
    with connect(ws_url(http_url), compression=None, open_timeout=WAIT, **options) as ws:
        yield ws


def receive(ws: ClientConnection) -> dict[str, Any]:
    message = ws.recv(timeout=WAIT)
    assert isinstance(message, str), "every server message is a text message"
    return json.loads(message)


def events_until_end(ws: ClientConnection) -> list[dict[str, Any]]:
    """Messages up to and including the terminal event or an error."""
    seen = []
    while True:
        event = receive(ws)
        seen.append(event)
        if event["type"] in TERMINAL or event["type"] == "error":
            return seen


def turn(ws: ClientConnection, **fields: Any) -> list[dict[str, Any]]:
    ws.send(json.dumps({"type": "response.create", **BODY, **fields}))
    return events_until_end(ws)


def check_error(event: dict[str, Any], status: int, *, code: Any = ..., param: Any = ...) -> dict:
    assert event["type"] == "error", event
    assert set(event) == {"type", "status", "error"}, event
    assert event["status"] == status, event
    error = event["error"]
    assert set(error) == {"type", "code", "message", "param"} and error["message"], error
    if code is not ...:
        assert error["code"] == code, error
    if param is not ...:
        assert error["param"] == param, error
    return error


def check_turn(events: list[dict[str, Any]], status: str = "completed") -> dict[str, Any]:
    """A complete response: sequence numbers 0.. contiguous, one terminal event last; its response."""
    assert [e["sequence_number"] for e in events] == list(range(len(events))), [e["type"] for e in events]
    assert events[0]["type"] == "response.created"
    assert all(e["type"] not in TERMINAL for e in events[:-1])
    for event in events:
        SERVER_EVENT.validate_python(event)  # the openai package's models accept every event
    final = events[-1]["response"]
    assert final["status"] == status, final
    return final


def openai_client(http_url: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=http_url, api_key="unused", max_retries=0, _strict_response_validation=True, timeout=WAIT
    )


def sdk_turn(connection: Any, **fields: Any) -> list[dict[str, Any]]:
    """One turn through the openai client's connection; the events as plain dicts."""
    connection.response.create(**{**BODY, **fields})
    seen = []
    for event in connection:
        seen.append(event.to_dict())
        if event.type in TERMINAL or event.type == "error":
            return seen
    raise AssertionError("the connection closed mid-turn")


def history_handler(probe: Probe | None = None):
    """Answers ``Echo: <input>`` and notes, per turn, the texts of the history it was given."""

    async def handler(request, context, cancellation_signal):
        texts = []
        for item in await context.get_history():
            data = item if isinstance(item, dict) else item.model_dump(mode="json", exclude_none=True)
            for part in data.get("content") or []:
                texts.append(part["text"] if isinstance(part, dict) else part)
        if probe is not None:
            probe.note(texts)
        text = await context.get_input_text()
        if text == "fail":
            raise RuntimeError("this turn fails")
        return TextResponse(context, request, text=f"Echo: {text}")

    return handler


def _normalized(value: Any) -> Any:
    """Ids and clocks differ from run to run; everything else must be the same."""
    if isinstance(value, dict):
        return {
            k: "<varies>" if k in {"id", "item_id", "created_at", "completed_at"} else _normalized(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return value


# -- the event stream --------------------------------------------------------------------------------------
@pytest.mark.parametrize("make_handler", [echo_handler, function_call_handler, reasoning_message_handler])
def test_events_are_the_sse_stream_s_events(store_kind, make_handler):
    host = host_with(store_kind, make_handler(), **FAST)
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as http:
        sse = parse_sse(http.post("/responses", json={**BODY, "stream": True}).content)
        check_complete_stream(sse)
        with openai_client(server.url).responses.connect() as connection:
            events = sdk_turn(connection)
    check_turn(events)
    assert [e["type"] for e in events] == sse.types
    assert _normalized(events) == _normalized(sse.events)


def test_sequential_turns_on_one_socket(store_kind):
    host = host_with(store_kind, echo_handler(), **FAST)
    with serve_in_thread(host) as server, openai_client(server.url).responses.connect() as connection:
        finals = [check_turn(sdk_turn(connection, input=f"turn {i}")) for i in range(3)]
        client = openai_client(server.url)
        for i, final in enumerate(finals):
            assert final["output"][0]["content"][0]["text"] == f"Echo: turn {i}"
            # stored (the default): retrievable over HTTP by the strict client
            assert client.responses.retrieve(final["id"]).status == "completed"
    assert len({f["id"] for f in finals}) == 3


def test_a_second_create_waits_until_the_running_response_ends(store_kind):
    probe = Probe()
    host = host_with(store_kind, gated_handler(probe, before=1, after=1), **FAST)
    with serve_in_thread(host) as server, socket(server.url) as ws:
        ws.send(json.dumps({"type": "response.create", **BODY, "input": "first"}))
        first = receive(ws)
        probe.wait("waiting")
        # while the first runs, fill the queue; one more is refused at once (the reader never stops)
        for i in range(MAX_QUEUED_MESSAGES):
            ws.send(json.dumps({"type": "response.create", **BODY, "input": f"queued {i}"}))
        ws.send(json.dumps({"type": "response.create", **BODY, "input": "one too many"}))
        before_release = []
        while (event := receive(ws))["type"] != "error":
            before_release.append(event)
        check_error(event, 429, code="too_many_queued_messages")
        assert len(probe.notes) == 1  # only the first has started
        probe.set("release")
        turns = [[first, *before_release, *events_until_end(ws)]]
        for _ in range(MAX_QUEUED_MESSAGES):
            turns.append(events_until_end(ws))
    finals = [check_turn(events) for events in turns]  # each turn whole, none interleaved
    texts = [final["output"][0]["content"][0]["text"] for final in finals]
    assert texts == ["before0 after0 "] * (MAX_QUEUED_MESSAGES + 1)
    assert len(probe.notes) == MAX_QUEUED_MESSAGES + 1


# -- continuation ------------------------------------------------------------------------------------------
def test_store_false_turns_continue_on_the_same_socket(store_kind):
    probe = Probe()
    host = host_with(store_kind, history_handler(probe), **FAST)
    with serve_in_thread(host) as server, openai_client(server.url).responses.connect() as connection:
        one = check_turn(sdk_turn(connection, input="one", store=False))
        two = check_turn(sdk_turn(connection, input="two", store=False, previous_response_id=one["id"]))
        check_turn(sdk_turn(connection, input="three", store=False, previous_response_id=two["id"]))
        with httpx.Client(base_url=server.url, timeout=WAIT) as http:
            check_envelope(http.get(f"/responses/{one['id']}"), 404)  # nothing was persisted
    assert probe.notes == [
        [],
        ["one", "Echo: one"],
        ["one", "Echo: one", "two", "Echo: two"],
    ]


def test_history_is_bounded_by_the_fetch_count_as_over_http(store_kind):
    probe = Probe()
    host = host_with(store_kind, history_handler(probe), default_fetch_history_count=3, **FAST)
    with serve_in_thread(host) as server, socket(server.url) as ws:
        previous = None
        for word in ("a", "b", "c"):
            final = check_turn(turn(ws, input=word, store=False, previous_response_id=previous))
            previous = final["id"]
    assert probe.notes[-1] == ["Echo: a", "b", "Echo: b"]


def test_store_false_continuation_from_an_uncached_id_is_previous_response_not_found(store_kind):
    host = host_with(store_kind, echo_handler(), **FAST)
    with serve_in_thread(host) as server:
        with socket(server.url) as first:
            elsewhere = check_turn(turn(first, store=False))["id"]
        with socket(server.url) as ws:
            for unknown in ("resp_unknown", elsewhere):  # another socket's store=false response too
                error = check_error(turn(ws, store=False, previous_response_id=unknown)[0], 400)
                assert error == {
                    "type": "invalid_request_error",
                    "code": "previous_response_not_found",
                    "message": f"Previous response with id '{unknown}' not found.",
                    "param": "previous_response_id",
                }
            check_turn(turn(ws, store=False))  # still usable


@pytest.mark.parametrize("failure", ["turn_error", "response_failed"])
def test_a_failed_continuation_evicts_the_previous_response(store_kind, failure):
    host = host_with(store_kind, history_handler(), **FAST)
    with serve_in_thread(host) as server, socket(server.url) as ws:
        base = check_turn(turn(ws, input="base", store=False))["id"]
        if failure == "turn_error":
            error = turn(ws, input="x", store=False, previous_response_id=base, temperature="hot")[0]
            check_error(error, 400, param="temperature")
        else:
            check_turn(turn(ws, input="fail", store=False, previous_response_id=base), "failed")
        again = turn(ws, input="again", store=False, previous_response_id=base)[0]
        check_error(again, 400, code="previous_response_not_found", param="previous_response_id")
        # a new chain starts fine
        check_turn(turn(ws, input="fresh", store=False))


def test_store_true_continuation_hydrates_from_the_store_on_a_new_socket(store_kind):
    probe = Probe()
    host = host_with(store_kind, history_handler(probe), **FAST)
    with serve_in_thread(host) as server:
        with openai_client(server.url).responses.connect() as connection:
            first = check_turn(sdk_turn(connection, input="one"))
        with openai_client(server.url).responses.connect() as connection:
            second = check_turn(sdk_turn(connection, input="two", previous_response_id=first["id"]))
            # and from the hydrated one on, a store=false turn continues from connection-local state
            check_turn(sdk_turn(connection, input="three", store=False, previous_response_id=second["id"]))
        # over HTTP the stored chain continues too
        http = openai_client(server.url)
        http.responses.create(model="m", input="four", previous_response_id=second["id"])
    assert probe.notes == [
        [],
        ["one", "Echo: one"],
        ["one", "Echo: one", "two", "Echo: two"],
        ["one", "Echo: one", "two", "Echo: two"],
    ]


# -- errors ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stream", True),
        ("stream", False),
        ("background", True),
        ("stream_options", {"include_obfuscation": False}),
    ],
)
def test_http_only_fields_are_an_error_and_the_socket_stays_usable(store_kind, field, value):
    host = host_with(store_kind, echo_handler(), **FAST)
    with serve_in_thread(host) as server, socket(server.url) as ws:
        (event,) = turn(ws, **{field: value})
        error = check_error(event, 400, param=field, code="unsupported_parameter")
        assert field in error["message"]
        check_turn(turn(ws))


def test_bad_messages_get_an_error_each_and_the_socket_stays_usable(store_kind):
    host = host_with(store_kind, echo_handler(), max_request_body_bytes=4000, **FAST)
    with serve_in_thread(host) as server, socket(server.url) as ws:
        cases = [
            ("{not json", 400, "invalid_json", None),
            ("[1, 2]", 400, "invalid_json", None),
            ('"response.create"', 400, "invalid_json", None),
            (json.dumps({"type": "response.steer", **BODY}), 400, "unknown_message_type", "type"),
            (json.dumps(BODY), 400, "unknown_message_type", "type"),
            (
                json.dumps({"type": "response.create", **BODY, "input": "x" * 5000}),
                413,
                "request_too_large",
                None,
            ),
            (b"\xff\xfe not utf-8", 400, "invalid_json", None),
            # the create fields get the HTTP path's checks and messages
            (json.dumps({"type": "response.create", "model": "m", "input": 5}), 400, ..., "input"),
        ]
        for message, status, code, param in cases:
            ws.send(message)
            check_error(receive(ws), status, code=code, param=param)
        # a binary message holding a create is a create
        ws.send(json.dumps({"type": "response.create", **BODY}).encode())
        check_turn(events_until_end(ws))


def test_the_create_fields_are_checked_as_over_http(store_kind):
    host = host_with(store_kind, echo_handler(), **FAST)
    bad = {"model": "m", "input": [{"type": "message", "role": "user", "content": [{"type": "nope"}]}]}
    with serve_in_thread(host) as server, socket(server.url) as ws:
        with httpx.Client(base_url=server.url, timeout=WAIT) as http:
            over_http = http.post("/responses", json=bad)
        ws.send(json.dumps({"type": "response.create", **bad}))
        error = check_error(receive(ws), over_http.status_code)
        assert error == over_http.json()["error"]


def test_unknown_fields_rejected_when_configured_but_type_is_not_one(store_kind):
    host = host_with(store_kind, echo_handler(), reject_unknown_fields=True, **FAST)
    with serve_in_thread(host) as server, socket(server.url) as ws:
        check_turn(turn(ws))
        check_error(turn(ws, surprise=1)[0], 400, code="unknown_parameter", param="surprise")


def test_ambiguous_isolation_header_refuses_the_handshake(store_kind):
    host = host_with(store_kind, echo_handler(), **FAST)
    with serve_in_thread(host) as server:
        headers = {"x-agent-user-isolation-key": "a", "x-agent-user-id": "b"}
        with pytest.raises(InvalidStatus) as refused:
            with socket(server.url, additional_headers=headers):
                pass
        response = refused.value.response
        assert response.status_code == 400
        error = json.loads(response.body)["error"]
        assert error["code"] == "invalid_header" and error["param"] == "x-agent-user-id"


def test_isolation_key_of_the_handshake_scopes_every_turn(store_kind):
    host = host_with(store_kind, echo_handler(), **FAST)
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as http:
        with socket(server.url, additional_headers={"x-agent-user-isolation-key": "alice"}) as ws:
            rid = check_turn(turn(ws))["id"]
        assert (
            http.get(f"/responses/{rid}", headers={"x-agent-user-isolation-key": "alice"}).status_code == 200
        )
        check_envelope(http.get(f"/responses/{rid}", headers={"x-agent-user-isolation-key": "bob"}), 404)
        with socket(server.url, additional_headers={"x-agent-user-isolation-key": "bob"}) as ws:
            check_error(turn(ws, previous_response_id=rid)[0], 400, code="previous_response_not_found")


def test_no_handler_is_a_turn_error(store_kind):
    from support.hosts import make_host

    host = make_host(store_kind, **FAST)
    with serve_in_thread(host) as server, socket(server.url) as ws:
        check_error(turn(ws)[0], 500, code="no_handler")


# -- connection lifetime -----------------------------------------------------------------------------------
def test_connection_age_limit_lets_the_running_turn_finish_then_closes(store_kind):
    probe = Probe()
    host = host_with(
        store_kind, gated_handler(probe, before=1, after=1), websocket_max_age_seconds=0.05, **FAST
    )
    with serve_in_thread(host) as server, socket(server.url) as ws:
        ws.send(json.dumps({"type": "response.create", **BODY}))
        probe.wait("waiting")
        (connection,) = host._sockets
        poll(lambda: connection._expired, what="the connection reaching its age limit")
        ws.send(json.dumps({"type": "response.create", **BODY, "input": "never started"}))
        probe.set("release")
        check_turn(events_until_end(ws))
        error = check_error(receive(ws), 400, code="websocket_connection_limit_reached")
        assert "new connection" in error["message"]
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    assert len(probe.notes) == 1  # the queued turn was not started


def test_idle_connection_reaching_its_age_limit_gets_the_error(store_kind):
    host = host_with(store_kind, echo_handler(), websocket_max_age_seconds=0.05, **FAST)
    with serve_in_thread(host) as server, socket(server.url) as ws:
        check_error(receive(ws), 400, code="websocket_connection_limit_reached")


def test_closing_the_socket_mid_turn_cancels_the_response_as_an_sse_disconnect_does(store_kind):
    probe = Probe()
    host = host_with(store_kind, stalling_handler(probe), **FAST)
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as http:
        with socket(server.url) as ws:
            ws.send(json.dumps({"type": "response.create", **BODY}))
            rid = receive(ws)["response"]["id"]
            while receive(ws)["type"] != "response.output_text.delta":
                pass
        probe.wait("cancelled")
        final = poll(
            lambda: (body := http.get(f"/responses/{rid}").json())["status"] != "in_progress" and body,
            what=f"{rid} terminal",
        )
        assert final["status"] == "cancelled"  # as test_http_live expects of an SSE disconnect
        (message,) = final["output"]
        assert message["status"] == "incomplete" and message["content"][0]["text"] == "partial"
        replay = parse_sse(http.get(f"/responses/{rid}?stream=true").content)
        assert check_complete_stream(replay).data["response"]["status"] == "cancelled"
        poll(lambda: not host._runs and not host._sockets, what="the run and the connection released")


def test_closing_mid_turn_of_an_unstored_response_leaves_nothing_behind(store_kind):
    probe = Probe()
    host = host_with(store_kind, stalling_handler(probe), **FAST)
    with serve_in_thread(host) as server:
        with socket(server.url) as ws:
            ws.send(json.dumps({"type": "response.create", **BODY, "store": False}))
            while receive(ws)["type"] != "response.output_text.delta":
                pass
        probe.wait("cancelled")
        poll(lambda: not host._runs and not len(host._unstored_log), what="the run and its log released")


# -- routing and transport ---------------------------------------------------------------------------------
def _mounted(host: ResponsesAgentServerHost):
    from starlette.applications import Starlette
    from starlette.routing import Mount

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await host.startup()
        yield
        await host.shutdown()

    return Starlette(lifespan=lifespan, routes=[Mount("/api", app=host)])


@pytest.mark.parametrize("where", ["prefix", "mounted"])
def test_route_prefix_and_mounted_app(store_kind, where):
    if where == "prefix":
        host = host_with(store_kind, echo_handler(), route_prefix="/v1", **FAST)
        app, path = host, "/v1"
    else:
        host = host_with(store_kind, echo_handler(), **FAST)
        app, path = _mounted(host), "/api"
    with serve_in_thread(app) as server:
        with openai_client(server.url + path).responses.connect() as connection:
            check_turn(sdk_turn(connection))
        with httpx.Client(base_url=server.url + path, timeout=WAIT) as http:
            check_envelope(http.get("/responses"), 405)  # a plain GET is not an upgrade
        with pytest.raises(InvalidStatus):  # not served outside the prefix
            with socket(server.url):
                pass


def test_the_handler_sees_the_transport(store_kind):
    probe = Probe()

    async def handler(request, context, cancellation_signal):
        probe.note(context.transport)
        return TextResponse(context, request, text=context.transport)

    host = host_with(store_kind, handler, **FAST)
    with serve_in_thread(host) as server:
        httpx.post(server.url + "/responses", json=BODY, timeout=WAIT)
        with socket(server.url) as ws:
            final = check_turn(turn(ws))
    assert probe.notes == ["http", "websocket"]
    assert final["output"][0]["content"][0]["text"] == "websocket"


def test_large_events_arrive_whole(store_kind):
    """A frame larger than a store's page comes from the log in pieces; each event is one message."""
    text = "x" * 600_000

    async def handler(request, context, cancellation_signal):
        return TextResponse(context, request, text=text)

    host = host_with(store_kind, handler, **FAST)
    with serve_in_thread(host) as server, socket(server.url, max_size=None) as ws:
        events = turn(ws)
    assert check_turn(events)["output"][0]["content"][0]["text"] == text


def test_run_async_configures_uvicorn_for_the_socket(monkeypatch):
    import uvicorn

    seen = []

    async def fake_serve(self, sockets=None):
        seen.append(self.config)

    monkeypatch.setattr(uvicorn.Server, "serve", fake_serve)
    options = ResponsesServerOptions(
        store_url="memory", websocket_ping_interval_seconds=7, max_request_body_bytes=1000
    )
    app = ResponsesAgentServerHost(options=options)
    app.run(port=7002)
    app.run(port=7003, ws_ping_interval=3, ws_per_message_deflate=True)
    default, overridden = seen
    assert default.ws_ping_interval == 7 and default.ws_max_size == 1000 + WS_MAX_SIZE_MARGIN
    assert default.ws_per_message_deflate is False
    assert overridden.ws_ping_interval == 3 and overridden.ws_per_message_deflate is True


# -- app.run(): pings and shutdown on a real process -------------------------------------------------------
SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from responsekit import ResponsesAgentServerHost, ResponsesServerOptions, ResponseEventStream

    options = ResponsesServerOptions(shutdown_grace_period_seconds=0.3, websocket_ping_interval_seconds=0.05)
    app = ResponsesAgentServerHost(options=options)  # the store comes from RESPONSEKIT_STORE

    @app.response_handler
    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        yield text.emit_delta("started")
        await asyncio.Event().wait()  # stalls until the runtime cancels it

    app.run(host="127.0.0.1")
""")


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "server.py"
    path.write_text(SCRIPT)
    return str(path)


class _Frames(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.received: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("< "):
            self.received.append(message)


@pytest.mark.slow  # a server process of its own
def test_app_run_pings_idle_clients_and_closes_sockets_after_the_drain(script, store_kind):
    frames = _Frames()
    frames_logger = logging.getLogger("test.websocket.frames")
    frames_logger.setLevel(logging.DEBUG)
    frames_logger.addHandler(frames)
    frames_logger.propagate = False
    env = {"RESPONSEKIT_STORE": store_url_for(store_kind)}
    with spawn_server(["python", script], env=env) as server:
        with socket(server.url, logger=frames_logger) as idle, socket(server.url) as busy:
            # idle: the server's pings reach it (and its pongs keep the connection open)
            poll(lambda: sum("PING" in f for f in frames.received) >= 3, what="three pings from the server")
            busy.send(json.dumps({"type": "response.create", **BODY}))
            while receive(busy)["type"] != "response.output_text.delta":
                pass
            server.process.send_signal(signal.SIGTERM)
            # the running turn gets the grace period, is ended by the drain, and its client sees it
            events = events_until_end(busy)
            assert events[-1]["type"] == "response.failed"
            for ws in (busy, idle):
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        ws.recv(timeout=WAIT)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert server.process.wait(WAIT) in (0, -signal.SIGTERM)


def test_events_of_a_handler_built_stream_keep_their_order(store_kind):
    """Many small events in a burst (one log batch): each its own message, in order."""

    def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        for i in range(50):
            yield from stream.output_item_message(f"message {i}")
        yield stream.emit_completed()

    host = host_with(store_kind, handler, **FAST)
    with serve_in_thread(host) as server, socket(server.url) as ws:
        final = check_turn(turn(ws))
    assert [m["content"][0]["text"] for m in final["output"]] == [f"message {i}" for i in range(50)]


@pytest.mark.anyio
async def test_frames_a_store_hands_over_in_pieces_are_sent_as_whole_events():
    """A Redis replay page is bounded: a larger frame comes in pieces, one a batch."""
    from types import SimpleNamespace

    from responsekit.server.websocket import WebSocketConnection
    from responsekit.streaming.events import sse_frame

    payloads = [
        json.dumps({"type": "t", "n": i, "text": "event: x\ndata: y\n\n" * 20}).encode() for i in range(3)
    ]
    first, big, last = (sse_frame("t", payload) for payload in payloads)
    cuts = [big.index(b"\n") + 1, len(big) // 2, len(big) - 1]  # after a newline, mid-JSON, mid-blank line
    pieces = [big[: cuts[0]], big[cuts[0] : cuts[1]], big[cuts[1] : cuts[2]], big[cuts[2] :]]
    batches = [[first, pieces[0]], [pieces[1]], [pieces[2]], [pieces[3], last]]

    async def read(response_id, after, idle_timeout):
        async def frames():
            for batch in batches:
                yield batch

        return frames()

    sent = []

    async def send(message):
        sent.append(message)

    host = SimpleNamespace(options=ResponsesServerOptions(store_url="memory"), _shutting_down=False)
    connection = WebSocketConnection(host, {"query_string": b""}, None, send)
    await connection._deliver(SimpleNamespace(response_id="resp_x", log=SimpleNamespace(read=read), run=None))
    assert [message["text"] for message in sent] == [payload.decode() for payload in payloads]
    assert all(message["type"] == "websocket.send" for message in sent)
