"""The SSE response: frames from an event log, keep-alives when idle, disconnects noticed at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from responsekit.streaming.events import KEEP_ALIVE_FRAME

DONE_FRAME = b"data: [DONE]\n\n"
_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


class EventStreamResponse:
    """An ASGI response streaming ``frames`` (batches of SSE frames; an empty batch = keep-alive).

    The body races a listener for ``http.disconnect`` (as Starlette's StreamingResponse does); on a
    disconnect the body stops and ``on_disconnect`` runs, e.g. to cancel a foreground handler.
    """

    def __init__(
        self,
        frames: AsyncIterator[list[bytes]],
        *,
        on_disconnect: Callable[[], Any] | None = None,
        done_marker: bool = True,
    ) -> None:
        self.frames = frames
        self.on_disconnect = on_disconnect
        self.done_marker = done_marker

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        body = asyncio.ensure_future(self._send_body(send))
        listener = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            done, _ = await asyncio.wait((body, listener), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            body.cancel()
            listener.cancel()
            raise
        if body in done:
            listener.cancel()
            body.result()
            return
        body.cancel()
        try:
            await body
        except (asyncio.CancelledError, Exception):
            pass
        if self.on_disconnect is not None:
            self.on_disconnect()

    async def _send_body(self, send: Callable) -> None:
        async for batch in self.frames:
            chunk = b"".join(batch) if batch else KEEP_ALIVE_FRAME
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send(
            {
                "type": "http.response.body",
                "body": DONE_FRAME if self.done_marker else b"",
                "more_body": False,
            }
        )


async def _wait_for_disconnect(receive: Callable) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
