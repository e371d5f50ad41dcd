"""WebSocket framing: what ``app.run`` serves sockets with (server/_websocket_protocol.py: coalesced
writes, text frames built directly, a log batch sent in one ASGI message) sends what uvicorn's own
implementation sends: one text message per event, in order, each the JSON of the event's SSE frame.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from http_helpers import check_complete_stream, parse_sse
from support.hosts import WAIT, host_with
from support.servers import serve_in_thread
from websockets.frames import Frame, Opcode
from websockets.sync.client import connect

from responsekit import TextResponse
from responsekit.server import _websocket_protocol
from responsekit.server._websocket_protocol import CoalescingTransport, text_frames
from responsekit.server.websocket import WEBSOCKET_PROTOCOL, uvicorn_websocket_options

TERMINAL = {"response.completed", "response.failed", "response.incomplete"}
#: Deltas of every header size (under 126 bytes, 16-bit and 64-bit lengths, past the header table)
#: and of multi-byte characters, among many small ones emitted in a burst.
DELTAS = [f"tok{i} " for i in range(3000)]
DELTAS[10] = "é✓🙂 " * 40
DELTAS[20] = "x" * 3000
DELTAS[30] = "y" * 70_000


def burst_handler(request, context, cancellation_signal):
    async def tokens():
        for delta in DELTAS:  # never suspends: the log hands the events over in large batches
            yield delta

    return TextResponse(context, request, text=tokens())


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 2047, 2048, 65535, 65536, 70_000])
def test_text_frames_are_the_frames_websockets_builds(length):
    payload = "é".encode() * (length // 2) + b"a" * (length % 2)
    expected = Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[])
    assert text_frames([payload]) == expected
    assert text_frames([payload, b"{}", payload]) == expected + b"\x81\x02{}" + expected


@pytest.mark.anyio
async def test_coalesced_writes_go_out_in_order_at_the_end_of_the_loop_s_turn_or_on_close():
    class Transport:
        def __init__(self) -> None:
            self.writes: list[bytes] = []
            self.closed = False

        def write(self, data: bytes) -> None:
            self.writes.append(data)

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

    inner = Transport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"a")
    transport.write(b"b")
    assert inner.writes == []
    await asyncio.sleep(0)
    assert inner.writes == [b"ab"]
    transport.write(b"c")
    transport.write(b"d" * _websocket_protocol.FLUSH_BYTES)  # past the threshold: written at once
    assert inner.writes == [b"ab", b"c" + b"d" * _websocket_protocol.FLUSH_BYTES]
    transport.write(b"e")
    transport.close()  # what is pending goes out before the close
    assert inner.writes[-1] == b"e" and inner.closed
    assert transport.is_closing()  # anything else is the transport's own


def _messages_of_one_turn(url: str, compression: str | None) -> tuple[list[str], list[str]]:
    """One WebSocket turn's messages (each checked to be text), and the extensions negotiated."""
    ws_url = "ws" + url.removeprefix("http") + "/responses"
    with connect(ws_url, compression=compression, open_timeout=WAIT, max_size=2**24) as ws:
        ws.send(json.dumps({"type": "response.create", "model": "m", "input": "hi"}))
        messages = []
        while True:
            message = ws.recv(timeout=WAIT)
            assert isinstance(message, str), "every server message is a text message"
            messages.append(message)
            if json.loads(message)["type"] in TERMINAL:
                break
        extensions = [type(e).__name__ for e in ws.protocol.extensions]
    return messages, extensions


@pytest.mark.parametrize("deflate", [False, True], ids=["plain", "deflate"])
@pytest.mark.parametrize("ws", [WEBSOCKET_PROTOCOL, "websockets-sansio"], ids=["responsekit", "uvicorn"])
def test_a_burst_of_deltas_arrives_whole_and_in_order_as_the_sse_stream_s_data(
    store_kind, ws, deflate, monkeypatch
):
    batches: list[int] = []
    send_texts = _websocket_protocol.WebSocketProtocol._send_texts

    async def counted(self: Any, texts: list[bytes]) -> None:
        batches.append(len(texts))
        await send_texts(self, texts)

    monkeypatch.setattr(_websocket_protocol.WebSocketProtocol, "_send_texts", counted)
    host = host_with(store_kind, burst_handler, shutdown_grace_period_seconds=0.5)
    config = {**uvicorn_websocket_options(host.options), "ws": ws, "ws_per_message_deflate": deflate}
    with serve_in_thread(host, **config) as server:
        messages, extensions = _messages_of_one_turn(server.url, "deflate" if deflate else None)
        response_id = json.loads(messages[0])["response"]["id"]
        with httpx.Client(base_url=server.url, timeout=WAIT) as http:  # the same log, replayed as SSE
            sse = parse_sse(http.get(f"/responses/{response_id}", params={"stream": "true"}).content)
    check_complete_stream(sse)
    # Byte for byte the JSON of each frame's data line: same events, same order, same content.
    assert messages == [
        frame.raw.split(b"\ndata: ", 1)[1].removesuffix(b"\n\n").decode() for frame in sse.frames
    ]
    deltas = [
        json.loads(m)["delta"] for m in messages if json.loads(m)["type"] == "response.output_text.delta"
    ]
    assert deltas == DELTAS
    assert (extensions == ["PerMessageDeflate"]) is deflate
    if ws == WEBSOCKET_PROTOCOL:
        assert sum(batches) == len(messages)
        assert max(batches) > 1  # the log's batches went out in one message each
    else:
        assert batches == []  # uvicorn's implementation offers no batches: one websocket.send each


def test_the_drain_waits_for_the_closing_handshakes_of_these_connections_too():
    """close_sockets_before_server_shutdown waits until uvicorn's WebSocket connections are gone
    (else a client's close echo meets a closed socket, and the events before the close may be lost)."""
    from types import SimpleNamespace

    from responsekit.server.websocket import _open_websockets

    connection = _websocket_protocol.WebSocketProtocol.__new__(_websocket_protocol.WebSocketProtocol)
    server = SimpleNamespace(server_state=SimpleNamespace(connections={connection}))
    assert _open_websockets(server)
    assert not _open_websockets(SimpleNamespace(server_state=SimpleNamespace(connections={object()})))
