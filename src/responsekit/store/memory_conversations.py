"""The memory store's conversations: each one's items in order, kept a while after its last change.

Conversations sit in a dict ordered by their last change (a change moves one to the back). With
one retention for all, the front is both the next to expire and the least recently changed, which
is the one that goes first when the stored bytes pass the bound.
"""

from __future__ import annotations

import time
from typing import Any

from responsekit.store.protocols import ConversationKey, ConversationRecord, CursorNotFound
from responsekit.streaming.events import encode_json

# How many expired conversations one write may sweep: keeps each write's cost bounded.
_SWEEP_BATCH = 64


class _Items:
    """One conversation's items in the order they were added, indexed by id.

    A delete leaves a hole so the other items keep their positions (the index stays valid); the
    holes are squeezed out once they make up half the list. Each item's size is kept as it was
    counted, so the bound's total stays exact whatever happens to the item later.
    """

    __slots__ = ("slots", "at", "sizes", "holes")

    def __init__(self) -> None:
        self.slots: list[dict[str, Any] | None] = []
        self.at: dict[str, int] = {}
        self.sizes: dict[str, int] = {}
        self.holes = 0

    def add(self, item: dict[str, Any]) -> int:
        """Add ``item`` at the end; its size in bytes, or 0 if it has no string id or its id is
        already here (it is not added)."""
        item_id = item.get("id")
        if not isinstance(item_id, str) or item_id in self.at:
            return 0
        self.at[item_id] = len(self.slots)
        self.slots.append(item)
        size = self.sizes[item_id] = len(encode_json(item))
        return size

    def get(self, item_id: str) -> dict[str, Any] | None:
        index = self.at.get(item_id)
        return None if index is None else self.slots[index]

    def remove(self, item_id: str) -> int:
        """Remove an item; its size in bytes, or 0 if there is no such item."""
        index = self.at.pop(item_id, None)
        if index is None:
            return 0
        self.slots[index] = None
        self.holes += 1
        if self.holes * 2 > len(self.slots):
            self.slots = [kept for kept in self.slots if kept is not None]
            self.at = {kept["id"]: i for i, kept in enumerate(self.slots)}  # type: ignore[index]
            self.holes = 0
        return self.sizes.pop(item_id)

    def page(self, after: str | None, limit: int, order: str) -> tuple[list[dict[str, Any]], bool]:
        slots = self.slots
        step = 1 if order == "asc" else -1
        if after is None:
            index = 0 if step == 1 else len(slots) - 1
        else:
            at = self.at.get(after)
            if at is None:
                raise CursorNotFound(after)
            index = at + step
        page: list[dict[str, Any]] = []
        while 0 <= index < len(slots):
            item = slots[index]
            if item is not None:
                if len(page) >= limit:
                    return page, True
                page.append(item)
            index += step
        return page, False

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` items, oldest first."""
        newest, _ = self.page(None, limit, "desc")
        newest.reverse()
        return newest


class _Conversation:
    __slots__ = ("record", "items", "size", "expires_at")

    def __init__(self, record: ConversationRecord) -> None:
        self.record = record
        self.items = _Items()
        self.size = 0  # what it counts against the bound: its resource plus its items, as JSON
        self.expires_at = 0.0


class MemoryConversationStore:
    """Conversations of one process, bounded by retention and by the bytes of what they hold.

    A conversation expires ``retention_seconds`` after its last change (created, metadata updated,
    items added or deleted, or named by a create: ``ensure``). Past ``max_bytes``, the least
    recently changed conversations are dropped whole, oldest first, until the rest fit: a
    conversation that alone outgrows the bound is dropped too, never kept unbounded.
    """

    def __init__(self, retention_seconds: float, max_bytes: int) -> None:
        self._retention = retention_seconds
        self._max_bytes = max_bytes
        self._conversations: dict[ConversationKey, _Conversation] = {}
        #: What the conversations count against ``max_bytes``.
        self.stored_bytes = 0

    def __len__(self) -> int:
        return len(self._conversations)

    # -- bookkeeping ----------------------------------------------------------------------------------
    def _live(self, key: ConversationKey) -> _Conversation | None:
        conversation = self._conversations.get(key)
        if conversation is not None and conversation.expires_at <= time.monotonic():
            self._drop(key)  # sweeps are lazy: a read must not outlive the retention
            return None
        return conversation

    def _drop(self, key: ConversationKey) -> None:
        conversation = self._conversations.pop(key, None)
        if conversation is not None:
            self.stored_bytes -= conversation.size

    def _resize(self, conversation: _Conversation, delta: int) -> None:
        conversation.size += delta
        self.stored_bytes += delta

    def _changed(self, key: ConversationKey, conversation: _Conversation) -> None:
        """A change: the retention counts from now, the conversation moves to the back, and the
        bound is enforced from the front."""
        conversation.expires_at = time.monotonic() + self._retention
        conversations = self._conversations
        conversations.pop(key, None)
        conversations[key] = conversation
        while self.stored_bytes > self._max_bytes and conversations:
            self._drop(next(iter(conversations)))

    def _sweep(self) -> None:
        now = time.monotonic()
        conversations = self._conversations
        for _ in range(_SWEEP_BATCH):
            if not conversations:
                return
            oldest = next(iter(conversations))
            if conversations[oldest].expires_at > now:
                return
            self._drop(oldest)

    def _new(self, record: ConversationRecord) -> _Conversation:
        self._sweep()
        self._drop(record.key)  # a replaced conversation must not stay counted
        conversation = _Conversation(record)
        self._conversations[record.key] = conversation
        self._resize(conversation, len(encode_json(record.resource())))
        return conversation

    def _add(self, conversation: _Conversation, items: list[dict[str, Any]]) -> None:
        add = conversation.items.add
        self._resize(conversation, sum(add(item) for item in items))

    # -- ConversationStore ----------------------------------------------------------------------------
    async def create(self, conversation: ConversationRecord, items: list[dict[str, Any]]) -> None:
        made = self._new(conversation)
        self._add(made, items)
        self._changed(conversation.key, made)

    async def get(self, key: ConversationKey) -> ConversationRecord | None:
        conversation = self._live(key)
        return None if conversation is None else conversation.record

    async def ensure(self, key: ConversationKey, created_at: int) -> ConversationRecord:
        conversation = self._live(key) or self._new(ConversationRecord(key=key, created_at=created_at))
        self._changed(key, conversation)
        return conversation.record

    async def update_metadata(
        self, key: ConversationKey, metadata: dict[str, str]
    ) -> ConversationRecord | None:
        conversation = self._live(key)
        if conversation is None:
            return None
        record = conversation.record
        before = len(encode_json(record.resource()))
        record.metadata = dict(metadata)
        self._resize(conversation, len(encode_json(record.resource())) - before)
        self._changed(key, conversation)
        return record

    async def delete(self, key: ConversationKey) -> bool:
        present = self._live(key) is not None
        self._drop(key)
        return present

    async def append(self, key: ConversationKey, items: list[dict[str, Any]]) -> bool:
        conversation = self._live(key)
        if conversation is None:
            return False
        self._add(conversation, items)
        self._changed(key, conversation)
        return True

    async def list_items(
        self, key: ConversationKey, *, after: str | None, limit: int, order: str
    ) -> tuple[list[dict[str, Any]], bool] | None:
        conversation = self._live(key)
        if conversation is None:
            return None
        return conversation.items.page(after, limit, order)

    async def get_item(self, key: ConversationKey, item_id: str) -> dict[str, Any] | None:
        conversation = self._live(key)
        return None if conversation is None else conversation.items.get(item_id)

    async def delete_item(self, key: ConversationKey, item_id: str) -> bool:
        conversation = self._live(key)
        if conversation is None:
            return False
        size = conversation.items.remove(item_id)
        if not size:
            return False
        self._resize(conversation, -size)
        self._changed(key, conversation)
        return True

    async def recent_items(self, key: ConversationKey, limit: int) -> list[dict[str, Any]]:
        conversation = self._live(key)
        if conversation is None or limit <= 0:
            return []
        return conversation.items.recent(limit)
