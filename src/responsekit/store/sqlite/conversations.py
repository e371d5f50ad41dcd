"""Conversations in SQLite: one row per conversation, its items by position, each id once.

A conversation is named by its isolation scope (owner, chat key and id, as JSON): the same id under
another user key (or chat key, or none) is another conversation. Every change waits for its commit
(later reads see it) and counts as the conversation's last change: its retention starts again. A
conversation found expired and not swept yet is missing, to reads and writes alike.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic_core import from_json

from responsekit.store.protocols import ConversationKey, ConversationRecord, CursorNotFound
from responsekit.store.sqlite.threads import Reader, Writer
from responsekit.streaming.events import encode_json

ORDERS = ("asc", "desc")


def _scope(key: ConversationKey) -> str:
    return json.dumps([key.owner, key.chat_key, key.conversation_id], ensure_ascii=False)


def _resource_size(conversation_id: str, created_at: int, metadata: bytes) -> int:
    """The bytes of the conversation as the API returns it (what the memory store counts)."""
    bare = {"id": conversation_id, "object": "conversation", "created_at": created_at, "metadata": {}}
    return len(encode_json(bare)) - 2 + len(metadata)


def _items(items: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
    """(id, JSON) of the items that have a string id (the others are not added, as in memory)."""
    return [(item["id"], encode_json(item)) for item in items if isinstance(item.get("id"), str)]


# -- on the writer thread -------------------------------------------------------------------------------
def _find(w: Writer, scope: str) -> tuple[int, int, bytes, int, int] | None:
    """(cid, created_at, metadata, next_position, size) of a live conversation; an expired one is
    dropped now."""
    row = w.conn.execute(
        "SELECT cid, created_at, metadata, next_position, size, expires_at FROM conversations WHERE scope = ?",
        (scope,),
    ).fetchone()
    if row is None:
        return None
    if row[5] <= w.now:
        w.ledger.drop_conversation(w.conn, row[0])
        return None
    return row[:5]


def _insert(w: Writer, scope: str, conversation_id: str, created_at: int, metadata: bytes) -> int:
    existing = w.conn.execute("SELECT cid FROM conversations WHERE scope = ?", (scope,)).fetchone()
    if existing is not None:  # a replaced conversation is not counted twice
        w.ledger.drop_conversation(w.conn, existing[0])
    size = _resource_size(conversation_id, created_at, metadata)
    cursor = w.conn.execute(
        "INSERT INTO conversations (scope, created_at, metadata, size, expires_at) VALUES (?, ?, ?, ?, ?)",
        (scope, created_at, metadata, size, _expiry(w)),
    )
    w.ledger.conversation_bytes += size
    return cursor.lastrowid


def _expiry(w: Writer) -> float:
    return w.now + w.ledger.limits.conversation_retention_seconds


def _add(w: Writer, cid: int, position: int, items: list[tuple[str, bytes]]) -> None:
    """Add the items whose id the conversation lacks, at the end; the conversation is changed."""
    conn = w.conn
    added = 0
    for item_id, data in items:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO conversation_items (cid, position, item_id, item, size) "
            "VALUES (?, ?, ?, ?, ?)",
            (cid, position, item_id, data, len(data)),
        )
        if cursor.rowcount == 1:
            position += 1
            added += len(data)
    conn.execute(
        "UPDATE conversations SET next_position = ?, size = size + ?, expires_at = ? WHERE cid = ?",
        (position, added, _expiry(w), cid),
    )
    w.ledger.conversation_bytes += added


def create_conversation(
    w: Writer, scope: str, conversation_id: str, created_at: int, metadata: bytes, items: list
) -> None:
    cid = _insert(w, scope, conversation_id, created_at, metadata)
    _add(w, cid, 0, items)


def ensure_conversation(w: Writer, scope: str, conversation_id: str, created_at: int) -> tuple[int, bytes]:
    found = _find(w, scope)
    if found is None:
        _insert(w, scope, conversation_id, created_at, b"{}")
        return created_at, b"{}"
    w.conn.execute("UPDATE conversations SET expires_at = ? WHERE cid = ?", (_expiry(w), found[0]))
    return found[1], found[2]


def update_metadata(w: Writer, scope: str, conversation_id: str, metadata: bytes) -> int | None:
    found = _find(w, scope)
    if found is None:
        return None
    cid, created_at, before = found[0], found[1], found[2]
    delta = len(metadata) - len(before)
    w.conn.execute(
        "UPDATE conversations SET metadata = ?, size = size + ?, expires_at = ? WHERE cid = ?",
        (metadata, delta, _expiry(w), cid),
    )
    w.ledger.conversation_bytes += delta
    return created_at


def delete_conversation(w: Writer, scope: str) -> bool:
    found = _find(w, scope)
    return found is not None and w.ledger.drop_conversation(w.conn, found[0])


def append_items(w: Writer, scope: str, items: list) -> bool:
    found = _find(w, scope)
    if found is None:
        return False
    _add(w, found[0], found[3], items)
    return True


def delete_item(w: Writer, scope: str, item_id: str) -> bool:
    found = _find(w, scope)
    if found is None:
        return False
    cid = found[0]
    row = w.conn.execute(
        "SELECT size FROM conversation_items WHERE cid = ? AND item_id = ?", (cid, item_id)
    ).fetchone()
    if row is None:
        return False
    w.conn.execute("DELETE FROM conversation_items WHERE cid = ? AND item_id = ?", (cid, item_id))
    w.conn.execute(
        "UPDATE conversations SET size = size - ?, expires_at = ? WHERE cid = ?", (row[0], _expiry(w), cid)
    )
    w.ledger.conversation_bytes -= row[0]
    return True


# -- on the reader thread -------------------------------------------------------------------------------
def _live(conn: Any, scope: str, now: float) -> tuple[int, int, bytes] | None:
    return conn.execute(
        "SELECT cid, created_at, metadata FROM conversations WHERE scope = ? AND expires_at > ?", (scope, now)
    ).fetchone()


def read_conversation(conn: Any, scope: str, now: float) -> tuple[int, bytes] | None:
    found = _live(conn, scope, now)
    return None if found is None else (found[1], found[2])


def read_page(
    conn: Any, scope: str, now: float, after: str | None, limit: int, order: str
) -> tuple[list[dict[str, Any]], bool] | None:
    found = _live(conn, scope, now)
    if found is None:
        return None
    cid = found[0]
    if after is None:
        start = -1 if order == "asc" else 2**62
    else:
        row = conn.execute(
            "SELECT position FROM conversation_items WHERE cid = ? AND item_id = ?", (cid, after)
        ).fetchone()
        if row is None:
            raise CursorNotFound(after)
        start = row[0]
    if order == "asc":
        query = "SELECT item FROM conversation_items WHERE cid = ? AND position > ? ORDER BY position LIMIT ?"
    else:
        query = "SELECT item FROM conversation_items WHERE cid = ? AND position < ? ORDER BY position DESC LIMIT ?"
    rows = conn.execute(query, (cid, start, limit + 1)).fetchall()
    return [from_json(row[0]) for row in rows[:limit]], len(rows) > limit


def read_item(conn: Any, scope: str, now: float, item_id: str) -> dict[str, Any] | None:
    found = _live(conn, scope, now)
    if found is None:
        return None
    row = conn.execute(
        "SELECT item FROM conversation_items WHERE cid = ? AND item_id = ?", (found[0], item_id)
    ).fetchone()
    return None if row is None else from_json(row[0])


def read_recent(conn: Any, scope: str, now: float, limit: int) -> list[dict[str, Any]]:
    found = _live(conn, scope, now)
    if found is None:
        return []
    rows = conn.execute(
        "SELECT item FROM conversation_items WHERE cid = ? ORDER BY position DESC LIMIT ?", (found[0], limit)
    ).fetchall()
    return [from_json(row[0]) for row in reversed(rows)]


class SqliteConversationStore:
    """Conversations and their items in the ``conversations`` and ``conversation_items`` tables."""

    def __init__(self, writer: Writer, reader: Reader) -> None:
        self._writer = writer
        self._reader = reader

    async def create(self, conversation: ConversationRecord, items: list[dict[str, Any]]) -> None:
        key = conversation.key
        await self._writer.call(
            create_conversation,
            _scope(key),
            key.conversation_id,
            conversation.created_at,
            encode_json(conversation.metadata),
            _items(items),
        )

    async def get(self, key: ConversationKey) -> ConversationRecord | None:
        found = await self._reader.call(read_conversation, _scope(key), time.time())
        return None if found is None else ConversationRecord(key, found[0], from_json(found[1]))

    async def ensure(self, key: ConversationKey, created_at: int) -> ConversationRecord:
        stored, metadata = await self._writer.call(
            ensure_conversation, _scope(key), key.conversation_id, created_at
        )
        return ConversationRecord(key, stored, from_json(metadata))

    async def update_metadata(
        self, key: ConversationKey, metadata: dict[str, str]
    ) -> ConversationRecord | None:
        created_at = await self._writer.call(
            update_metadata, _scope(key), key.conversation_id, encode_json(metadata)
        )
        return None if created_at is None else ConversationRecord(key, created_at, dict(metadata))

    async def delete(self, key: ConversationKey) -> bool:
        return await self._writer.call(delete_conversation, _scope(key))

    async def append(self, key: ConversationKey, items: list[dict[str, Any]]) -> bool:
        return await self._writer.call(append_items, _scope(key), _items(items))

    async def list_items(
        self, key: ConversationKey, *, after: str | None, limit: int, order: str
    ) -> tuple[list[dict[str, Any]], bool] | None:
        if order not in ORDERS:
            raise ValueError(f"order must be 'asc' or 'desc', got {order!r}")
        return await self._reader.call(read_page, _scope(key), time.time(), after, max(limit, 0), order)

    async def get_item(self, key: ConversationKey, item_id: str) -> dict[str, Any] | None:
        return await self._reader.call(read_item, _scope(key), time.time(), item_id)

    async def delete_item(self, key: ConversationKey, item_id: str) -> bool:
        return await self._writer.call(delete_item, _scope(key), item_id)

    async def recent_items(self, key: ConversationKey, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        return await self._reader.call(read_recent, _scope(key), time.time(), limit)
