"""Event logs in SQLite, with a copy in memory of the logs this process writes.

Appends do not wait for the file (but the closing one, so a run is over once its terminal event is
stored, and any append while more than ``BACKPRESSURE_BYTES`` of frames wait to be written): they
join the writer's next transaction. A frame joins this process's copy of the log (``LocalLog``)
once it is committed, so a live reader never sees a frame that a replay after a crash would not
show, and never polls the file. Once the log is closed (its terminal event committed), the copy is
dropped: readers that hold it read it to its end, new readers read the file.

A log left open by a run that stopped (a resilient response awaiting recovery) is read from the
file, to its last stored frame. Once this process claims it (``resumed``), it writes it again, from
the next sequence number, in the same rows: its copy starts there (``LocalLog.base``), and a reader
from an earlier cursor reads the file up to the copy's first frame, then the copy. When a run leaves
its response for recovery (``left``), the copy ends as a closed log's does.

Replays from the file come in pages of at most ``PAGE_FRAMES`` frames and ``PAGE_BYTES`` bytes (but
one frame), one read transaction each: a reader never holds more than a page of a long log.
"""

from __future__ import annotations

import asyncio
import functools
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

from responsekit.store.frames import FrameBuffer
from responsekit.store.protocols import LogEntry, LogNotFound, StoreUnavailable
from responsekit.store.sqlite.ledger import OpenLog
from responsekit.store.sqlite.records import insert_log
from responsekit.store.sqlite.threads import Reader, Writer

#: The most frames, and bytes of frames (but one frame), of one page of a replay from the file.
PAGE_FRAMES = 256
PAGE_BYTES = 256 * 1024
#: The most frames, and bytes of frames (but one frame), of one row of ``chunks``.
CHUNK_FRAMES = 256
CHUNK_BYTES = 256 * 1024
#: Past this many bytes of frames waiting for the writer, an append waits for its commit.
BACKPRESSURE_BYTES = 8 * 1024 * 1024


# -- on the writer thread -------------------------------------------------------------------------------
def _write_chunk(w: Writer, log: OpenLog) -> None:
    """The frames pending for ``log``, as one row."""
    frames = log.frames
    w.conn.execute(
        "INSERT INTO chunks (lid, last_seq, lengths, data) VALUES (?, ?, ?, ?)",
        (
            log.lid,
            log.first_seq + len(frames) - 1,
            struct.pack(f"<{len(frames)}I", *map(len, frames)),
            b"".join(frames),
        ),
    )
    log.frames = []
    log.pending_bytes = 0


def append_frames(
    w: Writer, response_id: str, entries: list[tuple[int, bytes]], size: int, close: bool
) -> bool:
    """Add frames to an open log (and close it); False if the log is closed or missing. The frames
    join the log's pending ones, written as one row when the transaction ends (``write_pending``)."""
    ledger = w.ledger
    log = ledger.open_logs.get(response_id)
    if log is None:
        return False
    for seq, frame in entries:
        pending = log.frames
        if pending and (
            seq != log.first_seq + len(pending)
            or len(pending) >= CHUNK_FRAMES
            or log.pending_bytes + len(frame) > CHUNK_BYTES
        ):
            _write_chunk(w, log)
            pending = log.frames
        if not pending:
            log.first_seq = seq
        pending.append(frame)
        log.pending_bytes += len(frame)
        log.last_seq = seq
    log.size += size
    ledger.response_bytes += size
    if close:
        if log.frames:
            _write_chunk(w, log)
        ledger.pending.pop(response_id, None)
        del ledger.open_logs[response_id]
        w.conn.execute(
            "UPDATE logs SET closed = 1, last_seq = ?, size = ?, expires_at = ? WHERE response_id = ?",
            (log.last_seq, log.size, w.now + ledger.limits.event_log_retention_seconds, response_id),
        )
    elif log.frames:
        ledger.pending[response_id] = log
    return True


def write_pending(w: Writer) -> None:
    """Write the frames appended in this transaction, one row per log (before the commit)."""
    pending = w.ledger.pending
    for log in pending.values():
        if log.frames:
            _write_chunk(w, log)
    pending.clear()


def delete_log(w: Writer, response_id: str) -> bool:
    return w.ledger.drop_log(w.conn, response_id)


