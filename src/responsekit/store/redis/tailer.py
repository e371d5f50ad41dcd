"""The shared tailer: every remote tailing reader of a store shares one connection.

One task XREAD-BLOCKs on all the logs being tailed at once (plus this process's wake stream, which
interrupts it when a log is added) and hands what arrives to the readers of each log; a reader that
falls behind what is buffered reads the gap itself, in pages (``pages``) on the command queue.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import secrets
import time
from typing import Any

from redis.asyncio import ConnectionPool

from responsekit.store.protocols import StoreUnavailable
from responsekit.store.redis import scripts
from responsekit.store.redis.batcher import Batcher
from responsekit.store.redis.wire import (
    FAILURES,
    Keys,
    consume,
    entry_bytes,
    entry_id,
    ms,
    pack,
    streams_of,
    unavailable,
)

logger = logging.getLogger("responsekit")


class Followed:
    """One log tailed for this process's readers: the entries read after ``base`` (the last ones)."""

    __slots__ = ("key", "cursor", "base", "entries", "ids", "sizes", "size", "readers", "waiter", "error")

    def __init__(self, key: str, cursor: bytes) -> None:
        self.key = key
        self.cursor = cursor  # where the next XREAD of this log starts
        self.base = entry_id(cursor)  # every entry after it up to ``cursor`` is in ``entries``
        self.entries: list = []
        self.ids: list[tuple[int, int]] = []
        self.sizes: list[int] = []  # the bytes of each entry's frames
        self.size = 0  # their sum
        self.readers = 1
        self.waiter: asyncio.Future | None = None
        self.error: StoreUnavailable | None = None

    def wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Tailer:
    """One XREAD BLOCK (on a connection of ``pool``) for every log this process's readers tail.

    Each log keeps at most ``buffer_entries`` entries and ``buffer_bytes`` of frames for its readers;
    one ``wait`` hands out at most ``read_count`` entries and ``page_bytes`` of frames (but one entry).
    """

    def __init__(
        self,
        io: Batcher,
        pool: ConnectionPool,
        keys: Keys,
        *,
        block_seconds: float,
        read_count: int,
        page_bytes: int,
        buffer_entries: int,
        buffer_bytes: int,
    ) -> None:
        self._io = io
        self._pool = pool
        self._block_seconds = block_seconds
        self._read_count = read_count
        self._page_bytes = page_bytes
        self._buffer_entries = buffer_entries
        self._buffer_bytes = buffer_bytes
        self._followed: dict[str, Followed] = {}
        self._task: asyncio.Task | None = None
        self._conn: Any = None
        self._wake_key = keys.wake(secrets.token_hex(8))
        self._wake_cursor = b"0-0"
        self._woken = False

    def follow(self, key: str, cursor: bytes) -> Followed:
        followed = self._followed.get(key)
        if followed is not None:
            followed.readers += 1
            return followed
        followed = self._followed[key] = Followed(key, cursor)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        elif not self._woken:  # the XREAD in flight (if any) lacks it: interrupt it
            self._woken = True
            wake = self._io.call(("EVALSHA", scripts.WAKE, 1, self._wake_key, ms(self._block_seconds * 4)))
            wake.add_done_callback(consume)
        return followed

    def unfollow(self, followed: Followed) -> None:
        followed.readers -= 1
        if followed.readers <= 0 and self._followed.get(followed.key) is followed:
            del self._followed[followed.key]

    async def wait(self, followed: Followed, cursor: Any, timeout: float) -> list | None:
        """Entries of the log after ``cursor``, waiting up to ``timeout`` for some ([] if none came;
        None if ``cursor`` is behind what is buffered: the reader reads that gap itself, in pages).

        At most ``read_count`` entries and ``page_bytes`` of frames (but one entry) at once: a reader
        that stops reading keeps no more of the buffer alive once the buffer moves on."""
        position = entry_id(cursor)
        deadline = time.monotonic() + timeout
        while True:
            if followed.error is not None:
                raise StoreUnavailable(str(followed.error))
            if position < followed.base:
                return None
            start = bisect.bisect_right(followed.ids, position)
            if start < len(followed.ids):
                sizes = followed.sizes
                end, size = start + 1, sizes[start]
                last = min(start + self._read_count, len(sizes))
                while end < last and size + sizes[end] <= self._page_bytes:
                    size += sizes[end]
                    end += 1
                return followed.entries[start:end]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            waiter = followed.waiter
            if waiter is None:
                waiter = followed.waiter = asyncio.get_running_loop().create_future()
            done, _ = await asyncio.wait((waiter,), timeout=remaining)
            if not done:
                return []

    async def _run(self) -> None:
        backoff = 0.05
        try:
            while self._followed:
                sent = dict(self._followed)  # the logs of this XREAD
                self._woken = False
                keys = list(sent)
                command = [
                    "XREAD",
                    "COUNT",
                    self._read_count,
                    "BLOCK",
                    ms(self._block_seconds),
                    "STREAMS",
                    self._wake_key,
                    *keys,
                    self._wake_cursor,
                    *(sent[key].cursor for key in keys),
                ]
                try:
                    reply = await self._roundtrip(command)
                except Exception as exc:
                    if not isinstance(exc, FAILURES):  # a bug must not leave readers waiting forever
                        logger.exception("Redis store: tailing failed unexpectedly")
                    error = unavailable(exc)
                    for followed in sent.values():  # their readers fail; new readers start afresh
                        followed.error = error
                        followed.wake()
                        if self._followed.get(followed.key) is followed:
                            del self._followed[followed.key]
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 1.0)
                    continue
                backoff = 0.05
                for raw_key, entries in streams_of(reply):
                    key = raw_key.decode()
                    if key == self._wake_key:
                        self._wake_cursor = entries[-1][0]
                        continue
                    followed = sent.get(key)
                    if followed is None or self._followed.get(key) is not followed or not entries:
                        continue  # no reader any more
                    sizes = [entry_bytes(entry) for entry in entries]
                    followed.entries.extend(entries)
                    followed.ids.extend(entry_id(entry[0]) for entry in entries)
                    followed.sizes.extend(sizes)
                    followed.size += sum(sizes)
                    followed.cursor = entries[-1][0]
                    if len(followed.ids) > self._buffer_entries or followed.size > self._buffer_bytes:
                        self._trim(followed)  # slower readers read the gap
                    followed.wake()
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    def _trim(self, followed: Followed) -> None:
        """Keep the newest half of the buffer (in entries and in bytes; at least the newest entry)."""
        sizes = followed.sizes
        cut, kept = len(sizes) - 1, sizes[-1]
        while (
            cut > 0
            and len(sizes) - cut < self._buffer_entries // 2
            and kept + sizes[cut - 1] <= self._buffer_bytes // 2
        ):
            cut -= 1
            kept += sizes[cut]
        if cut > 0:
            followed.base = followed.ids[cut - 1]
            del followed.ids[:cut], followed.entries[:cut], followed.sizes[:cut]
            followed.size = kept

    async def _roundtrip(self, command: list) -> Any:
        conn = self._conn
        if conn is None:
            conn = self._conn = self._pool.make_connection()
        try:
            await conn.send_packed_command(pack([command]), check_health=False)
            return await conn.read_response()
        except BaseException:
            self._conn = None
            await conn.disconnect(nowait=True)
            raise

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        error = StoreUnavailable("the Redis store is closed")
        for followed in self._followed.values():
            followed.error = error
            followed.wake()
        self._followed.clear()
        if self._conn is not None:
            await self._conn.disconnect()
            self._conn = None
