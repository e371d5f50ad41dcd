"""The SQLite store: one durable node. Records, event logs and conversations in one file that
survives a restart; the standard library's ``sqlite3``, WAL mode, every SQLite call off the event loop.

Select it with ``ResponsesServerOptions(store_url="sqlite:///relative/file.db")`` (or
``sqlite:////absolute/file.db``), or ``RESPONSEKIT_STORE=sqlite:///responses.db``. One process
serves a file: it holds an advisory lock on ``<file>.lock`` while the store is open, and a second
process fails to start, saying so. A file that is not a SQLite database, is corrupt, was written by
a newer responsekit, or sits in a directory that is missing or not writable, fails at startup with
a message naming the file and the problem.

Threads (``threads``): one writer thread owns the writing connection; what one turn of the event
loop queues is handed over in one piece, and everything handed over while a transaction runs
shares the next one, so a response's events cost a share of a commit, not one each. One reader
thread has a read-only connection of its own (WAL lets it read while the writer writes). The
event loop only queues work and is called back. A closed store still reads (each read opens the
file on a worker thread) and refuses writes; it may be started again.

Durability: WAL with ``synchronous=NORMAL``: a committed transaction survives the process's crash
(SIGKILL, OOM); an OS crash or power loss may lose the last transactions, never the file's
consistency. ``?synchronous=full`` makes every commit wait for fsync (one per transaction).
What is committed: a record when it is created (the create waits), its snapshot at the runtime's
checkpoints, its events as they come, and its terminal state together with its terminal event
(the run waits for that commit before it ends).

After a restart, GET, replay (``starting_after`` / ``Last-Event-ID``), input items,
``previous_response_id`` chains and conversations serve what was stored before it; a response the
previous process left running ends failed, as lost (``recovery``). Retention and byte bounds are
the memory store's (``bounds``). Cancel signals reach the handlers of this process (one process
runs every response of the file).

Resilient background responses (``resilient``, set by the host before ``start``, or
``resilient_background`` in the options of ``from_url``): a record created with ``resumable``
keeps what re-entering it needs, and ``records.save_checkpoint`` commits its checkpoint before it
returns. One the previous process left running (it died, or left it with
``records.leave_for_recovery``) is not ended at startup: it is listed in ``awaiting_recovery`` and
reported to ``on_recoverable`` once the store has started. ``records.claim_recovery`` takes it
over (one attempt more): its record is live in this process again and its log, still the same rows,
continues at the next sequence number (readers from an earlier one read the file first, then this
process's copy). Without ``resilient``, such a response ends as lost like any other.

The parts: ``url`` (the URL), ``connection`` (opening the file, its lock, startup errors),
``schema`` (the tables, versioned), ``threads`` (writer and reader), ``ledger`` (what the writer
knows of the file: counters, running records, open logs), ``bounds`` (retention and size),
``records``, ``logs``, ``conversations``, ``recovery``; this module ties them together.

``recovered`` lists what startup ended as lost; after a restart a record's last stored snapshot is
``records.get``'s and a log's last sequence number is ``events.last_sequence_number``'s.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Protocol

from responsekit._logs import about
from responsekit.store.memory import MemoryCancelSignals
from responsekit.store.protocols import ResponseRecord, Store
from responsekit.store.sqlite import schema
from responsekit.store.sqlite.bounds import Bounds
from responsekit.store.sqlite.conversations import SqliteConversationStore
from responsekit.store.sqlite.ledger import Ledger, Limits
from responsekit.store.sqlite.logs import SqliteEventLog, write_pending
from responsekit.store.sqlite.records import SqliteRecordStore
from responsekit.store.sqlite.recovery import end_lost
from responsekit.store.sqlite.threads import Reader, Writer
from responsekit.store.sqlite.url import parse_url

logger = logging.getLogger("responsekit")

__all__ = [
    "SqliteStore",
    "SqliteRecordStore",
    "SqliteEventLog",
    "SqliteConversationStore",
    "parse_url",
]


class StoreOptions(Protocol):
    """What ``SqliteStore.from_url`` reads of the server's options (``ResponsesServerOptions``)."""

    response_retention_seconds: float
    event_log_retention_seconds: float
    max_stored_responses: int
    max_stored_bytes: int
    conversation_retention_seconds: float


