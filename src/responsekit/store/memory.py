"""The embedded default store: everything in this process's memory, bounded by retention and size."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic_core import from_json

from responsekit.store.frames import FrameBuffer
from responsekit.store.memory_conversations import MemoryConversationStore
from responsekit.store.protocols import (
    TERMINAL_STATUSES,
    LogEntry,
    LogNotFound,
    RecoveryClaim,
    ResponseRecord,
    Store,
    release_nothing,
)
from responsekit.streaming.events import encode_json

# How many expired entries one write may sweep: keeps each write's cost bounded.
_SWEEP_BATCH = 64
#: The default byte bound of a MemoryStore (``ResponsesServerOptions.max_stored_bytes``).
DEFAULT_MAX_STORED_BYTES = 1024**3
#: How long a conversation stays after its last change (``conversation_retention_seconds``).
DEFAULT_CONVERSATION_RETENTION_SECONDS = 30 * 24 * 3600.0


def _history_items(record: ResponseRecord) -> list[dict[str, Any]]:
    return [*record.input_items, *record.snapshot.get("output", [])]


def _record_bytes(record: ResponseRecord) -> int:
    """A cheap estimate of what a record holds: its input items and snapshot, encoded as JSON."""
    return len(encode_json(record.input_items)) + len(encode_json(record.snapshot))


#: A finished record as kept: ``(response_id, snapshot JSON, input items JSON, owner, chat_key,
#: background, stream, previous_response_id, conversation_id, created_at)``. Atomic values only, so
#: the garbage collector stops tracking the tuple after a collection or two: the store's finished
#: records cost full collections nothing (a live record is ~15 tracked containers).
_Frozen = tuple


def _freeze(record: ResponseRecord) -> tuple[_Frozen, int]:
    """A finished record's frozen form, and its estimate (``_record_bytes``, from the same encodings)."""
    snapshot = encode_json(record.snapshot)
    input_items = encode_json(record.input_items)
    frozen = (
        record.response_id,
        snapshot,
        input_items,
        record.owner,
        record.chat_key,
        record.background,
        record.stream,
        record.previous_response_id,
        record.conversation_id,
        record.created_at,
    )
    return frozen, len(input_items) + len(snapshot)


def _thaw(frozen: _Frozen) -> ResponseRecord:
    """A fresh record from a frozen one (each read gets its own copy, as a store that serializes does)."""
    (rid, snapshot, input_items, owner, chat_key, background, stream, previous, conversation, created_at) = (
        frozen
    )
    return ResponseRecord(
        response_id=rid,
        snapshot=from_json(snapshot),  # encode_json's own decoder (twice as fast as json.loads)
        input_items=from_json(input_items),
        owner=owner,
        chat_key=chat_key,
        background=background,
        stream=stream,
        previous_response_id=previous,
        conversation_id=conversation,
        created_at=created_at,
        finished=True,
    )


def _is_finished(held: ResponseRecord | _Frozen) -> bool:
    return type(held) is tuple or held.finished


class _ByteBound:
    """The bytes one MemoryStore holds (log frames, plus each record's estimate) against ``limit``.

    Over the limit, the responses that finished longest ago go first, record and log together; a
    running part (a record not finished, a log not closed) is never evicted.
    """

    __slots__ = ("limit", "total", "finished", "records", "events")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        #: Responses with a finished part, in the order they finished (the oldest are evicted first).
        self.finished: dict[str, None] = {}
        self.records: MemoryRecordStore | None = None
        self.events: MemoryEventLog | None = None

    def finish(self, response_id: str) -> None:
        self.finished.setdefault(response_id)  # the record finishes first; its log keeps that place

    def forget(self, response_id: str) -> None:
        """A part was dropped: stop tracking the response once neither part remains."""
        if response_id not in self.finished:
            return
        records, events = self.records, self.events
        if (records is None or response_id not in records._records) and (
            events is None or response_id not in events._logs
        ):
            del self.finished[response_id]

    def enforce(self) -> None:
        finished = self.finished
        while self.total > self.limit and finished:
            response_id = next(iter(finished))
            del finished[response_id]
            if self.records is not None:
                self.records._evict(response_id)
            if self.events is not None:
                self.events._evict(response_id)


