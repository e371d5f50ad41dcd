"""Response records in SQLite, with the records of the responses this process runs kept at hand.

A record is written when it is created (the create waits for its commit, so a response a client
was told about survives a crash). While it runs, this process keeps the record object (``_live``):
reads of it never wait on the file, and the terminal compare-and-set is decided here, at once (one
process writes the file). Snapshot saves do not wait: they are encoded on the event loop when it
next has a moment (a newer save, or the terminal snapshot, supersedes one not encoded yet) and
written in the writer's next transaction. The record leaves ``_live`` once its terminal snapshot is
committed; from then on reads come from the file.

A write that fails is remembered (``failures``): the next write of that response raises
``StoreUnavailable``, and the run ends as the runtime ends any run whose store failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from pydantic_core import from_json

from responsekit.store.protocols import TERMINAL_STATUSES, ResponseRecord, StoreUnavailable
from responsekit.store.sqlite.ledger import OpenLog
from responsekit.store.sqlite.threads import Reader, Writer
from responsekit.streaming.events import encode_json

_COLUMNS = (
    "id, owner, chat_key, background, stream, previous_response_id, conversation_id, created_at, "
    "snapshot, input_items, finished"
)
_LIVE = "(finished = 0 OR expires_at > ?)"  # not expired (a running record never expires)
_INSERT = (
    f"INSERT OR IGNORE INTO responses ({_COLUMNS}, finished_at, expires_at, size) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# -- on the writer thread -------------------------------------------------------------------------------
def insert_record(w: Writer, row: tuple, finished: bool) -> None:
    conn, ledger = w.conn, w.ledger
    input_size, snapshot_size = len(row[9]), len(row[8])
    size = input_size + snapshot_size
    finished_at = w.now if finished else None
    expires_at = w.now + ledger.limits.response_retention_seconds if finished else None
    values = (*row, 1 if finished else 0, finished_at, expires_at, size)
    if conn.execute(_INSERT, values).rowcount != 1:  # it exists: a replaced record is not counted twice
        ledger.drop_record(conn, row[0])
        conn.execute(_INSERT, values)
    ledger.response_bytes += size
    ledger.record_count += 1
    if not finished:
        ledger.running[row[0]] = (input_size, size)


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
    input_size, before = running
    size = input_size + len(data)
    w.conn.execute("UPDATE responses SET snapshot = ?, size = ? WHERE id = ?", (data, size, response_id))
    ledger.running[response_id] = (input_size, size)
    ledger.response_bytes += size - before


def finish_record(w: Writer, response_id: str, data: bytes) -> bool:
    """The terminal compare-and-set: store ``data`` if the record is not finished yet."""
    ledger = w.ledger
    running = ledger.running.pop(response_id, None)
    if running is None:
        return False
    input_size, before = running
    size = input_size + len(data)
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
        finished=bool(row[10]),
    )


def read_record(conn: Any, response_id: str, now: float) -> ResponseRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM responses WHERE id = ? AND {_LIVE}", (response_id, now)
    ).fetchone()
    return None if row is None else _record(row)


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

    def __init__(self, writer: Writer, reader: Reader, failures: dict[str, BaseException]) -> None:
        self._writer = writer
        self._reader = reader
        self._failures = failures
        #: Records created here whose terminal snapshot is not committed yet.
        self._live: dict[str, ResponseRecord] = {}
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
