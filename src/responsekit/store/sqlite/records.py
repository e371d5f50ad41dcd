"""Response records in SQLite, with the records of the responses this process runs kept at hand.

A record is written when it is created (the create waits for its commit, so a response a client
was told about survives a crash). While it runs, this process keeps the record object (``_live``):
reads of it never wait on the file, and the terminal compare-and-set is decided here, at once (one
process writes the file). Snapshot saves do not wait: they are encoded on the event loop when it
next has a moment (a newer save, or the terminal snapshot, supersedes one not encoded yet) and
written in the writer's next transaction. The record leaves ``_live`` once its terminal snapshot is
committed; from then on reads come from the file.

A resilient background response's record also keeps what re-entering it needs (``resumable``,
its checkpoint and its attempts). Its checkpoints wait for their commit. ``claim_recovery`` makes
one that a stopped run left unfinished live here again (its log continues from this process);
``leave_for_recovery`` stops running one here without ending it.

A write that fails is remembered (``failures``): the next write of that response raises
``StoreUnavailable``, and the run ends as the runtime ends any run whose store failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic_core import from_json

from responsekit.store.protocols import (
    TERMINAL_STATUSES,
    RecoveryClaim,
    ResponseRecord,
    Resumable,
    StoreUnavailable,
)
from responsekit.store.resumable import decode as decode_resumable
from responsekit.store.resumable import encode_checkpoint, encode_created, encode_kept_checkpoint
from responsekit.store.sqlite.ledger import OpenLog
from responsekit.store.sqlite.threads import Reader, Writer
from responsekit.streaming.events import encode_json

if TYPE_CHECKING:
    from responsekit.store.sqlite.logs import SqliteEventLog

#: A row as ``create`` writes it (``finished`` and what follows are the insert's own).
_ROW = (
    "id, owner, chat_key, background, stream, previous_response_id, conversation_id, created_at, "
    "snapshot, input_items, resumable, checkpoint, attempts"
)
#: A row as it is read (``_record``).
_COLUMNS = f"{_ROW}, finished"
_LIVE = "(finished = 0 OR expires_at > ?)"  # not expired (a running record never expires)
_INSERT = (
    f"INSERT OR IGNORE INTO responses ({_ROW}, finished, finished_at, expires_at, size) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# -- on the writer thread -------------------------------------------------------------------------------
def insert_record(w: Writer, row: tuple, finished: bool) -> None:
    conn, ledger = w.conn, w.ledger
    snapshot_size = len(row[8])
    size = snapshot_size + len(row[9]) + len(row[10] or b"") + len(row[11] or b"")
    finished_at = w.now if finished else None
    expires_at = w.now + ledger.limits.response_retention_seconds if finished else None
    values = (*row, 1 if finished else 0, finished_at, expires_at, size)
    if conn.execute(_INSERT, values).rowcount != 1:  # it exists: a replaced record is not counted twice
        ledger.drop_record(conn, row[0])
        conn.execute(_INSERT, values)
    ledger.response_bytes += size
    ledger.record_count += 1
    if not finished:
        ledger.running[row[0]] = (size - snapshot_size, size)


def insert_log(w: Writer, response_id: str) -> None:
    conn, ledger = w.conn, w.ledger
    lid = ledger.next_lid
    if conn.execute(_INSERT_LOG, (response_id, lid)).rowcount != 1:  # a log opened again starts empty
        ledger.drop_log(conn, response_id)
        conn.execute(_INSERT_LOG, (response_id, lid))
    ledger.next_lid = lid + 1
    ledger.open_logs[response_id] = OpenLog(lid)
    ledger.log_count += 1


_INSERT_LOG = "INSERT OR IGNORE INTO logs (response_id, lid) VALUES (?, ?)"


def insert_record_and_log(w: Writer, row: tuple, finished: bool) -> None:
    insert_record(w, row, finished)
    insert_log(w, row[0])


def update_snapshot(w: Writer, response_id: str, data: bytes) -> None:
    """Store a running record's snapshot (nothing if it finished, or is gone)."""
    ledger = w.ledger
    running = ledger.running.get(response_id)
    if running is None:
        return
    other, before = running
    size = other + len(data)
    w.conn.execute("UPDATE responses SET snapshot = ?, size = ? WHERE id = ?", (data, size, response_id))
    ledger.running[response_id] = (other, size)
    ledger.response_bytes += size - before