class MemoryRecordStore:
    """Records in an insertion-ordered dict; the oldest expire first (retention is one constant)."""

    durable = False

    def __init__(self, retention_seconds: float, max_records: int, bound: _ByteBound | None = None) -> None:
        self._retention = retention_seconds
        self._max = max_records
        #: Each record with its expiry: a running record as the live object (the runner shares its
        #: snapshot), a finished one frozen (``_freeze``), thawed on each read.
        self._records: dict[str, tuple[float, ResponseRecord | _Frozen]] = {}
        self._bound = bound
        self._sizes: dict[str, int] = {}  # each record's estimate, while it counts against the bound

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
            if not _is_finished(record):
                del records[oldest_id]
                records[oldest_id] = (now + self._retention if expires_at <= now else expires_at, record)
                continue
            self._drop(oldest_id)

    def _drop(self, response_id: str) -> None:
        entry = self._records.pop(response_id, None)
        if entry is None:
            return
        bound = self._bound
        if bound is not None:
            bound.total -= self._sizes.pop(response_id, 0)
            bound.forget(response_id)

    def _evict(self, response_id: str) -> None:
        """Drop a finished record to make room (the byte bound); a running one stays."""
        entry = self._records.get(response_id)
        if entry is not None and _is_finished(entry[1]):
            self._drop(response_id)

    async def create(self, record: ResponseRecord) -> None:
        self._sweep()
        response_id = record.response_id
        if response_id in self._records:
            self._drop(response_id)  # a replaced record must not stay counted or listed twice
        held: ResponseRecord | _Frozen = record
        if record.finished and record.resumable is None:
            held, size = _freeze(record)
        elif self._bound is not None:
            size = _record_bytes(record)
        self._records[response_id] = (time.monotonic() + self._retention, held)
        bound = self._bound
        if bound is not None:
            self._sizes[response_id] = size
            bound.total += size
            if record.finished:
                bound.finish(response_id)
            if bound.total > bound.limit:
                bound.enforce()

    def _held(self, response_id: str) -> ResponseRecord | _Frozen | None:
        """The record as kept (live or frozen); None if absent, or finished and past its retention
        (then dropped: sweeps are lazy, a read must not outlive retention)."""
        entry = self._records.get(response_id)
        if entry is None:
            return None
        held = entry[1]
        if entry[0] <= time.monotonic() and _is_finished(held):
            self._drop(response_id)
            return None
        return held

    async def get(self, response_id: str) -> ResponseRecord | None:
        held = self._held(response_id)
        return _thaw(held) if type(held) is tuple else held

    async def owner_of(self, response_id: str) -> tuple[bool, str | None]:
        held = self._held(response_id)
        if held is None:
            return False, None
        return True, held[3] if type(held) is tuple else held.owner  # a frozen record's owner: see _freeze

    async def save_snapshot(self, response_id: str, snapshot: dict[str, Any]) -> None:
        entry = self._records.get(response_id)
        if entry is not None and not _is_finished(entry[1]):
            entry[1].snapshot = snapshot

    async def finish(self, response_id: str, snapshot: dict[str, Any]) -> bool:
        # No await between the check and the write: atomic within the event loop.
        entry = self._records.get(response_id)
        if entry is None or _is_finished(entry[1]):
            return False
        if snapshot.get("status") not in TERMINAL_STATUSES:
            raise ValueError(f"finish() needs a terminal snapshot, got status {snapshot.get('status')!r}")
        record = entry[1]
        record.snapshot = snapshot  # whoever holds the live record sees it finished, as before
        record.finished = True
        held: ResponseRecord | _Frozen = record
        if record.resumable is None:
            held, size = _freeze(record)
        elif self._bound is not None:
            size = _record_bytes(record)
        # Retention counts from the end: a response that ran long stays retrievable after it ends.
        del self._records[response_id]
        self._records[response_id] = (max(entry[0], time.monotonic() + self._retention), held)
        bound = self._bound
        if bound is not None:
            # No eviction here: the terminal event is appended next, and evicting before it would
            # end this response's live readers without it. The append enforces the bound.
            bound.total += size - self._sizes.get(response_id, 0)
            self._sizes[response_id] = size
            bound.finish(response_id)
        return True

    async def delete(self, response_id: str) -> bool:
        present = response_id in self._records
        self._drop(response_id)
        return present

    async def save_checkpoint(
        self, response_id: str, snapshot: dict[str, Any], internal_metadata: dict[str, Any]
    ) -> None:
        """Kept like a snapshot (nothing here outlives the process, so nothing is ever recovered)."""
        entry = self._records.get(response_id)
        if entry is not None and not _is_finished(entry[1]):
            record = entry[1]
            record.snapshot = snapshot
            if record.resumable is not None:
                record.resumable.checkpoint = snapshot
                record.resumable.internal_metadata = dict(internal_metadata)

    async def claim_recovery(self, response_id: str) -> RecoveryClaim | None:
        """Never: a response of this store runs in this process until it ends (the server refuses
        ``resilient_background`` on the memory store)."""
        return None

    async def leave_for_recovery(self, response_id: str) -> None:
        """Nothing to leave it to: nothing re-enters a response of this store."""

    async def history(self, record: ResponseRecord, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        # A conversation's history is the conversation's items (store.conversations), not records.
        chunks: list[list[dict[str, Any]]] = []
        count = 0
        seen: set[str] = set()
        previous = record.previous_response_id
        while previous and previous not in seen and count < limit:
            seen.add(previous)
            entry = self._records.get(previous)
            if entry is None:
                break
            held = entry[1]
            if type(held) is tuple:
                held = _thaw(held)
            items = _history_items(held)
            chunks.append(items)
            count += len(items)
            previous = held.previous_response_id
        items = [item for chunk in reversed(chunks) for item in chunk]
        return items[-limit:]

    def hold(self, response_id: str, on_lost: Callable[[], None] | None = None) -> Callable[[], None]:
        """Nothing to hold: one process runs and stores its responses (no lease to renew)."""
        return release_nothing


class _Log(FrameBuffer):
    __slots__ = ("expires_at", "size")

    def __init__(self, expires_at: float) -> None:
        super().__init__()
        self.expires_at = expires_at
        self.size = 0  # bytes of its frames


class MemoryEventLog:
    """Per-response lists of SSE frames; readers wait on a future that each append resolves."""

    def __init__(
        self, retention_seconds: float, max_logs: int | None = None, bound: _ByteBound | None = None
    ) -> None:
        self._retention = retention_seconds
        self._max = max_logs
        self._logs: dict[str, _Log] = {}
        self._bound = bound

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
            if not log.closed:
                del logs[oldest_id]
                log.expires_at = max(log.expires_at, now + self._retention)
                logs[oldest_id] = log
            else:
                self._remove(oldest_id)

    def _remove(self, response_id: str) -> _Log | None:
        log = self._logs.pop(response_id, None)
        bound = self._bound
        if log is not None and bound is not None:
            bound.total -= log.size
            bound.forget(response_id)
        return log

    def _evict(self, response_id: str) -> None:
        """Drop a closed log to make room (the byte bound); one still being written stays."""
        log = self._logs.get(response_id)
        if log is not None and log.closed:
            self.discard(response_id)

    async def open(self, response_id: str) -> None:
        self._sweep()
        self._remove(response_id)
        self._logs[response_id] = _Log(time.monotonic() + self._retention)

    async def append(self, response_id: str, entries: list[LogEntry], *, close: bool = False) -> None:
        log = self._logs.get(response_id)
        if log is None or log.closed:
            return
        if len(entries) == 1:
            frame = entries[0].frame
            log.frames.append(frame)
            added = len(frame)
        else:
            frames = [entry.frame for entry in entries]
            log.frames.extend(frames)
            added = sum(map(len, frames))
        log.size += added
        if close:
            self._close(response_id, log)
        log.wake()
        bound = self._bound
        if bound is not None:
            bound.total += added
            if close:
                bound.finish(response_id)
            if bound.total > bound.limit:
                bound.enforce()  # readers already holding an evicted log still read it to its end

    def _close(self, response_id: str, log: _Log) -> None:
        """Mark the log finished; its retention counts from now (it moves to the back)."""
        log.closed = True
        # Complete: a tuple of bytes, which the garbage collector stops tracking (a list it never does).
        log.frames = tuple(log.frames)
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
        log = self._remove(response_id)
        if log is not None:
            log.closed = True
            log.wake()

    async def read(
        self, response_id: str, after: int, idle_timeout: float | None
    ) -> AsyncIterator[list[bytes]]:
        log = self._logs.get(response_id)
        if log is not None and log.closed and log.expires_at <= time.monotonic():
            self._remove(response_id)  # expired: sweeps are lazy, a read must not outlive retention
            log = None
        if log is None:
            raise LogNotFound(response_id)
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
        max_stored_bytes: int = DEFAULT_MAX_STORED_BYTES,
        conversation_retention_seconds: float = DEFAULT_CONVERSATION_RETENTION_SECONDS,
    ) -> None:
        bound = _ByteBound(max_stored_bytes)
        bound.records = MemoryRecordStore(response_retention_seconds, max_stored_responses, bound)
        bound.events = MemoryEventLog(event_log_retention_seconds, max_stored_responses, bound)
        super().__init__(
            records=bound.records,
            events=bound.events,
            cancels=MemoryCancelSignals(),
            name="memory",
            # Conversations count their bytes apart, against the same number: evicting one never
            # evicts a response, nor the reverse.
            conversations=MemoryConversationStore(conversation_retention_seconds, max_stored_bytes),
        )
        self._bound = bound

    @property
    def stored_bytes(self) -> int:
        """What the store counts against ``max_stored_bytes``: log frames plus record estimates."""
        return self._bound.total
