"""The memory store's conversations: retention from the last change, and a byte bound that drops the
least recently changed conversations first (never grows without limit)."""

from __future__ import annotations

import asyncio

import pytest

from responsekit.store import memory_conversations
from responsekit.store.memory import MemoryStore
from responsekit.store.memory_conversations import MemoryConversationStore
from responsekit.store.protocols import ConversationKey, ConversationRecord


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(memory_conversations.time, "monotonic", fake)
    return fake


def _key(name: str) -> ConversationKey:
    return ConversationKey("alice", None, name)


def _item(item_id: str, text: str = "x") -> dict:
    return {
        "id": item_id,
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": text}],
    }


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_conversation_expires_its_retention_after_its_last_change(clock):
    store = MemoryConversationStore(retention_seconds=100, max_bytes=10**9)

    async def scenario() -> None:
        await store.create(ConversationRecord(key=_key("a"), created_at=1), [_item("m1")])
        clock.now += 90
        assert await store.get(_key("a")) is not None  # a read is not a change
        clock.now += 9
        assert await store.append(_key("a"), [_item("m2")])  # a change: 100 more seconds from now
        clock.now += 99
        assert await store.recent_items(_key("a"), 10) == [_item("m1"), _item("m2")]
        clock.now += 1
        assert await store.get(_key("a")) is None
        assert store.stored_bytes == 0 and len(store) == 0

    run(scenario())


@pytest.mark.parametrize("change", ["ensure", "update_metadata", "delete_item"])
def test_every_change_renews_the_retention(clock, change):
    store = MemoryConversationStore(retention_seconds=100, max_bytes=10**9)

    async def scenario() -> None:
        await store.create(ConversationRecord(key=_key("a"), created_at=1), [_item("m1"), _item("m2")])
        clock.now += 60
        if change == "ensure":  # a create naming the conversation keeps it alive while it runs
            await store.ensure(_key("a"), 2)
        elif change == "update_metadata":
            await store.update_metadata(_key("a"), {"k": "v"})
        else:
            assert await store.delete_item(_key("a"), "m1")
        clock.now += 60
        assert await store.get(_key("a")) is not None

    run(scenario())


def test_expired_conversations_are_swept_by_later_writes(clock):
    store = MemoryConversationStore(retention_seconds=10, max_bytes=10**9)

    async def scenario() -> None:
        for name in ("a", "b", "c"):
            await store.create(ConversationRecord(key=_key(name), created_at=1), [_item("m", "x" * 100)])
        clock.now += 11
        await store.ensure(_key("d"), 1)
        assert len(store) == 1  # nobody read a, b or c: the write swept them

    run(scenario())


def test_over_the_byte_bound_the_least_recently_changed_go_first(clock):
    store = MemoryConversationStore(retention_seconds=1000, max_bytes=3000)

    async def scenario() -> None:
        for name in ("a", "b", "c"):
            await store.create(
                ConversationRecord(key=_key(name), created_at=1), [_item(f"{name}1", "x" * 600)]
            )
        await store.append(_key("a"), [_item("a2", "x" * 100)])  # a is now the most recently changed
        assert len(store) == 3 and store.stored_bytes <= 3000
        await store.append(_key("c"), [_item("c2", "x" * 900)])
        assert await store.get(_key("b")) is None  # the least recently changed went first
        assert await store.get(_key("a")) is not None and await store.get(_key("c")) is not None
        assert store.stored_bytes <= 3000

    run(scenario())


def test_a_conversation_that_alone_outgrows_the_bound_is_dropped(clock):
    store = MemoryConversationStore(retention_seconds=1000, max_bytes=2000)

    async def scenario() -> None:
        await store.ensure(_key("big"), 1)
        for i in range(10):
            await store.append(_key("big"), [_item(f"m{i}", "x" * 150)])
        assert await store.get(_key("big")) is None
        assert store.stored_bytes <= 2000

    run(scenario())


def test_the_byte_count_is_exact_through_every_change(clock):
    store = MemoryConversationStore(retention_seconds=1000, max_bytes=10**9)

    async def scenario() -> None:
        item = _item("m1", "hello")
        await store.create(ConversationRecord(key=_key("a"), created_at=1), [item, _item("m2")])
        item["content"][0]["text"] = "changed afterwards, much longer than before"  # counted as it was
        await store.append(_key("a"), [_item("m2"), _item("m3")])  # m2 is not added twice
        await store.update_metadata(_key("a"), {"k": "v" * 300})
        assert await store.delete_item(_key("a"), "m1")
        assert await store.delete_item(_key("a"), "m3")
        await store.update_metadata(_key("a"), {})
        assert await store.delete_item(_key("a"), "m2")
        empty = MemoryConversationStore(retention_seconds=1000, max_bytes=10**9)
        await empty.ensure(_key("a"), 1)
        assert store.stored_bytes == empty.stored_bytes  # back to the bare conversation
        assert await store.delete(_key("a"))
        assert store.stored_bytes == 0

    run(scenario())


def test_the_memory_store_wires_its_conversations_to_its_options():
    store = MemoryStore(max_stored_bytes=12345, conversation_retention_seconds=7.0)
    assert isinstance(store.conversations, MemoryConversationStore)
    assert store.conversations._max_bytes == 12345 and store.conversations._retention == 7.0
