"""The embedded default store: everything in this process's memory, bounded by retention and size."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from responsekit.store.frames import FrameBuffer
from responsekit.store.protocols import TERMINAL_STATUSES, LogEntry, ResponseRecord, Store

# How many expired entries one write may sweep: keeps each write's cost bounded.
_SWEEP_BATCH = 64


def _history_items(record: ResponseRecord) -> list[dict[str, Any]]:
    return [*record.input_items, *record.snapshot.get("output", [])]


class MemoryRecordStore:
    """Records in an insertion-ordered dict; the oldest expire first (retention is one constant)."""

    def __init__(self, retention_seconds: float, max_records: int) -> None:
        self._retention = retention_seconds
        self._max = max_records
        self._records: dict[str, tuple[float, ResponseRecord]] = {}
        self._conversations: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self._records)

    def _sweep(self) -> None:
        """Drop expired records, and the oldest finished ones while full (room is kept for one more).

        A record still running (not finished) is never dropped: past its retention, or in the way
        of the size bound, it moves to the back with a fresh retention, as event logs do.
        """
        now = time.monotonic()
        records = self._records
        for _ in range(_SWEEP_BATCH):
            if not records:
                return
            oldest_id = next(iter(records))
            expires_at, record = records[oldest_id]
            over_size = len(records) >= self._max
            if expires_at > now and not over_size:
                return
            if not record.finished:
                del records[oldest_id]
                records[oldest_id] = (now + self._retention if expires_at <= now else expires_at, record)
                continue
            self._drop(oldest_id)

    def _drop(self, response_id: str) -> None:
        entry = self._records.pop(response_id, None)
        if entry is not None and entry[1].conversation_id:
            ids = self._conversations.get(entry[1].conversation_id)
            if ids is not None:
                try:
                    ids.remove(response_id)
                except ValueError:
                    pass
                if not ids:
                    del self._conversations[entry[1].conversation_id]

    async def create(self, record: ResponseRecord) -> None:
        self._sweep()
        self._records[record.response_id] = (time.monotonic() + self._retention, record)
        if record.conversation_id:
            self._conversations.setdefault(record.conversation_id, []).append(record.response_id)

    async def get(self, response_id: str) -> ResponseRecord | None:
        entry = self._records.get(response_id)
        if entry is None:
            return None
        if entry[0] <= time.monotonic() and entry[1].finished:
            self._drop(response_id)
            return None
        return entry[1]

    async def save_snapshot(self, response_id: str, snapshot: dict[str, Any]) -> None:
        entry = self._records.get(response_id)
        if entry is not None and not entry[1].finished:
            entry[1].snapshot = snapshot

    async def finish(self, response_id: str, snapshot: dict[str, Any]) -> bool:
        # No await between the check and the write: atomic within the event loop.
        entry = self._records.get(response_id)
        if entry is None or entry[1].finished:
            return False
        if snapshot.get("status") not in TERMINAL_STATUSES:
            raise ValueError(f"finish() needs a terminal snapshot, got status {snapshot.get('status')!r}")
        entry[1].snapshot = snapshot
        entry[1].finished = True
        # Retention counts from the end: a response that ran long stays retrievable after it ends.
        del self._records[response_id]
        self._records[response_id] = (max(entry[0], time.monotonic() + self._retention), entry[1])
        return True

    async def delete(self, response_id: str) -> bool:
        present = response_id in self._records
        self._drop(response_id)
        return present

    async def history(self, record: ResponseRecord, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        chunks: list[list[dict[str, Any]]] = []
        count = 0
        if record.conversation_id:
            for response_id in reversed(self._conversations.get(record.conversation_id, [])):
                if count >= limit:
                    break
                entry = self._records.get(response_id)
                if entry is None or response_id == record.response_id:
                    continue
                items = _history_items(entry[1])
                chunks.append(items)
                count += len(items)
        else:
            seen: set[str] = set()
            previous = record.previous_response_id
            while previous and previous not in seen and count < limit:
                seen.add(previous)
                entry = self._records.get(previous)
                if entry is None:
                    break
                items = _history_items(entry[1])
                chunks.append(items)
                count += len(items)
                previous = entry[1].previous_response_id
        items = [item for chunk in reversed(chunks) for item in chunk]
        return items[-limit:]


class _Log(FrameBuffer):
    __slots__ = ("expires_at",)

    def __init__(self, expires_at: float) -> None:
        super().__init__()
        self.expires_at = expires_at


class MemoryEventLog:
    """Per-response lists of SSE frames; readers wait on a future that each append resolves."""

    def __init__(self, retention_seconds: float, max_logs: int | None = None) -> None:
        self._retention = retention_seconds
        self._max = max_logs
        self._logs: dict[str, _Log] = {}

    def __len__(self) -> int:
        return len(self._logs)

    def _sweep(self) -> None:
        now = time.monotonic()
        logs = self._logs
        for _ in range(_SWEEP_BATCH):
            if not logs:
                return
            oldest_id = next(iter(logs))
            log = logs[oldest_id]
            over_size = self._max is not None and len(logs) >= self._max
            if log.expires_at > now and not over_size:
                return
            # An expiring log that is still being written (a handler running past the retention
            # window) moves to the back rather than vanishing under its readers.
            del logs[oldest_id]
            if not log.closed:
                log.expires_at = max(log.expires_at, now + self._retention)
                logs[oldest_id] = log

    async def open(self, response_id: str) -> None:
        self._sweep()
        self._logs[response_id] = _Log(time.monotonic() + self._retention)

    async def append(self, response_id: str, entries: list[LogEntry], *, close: bool = False) -> None:
        log = self._logs.get(response_id)
        if log is None or log.closed:
            return
        if len(entries) == 1:
            log.frames.append(entries[0].frame)
        else:
            log.frames.extend([entry.frame for entry in entries])
        if close:
            self._close(response_id, log)
        log.wake()

    def _close(self, response_id: str, log: _Log) -> None:
        """Mark the log finished; its retention counts from now (it moves to the back)."""
        log.closed = True
        log.expires_at = max(log.expires_at, time.monotonic() + self._retention)
        del self._logs[response_id]
        self._logs[response_id] = log

    async def exists(self, response_id: str) -> bool:
        log = self._logs.get(response_id)
        return log is not None and log.expires_at > time.monotonic()

    async def delete(self, response_id: str) -> None:
        self.discard(response_id)

    def discard(self, response_id: str) -> None:
        """Drop a log now (readers already holding it finish what it has, then stop)."""
        log = self._logs.pop(response_id, None)
        if log is not None:
            log.closed = True
            log.wake()

    async def read(
        self, response_id: str, after: int, idle_timeout: float | None
    ) -> AsyncIterator[list[bytes]]:
        log = self._logs.get(response_id)
        if log is not None and log.closed and log.expires_at <= time.monotonic():
            del self._logs[response_id]  # expired: sweeps are lazy, a read must not outlive retention
            log = None
        if log is None:
            raise KeyError(response_id)
        return log.tail(after, idle_timeout)


class MemoryCancelSignals:
    """Cancel requests delivered to callbacks registered by this process's running handlers."""

    def __init__(self) -> None:
        self._callbacks: dict[str, Callable[[], None]] = {}

    def subscribe(self, response_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        self._callbacks[response_id] = callback

        def unsubscribe() -> None:
            if self._callbacks.get(response_id) is callback:
                del self._callbacks[response_id]

        return unsubscribe

    async def request(self, response_id: str) -> None:
        callback = self._callbacks.get(response_id)
        if callback is not None:
            callback()


class MemoryStore(Store):
    """The embedded default: one process, nothing shared, memory bounded by retention and size."""

    def __init__(
        self,
        *,
        response_retention_seconds: float = 3600.0,
        event_log_retention_seconds: float = 3600.0,
        max_stored_responses: int = 100_000,
    ) -> None:
        super().__init__(
            records=MemoryRecordStore(response_retention_seconds, max_stored_responses),
            events=MemoryEventLog(event_log_retention_seconds, max_stored_responses),
            cancels=MemoryCancelSignals(),
            name="memory",
        )
