"""The SSE response: frames from an event log, keep-alives when idle, disconnects noticed at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from responsekit._logs import about
from responsekit.server import heap
from responsekit.store.protocols import StoreUnavailable
from responsekit.streaming.events import KEEP_ALIVE_FRAME

logger = logging.getLogger("responsekit")

DONE_FRAME = b"data: [DONE]\n\n"
#: How the frame of a terminal event starts (``[DONE]`` follows only a log that ended with one).
_TERMINAL_FRAME_PREFIXES = (
    b"event: response.completed\n",
    b"event: response.failed\n",
    b"event: response.incomplete\n",
)
#: Most bytes handed to the ASGI server's ``send`` at once.
MAX_CHUNK_BYTES = 64 * 1024
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
        registry: set[EventStreamResponse] | None = None,
        response_id: str | None = None,
    ) -> None:
        self.frames = frames
        self.response_id = response_id  # the response whose events it streams (for its log lines)
        self.on_disconnect = on_disconnect
        self.done_marker = done_marker
        self._registry = registry
        self._stopped: asyncio.Future | None = None
        self._read = 0  # bytes of events taken from the log (a replay's pages, a live stream's events)

    def stop(self) -> None:
        """End the stream now without ``[DONE]`` (e.g. on shutdown, while the response it tails runs
        elsewhere): the client sees no terminal event and resumes with ``Last-Event-ID``."""
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        self._stopped = asyncio.get_running_loop().create_future()
        if self._registry is not None:
            self._registry.add(self)
        try:
            await self._respond(receive, send)
        finally:
            if self._registry is not None:
                self._registry.discard(self)
            if self._read >= heap.LARGE_STREAM_BYTES:
                heap.large_stream_ended()

    async def _respond(self, receive: Callable, send: Callable) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        body = asyncio.ensure_future(self._send_body(send))
        listener = asyncio.ensure_future(_wait_for_disconnect(receive))
        stopped = self._stopped
        try:
            done, _ = await asyncio.wait((body, listener, stopped), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            body.cancel()
            listener.cancel()
            raise
        if listener in done:
            listener.exception()  # retrieve it: a receive that failed counts as a disconnect
        if body in done:
            listener.cancel()
            error = body.exception()
            if isinstance(error, StoreUnavailable):  # the client resumes later with Last-Event-ID
                logger.warning(
                    "store failure while streaming events (%s); the stream ends early",
                    error,
                    extra=about(self.response_id),
                )
                with contextlib.suppress(OSError):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            elif error is not None:
                raise error
            return
        body.cancel()
        try:
            await body
        except (asyncio.CancelledError, Exception):
            pass
        if listener not in done:  # stopped by the server: end the body cleanly, without [DONE]
            listener.cancel()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if self.on_disconnect is not None:
            self.on_disconnect()

    async def _send_body(self, send: Callable) -> None:
        # Each send is bounded and awaited: the server's send waits while the transport's buffer is
        # above its high-water mark, so a client that does not read holds one chunk, not the backlog.
        unyielded = 0
        last: bytes | None = None
        async for batch in self.frames:
            self._read += sum(map(len, batch))
            if not batch:
                await send({"type": "http.response.body", "body": KEEP_ALIVE_FRAME, "more_body": True})
                continue
            last = _last_frame_start(batch) or last
            for chunk in chunks(batch):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                unyielded += len(chunk)
                if unyielded >= MAX_CHUNK_BYTES:
                    # Once the client is gone uvicorn's send returns without suspending: yield, so
                    # the disconnect listener stops this loop before it pushes the whole backlog
                    # (and, on Redis, fetches it) into a closed connection.
                    unyielded = 0
                    await asyncio.sleep(0)
        # A log that stopped short of its terminal event (its response was left for recovery) ends
        # without [DONE]: the client resumes with Last-Event-ID once the response runs again.
        ended = last is None or last.startswith(_TERMINAL_FRAME_PREFIXES)
        await send(
            {
                "type": "http.response.body",
                "body": DONE_FRAME if self.done_marker and ended else b"",
                "more_body": False,
            }
        )


def _last_frame_start(batch: list[bytes]) -> bytes | None:
    """The first bytes of the last frame that starts in ``batch``, whose items are frames, several
    frames end to end, or pieces of a large frame (a paged replay); None if none starts there. A
    frame's data line is JSON, which holds no raw newline, so ``event:`` at the start of an item or
    after a blank line only ever starts a frame."""
    for item in reversed(batch):
        start = item.rfind(b"\n\nevent: ")
        if start >= 0:
            return item[start + 2 : start + 64]
        if item.startswith(b"event: "):
            return item[:64]
    return None


def chunks(frames: list[bytes], limit: int = MAX_CHUNK_BYTES) -> Iterator[bytes]:
    """``frames`` concatenated, cut into pieces of at most ``limit`` bytes (small frames joined)."""
    if len(frames) == 1 and len(frames[0]) <= limit:  # the live stream's usual batch: one event
        yield frames[0]
        return
    pending: list[bytes] = []
    size = 0
    for frame in frames:
        length = len(frame)
        if size + length <= limit:
            pending.append(frame)
            size += length
            continue
        if pending:
            yield b"".join(pending)
            pending, size = [], 0
        if length <= limit:
            pending.append(frame)
            size = length
            continue
        view = memoryview(frame)
        size = length % limit or limit  # the rest may share a chunk with the frames after it
        tail = length - size
        for start in range(0, tail, limit):
            yield bytes(view[start : start + limit])
        pending.append(bytes(view[tail:]))
    if pending:
        yield b"".join(pending)


async def _wait_for_disconnect(receive: Callable) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
