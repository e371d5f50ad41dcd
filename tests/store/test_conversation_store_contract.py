"""The conversation store contract: the same cases against every store responsekit ships.

Only ``Store.conversations`` (the ``ConversationStore`` protocol) is used: conversations scoped by
(owner, chat key, id), their metadata, and their items in order, each id once.
"""

from __future__ import annotations

import secrets

import pytest

from responsekit.store.protocols import (
    ConversationKey,
    ConversationRecord,
    ConversationStore,
    CursorNotFound,
    Store,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def conversations(store: Store) -> ConversationStore:
    assert isinstance(store.conversations, ConversationStore)
    return store.conversations


def _key(owner: str | None = "alice", chat_key: str | None = None, conversation_id: str | None = None):
    return ConversationKey(owner, chat_key, conversation_id or f"conv_{secrets.token_hex(12)}")


def _message(text: str, item_id: str | None = None) -> dict:
    return {
        "id": item_id or f"msg_{secrets.token_hex(12)}",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_text", "text": text}],
    }


async def _made(conversations: ConversationStore, count: int, **key_fields) -> tuple[ConversationKey, list]:
    key = _key(**key_fields)
    items = [_message(f"item {i}") for i in range(count)]
    await conversations.create(ConversationRecord(key=key, created_at=1_700_000_000), items)
    return key, items


def _ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


# -- conversations --------------------------------------------------------------------------------------
async def test_a_created_conversation_reads_back_as_it_was_made(conversations):
    key = _key()
    record = ConversationRecord(key=key, created_at=1_700_000_123, metadata={"topic": "ünïcode ✓", "n": "1"})
    items = [
        _message("first ✓"),
        {"id": "fc_1", "type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
    ]
    await conversations.create(record, items)
    got = await conversations.get(key)
    assert got is not None and got.key == key
    assert got.resource() == {
        "id": key.conversation_id,
        "object": "conversation",
        "created_at": 1_700_000_123,
        "metadata": {"topic": "ünïcode ✓", "n": "1"},
    }
    assert await conversations.list_items(key, after=None, limit=100, order="asc") == (items, False)


async def test_an_unknown_conversation_is_none_or_false_everywhere(conversations):
    key = _key()
    assert await conversations.get(key) is None
    assert await conversations.update_metadata(key, {"a": "b"}) is None
    assert await conversations.delete(key) is False
    assert await conversations.append(key, [_message("x")]) is False
    assert await conversations.list_items(key, after=None, limit=20, order="desc") is None
    assert await conversations.get_item(key, "msg_1") is None
    assert await conversations.delete_item(key, "msg_1") is False
    assert await conversations.recent_items(key, 10) == []
    assert await conversations.get(key) is None  # none of it created the conversation


async def test_a_conversation_is_scoped_by_owner_and_chat_key(conversations):
    key, items = await _made(conversations, 2)
    for other in (
        key._replace(owner="bob"),
        key._replace(owner=None),
        key._replace(owner="ALICE"),
        key._replace(chat_key="chat-1"),
    ):
        assert await conversations.get(other) is None, other
        assert await conversations.list_items(other, after=None, limit=20, order="asc") is None
        assert await conversations.get_item(other, items[0]["id"]) is None
        assert await conversations.delete_item(other, items[0]["id"]) is False
        assert await conversations.delete(other) is False
        assert await conversations.append(other, [_message("intruder")]) is False
        # ensure in another scope makes another, empty conversation with the same id
        made = await conversations.ensure(other, 5)
        assert made.key == other and made.created_at == 5
        assert await conversations.recent_items(other, 10) == []
    assert await conversations.recent_items(key, 10) == items  # the owner's is untouched


async def test_ensure_creates_once_and_keeps_what_exists(conversations):
    key = _key(chat_key="chat")
    made = await conversations.ensure(key, 1_700_000_000)
    assert made.resource() == {
        "id": key.conversation_id,
        "object": "conversation",
        "created_at": 1_700_000_000,
        "metadata": {},
    }
    assert await conversations.update_metadata(key, {"k": "v"}) is not None
    assert await conversations.append(key, [item := _message("kept")])
    again = await conversations.ensure(key, 1_800_000_000)
    assert again.created_at == 1_700_000_000 and again.metadata == {"k": "v"}
    assert await conversations.recent_items(key, 10) == [item]


async def test_update_metadata_replaces_it(conversations):
    key = _key()
    await conversations.create(ConversationRecord(key=key, created_at=1, metadata={"a": "1", "b": "2"}), [])
    updated = await conversations.update_metadata(key, {"c": "3"})
    assert updated is not None and updated.metadata == {"c": "3"}
    assert (await conversations.get(key)).metadata == {"c": "3"}
    assert (await conversations.update_metadata(key, {})).metadata == {}
    assert (await conversations.get(key)).created_at == 1


async def test_delete_takes_the_items_with_it(conversations):
    key, items = await _made(conversations, 3)
    assert await conversations.delete(key) is True
    assert await conversations.get(key) is None
    assert await conversations.get_item(key, items[0]["id"]) is None
    assert await conversations.recent_items(key, 10) == []
    assert await conversations.delete(key) is False
    # the same id made again starts empty
    await conversations.ensure(key, 2)
    assert await conversations.list_items(key, after=None, limit=20, order="asc") == ([], False)


# -- items ----------------------------------------------------------------------------------------------
async def test_items_keep_their_order_and_each_id_once(conversations):
    key, first = await _made(conversations, 2)
    more = [_message("three"), _message("four")]
    repeated = {**first[0], "content": [{"type": "input_text", "text": "changed"}]}
    assert await conversations.append(key, [repeated, more[0], more[0], more[1]]) is True
    expected = [*first, *more]
    assert await conversations.list_items(key, after=None, limit=100, order="asc") == (expected, False)
    assert await conversations.get_item(key, first[0]["id"]) == first[0]  # the first one stays
    assert await conversations.append(key, []) is True
    assert await conversations.recent_items(key, 100) == expected


async def test_create_with_repeated_item_ids_keeps_the_first(conversations):
    key = _key()
    item = _message("one", "msg_same")
    await conversations.create(ConversationRecord(key=key, created_at=1), [item, _message("two", "msg_same")])
    assert await conversations.recent_items(key, 10) == [item]


async def test_list_items_pages_in_both_orders(conversations):
    key, items = await _made(conversations, 7)
    ids = _ids(items)
    page, more = await conversations.list_items(key, after=None, limit=3, order="asc")
    assert (_ids(page), more) == (ids[:3], True)
    page, more = await conversations.list_items(key, after=ids[2], limit=3, order="asc")
    assert (_ids(page), more) == (ids[3:6], True)
    page, more = await conversations.list_items(key, after=ids[5], limit=3, order="asc")
    assert (_ids(page), more) == (ids[6:], False)
    page, more = await conversations.list_items(key, after=ids[6], limit=3, order="asc")
    assert (page, more) == ([], False)
    # desc: newest first, `after` walks towards the oldest
    page, more = await conversations.list_items(key, after=None, limit=4, order="desc")
    assert (_ids(page), more) == (ids[::-1][:4], True)
    page, more = await conversations.list_items(key, after=ids[3], limit=4, order="desc")
    assert (_ids(page), more) == (ids[2::-1], False)
    # exactly the rest: no more
    page, more = await conversations.list_items(key, after=ids[3], limit=3, order="asc")
    assert (_ids(page), more) == (ids[4:], False)


async def test_list_items_with_an_unknown_cursor_raises(conversations):
    key, _ = await _made(conversations, 2)
    for order in ("asc", "desc"):
        with pytest.raises(CursorNotFound):
            await conversations.list_items(key, after="msg_unknown", limit=10, order=order)


async def test_delete_item_removes_it_from_every_read(conversations):
    key, items = await _made(conversations, 4)
    gone = items[1]["id"]
    assert await conversations.delete_item(key, gone) is True
    assert await conversations.delete_item(key, gone) is False
    assert await conversations.get_item(key, gone) is None
    rest = [items[0], *items[2:]]
    assert await conversations.list_items(key, after=None, limit=10, order="asc") == (rest, False)
    assert await conversations.recent_items(key, 2) == items[2:]
    with pytest.raises(CursorNotFound):
        await conversations.list_items(key, after=gone, limit=10, order="asc")
    page, _ = await conversations.list_items(key, after=items[0]["id"], limit=10, order="asc")
    assert page == items[2:]
    # a deleted id may be added again, at the end
    assert await conversations.append(key, [items[1]])
    assert _ids(await conversations.recent_items(key, 10)) == [*_ids(rest), gone]


async def test_many_deletes_keep_order_and_cursors(conversations):
    key, items = await _made(conversations, 40)
    for item in items[::2]:
        assert await conversations.delete_item(key, item["id"])
    kept = items[1::2]
    pages, after, more = [], None, True
    while more:
        page, more = await conversations.list_items(key, after=after, limit=3, order="desc")
        pages.extend(page)
        after = page[-1]["id"] if page else None
    assert pages == kept[::-1]
    assert await conversations.recent_items(key, 5) == kept[-5:]


async def test_recent_items_are_the_newest_oldest_first(conversations):
    key, items = await _made(conversations, 5)
    assert await conversations.recent_items(key, 3) == items[2:]
    assert await conversations.recent_items(key, 100) == items
    assert await conversations.recent_items(key, 0) == []


async def test_items_round_trip_as_json(conversations):
    key = _key()
    item = {
        "id": "fco_1",
        "type": "function_call_output",
        "call_id": "call_1",
        "output": '{"temperature": 21.5, "note": "sunny ☀"}',
        "status": "completed",
        "nested": {"list": [1, 2.5, None, True, "x"]},
    }
    await conversations.ensure(key, 1)
    assert await conversations.append(key, [item])
    assert await conversations.get_item(key, "fco_1") == item