# -- on the reader thread -------------------------------------------------------------------------------
def read_state(conn: Any, response_id: str, now: float) -> tuple[int, int] | None:
    """(closed, last sequence number) of a log that exists and has not expired (the last sequence
    number is -1 while it is open: it is written when the log closes)."""
    return conn.execute(
        "SELECT closed, last_seq FROM logs WHERE response_id = ? AND (closed = 0 OR expires_at > ?)",
        (response_id, now),
    ).fetchone()


def read_last(conn: Any, response_id: str, now: float) -> int | None:
    """The sequence number of a log's last stored frame (-1 if none); None if there is no log (or
    it expired). An open log's (one awaiting recovery) is its last row's."""
    state = read_state(conn, response_id, now)
    if state is None:
        return None
    if state[0]:
        return state[1]
    return conn.execute(
        "SELECT COALESCE(MAX(last_seq), -1) FROM chunks WHERE lid = (SELECT lid FROM logs WHERE response_id = ?)",
        (response_id,),
    ).fetchone()[0]


def read_page(
    conn: Any, response_id: str, after: int, now: float | None, until: int | None = None
) -> tuple[list[bytes], int, bool] | None:
    """(the frames after ``after``, the number of the last one, whether more follow): one page. With
    ``now``, None if the log does not exist or expired (the first page of a replay). With ``until``,
    no frame past that sequence number (and none follow it)."""
    if now is not None and read_state(conn, response_id, now) is None:
        return None
    frames: list[bytes] = []
    size = 0
    # By the log's id, not its number: a log deleted meanwhile reads as empty, never as another.
    rows = conn.execute(
        "SELECT last_seq, lengths, data FROM chunks WHERE lid = (SELECT lid FROM logs WHERE response_id = ?) "
        "AND last_seq > ? ORDER BY last_seq",
        (response_id, after),
    )
    try:
        for last_seq, lengths, data in rows:
            count = len(lengths) // 4
            seq = last_seq - count + 1
            offset = 0
            for length in struct.unpack(f"<{count}I", lengths):
                if until is not None and seq > until:
                    return frames, after, False
                if seq > after:
                    if frames and (len(frames) >= PAGE_FRAMES or size + length > PAGE_BYTES):
                        return frames, after, True
                    frames.append(data[offset : offset + length])
                    size += length
                    after = seq
                offset += length
                seq += 1
    finally:
        rows.close()
    return frames, after, False


class LocalLog(FrameBuffer):
    """This process's copy of a log it writes: its committed frames, read without the file. A log
    this process continues (a claimed recovery) has a copy from ``base`` on: the frames before it
    are read from the file."""

    __slots__ = ("closing",)

    def __init__(self, base: int = 0) -> None:
        super().__init__(base)
        self.closing = False  # the closing append is queued: later appends are not kept


