"""Drive an ASGI app in this process, without a network: ``python -m bench.inprocess APP MODE N``.

APP is ``responsekit`` (the echo app of bench/apps/responsekit_echo.py), ``floor`` (the same app
answering the least a handler can, ``store: false``: see HANDLER=floor there) or ``bare`` (a
Starlette endpoint answering responsekit's echo bytes). MODE is ``json`` or ``stream``. After a warm-up of 50 requests
it serves N more. bench_instructions.py runs this under callgrind twice, with two values of N, so
the difference is the instructions of the extra requests alone (startup and warm-up cancel out).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

WARM_UP = 50


def _scope(body: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/responses",
        "raw_path": b"/responses",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8),
    }


async def call(app: Any, body: bytes) -> tuple[int, bytes]:
    """One request through the app; its status and body."""
    delivered = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never leaves
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(_scope(body), receive, send)
    return status, b"".join(chunks)


async def start(app: Any) -> asyncio.Task:
    """Run the app's lifespan startup; the returned task must be kept (it holds the app open)."""
    inbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    task = asyncio.get_running_loop().create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
    )
    await started.wait()
    return task


def bare_app(answer: bytes, media_type: str) -> Starlette:
    async def endpoint(request: Request) -> Response:
        await request.body()
        return Response(answer, media_type=media_type)

    return Starlette(routes=[Route("/responses", endpoint, methods=["POST"])])


async def serve(app_name: str, mode: str, count: int) -> None:
    import bench.apps.responsekit_echo as echo

    body = {"model": "bench", "input": "hello", **({"stream": True} if mode == "stream" else {})}
    lifespan = await start(echo.app)
    status, answer = await call(echo.app, json.dumps(body).encode())
    if status != 200:
        raise SystemExit(f"responsekit answered {status}: {answer[:300]!r}")
    app: Any = echo.app
    if app_name == "bare":
        app = bare_app(answer, "text/event-stream" if mode == "stream" else "application/json")
    elif app_name == "floor":
        echo.FLOOR = True
        body["store"] = False
    request = json.dumps(body).encode()
    for _ in range(WARM_UP):
        await call(app, request)
    # What startup and the warm-up left for the collector is collected now, not in the requests
    # counted (a full collection over the models loaded at startup would be charged to them).
    gc.collect()
    for _ in range(count):
        status, _answer = await call(app, request)
        if status != 200:
            raise SystemExit(f"{app_name} answered {status}")
    lifespan.cancel()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2], int(sys.argv[3])))
