"""Retention and size bounds, kept by the writer thread at the end of each transaction.

- Retention: a record expires ``response_retention_seconds`` after it finished, a log
  ``event_log_retention_seconds`` after it closed, a conversation ``conversation_retention_seconds``
  after its last change; running ones never. Every read filters out what expired, so nothing is
  served past its retention, and transactions sweep up to ``SWEEP_BATCH`` expired rows of each kind
  (at most every ``SWEEP_INTERVAL_SECONDS``; the writer also sweeps when idle).
- ``max_stored_responses`` and ``max_stored_bytes``: past either, the responses that finished
  longest ago go first, record and log together; a running one (record not finished, or log not
  closed) is never evicted. Conversations count their bytes apart, against the same number, least
  recently changed first (one that alone outgrows the bound goes too), as in the memory store.

What is counted lives in the writer's ``Ledger``.
"""

from __future__ import annotations

import sqlite3

from responsekit.store.sqlite.ledger import Ledger

#: Expired rows of each kind one sweep may drop.
SWEEP_BATCH = 512
#: Sweeps run at most this often (by the transactions' clock), so a stream's small writes stay small.
SWEEP_INTERVAL_SECONDS = 0.1
#: Rows evicted per query while a bound is exceeded.
_EVICT_BATCH = 64


class Bounds:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._swept_at = 0.0

    def after_batch(self, conn: sqlite3.Connection, now: float) -> None:
        self.sweep(conn, now)
        ledger = self.ledger
        if ledger.over():
            self.evict_responses(conn)
        if ledger.conversation_bytes > ledger.limits.max_stored_bytes:
            self.evict_conversations(conn)

    def sweep(self, conn: sqlite3.Connection, now: float, *, force: bool = False) -> None:
        """Drop up to ``SWEEP_BATCH`` expired records, logs and conversations."""
        if not force and now < self._swept_at + SWEEP_INTERVAL_SECONDS:
            return
        self._swept_at = now
        ledger = self.ledger
        expired = conn.execute(
            "SELECT id FROM responses WHERE expires_at <= ? ORDER BY expires_at LIMIT ?", (now, SWEEP_BATCH)
        ).fetchall()
        for (response_id,) in expired:
            ledger.drop_record(conn, response_id)
        expired = conn.execute(
            "SELECT response_id FROM logs WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
            (now, SWEEP_BATCH),
        ).fetchall()
        for (response_id,) in expired:
            ledger.drop_log(conn, response_id)
        expired = conn.execute(
            "SELECT cid FROM conversations WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
            (now, SWEEP_BATCH),
        ).fetchall()
        for (cid,) in expired:
            ledger.drop_conversation(conn, cid)

    def evict_responses(self, conn: sqlite3.Connection) -> None:
        """The responses that finished longest ago go, record and log together, until the store is
        within its bounds; running ones stay (the store may stay over while they run)."""
        ledger = self.ledger
        while ledger.over():
            # Finished records whose log (if any) is closed, the longest finished first (their
            # expiry is their end plus the one retention).
            rows = conn.execute(
                "SELECT r.id FROM responses AS r WHERE r.finished = 1 AND NOT EXISTS "
                "(SELECT 1 FROM logs AS l WHERE l.response_id = r.id AND l.closed = 0) "
                "ORDER BY r.expires_at LIMIT ?",
                (_EVICT_BATCH,),
            ).fetchall()
            if not rows:
                break
            for (response_id,) in rows:
                ledger.drop_record(conn, response_id)
                ledger.drop_log(conn, response_id)
                if not ledger.over():
                    return
        while ledger.over():
            # Closed logs left without a record (a record deleted, or evicted apart).
            rows = conn.execute(
                "SELECT l.response_id FROM logs AS l WHERE l.closed = 1 AND NOT EXISTS "
                "(SELECT 1 FROM responses AS r WHERE r.id = l.response_id) ORDER BY l.expires_at LIMIT ?",
                (_EVICT_BATCH,),
            ).fetchall()
            if not rows:
                return
            for (response_id,) in rows:
                ledger.drop_log(conn, response_id)
                if not ledger.over():
                    return

    def evict_conversations(self, conn: sqlite3.Connection) -> None:
        """The least recently changed conversations go, whole, until the rest fit."""
        ledger = self.ledger
        limit = ledger.limits.max_stored_bytes
        while ledger.conversation_bytes > limit:
            rows = conn.execute(
                "SELECT cid FROM conversations ORDER BY expires_at LIMIT ?", (_EVICT_BATCH,)
            ).fetchall()
            if not rows:
                return
            for (cid,) in rows:
                ledger.drop_conversation(conn, cid)
                if ledger.conversation_bytes <= limit:
                    return
