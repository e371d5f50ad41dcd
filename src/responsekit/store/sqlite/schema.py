"""The store's tables, versioned by ``PRAGMA user_version`` and created on first use.

- ``responses``: one row per response record; ``snapshot`` and ``input_items`` as JSON; ``finished``
  once the terminal compare-and-set ran; ``expires_at`` (wall clock, so it means the same after a
  restart) the response retention counted from ``finished_at``, NULL while it runs; ``size`` the
  bytes it counts against ``max_stored_bytes`` (every JSON column). A resilient background response
  also has ``resumable`` (its request, client headers and query parameters as JSON; NULL for any
  other response), ``checkpoint`` (``{"response": snapshot, "internal_metadata": {...}}`` at its
  last checkpoint; NULL before the first) and ``attempts`` (the recovery runs claimed so far).
- ``logs``: one row per event log: ``lid`` numbers it (in creation order, never twice at once),
  ``closed`` once its terminal event is in, ``last_seq`` the sequence number of its last frame and
  ``size`` the bytes of its frames (both written when it closes), ``expires_at`` the event-log
  retention counted from the close, NULL while open.
- ``chunks``: the SSE frames of each log, several per row: the frames one transaction appended to
  a log (up to a bound), ``data`` their bytes end to end, ``lengths`` each one's length (4-byte
  little-endian), keyed by the sequence number of the last; the frames of a row are numbered
  consecutively. Logs are numbered in creation order, so new rows land at the end of the table.
- ``conversations``: one row per conversation, named by its isolation ``scope`` (owner, chat key
  and id as JSON); ``next_position`` the position its next item takes; ``expires_at`` the
  conversation retention counted from its last change; ``size`` its resource plus its items.
- ``conversation_items``: items by (conversation, position), each id once per conversation.

A file whose version is newer than this code's, or a database of something else, fails to start
rather than being changed. Small columns come before the JSON ones: counting what is stored (at
startup) reads no large value.
"""

from __future__ import annotations

import sqlite3

from responsekit.store.sqlite.connection import startup_error

#: The version this code reads and writes (``PRAGMA user_version``). A change of the tables bumps it
#: and adds a step to ``MIGRATIONS``.
SCHEMA_VERSION = 2

_TABLES = """
CREATE TABLE responses (
    id TEXT PRIMARY KEY,
    owner TEXT,
    chat_key TEXT,
    background INTEGER NOT NULL,
    stream INTEGER NOT NULL,
    previous_response_id TEXT,
    conversation_id TEXT,
    created_at REAL NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    finished_at REAL,
    expires_at REAL,
    size INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    snapshot BLOB NOT NULL,
    input_items BLOB NOT NULL,
    resumable BLOB,
    checkpoint BLOB
);
CREATE INDEX responses_expiry ON responses (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX responses_running ON responses (created_at) WHERE finished = 0;

CREATE TABLE logs (
    response_id TEXT PRIMARY KEY,
    lid INTEGER NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT -1,
    size INTEGER NOT NULL DEFAULT 0,
    expires_at REAL
) WITHOUT ROWID;
CREATE INDEX logs_expiry ON logs (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE chunks (
    lid INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    lengths BLOB NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (lid, last_seq)
) WITHOUT ROWID;

CREATE TABLE conversations (
    cid INTEGER PRIMARY KEY,
    scope TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    metadata BLOB NOT NULL,
    next_position INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX conversations_expiry ON conversations (expires_at);

CREATE TABLE conversation_items (
    cid INTEGER NOT NULL,
    position INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    item BLOB NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (cid, position)
) WITHOUT ROWID;
CREATE UNIQUE INDEX conversation_item_ids ON conversation_items (cid, item_id);
"""

#: Steps from each older version to the next: ``MIGRATIONS[n]`` takes a file from version n to n + 1
#: (inside the transaction that sets the new version).
MIGRATIONS: dict[int, str] = {
    # 2: resilient background responses (what re-entering one needs, its checkpoint, its attempts).
    1: """
    ALTER TABLE responses ADD COLUMN resumable BLOB;
    ALTER TABLE responses ADD COLUMN checkpoint BLOB;
    ALTER TABLE responses ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    """,
}


def prepare(conn: sqlite3.Connection, path: str) -> None:
    """Create the tables in a new file, migrate an older one, refuse what this code cannot read."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise startup_error(
            path,
            f"it was written by a newer responsekit (schema version {version}; this one reads up to "
            f"{SCHEMA_VERSION}): upgrade responsekit, or give this server another file",
        )
    conn.execute("BEGIN IMMEDIATE")
    try:
        if version == 0:
            tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            if tables:
                raise startup_error(
                    path,
                    f"it is an SQLite database of something else (tables {', '.join(sorted(tables)[:5])}), "
                    "not a responsekit store: give the store a file of its own",
                )
            for statement in _statements(_TABLES):
                conn.execute(statement)
        else:
            for step in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[step]):
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """The statements of a script (executescript would commit the transaction first)."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]