class SqliteStore(Store):
    """Records, event logs and conversations of one process in one SQLite file (see the module)."""

    records: SqliteRecordStore
    events: SqliteEventLog
    cancels: MemoryCancelSignals
    conversations: SqliteConversationStore

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        response_retention_seconds: float = 3600.0,
        event_log_retention_seconds: float = 3600.0,
        max_stored_responses: int = 100_000,
        max_stored_bytes: int = 1024**3,
        conversation_retention_seconds: float = 30 * 24 * 3600.0,
        synchronous: str = "NORMAL",
    ) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        #: The file, as an absolute path (a relative one is resolved now, against the working directory).
        self.path = os.path.abspath(os.fspath(path))
        self._ledger = Ledger(
            Limits(
                response_retention_seconds=response_retention_seconds,
                event_log_retention_seconds=event_log_retention_seconds,
                max_stored_responses=max_stored_responses,
                max_stored_bytes=max_stored_bytes,
                conversation_retention_seconds=conversation_retention_seconds,
            )
        )
        self._bounds = Bounds(self._ledger)
        self._writer = Writer(
            self.path,
            synchronous=synchronous.upper(),
            ledger=self._ledger,
            prepare=self._prepare,
            before_commit=self._before_commit,
            idle=self._idle,
        )
        self._reader = Reader(self.path, synchronous=synchronous.upper())
        #: Responses whose fire-and-forget write failed: their next write raises StoreUnavailable.
        failures: dict[str, BaseException] = {}
        #: The responses found running at startup and ended as lost.
        self.recovered: list[str] = []
        #: The resilient responses found running at startup and kept for recovery (with
        #: ``resilient``), oldest first; ``start`` reports each to ``on_recoverable``.
        self.awaiting_recovery: list[str] = []
        self._started = False
        events = SqliteEventLog(self._writer, self._reader, failures)
        super().__init__(
            records=SqliteRecordStore(self._writer, self._reader, failures, events),
            events=events,
            cancels=MemoryCancelSignals(),
            conversations=SqliteConversationStore(self._writer, self._reader),
            name="sqlite",
        )

    @classmethod
    def from_url(cls, url: str, options: StoreOptions | None = None) -> SqliteStore:
        """The store of ``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db``
        (``?synchronous=full`` optional), bounded by the server's options."""
        parsed = parse_url(url)
        kwargs: dict[str, Any] = {"synchronous": parsed.synchronous}
        if options is not None:
            kwargs.update(
                response_retention_seconds=options.response_retention_seconds,
                event_log_retention_seconds=options.event_log_retention_seconds,
                max_stored_responses=options.max_stored_responses,
                max_stored_bytes=options.max_stored_bytes,
                conversation_retention_seconds=options.conversation_retention_seconds,
            )
        store = cls(parsed.path, **kwargs)
        if options is not None:
            store.resilient = bool(getattr(options, "resilient_background", False))
        return store

    def _prepare(self, writer: Writer) -> None:
        """On the writer thread, once the file is open: its tables, then what a previous process left
        running, then the counters of the bounds."""
        conn = writer.conn
        schema.prepare(conn, self.path)
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._ledger.load(conn)
            self.recovered, self.awaiting_recovery = end_lost(writer, self.resilient)
            self._bounds.sweep(conn, writer.now, force=True)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _before_commit(self, writer: Writer) -> None:
        """The end of every transaction: the frames appended in it, then the bounds."""
        write_pending(writer)
        self._bounds.after_batch(writer.conn, writer.now)

    def _idle(self, writer: Writer) -> None:
        self._bounds.sweep(writer.conn, writer.now, force=True)

    @property
    def stored_bytes(self) -> int:
        """What the store counts against ``max_stored_bytes`` for responses (records and frames)."""
        return self._ledger.response_bytes

    async def start(self) -> None:
        """Open the file (raises ``StoreStartupError`` saying what is wrong with it). A closed store
        may start again."""
        if self._started:
            return
        self._started = True
        try:
            await self._writer.start()
            await self._reader.start()
        except BaseException:
            self._started = False
            await self._writer.stop()
            raise
        on_recoverable = self.on_recoverable
        if on_recoverable is not None:
            for response_id in list(self.awaiting_recovery):
                try:
                    on_recoverable(response_id)
                except Exception:
                    logger.exception(
                        "SQLite store %s: on_recoverable(%s) failed",
                        self.path,
                        response_id,
                        extra=about(response_id),
                    )

    async def create_with_log(self, record: ResponseRecord) -> None:
        """The record and its empty event log, in one transaction."""
        await self.records.create(record, open_log=True)
        self.events.opened(record.response_id)

    async def healthy(self) -> bool:
        writer = self._writer
        return self._started and writer.running and self._reader.running and writer.healthy

    async def close(self) -> None:
        """Write what is queued, close both connections, release the file's lock. What this process
        kept of running responses is dropped (readers of their logs end)."""
        if not self._started:
            return
        self._started = False
        await self._reader.stop()
        await self._writer.stop()
        self.records.forget()
        self.events.forget()
