"""The suite's HTTP client against small test-only servers on loopback: bounded streams, the oversized upload."""

from __future__ import annotations

import asyncio
import socket
import threading

from conformance_support import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from responsekit.conformance.client import HttpClient, Reply


async def endless(request: Request) -> StreamingResponse:
    async def frames():
        yield b'event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n'
        while True:  # keep-alives forever: the client's deadline must end it
            yield b": keep-alive\n\n"
            await asyncio.sleep(0.01)

    return StreamingResponse(frames(), media_type="text/event-stream")


async def split(request: Request) -> StreamingResponse:
    body = b'event: a\ndata: {"type":"a"}\n\nevent: b\ndata: {"type":"b"}\n\ndata: [DONE]\n\n'

    async def frames():
        for n in range(0, len(body), 3):  # frames split across many network chunks
            yield body[n : n + 3]
            await asyncio.sleep(0)

    return StreamingResponse(frames(), media_type="text/event-stream")


async def accept_all(request: Request) -> JSONResponse:
    return JSONResponse({"size": len(await request.body())})


async def refuse_big(request: Request) -> JSONResponse:
    # Answers at once from the declared length, without reading the body.
    error = {"message": "too big", "type": "invalid_request_error", "param": None, "code": None}
    return JSONResponse({"error": error}, status_code=413)


APP = Starlette(
    routes=[
        Route("/endless", endless),
        Route("/split", split),
        Route("/accept/responses", accept_all, methods=["POST"]),
        Route("/refuse/responses", refuse_big, methods=["POST"]),
    ]
)


def test_stream_split_across_chunks() -> None:
    with serve(APP) as url:
        client = HttpClient(url, timeout=5)
        cap = client.stream("GET", "/split")
        client.close()
    assert [f.event for f in cap.frames] == ["a", "b", None]
    assert cap.done and cap.error is None and [e["type"] for e in cap.events] == ["a", "b"]


def test_endless_stream_is_cut_at_the_deadline() -> None:
    with serve(APP) as url:
        client = HttpClient(url, timeout=5, deadline=0.3)
        cap = client.stream("GET", "/endless")
        client.close()
    assert cap.error == "stream deadline passed before the stream ended"
    assert len(cap.events) == 1 and cap.comments > 0


def test_oversized_upload_accepted_in_full() -> None:
    with serve(APP) as url:
        reply = HttpClient(url + "/accept", timeout=10).post_oversized(
            "/responses", 3 * 2**20, b'{"input": "'
        )
    assert isinstance(reply, Reply) and reply.status == 200 and reply.json == {"size": 3 * 2**20}


def test_oversized_upload_refused_early() -> None:
    with serve(APP) as url:
        reply = HttpClient(url + "/refuse", timeout=10).post_oversized(
            "/responses", 64 * 2**20, b'{"input": "'
        )
    assert isinstance(reply, Reply) and reply.status == 413 and reply.json["error"]["message"] == "too big"


def test_oversized_upload_to_a_server_that_hangs_up() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        reply = HttpClient(f"http://127.0.0.1:{port}", timeout=5).post_oversized(
            "/responses", 8 * 2**20, b"{"
        )
    finally:
        thread.join(timeout=5)
        listener.close()
    assert isinstance(reply, str) and ("no answer" in reply or "without an HTTP answer" in reply), reply
