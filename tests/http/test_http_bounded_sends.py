"""A reader that does not read cannot make the server buffer a whole event log for it.

A real uvicorn server on loopback, wrapped in an ASGI layer that records every body ``send``: the
SSE writer hands uvicorn at most 64 KiB at a time and awaits each send (uvicorn's send waits while
the transport's buffer is above its high-water mark), on both stores, live and on replay.
"""

from __future__ import annotations

import socket
import threading

import httpx
from http_helpers import check_complete_stream, parse_sse, poll
from support.hosts import WAIT, host_with
from support.servers import serve_in_thread

from responsekit import ResponseEventStream
from responsekit.server.sse import DONE_FRAME, MAX_CHUNK_BYTES

DELTA = "y" * 16 * 1024


def _kernel_send_buffer_max() -> int:
    """The most a loopback socket's send buffer may grow to (Linux autotuning), else 4 MiB."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as wmem:
            return int(wmem.read().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 * 1024 * 1024


#: What the kernel may absorb of a reply the client never reads, plus the transport's buffer.
KERNEL_SLACK = _kernel_send_buffer_max() + 1024 * 1024
#: The log is ~5x the text (each *.done event and the terminal repeat it): over twice the slack.
DELTAS = 2 * KERNEL_SLACK // (5 * len(DELTA)) + 16


async def big_handler(request, context, cancellation_signal):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    message = stream.add_output_item_message()
    yield message.emit_added()
    text = message.add_text_content()
    yield text.emit_added()
    for _ in range(DELTAS):
        yield text.emit_delta(DELTA)
    yield text.emit_text_done()
    yield text.emit_done()
    yield message.emit_done()
    yield stream.emit_completed()


class SendRecorder:
    """ASGI layer noting, for SSE replies, each body size handed to the server and what completed."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.sizes: list[int] = []
        self.completed = 0  # body bytes whose send returned
        self.pending = 0  # body sends in progress (waiting on the transport)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def recording_send(message) -> None:
            if message["type"] != "http.response.body":
                return await send(message)
            size = len(message.get("body", b""))
            with self.lock:
                self.sizes.append(size)
                self.pending += 1
            try:
                await send(message)
            finally:
                with self.lock:
                    self.pending -= 1
                    self.completed += size

        await self.app(scope, receive, recording_send)


def _create_big(base: str) -> str:
    reply = httpx.post(base + "/responses", json={"model": "m", "input": "big"}, timeout=WAIT)
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "completed"
    return reply.json()["id"]


def test_live_and_replayed_streams_reach_the_server_in_bounded_chunks(store_kind):
    host = host_with(store_kind, big_handler)
    recorder = SendRecorder(host)
    with serve_in_thread(recorder) as server:
        live = httpx.post(
            server.url + "/responses", json={"model": "m", "input": "big", "stream": True}, timeout=WAIT
        ).content
        sse = parse_sse(live)
        check_complete_stream(sse)
        response_id = sse.frames[0].data["response"]["id"]
        assert len(live) > 2 * KERNEL_SLACK
        recorder.sizes.clear()
        replay = httpx.get(f"{server.url}/responses/{response_id}?stream=true", timeout=WAIT).content
        assert replay == live  # byte-identical: the frames concatenated, then [DONE]
        assert replay.endswith(DONE_FRAME)
        assert recorder.sizes and max(recorder.sizes) <= MAX_CHUNK_BYTES, max(recorder.sizes)
        if store_kind == "memory":
            log = host.store.events._logs[response_id]
            assert replay == b"".join(log.frames) + DONE_FRAME


def test_a_replay_that_is_never_read_holds_a_bounded_amount(store_kind):
    host = host_with(store_kind, big_handler)
    recorder = SendRecorder(host)
    with serve_in_thread(recorder) as server:
        response_id = _create_big(server.url)
        log_bytes = len(httpx.get(f"{server.url}/responses/{response_id}?stream=true", timeout=WAIT).content)
        recorder.completed = 0
        assert log_bytes > 2 * KERNEL_SLACK
        host_name, port = server.url.removeprefix("http://").split(":")
        sock = socket.socket()
        try:
            # A small receive window and no reads: the backlog can only go as fast as the client
            # takes it, so the server's sends wait for the transport to drain.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(WAIT)
            sock.connect((host_name, int(port)))
            sock.sendall(b"GET /responses/%s?stream=true HTTP/1.1\r\nHost: t\r\n\r\n" % response_id.encode())

            def waiting_after_some_sent() -> int:
                with recorder.lock:
                    return recorder.completed if recorder.pending and recorder.completed else 0

            # Unbounded, the first body send is the whole backlog: once one has completed, all has.
            completed = poll(waiting_after_some_sent, what="a send waiting on the unread connection")
            assert completed <= KERNEL_SLACK, (completed, log_bytes)
        finally:
            sock.close()
        # Once the reader is gone the server stops writing to it and still serves others.
        assert httpx.get(server.url + "/readiness", timeout=WAIT).status_code == 200
