"""Conversations on Redis: three keys per conversation, under its isolation scope, changed by scripts only.

A conversation's keys (see the package's docstring) are its object (hash: ``created_at``, ``meta``,
``next``, the position of the next item), its item ids by position (sorted set) and its items (hash:
id -> JSON). Every change is one script, so replicas appending at once never lose each other's items
and an item id is added once; every change keeps the three keys for the retention from then.

Items are read a page of ids at a time (a script), then that page's items (``HMGET``): no reply holds
more than one page of items, and big items are not copied through Lua.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic_core import from_json

from responsekit.store.protocols import ConversationKey, ConversationRecord, CursorNotFound
from responsekit.store.redis import scripts
from responsekit.store.redis.batcher import Batcher
from responsekit.store.redis.scripts import Script
from responsekit.store.redis.wire import Keys
from responsekit.streaming.events import encode_json

ORDERS = ("asc", "desc")


def _item_args(items: list[dict[str, Any]]) -> list[Any]:
    """Items as script arguments: id1, JSON1, id2, JSON2, ... An item without a string id is not
    added (as in the memory store: the protocol's items all have one)."""
    args: list[Any] = []
    for item in items:
        item_id = item.get("id")
        if isinstance(item_id, str):
            args += (item_id, encode_json(item))
    return args


def _decoded(values: list[bytes | None]) -> list[dict[str, Any]]:
    """The items of an HMGET reply; one deleted since its id was read is skipped."""
    return [from_json(value) for value in values if value is not None]


class RedisConversationStore:
    """Conversations and their items on the store's command queue (no connection of their own).

    ``retention_ms``: how long a conversation's keys live after its last change (a response running
    in it keeps them longer: see ``Leases.renew``); ``page_items``: the most items ``recent_items``
    reads per round trip (a listed page is one round trip of at most ``limit`` items).
    """

    def __init__(self, io: Batcher, keys: Keys, *, retention_ms: int, page_items: int) -> None:
        self._io = io
        self._keys = keys
        self._ttl_ms = retention_ms
        self._page_items = page_items

    def _keys_of(self, key: ConversationKey) -> list[str]:
        return self._keys.conversation(key.owner, key.chat_key, key.conversation_id)

    async def _change(self, script: Script, key: ConversationKey, *args: Any) -> Any:
        return await self._io.call(("EVALSHA", script, 3, *self._keys_of(key), *args))

    async def create(self, conversation: ConversationRecord, items: list[dict[str, Any]]) -> None:
        await self._change(
            scripts.CONVERSATION_CREATE,
            conversation.key,
            conversation.created_at,
            encode_json(conversation.metadata),
            self._ttl_ms,
            *_item_args(items),
        )

    async def get(self, key: ConversationKey) -> ConversationRecord | None:
        created_at, meta = await self._io.call(("HMGET", self._keys_of(key)[0], "created_at", "meta"))
        if created_at is None:
            return None
        return ConversationRecord(key, int(created_at), from_json(meta))

    async def ensure(self, key: ConversationKey, created_at: int) -> ConversationRecord:
        stored, meta = await self._change(scripts.CONVERSATION_ENSURE, key, created_at, self._ttl_ms)
        return ConversationRecord(key, int(stored), from_json(meta))

    async def update_metadata(
        self, key: ConversationKey, metadata: dict[str, str]
    ) -> ConversationRecord | None:
        created_at = await self._change(scripts.CONVERSATION_UPDATE, key, encode_json(metadata), self._ttl_ms)
        if created_at is None:
            return None
        return ConversationRecord(key, int(created_at), dict(metadata))

    async def delete(self, key: ConversationKey) -> bool:
        return await self._change(scripts.CONVERSATION_DELETE, key) == 1

    async def append(self, key: ConversationKey, items: list[dict[str, Any]]) -> bool:
        added = await self._change(scripts.CONVERSATION_APPEND, key, self._ttl_ms, *_item_args(items))
        return added >= 0

    async def list_items(
        self, key: ConversationKey, *, after: str | None, limit: int, order: str
    ) -> tuple[list[dict[str, Any]], bool] | None:
        if order not in ORDERS:
            raise ValueError(f"order must be 'asc' or 'desc', got {order!r}")
        limit = max(limit, 0)
        reply = await self._page(key, after=after or "", position=b"", count=limit + 1, order=order)
        if reply is None:
            return None
        if reply == -1:
            raise CursorNotFound(after)
        ids = reply[1:]
        items = _decoded(await self._fetch(key, ids[:limit])) if limit and ids else []
        return items, len(ids) > limit

    async def get_item(self, key: ConversationKey, item_id: str) -> dict[str, Any] | None:
        value = await self._io.call(("HGET", self._keys_of(key)[2], item_id))
        return None if value is None else from_json(value)

    async def delete_item(self, key: ConversationKey, item_id: str) -> bool:
        return await self._change(scripts.CONVERSATION_DELETE_ITEM, key, item_id, self._ttl_ms) == 1

    async def recent_items(self, key: ConversationKey, limit: int) -> list[dict[str, Any]]:
        pages: list[list[dict[str, Any]]] = []  # newest first
        left = limit
        count = min(left, self._page_items)
        reply = await self._page(key, after="", position=b"", count=count, order="desc") if left > 0 else None
        while isinstance(reply, list) and len(reply) > 1:
            position, ids = reply[0], reply[1:]
            left -= len(ids)
            values = self._fetch(key, ids)
            if left > 0 and len(ids) == count:
                # this page's items and the next page's ids: both queued now, so one round trip
                count = min(left, self._page_items)
                next_page = self._page(key, after="", position=position, count=count, order="desc")
                found, reply = await asyncio.gather(values, next_page)
            else:
                found, reply = await values, None
            pages.append(_decoded(found))
        return [item for page in reversed(pages) for item in reversed(page)]

    def _page(
        self, key: ConversationKey, *, after: str, position: bytes, count: int, order: str
    ) -> asyncio.Future:
        """The future of one page of item ids (see ``scripts.CONVERSATION_PAGE``)."""
        obj, ordered, _ = self._keys_of(key)
        return self._io.call(
            ("EVALSHA", scripts.CONVERSATION_PAGE, 2, obj, ordered, after, position, count, order)
        )

    def _fetch(self, key: ConversationKey, ids: list[bytes]) -> asyncio.Future:
        """The future of the items named by ``ids`` (an HMGET reply; queued at once)."""
        return self._io.call(("HMGET", self._keys_of(key)[2], *ids))