def update_checkpoint(w: Writer, response_id: str, data: bytes, checkpoint: bytes) -> bool:
    """Store a running record's snapshot and checkpoint (nothing if it finished, or is gone)."""
    conn, ledger = w.conn, w.ledger
    running = ledger.running.get(response_id)
    if running is None:
        return False
    other, before = running
    (replaced,) = conn.execute(
        "SELECT COALESCE(length(checkpoint), 0) FROM responses WHERE id = ?", (response_id,)
    ).fetchone()
    other += len(checkpoint) - replaced
    size = other + len(data)
    conn.execute(
        "UPDATE responses SET snapshot = ?, checkpoint = ?, size = ? WHERE id = ?",
        (data, checkpoint, size, response_id),
    )
    ledger.running[response_id] = (other, size)
    ledger.response_bytes += size - before
    return True


def claim_record(w: Writer, response_id: str) -> tuple[ResponseRecord, int] | None:
    """Count a recovery attempt of a resilient record left unfinished with its log open: (the record,
    the sequence number its log continues at); None if it is not awaiting recovery."""
    conn, ledger = w.conn, w.ledger
    log = ledger.open_logs.get(response_id)
    if log is None:
        return None
    claimed = conn.execute(
        "UPDATE responses SET attempts = attempts + 1 "
        "WHERE id = ? AND finished = 0 AND resumable IS NOT NULL",
        (response_id,),
    ).rowcount
    if claimed != 1:
        return None
    row = conn.execute(
        f"SELECT {_COLUMNS}, size, length(snapshot) FROM responses WHERE id = ?", (response_id,)
    )
    row = row.fetchone()
    if response_id not in ledger.running:
        ledger.running[response_id] = (row[-2] - row[-1], row[-2])
    return _record(row), log.last_seq + 1


def finish_record(w: Writer, response_id: str, data: bytes) -> bool:
    """The terminal compare-and-set: store ``data`` if the record is not finished yet."""
    ledger = w.ledger
    running = ledger.running.pop(response_id, None)
    if running is None:
        return False
    other, before = running
    size = other + len(data)
    w.conn.execute(
        "UPDATE responses SET snapshot = ?, finished = 1, finished_at = ?, expires_at = ?, size = ? "
        "WHERE id = ?",
        (data, w.now, w.now + ledger.limits.response_retention_seconds, size, response_id),
    )
    ledger.response_bytes += size - before
    return True


def delete_record(w: Writer, response_id: str) -> bool:
    return w.ledger.drop_record(w.conn, response_id)


# -- on the reader thread -------------------------------------------------------------------------------
def _record(row: tuple) -> ResponseRecord:
    """A record of a row of ``_COLUMNS`` (on either thread)."""
    return ResponseRecord(
        response_id=row[0],
        owner=row[1],
        chat_key=row[2],
        background=bool(row[3]),
        stream=bool(row[4]),
        previous_response_id=row[5],
        conversation_id=row[6],
        created_at=row[7],
        snapshot=from_json(row[8]),
        input_items=from_json(row[9]),
        resumable=None if row[10] is None else decode_resumable(row[10], row[11], row[12]),
        finished=bool(row[13]),
    )


def encode_resumable(resumable: Resumable | None) -> tuple[bytes | None, bytes | None, int]:
    """The ``resumable``, ``checkpoint`` and ``attempts`` columns of a record's ``resumable``."""
    if resumable is None:
        return None, None, 0
    return encode_created(resumable), encode_kept_checkpoint(resumable), resumable.attempts


def read_record(conn: Any, response_id: str, now: float) -> ResponseRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM responses WHERE id = ? AND {_LIVE}", (response_id, now)
    ).fetchone()
    return None if row is None else _record(row)


def read_owner(conn: Any, response_id: str, now: float) -> tuple[bool, str | None]:
    row = conn.execute(f"SELECT owner FROM responses WHERE id = ? AND {_LIVE}", (response_id, now)).fetchone()
    return (False, None) if row is None else (True, row[0])


def read_chain(conn: Any, response_id: str, limit: int, now: float) -> list[tuple[str, list[dict[str, Any]]]]:
    """The records of a previous_response_id chain from ``response_id`` back, newest first, each as
    (id, its items), until ``limit`` items, a missing record or a loop."""
    chain: list[tuple[str, list[dict[str, Any]]]] = []
    seen: set[str] = set()
    count = 0
    previous: str | None = response_id
    while previous and previous not in seen and count < limit:
        seen.add(previous)
        row = conn.execute(
            f"SELECT input_items, snapshot, previous_response_id FROM responses WHERE id = ? AND {_LIVE}",
            (previous, now),
        ).fetchone()
        if row is None:
            break
        items = [*from_json(row[0]), *from_json(row[1]).get("output", [])]
        chain.append((previous, items))
        count += len(items)
        previous = row[2]
    return chain


