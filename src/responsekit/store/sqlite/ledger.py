"""What the writer thread knows of the file, so a write needs no read first.

The writer is the file's only writer, so it can keep, in memory: the bytes and rows the bounds
count, the size of each running record (a record not finished), and each open log (its number, its
last sequence number, its size, and the frames appended in the current transaction, written as one
row when it commits). All of it is read from the file at startup, and read again after a
transaction is rolled back (what it counted may not have been written).

Only the writer thread touches a ``Ledger``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    response_retention_seconds: float = 3600.0
    event_log_retention_seconds: float = 3600.0
    max_stored_responses: int = 100_000
    max_stored_bytes: int = 1024**3
    conversation_retention_seconds: float = 30 * 24 * 3600.0


class OpenLog:
    """A log not closed yet, and the frames appended to it in the current transaction."""

    __slots__ = ("lid", "last_seq", "size", "frames", "first_seq", "pending_bytes")

    def __init__(self, lid: int, last_seq: int = -1, size: int = 0) -> None:
        self.lid = lid
        self.last_seq = last_seq
        self.size = size  # bytes of its frames, written or pending
        self.frames: list[bytes] = []  # pending: not in a row yet
        self.first_seq = 0  # the number of frames[0]
        self.pending_bytes = 0


class Ledger:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        #: Bytes of records (their JSON) plus bytes of log frames: what ``max_stored_bytes`` bounds.
        self.response_bytes = 0
        self.record_count = 0
        self.log_count = 0
        #: Bytes of conversations (resource plus items), bounded apart by the same number.
        self.conversation_bytes = 0
        #: Each running record's (bytes of its columns but the snapshot, its size): every record
        #: not finished in the file (one awaiting recovery too).
        self.running: dict[str, tuple[int, int]] = {}
        self.open_logs: dict[str, OpenLog] = {}
        #: Open logs with frames pending in the current transaction.
        self.pending: dict[str, OpenLog] = {}
        #: The number the next log takes (``logs.lid``).
        self.next_lid = 1

    def load(self, conn: sqlite3.Connection) -> None:
        """Read it all from the file (at startup, and after a rollback)."""
        self.pending.clear()
        self.running = {
            response_id: (size - snapshot_size, size)
            for response_id, snapshot_size, size in conn.execute(
                "SELECT id, length(snapshot), size FROM responses WHERE finished = 0"
            )
        }
        self.open_logs = {}
        for response_id, lid in conn.execute("SELECT response_id, lid FROM logs WHERE closed = 0").fetchall():
            last_seq, size = conn.execute(
                "SELECT COALESCE(MAX(last_seq), -1), COALESCE(SUM(length(data)), 0) FROM chunks WHERE lid = ?",
                (lid,),
            ).fetchone()
            self.open_logs[response_id] = OpenLog(lid, last_seq, size)
        records = conn.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM responses").fetchone()
        logs = conn.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM logs WHERE closed = 1").fetchone()
        self.record_count = records[0]
        self.log_count = logs[0] + len(self.open_logs)
        self.response_bytes = records[1] + logs[1] + sum(log.size for log in self.open_logs.values())
        conversations = conn.execute("SELECT COALESCE(SUM(size), 0) FROM conversations").fetchone()
        self.conversation_bytes = conversations[0]
        self.next_lid = conn.execute("SELECT COALESCE(MAX(lid), 0) + 1 FROM logs").fetchone()[0]

    # -- dropping rows, counted ---------------------------------------------------------------------
    def drop_record(self, conn: sqlite3.Connection, response_id: str) -> bool:
        row = conn.execute("SELECT size FROM responses WHERE id = ?", (response_id,)).fetchone()
        if row is None:
            return False
        conn.execute("DELETE FROM responses WHERE id = ?", (response_id,))
        self.running.pop(response_id, None)
        self.response_bytes -= row[0]
        self.record_count -= 1
        return True

    def drop_log(self, conn: sqlite3.Connection, response_id: str) -> bool:
        row = conn.execute("SELECT lid, size FROM logs WHERE response_id = ?", (response_id,)).fetchone()
        if row is None:
            return False
        lid, size = row
        log = self.open_logs.pop(response_id, None)
        if log is not None:
            self.pending.pop(response_id, None)
            size = log.size
        conn.execute("DELETE FROM chunks WHERE lid = ?", (lid,))
        conn.execute("DELETE FROM logs WHERE response_id = ?", (response_id,))
        self.response_bytes -= size
        self.log_count -= 1
        return True

    def drop_conversation(self, conn: sqlite3.Connection, cid: int) -> bool:
        row = conn.execute("SELECT size FROM conversations WHERE cid = ?", (cid,)).fetchone()
        if row is None:
            return False
        conn.execute("DELETE FROM conversation_items WHERE cid = ?", (cid,))
        conn.execute("DELETE FROM conversations WHERE cid = ?", (cid,))
        self.conversation_bytes -= row[0]
        return True

    def over(self) -> bool:
        """Whether the responses exceed ``max_stored_bytes`` or ``max_stored_responses``."""
        limits = self.limits
        return (
            self.response_bytes > limits.max_stored_bytes
            or self.record_count > limits.max_stored_responses
            or self.log_count > limits.max_stored_responses
        )