class SqliteEventLog:
    """Event logs in the ``logs`` and ``chunks`` tables (see the module)."""

    def __init__(self, writer: Writer, reader: Reader, failures: dict[str, BaseException]) -> None:
        self._writer = writer
        self._reader = reader
        self._failures = failures
        self._local: dict[str, LocalLog] = {}
        self._waiting_bytes = 0  # frames submitted, not committed yet

    def forget(self) -> None:
        """The store closed: the copies end (their readers finish what they have)."""
        for response_id, log in list(self._local.items()):
            self._end(response_id, log)
        self._waiting_bytes = 0

    async def open(self, response_id: str) -> None:
        await self._writer.call(insert_log, response_id)
        self.opened(response_id)

    def opened(self, response_id: str) -> None:
        """The log was just created in the file (by ``open``, or with its record): this process
        writes it, so its readers here read the copy."""
        replaced = self._local.get(response_id)
        if replaced is not None:
            self._end(response_id, replaced)
        self._local[response_id] = LocalLog()

    def resumed(self, response_id: str, next_sequence_number: int) -> None:
        """A log left open in the file (by a run that stopped) continues here from
        ``next_sequence_number``: this process writes it, its readers here read the file up to
        there, then the copy."""
        replaced = self._local.get(response_id)
        if replaced is not None:
            self._end(response_id, replaced)
        self._local[response_id] = LocalLog(next_sequence_number)

    def left(self, response_id: str) -> None:
        """This process stops writing the log, left open in the file (for recovery): readers of the
        copy finish what it has, new readers read the file."""
        log = self._local.get(response_id)
        if log is not None:
            self._end(response_id, log)

    def _end(self, response_id: str, log: LocalLog) -> None:
        """No more frames for this copy: its readers finish what it has; new readers read the file."""
        log.closed = True
        log.wake()
        if self._local.get(response_id) is log:
            del self._local[response_id]

    async def append(self, response_id: str, entries: list[LogEntry], *, close: bool = False) -> None:
        error = self._failures.get(response_id)
        if error is not None:
            raise StoreUnavailable(str(error))
        log = self._local.get(response_id)
        if log is None or log.closing:  # not written here (closed, deleted, or never opened)
            return
        frames = [entry.frame for entry in entries]
        rows = [(entry.sequence_number, entry.frame) for entry in entries]
        size = sum(map(len, frames))
        self._waiting_bytes += size
        wait = close or self._waiting_bytes > BACKPRESSURE_BYTES
        future = asyncio.get_running_loop().create_future() if wait else None
        try:
            self._writer.submit(
                append_frames,
                (response_id, rows, size, close),
                functools.partial(self._appended, response_id, log, frames, size, close, future),
            )
        except BaseException:
            self._waiting_bytes -= size
            raise
        if close:
            log.closing = True
        if future is not None:
            await future

    def _appended(
        self,
        response_id: str,
        log: LocalLog,
        frames: list[bytes],
        size: int,
        close: bool,
        future: asyncio.Future | None,
        stored: Any,
        error: BaseException | None,
    ) -> None:
        """An append's commit (or failure): committed frames join the copy, and wake its readers."""
        self._waiting_bytes -= size
        if error is None and stored:
            if not log.closed:
                log.frames.extend(frames)
                if close:
                    self._end(response_id, log)
                else:
                    log.wake()
        else:
            if error is not None:
                self._failures[response_id] = error
            self._end(response_id, log)  # refused (closed or deleted in the file) or failed
        if future is not None and not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(None)

    async def exists(self, response_id: str) -> bool:
        if response_id in self._local:
            return True
        return await self._reader.call(read_state, response_id, time.time()) is not None

    async def delete(self, response_id: str) -> None:
        log = self._local.get(response_id)
        if log is not None:
            self._end(response_id, log)
        self._failures.pop(response_id, None)
        await self._writer.call(delete_log, response_id)

    async def last_sequence_number(self, response_id: str) -> int | None:
        """The sequence number of the log's last stored frame (-1 if it has none); None if there is
        no log. What a run that continues a log (after a restart) numbers its next event from."""
        log = self._local.get(response_id)
        if log is not None:
            return log.base + len(log.frames) - 1
        return await self._reader.call(read_last, response_id, time.time())

    async def read(
        self, response_id: str, after: int, idle_timeout: float | None
    ) -> AsyncIterator[list[bytes]]:
        log = self._local.get(response_id)
        if log is not None:
            if after + 1 >= log.base:
                return log.tail(after, idle_timeout)
            # A continued log: its frames before the copy's first are in the file.
            page = await self._reader.call(read_page, response_id, after, None, log.base - 1)
            return self._resume(response_id, log, page, idle_timeout)
        page = await self._reader.call(read_page, response_id, after, time.time())
        if page is None:
            raise LogNotFound(response_id)
        return self._replay(response_id, page)

    async def _replay(
        self, response_id: str, page: tuple[list[bytes], int, bool], until: int | None = None
    ) -> AsyncIterator[list[bytes]]:
        """A log this process does not write, from the file, page by page (up to ``until``). Such a
        log is closed (one process writes the file, and a log left open by a previous one is closed
        at startup) or awaits recovery: the replay ends with its last stored frame."""
        while True:
            frames, after, more = page
            if frames:
                yield frames
            del frames, page
            if not more:
                return
            page = await self._reader.call(read_page, response_id, after, None, until)

    async def _resume(
        self, response_id: str, log: LocalLog, page: tuple[list[bytes], int, bool], idle_timeout: float | None
    ) -> AsyncIterator[list[bytes]]:
        """A log this process continues: the file's frames before the copy's first, then the copy."""
        async for frames in self._replay(response_id, page, log.base - 1):
            yield frames
        async for frames in log.tail(log.base - 1, idle_timeout):
            yield frames