def _history_items(record: ResponseRecord) -> list[dict[str, Any]]:
    return [*record.input_items, *record.snapshot.get("output", [])]


class SqliteRecordStore:
    """Records in the ``responses`` table; those running here also in memory (see the module)."""

    durable = True

    def __init__(
        self,
        writer: Writer,
        reader: Reader,
        failures: dict[str, BaseException],
        events: SqliteEventLog | None = None,
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._failures = failures
        #: The event logs of the same file: a claim makes this process their writer, a leave stops it.
        self._events = events
        #: Records created (or claimed) here whose terminal snapshot is not committed yet.
        self._live: dict[str, ResponseRecord] = {}
        #: Claims sent to the writer, not answered yet (a second one at the same time gets None).
        self._claiming: set[str] = set()
        #: Live records whose newest snapshot is not written yet (encoded at the next flush).
        self._dirty: dict[str, None] = {}
        self._flush_scheduled = False

    def forget(self) -> None:
        """The store closed: nothing is running here any more (a restart ends what was, as lost)."""
        self._live.clear()
        self._dirty.clear()
        self._failures.clear()

    def _check(self, response_id: str) -> None:
        error = self._failures.get(response_id)
        if error is not None:
            raise StoreUnavailable(str(error))

    async def create(self, record: ResponseRecord, *, open_log: bool = False) -> None:
        """Write the record (and, with ``open_log``, its empty event log) and wait for the commit."""
        response_id = record.response_id
        row = (
            response_id,
            record.owner,
            record.chat_key,
            1 if record.background else 0,
            1 if record.stream else 0,
            record.previous_response_id,
            record.conversation_id,
            record.created_at,
            encode_json(record.snapshot),
            encode_json(record.input_items),
            *encode_resumable(record.resumable),
        )
        op = insert_record_and_log if open_log else insert_record
        self._failures.pop(response_id, None)
        self._dirty.pop(response_id, None)
        if record.finished:
            self._live.pop(response_id, None)
        else:
            self._live[response_id] = record
        try:
            await self._writer.call(op, row, record.finished)
        except BaseException:
            if self._live.get(response_id) is record:
                del self._live[response_id]
            raise

    async def get(self, response_id: str) -> ResponseRecord | None:
        record = self._live.get(response_id)
        if record is not None:
            return record
        return await self._reader.call(read_record, response_id, time.time())

    async def owner_of(self, response_id: str) -> tuple[bool, str | None]:
        record = self._live.get(response_id)
        if record is not None:
            return True, record.owner
        return await self._reader.call(read_owner, response_id, time.time())

    async def save_snapshot(self, response_id: str, snapshot: dict[str, Any]) -> None:
        record = self._live.get(response_id)
        if record is None:  # not running here (a record from before a restart is always finished)
            await self._writer.call(update_snapshot, response_id, encode_json(snapshot))
            return
        if record.finished:
            return
        self._check(response_id)
        record.snapshot = snapshot
        if response_id not in self._dirty:
            self._dirty[response_id] = None
            if not self._flush_scheduled:
                self._flush_scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)

    async def save_checkpoint(
        self, response_id: str, snapshot: dict[str, Any], internal_metadata: dict[str, Any]
    ) -> None:
        """The snapshot becomes the current one and the checkpoint; returns once committed."""
        data = encode_json(snapshot)
        checkpoint = encode_checkpoint(data, internal_metadata)
        record = self._live.get(response_id)
        if record is None:  # not running here: stored if the record is not finished in the file
            await self._writer.call(update_checkpoint, response_id, data, checkpoint)
            return
        if record.finished:
            return
        self._check(response_id)
        record.snapshot = snapshot
        self._dirty.pop(response_id, None)  # this write carries the newest snapshot
        if record.resumable is not None:  # copies: the handler goes on changing its own
            record.resumable.checkpoint = from_json(data)
            record.resumable.internal_metadata = from_json(encode_json(internal_metadata))
        await self._writer.call(update_checkpoint, response_id, data, checkpoint)

    async def claim_recovery(self, response_id: str) -> RecoveryClaim | None:
        """Take over a resilient response left unfinished (by a process that died, or by
        ``leave_for_recovery``): counted in the file, then live here, its log written from here."""
        if response_id in self._live or response_id in self._claiming:
            return None  # this process runs it (or is claiming it right now)
        self._claiming.add(response_id)
        try:
            claimed = await self._writer.call(claim_record, response_id)
        finally:
            self._claiming.discard(response_id)
        if claimed is None:
            return None
        record, next_sequence_number = claimed
        # No await from here: the record and its log become this process's together.
        self._failures.pop(response_id, None)
        self._dirty.pop(response_id, None)
        self._live[response_id] = record
        if self._events is not None:
            self._events.resumed(response_id, next_sequence_number)
        return RecoveryClaim(record, next_sequence_number)

    async def leave_for_recovery(self, response_id: str) -> None:
        """Stop running the response here without ending it: what it wrote is committed first, its
        record stays unfinished in the file and its log open, for the next start to re-enter it."""
        record = self._live.get(response_id)
        if record is None or record.finished:
            return  # not running here, or its end is already on its way
        self._dirty.pop(response_id, None)
        # Behind everything this response queued (writes commit in order): its newest snapshot.
        await self._writer.call(update_snapshot, response_id, encode_json(record.snapshot))
        if record.finished:
            return  # it ended meanwhile: its end stands
        if self._live.get(response_id) is record:
            del self._live[response_id]
        self._dirty.pop(response_id, None)
        if self._events is not None:
            self._events.left(response_id)

    def _flush(self) -> None:
        """Encode and write the newest snapshot of each live record saved since the last flush."""
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, {}
        for response_id in dirty:
            record = self._live.get(response_id)
            if record is None or record.finished:
                continue
            try:
                self._writer.submit(
                    update_snapshot,
                    (response_id, encode_json(record.snapshot)),
                    lambda _result, error, rid=response_id: self._written(rid, error),
                )
            except StoreUnavailable as exc:  # closed meanwhile
                self._failures[response_id] = exc

    def _written(self, response_id: str, error: BaseException | None) -> None:
        if error is not None:
            self._failures[response_id] = error

    async def finish(self, response_id: str, snapshot: dict[str, Any]) -> bool:
        if snapshot.get("status") not in TERMINAL_STATUSES:
            raise ValueError(f"finish() needs a terminal snapshot, got status {snapshot.get('status')!r}")
        record = self._live.get(response_id)
        if record is None:  # not running here: the compare-and-set runs in the file
            return await self._writer.call(finish_record, response_id, encode_json(snapshot))
        # No await between the check and the change: atomic within the event loop, and this
        # process is the file's only writer.
        if record.finished:
            return False
        self._check(response_id)
        self._writer.submit(
            finish_record,
            (response_id, encode_json(snapshot)),
            lambda _won, error: self._finished(response_id, record, error),
        )
        record.snapshot = snapshot
        record.finished = True
        self._dirty.pop(response_id, None)
        return True

    def _finished(self, response_id: str, record: ResponseRecord, error: BaseException | None) -> None:
        """The terminal snapshot is committed (reads now come from the file), or failed."""
        if error is not None:
            self._failures[response_id] = error
        if self._live.get(response_id) is record:
            del self._live[response_id]

    async def delete(self, response_id: str) -> bool:
        record = self._live.pop(response_id, None)
        self._dirty.pop(response_id, None)
        self._failures.pop(response_id, None)
        deleted = await self._writer.call(delete_record, response_id)
        return deleted or record is not None

    async def history(self, record: ResponseRecord, limit: int) -> list[dict[str, Any]]:
        """The items of the ``previous_response_id`` chain, oldest first (a conversation's history
        is its items, in the conversation store)."""
        if limit <= 0 or not record.previous_response_id:
            return []
        chain = await self._reader.call(read_chain, record.previous_response_id, limit, time.time())
        live = self._live
        chunks = [
            _history_items(live[response_id]) if response_id in live else items
            for response_id, items in reversed(chain)
        ]
        items = [item for chunk in chunks for item in chunk]
        return items[-limit:]

    def hold(self, response_id: str, on_lost: Callable[[], None] | None = None) -> Callable[[], None]:
        """One process writes the file: no lease to keep and nobody to take the run over. The release
        forgets a write failure of the run (its record can be written again)."""

        def release() -> None:
            self._failures.pop(response_id, None)

        return release
