"""A response's SSE frames held in this process, with readers that replay and then wait for more.

The in-memory store keeps every log this way; the Redis store keeps a copy of the logs of the
responses this process runs, so their local readers never wait on Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

#: Most frames one batch of a reader holds (references to the log's frames, not copies).
MAX_BATCH_FRAMES = 256


class FrameBuffer:
    __slots__ = ("frames", "closed", "waiter", "base")

    def __init__(self, base: int = 0) -> None:
        #: Appended to while the log is written; a store may keep a complete log's as a tuple.
        self.frames: list[bytes] = []
        #: The sequence number of ``frames[0]`` (a copy that starts where a log continues: the
        #: frames before it are elsewhere, e.g. in a file).
        self.base = base
        self.closed = False
        self.waiter: asyncio.Future | None = None

    def wake(self) -> None:
        """Release every reader waiting for more frames (each waits on the same future)."""
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def tail(self, after: int, idle_timeout: float | None) -> AsyncIterator[list[bytes]]:
        """Frames after sequence number ``after`` in batches, then new ones until closed (none
        before ``base``).

        An empty batch means ``idle_timeout`` seconds passed with nothing new (time for a keep-alive).
        """
        position = max(after + 1 - self.base, 0)
        loop = asyncio.get_running_loop()
        while True:
            frames = self.frames
            if position < len(frames):
                # A bounded slice: a replay of a long log never copies the whole list per reader.
                batch = frames[position : position + MAX_BATCH_FRAMES]
                if type(batch) is tuple:  # a complete log's frames may be a tuple (MemoryEventLog)
                    batch = list(batch)
                position += len(batch)
                yield batch
                continue
            if self.closed:
                return
            waiter = self.waiter
            if waiter is None:
                waiter = self.waiter = loop.create_future()
            done, _ = await asyncio.wait((waiter,), timeout=idle_timeout)
            if not done:
                yield []
