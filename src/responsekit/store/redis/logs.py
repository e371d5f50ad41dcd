"""Event logs on Redis Streams, with a local copy of the logs of the responses this process runs.

Readers of a log this process writes read the local copy (a frame joins it once Redis accepted it);
readers elsewhere replay from Redis in pages (``pages``), then tail through the shared ``tailer``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from responsekit.store.frames import FrameBuffer
from responsekit.store.protocols import LogEntry, LogNotFound
from responsekit.store.redis import scripts
from responsekit.store.redis.batcher import Batcher, Op
from responsekit.store.redis.pages import Page, PageReader, parse
from responsekit.store.redis.tailer import Followed, Tailer
from responsekit.store.redis.wire import MAX_ENTRY, Keys

#: How many refused logs a store remembers not to write again (a run told it lost stops within
#: moments: only its appends already under way can still come).
REFUSED_KEPT = 10_000


class LocalLog(FrameBuffer):
    """This process's copy of the log of a response it runs: local readers never poll Redis.

    A frame joins the copy once Redis has accepted its append (one round trip, shared by the whole
    batch), so a local reader never sees a frame that a replay would not show: if the run's lease is
    taken over, the frames Redis refused were never seen here, and readers continue from Redis.

    A log this process took over to re-enter its response (``claim_recovery``) is copied from where
    it continues: ``first_sequence`` is the number of ``frames[0]``; readers from before it read
    Redis.
    """

    __slots__ = ("detached", "first_sequence")

    def __init__(self, first_sequence: int = 0) -> None:
        super().__init__()
        self.detached = False  # closed without its terminal event: the rest is in Redis
        self.first_sequence = first_sequence

    def detach(self) -> None:
        if not self.closed:
            self.closed = self.detached = True
            self.wake()


async def _nothing() -> AsyncIterator[list[bytes]]:
    return
    yield


class RedisEventLog:
    """Event logs on Redis Streams, plus a local copy for the responses this process runs.

    ``on_refused(response_id)`` is called when Redis refuses an append because the log was closed by
    someone else (a reaper that declared this run lost).
    """

    def __init__(
        self,
        io: Batcher,
        keys: Keys,
        pages: PageReader,
        tailer: Tailer,
        *,
        log_ttl_ms: int,
        append_max_frames: int,
        append_max_bytes: int,
        block_seconds: float,
        on_refused: Callable[[str], None],
    ) -> None:
        self._io = io
        self._keys = keys
        self._pages = pages
        self._tailer = tailer
        self._log_ttl_ms = log_ttl_ms
        self._append_max_frames = append_max_frames
        self._append_max_bytes = append_max_bytes
        self._block_seconds = block_seconds
        self._on_refused = on_refused
        self._local: dict[str, LocalLog] = {}
        #: Logs whose append Redis refused while this process wrote them (closed by a reaper, or
        #: continued by another run): this process writes nothing more to them, even an append that
        #: would happen to continue the log, until it opens or claims them again. An ordered set
        #: (a dict), the oldest forgotten past ``REFUSED_KEPT``.
        self._refused: dict[str, None] = {}

    async def open(self, response_id: str) -> None:
        await self._io.call(("EVALSHA", scripts.OPEN, 1, self._keys.log(response_id)), response_id)
        self.opened(response_id)

    def opened(self, response_id: str, next_sequence_number: int = 0) -> None:
        """The log was just opened in Redis (by ``open``, or with its record), or taken over to be
        continued from ``next_sequence_number`` (``claim_recovery``): this process writes it, so its
        readers here read a local copy (of the frames from ``next_sequence_number`` on)."""
        previous = self._local.pop(response_id, None)
        if previous is not None:  # a copy of an earlier run here: its readers continue from Redis
            previous.detach()
        self._refused.pop(response_id, None)
        self._local[response_id] = LocalLog(next_sequence_number)

    def writing(self, response_id: str) -> bool:
        """Whether this process still writes the log (opened here, no closing append sent, not detached)."""
        return response_id in self._local

    async def append(self, response_id: str, entries: list[LogEntry], *, close: bool = False) -> None:
        if response_id in self._refused:  # another run writes it now (or a reaper closed it)
            return
        io = self._io
        io.check(response_id)
        local = self._local.get(response_id)
        if close and local is not None:  # new readers go to Redis, behind the closing append
            del self._local[response_id]
        op = io.appends.get(response_id)
        max_frames, max_bytes = self._append_max_frames, self._append_max_bytes
        for entry in entries:
            # One stream entry holds at most max_frames frames and, past max_bytes, no more: a
            # page of a replay is cut from one entry, which Redis copies whole into the script.
            if (
                op is None
                or op.args is None
                or op.log is not local
                or op.frames >= max_frames
                or op.bytes >= max_bytes
            ):
                op = self._new_append(response_id, local)
            args = op.args
            frame = entry.frame
            args.append(b"%d" % entry.sequence_number)
            args.append(frame)
            args[5] = entry.sequence_number + 1
            op.frames += 1
            op.bytes += len(frame)
        if op is None or op.args is None or op.log is not local:  # nothing appended: a close alone
            op = self._new_append(response_id, local)
        if close:
            op.args[7] = "1"
            del io.appends[response_id]
            # The run ends once its terminal event is stored and shown to its local readers. If it
            # could not be stored, the lease stays and a reaper stores it: nothing to raise here.
            settled = op.settled = asyncio.get_running_loop().create_future()
            await settled

    def _new_append(self, response_id: str, local: LocalLog | None) -> Op:
        """Queue a new append of ``response_id``'s log (the next frames are batched into it)."""
        io = self._io
        op = io.post(
            # EVALSHA script 2 log leases | entry number, log_ttl, close, id | seq, frame, ...
            [
                "EVALSHA",
                scripts.APPEND,
                2,
                self._keys.log(response_id),
                self._keys.leases,
                0,
                self._log_ttl_ms,
                "0",
                response_id,
            ],
            response_id,
        )
        op.callback = self._appended
        op.log = local
        io.appends[response_id] = op
        return op

    def _appended(self, op: Op, outcome: Any) -> None:
        """An append's outcome: accepted frames join the local copy; a refusal means the log was
        closed by someone else (a reaper that declared this run lost): readers continue from Redis."""
        try:
            self._apply(op, outcome)
        finally:
            if op.settled is not None and not op.settled.done():
                op.settled.set_result(None)

    def _apply(self, op: Op, outcome: Any) -> None:
        local = op.log
        closing = op.args[7] == "1"
        if outcome == 1:
            if local is not None and not local.closed:
                local.frames.extend(op.args[10::2])
                if closing:
                    local.closed = True
                local.wake()
            return
        if isinstance(outcome, BaseException):
            # Not stored (Redis unreachable): the run fails at its next write and its release
            # detaches the copy; a closing append has no later write, so detach now.
            if local is not None and closing:
                local.detach()
            return
        # Refused: whatever this process queued after it must not be stored either (an append that
        # happened to continue the other run's frames would be taken).
        self._refused[op.response_id] = None
        if len(self._refused) > REFUSED_KEPT:
            del self._refused[next(iter(self._refused))]
        self._io.drop_appends(op.response_id)
        if local is not None:
            local.detach()
        self._on_refused(op.response_id)

    def detach(self, response_id: str) -> None:
        """The run here ended: local readers of a log left open continue from Redis."""
        local = self._local.pop(response_id, None)
        if local is not None:
            local.detach()

    async def exists(self, response_id: str) -> bool:
        if response_id in self._local:
            return True
        return await self._io.call(("EXISTS", self._keys.log(response_id))) == 1

    async def delete(self, response_id: str) -> None:
        local = self._local.pop(response_id, None)
        self._refused.pop(response_id, None)
        if local is not None:
            local.closed = True
            local.wake()
        await self._io.call(("DEL", self._keys.log(response_id)))

    async def read(
        self, response_id: str, after: int, idle_timeout: float | None
    ) -> AsyncIterator[list[bytes]]:
        local = self._local.get(response_id)
        if local is not None and after >= local.first_sequence - 1:
            return self._read_local(response_id, local, after, idle_timeout)
        # Not written here, or from before the local copy starts (a log taken over for recovery).
        key = self._keys.log(response_id)
        # Capped: a cursor past any possible entry is still a valid stream id.
        cursor = f"{min(max(after + 1, 0), MAX_ENTRY)}-0"
        page = await self._pages.read(key, cursor, after, 0)
        if not page.seen:
            if not page.top:  # a log always has an entry: none means no log
                raise LogNotFound(response_id)
            if page.top_closed:  # closed, and the cursor is at or past its end
                return _nothing()
            # Tail from the log's top, not the cursor: a cursor past the end still sees the closing
            # entry (its frames are filtered out by number), as the in-memory store's readers do.
            return self._read_redis(key, after, idle_timeout, page.top, None)
        return self._read_redis(key, after, idle_timeout, page.cursor, page)

    async def _read_local(
        self, response_id: str, log: LocalLog, after: int, idle_timeout: float | None
    ) -> AsyncIterator[list[bytes]]:
        position = max(after + 1, 0)
        async for batch in log.tail(after - log.first_sequence, idle_timeout):
            position += len(batch)
            yield batch
        if log.detached:  # e.g. another replica declared this run lost and wrote its terminal event
            # From the start: the frames are filtered by number, and the closing entry is seen
            # wherever it is.
            key = self._keys.log(response_id)
            page = await self._pages.read(key, b"0-0", position - 1, 0)
            async for batch in self._read_redis(key, position - 1, idle_timeout, page.cursor, page):
                yield batch

    async def _read_redis(
        self, key: str, after: int, idle_timeout: float | None, cursor: Any, page: Page | None
    ) -> AsyncIterator[list[bytes]]:
        """Frames after ``after``: ``page`` (read from ``cursor``) and the pages after it while the
        log has more, then what the shared tailer reads (a reader behind it reads the gap in pages).

        A frame larger than a page comes in pieces, one a batch (the pages after it follow at once,
        with no keep-alive between): the batches' bytes are the log's, as the SSE writer sends them;
        a reader never holds more than a page of its own."""
        keep_alive_at = time.monotonic() + idle_timeout if idle_timeout else None
        timed_out = False
        tailer = self._tailer
        followed: Followed | None = None  # tailed only once it has to wait for new entries
        entries: list | None = []
        try:
            while True:
                if page is not None:  # read directly: a replay, or a gap behind the shared tailer
                    frames, cursor, after, offset = page.frames, page.cursor, page.after, page.offset
                    closed, more, page = page.closed, page.more, None
                    if frames:
                        yield frames
                        if idle_timeout:
                            keep_alive_at = time.monotonic() + idle_timeout
                    del frames  # held no longer than it is being sent
                    if closed:
                        return
                    if more:  # the next page is there: no need to wait
                        page = await self._pages.read(key, cursor, after, offset)
                        continue
                elif entries:
                    frames, after, closed = parse(entries, after)
                    cursor = entries[-1][0]
                    if frames:
                        yield frames
                        if idle_timeout:
                            keep_alive_at = time.monotonic() + idle_timeout
                    del frames
                    if closed:
                        return
                elif timed_out:
                    if keep_alive_at is not None and time.monotonic() >= keep_alive_at:
                        yield []
                        keep_alive_at = time.monotonic() + idle_timeout
                    if not await self._io.call(("EXISTS", key)):
                        return  # deleted or expired
                block = self._block_seconds
                if keep_alive_at is not None:
                    block = min(block, max(keep_alive_at - time.monotonic(), 0.001))
                if followed is None:
                    followed = tailer.follow(key, cursor if isinstance(cursor, bytes) else cursor.encode())
                entries = await tailer.wait(followed, cursor, block)
                if entries is None:  # behind what the tailer buffers: read the gap in pages
                    page = await self._pages.read(key, cursor, after, 0)
                    entries = []
                    timed_out = False
                    continue
                timed_out = not entries
        finally:
            if followed is not None:
                tailer.unfollow(followed)
