"""The Redis conversation store against a real Redis, with several store instances as replicas.

- items keep the order they were added in, and an id is added once (also when replicas append at once);
- pages in both orders follow their cursors; history reads go a bounded page per round trip;
- deleting a conversation (or an item) leaves no key behind;
- the three keys of a conversation expire together, the retention after its last change, and a
  response running in the conversation keeps it alive across its lease renewals (and reaping);
- a conversation belongs to its isolation scope: the same id under another owner or chat key is
  another conversation, with keys of its own.
"""

from __future__ import annotations

import asyncio

import anyio
import pytest
import redis
from support.redis_support import TEST_DB
from support.servers import free_port

from responsekit.store import redis as redis_store
from responsekit.store.protocols import (
    ConversationKey,
    ConversationRecord,
    CursorNotFound,
    ResponseRecord,
    StoreUnavailable,
)
from responsekit.store.redis import RedisStore, conversation_scope

pytestmark = pytest.mark.anyio

WAIT = 10.0
KINDS = ("cv", "co", "ci")  # object, item order, items


def _sync() -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=6379, db=TEST_DB, socket_timeout=2)


def _redis_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


def _key(conversation_id: str = "conv_1", owner: str | None = "alice", chat_key: str | None = None):
    return ConversationKey(owner, chat_key, conversation_id)


def _keys(prefix: str, key: ConversationKey) -> list[str]:
    scope = conversation_scope(*key)
    return [f"{prefix}{kind}:{scope}" for kind in KINDS]


def _item(item_id: str, text: str | None = None) -> dict:
    content = [{"type": "input_text", "text": text or f"text of {item_id}"}]
    return {"type": "message", "id": item_id, "role": "user", "content": content}


def _ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


async def _new(store: RedisStore, key: ConversationKey, items: list[dict], metadata=None) -> None:
    await store.conversations.create(ConversationRecord(key, 1700000000, metadata or {}), items)


def _record(rid: str, key: ConversationKey) -> ResponseRecord:
    snapshot = {"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"}
    return ResponseRecord(
        response_id=rid,
        snapshot=snapshot,
        owner=key.owner,
        chat_key=key.chat_key,
        conversation_id=key.conversation_id,
    )


def _rid(name: str) -> str:
    return f"resp_{name:0>48}"


# -- order and de-duplication -----------------------------------------------------------------------
async def test_items_keep_their_order_and_an_id_is_added_once(stores):
    store = await stores()
    conversations, key = store.conversations, _key()
    await _new(store, key, [_item("a"), _item("b"), _item("a", "again")], {"topic": "x"})
    got = await conversations.get(key)
    assert got == ConversationRecord(key, 1700000000, {"topic": "x"})
    assert got.resource() == {
        "id": "conv_1",
        "object": "conversation",
        "created_at": 1700000000,
        "metadata": {"topic": "x"},
    }
    assert await conversations.append(key, [_item("c"), _item("b", "dup"), _item("d"), _item("c")])
    assert await conversations.append(key, [])
    items, more = await conversations.list_items(key, after=None, limit=100, order="asc")
    assert _ids(items) == ["a", "b", "c", "d"] and not more
    assert items[0] == _item("a")  # the first of an id stays, whole
    assert await conversations.get_item(key, "b") == _item("b")
    assert await conversations.get_item(key, "zz") is None
    # an item deleted and added again goes to the end
    assert await conversations.delete_item(key, "a")
    assert await conversations.append(key, [_item("a", "back")])
    assert _ids(await conversations.recent_items(key, 100)) == ["b", "c", "d", "a"]
    # a missing conversation: None / False, never an error
    missing = _key("conv_missing")
    assert await conversations.get(missing) is None
    assert not await conversations.append(missing, [_item("x")])
    assert await conversations.get(missing) is None  # appending did not create it
    assert await conversations.list_items(missing, after=None, limit=10, order="asc") is None
    assert await conversations.get_item(missing, "x") is None
    assert not await conversations.delete_item(missing, "x")
    assert await conversations.recent_items(missing, 10) == []
    assert await conversations.update_metadata(missing, {"a": "b"}) is None


async def test_ensure_creates_once_and_update_replaces_the_metadata(stores):
    store = await stores()
    conversations, key = store.conversations, _key("conv_ensure")
    made = await conversations.ensure(key, 111)
    assert made == ConversationRecord(key, 111, {})
    assert await conversations.update_metadata(key, {"a": "1"}) == ConversationRecord(key, 111, {"a": "1"})
    # ensure again: the stored conversation, not a new one
    assert await conversations.ensure(key, 222) == ConversationRecord(key, 111, {"a": "1"})
    assert await conversations.update_metadata(key, {"b": "2"}) == ConversationRecord(key, 111, {"b": "2"})
    assert (await conversations.get(key)).metadata == {"b": "2"}
    assert await conversations.recent_items(key, 10) == []
    assert await conversations.list_items(key, after=None, limit=10, order="desc") == ([], False)


# -- pages --------------------------------------------------------------------------------------------
async def test_pages_in_both_orders_follow_their_cursors(stores):
    store = await stores()
    conversations, key = store.conversations, _key("conv_pages")
    ids = [f"item_{n:02}" for n in range(23)]
    await _new(store, key, [_item(i) for i in ids[:10]])
    await conversations.append(key, [_item(i) for i in ids[10:]])
    for order, expected in (("asc", ids), ("desc", ids[::-1])):
        for limit in (1, 5, 7, 23, 100):
            seen: list[str] = []
            after = None
            while True:
                page, more = await conversations.list_items(key, after=after, limit=limit, order=order)
                assert len(page) <= limit
                seen += _ids(page)
                if not more:
                    break
                after = page[-1]["id"]
            assert seen == expected, (order, limit)
        # from any cursor: exactly the items after it in that order
        for position, cursor in enumerate(expected):
            page, more = await conversations.list_items(key, after=cursor, limit=4, order=order)
            assert _ids(page) == expected[position + 1 : position + 5]
            assert more == (position + 5 < len(expected))
    with pytest.raises(CursorNotFound):
        await conversations.list_items(key, after="item_99", limit=4, order="asc")
    assert await conversations.delete_item(key, "item_05")
    with pytest.raises(CursorNotFound):  # a deleted item is no cursor any more
        await conversations.list_items(key, after="item_05", limit=4, order="desc")
    page, _ = await conversations.list_items(key, after="item_07", limit=3, order="desc")
    assert _ids(page) == ["item_06", "item_04", "item_03"]  # the hole is skipped
    assert await conversations.list_items(key, after=None, limit=0, order="asc") == ([], True)
    with pytest.raises(ValueError):
        await conversations.list_items(key, after=None, limit=3, order="sideways")


async def test_history_reads_the_newest_items_a_bounded_page_per_round_trip(stores, monkeypatch):
    monkeypatch.setattr(redis_store, "CONVERSATION_PAGE_ITEMS", 3)
    store = await stores()
    conversations, key = store.conversations, _key("conv_recent")
    ids = [f"i{n:02}" for n in range(11)]
    await _new(store, key, [_item(i) for i in ids])
    sent: list[tuple] = []
    call = store._io.call

    def spy(args, response_id=None):
        sent.append(tuple(args))
        return call(args, response_id)

    monkeypatch.setattr(store._io, "call", spy)
    for limit in (0, 1, 2, 3, 4, 6, 10, 11, 50):
        sent.clear()
        assert _ids(await conversations.recent_items(key, limit)) == (ids[-limit:] if limit else []), limit
        fetched = [args for args in sent if args[0] == "HMGET"]
        assert all(len(args) - 2 <= 3 for args in fetched), fetched  # at most a page of items each
        assert sum(len(args) - 2 for args in fetched) == min(limit, len(ids))
    # a page of items goes out with the next page's ids: one round trip per page
    store2 = await stores()
    round_trips = 0
    roundtrip = store2._io._roundtrip

    async def count(commands):
        nonlocal round_trips
        round_trips += 1
        return await roundtrip(commands)

    monkeypatch.setattr(store2._io, "_roundtrip", count)
    assert _ids(await store2.conversations.recent_items(key, 9)) == ids[-9:]
    assert round_trips == 4  # ids; items + ids; items + ids; items


# -- delete -------------------------------------------------------------------------------------------
async def test_deleting_a_conversation_removes_every_key(stores, prefix):
    store = await stores()
    conversations, key = store.conversations, _key("conv_delete")
    await _new(store, key, [_item("a"), _item("b")], {"k": "v"})
    client = _sync()
    try:
        assert all(client.exists(name) for name in _keys(prefix, key))
        assert await conversations.delete_item(key, "a")
        assert not await conversations.delete_item(key, "a")
        assert client.zrange(_keys(prefix, key)[1], 0, -1) == [b"b"]
        assert client.hkeys(_keys(prefix, key)[2]) == [b"b"]
        assert await conversations.delete(key)
        assert not any(client.exists(name) for name in _keys(prefix, key))
        assert not await conversations.delete(key)
        assert await conversations.get(key) is None
        assert await conversations.get_item(key, "b") is None
        # created again under the same id: a new, empty conversation
        await conversations.ensure(key, 5)
        assert await conversations.list_items(key, after=None, limit=10, order="asc") == ([], False)
    finally:
        client.close()


# -- retention ----------------------------------------------------------------------------------------
async def test_every_key_expires_the_retention_after_the_last_change(stores, prefix):
    store = await stores(conversation_retention_seconds=100)
    conversations, key = store.conversations, _key("conv_ttl")
    names = _keys(prefix, key)
    client = _sync()

    def ttls() -> list[int]:
        return [client.pttl(name) for name in names]

    def age() -> None:  # as if time passed since the last change
        for name in names:
            client.pexpire(name, 5_000)

    def fresh() -> bool:
        values = ttls()
        return all(95_000 < ttl <= 100_000 for ttl in values) and max(values) - min(values) < 1_000

    try:
        await _new(store, key, [_item("a"), _item("b")])
        assert fresh(), ttls()
        changes = [
            lambda: conversations.append(key, [_item("c")]),
            lambda: conversations.update_metadata(key, {"m": "1"}),
            lambda: conversations.delete_item(key, "a"),
            lambda: conversations.ensure(key, 0),  # a response about to run in it counts as a use
        ]
        for change in changes:
            age()
            assert all(0 < ttl <= 5_000 for ttl in ttls())
            await change()
            assert fresh(), ttls()
        # reads change nothing
        age()
        await conversations.get(key)
        await conversations.list_items(key, after=None, limit=10, order="asc")
        await conversations.recent_items(key, 10)
        await conversations.get_item(key, "b")
        assert all(0 < ttl <= 5_000 for ttl in ttls())
        # the first append to an empty conversation: its new keys expire with its object
        empty = _key("conv_empty")
        await conversations.ensure(empty, 0)
        assert [client.exists(name) for name in _keys(prefix, empty)] == [1, 0, 0]
        await conversations.append(empty, [_item("x")])
        assert all(95_000 < client.pttl(name) <= 100_000 for name in _keys(prefix, empty))
    finally:
        client.close()


async def test_a_running_response_keeps_its_conversation_across_lease_renewals(stores, prefix):
    # renewed every 0.1 s; without them the conversation would be gone long before the loop ends
    store = await stores(conversation_retention_seconds=0.2, lease_seconds=0.3)
    key = _key("conv_long")
    await _new(store, key, [_item("before")])
    running = _record(_rid("long"), key)
    await store.create_with_log(running)
    release = store.records.hold(running.response_id)
    names = _keys(prefix, key)
    client = _sync()
    try:
        started = client.time()[0]
        with anyio.fail_after(WAIT):
            while client.time()[0] < started + 2:
                assert all(client.exists(name) for name in names), "the conversation expired while in use"
                await asyncio.sleep(0.05)
        # it ends: its items join the conversation, which then lives the retention (plus at most
        # the two leases its run kept) and goes
        assert await store.records.finish(running.response_id, {**running.snapshot, "status": "completed"})
        assert await store.conversations.append(key, [_item("answer")])
        release()
        assert _ids(await store.conversations.recent_items(key, 10)) == ["before", "answer"]
        assert all(0 < client.pttl(name) <= 200 + 2 * 300 for name in names)
        with anyio.fail_after(WAIT):
            while any(client.exists(name) for name in names):
                await asyncio.sleep(0.05)
    finally:
        client.close()


async def test_a_conversation_outlives_a_response_a_reaper_ended_by_its_retention(stores, prefix):
    crashed = await stores(conversation_retention_seconds=5.0, lease_seconds=0.3)
    survivor = await stores(conversation_retention_seconds=5.0, lease_seconds=0.3)
    key = _key("conv_reaped")
    await _new(crashed, key, [_item("before")])
    record = _record(_rid("reaped"), key)
    client = _sync()
    try:
        created = _redis_ms(client)
        await crashed.create_with_log(record)  # never held: its replica "died" at once
        with anyio.fail_after(WAIT):
            while (await survivor.records.get(record.response_id)).status != "failed":  # a reaper ended it
                await asyncio.sleep(0.02)
        # creating the response kept the conversation its retention beyond the lease's end
        now = _redis_ms(client)
        for name in _keys(prefix, key):
            assert created + 300 + 5_000 <= now + client.pttl(name) <= now + 5_000 + 2 * 300
        assert _ids(await survivor.conversations.recent_items(key, 10)) == ["before"]
    finally:
        client.close()


# -- replicas -----------------------------------------------------------------------------------------
async def test_replicas_on_one_prefix_share_a_conversation_and_never_lose_an_append(stores):
    a, b = await stores(), await stores()
    key = _key("conv_shared")
    await _new(a, key, [_item("first")], {"by": "a"})
    assert await b.conversations.get(key) == ConversationRecord(key, 1700000000, {"by": "a"})
    assert await b.conversations.append(key, [_item("from_b")])
    assert await a.conversations.update_metadata(key, {"by": "both"})
    assert (await b.conversations.get(key)).metadata == {"by": "both"}
    assert _ids(await a.conversations.recent_items(key, 10)) == ["first", "from_b"]
    # both replicas append at once, partly the same ids: each id once, one order for everybody
    batches = [
        (store, [_item(f"{name}{n}") for n in range(5)] + [_item(f"both{n}") for n in range(3)])
        for store, name in ((a, "a"), (b, "b"))
        for _ in range(3)
    ]
    with anyio.fail_after(WAIT):
        assert all(await asyncio.gather(*(s.conversations.append(key, items) for s, items in batches)))
    seen_a, more = await a.conversations.list_items(key, after=None, limit=100, order="asc")
    seen_b, _ = await b.conversations.list_items(key, after=None, limit=100, order="asc")
    assert seen_a == seen_b and not more
    expected = (
        {"first", "from_b"} | {f"{x}{n}" for x in "ab" for n in range(5)} | {f"both{n}" for n in range(3)}
    )
    assert sorted(_ids(seen_a)) == sorted(expected)
    assert await b.conversations.delete(key)
    assert await a.conversations.get(key) is None


# -- isolation ----------------------------------------------------------------------------------------
async def test_the_same_id_under_another_owner_or_chat_key_is_another_conversation(stores, prefix):
    a, b = await stores(), await stores()
    scopes = [("alice", None), ("bob", None), (None, None), ("alice", "chat-1")]
    keys = [_key("conv_x", owner, chat) for owner, chat in scopes]
    for n, key in enumerate(keys):
        await _new(a, key, [_item(f"mine{n}")], {"n": str(n)})
    for n, key in enumerate(keys):
        assert (await b.conversations.get(key)).metadata == {"n": str(n)}
        assert _ids(await b.conversations.recent_items(key, 10)) == [f"mine{n}"]
        assert await b.conversations.get_item(key, f"mine{(n + 1) % len(keys)}") is None
        with pytest.raises(CursorNotFound):  # another scope's item is no cursor here
            await b.conversations.list_items(key, after=f"mine{(n + 1) % len(keys)}", limit=5, order="asc")
    client = _sync()
    try:
        names = [name for key in keys for name in _keys(prefix, key)]
        assert len(set(names)) == len(names)
        assert all(client.exists(name) for name in names)
        assert not client.keys(f"{prefix}*conv_x*")  # nothing keyed by the bare id
        # changing one scope's conversation leaves the others as they were
        assert not await b.conversations.delete_item(keys[1], "mine0")
        assert await b.conversations.delete(keys[0])
        for n, key in enumerate(keys[1:], start=1):
            assert _ids(await a.conversations.recent_items(key, 10)) == [f"mine{n}"]
    finally:
        client.close()


# -- failures -----------------------------------------------------------------------------------------
async def test_a_store_out_of_reach_raises_store_unavailable():
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", key_prefix="t:", connect_timeout=0.5)
    key = _key()
    try:
        with anyio.fail_after(WAIT):
            for call in (
                lambda: store.conversations.get(key),
                lambda: store.conversations.ensure(key, 1),
                lambda: store.conversations.append(key, [_item("a")]),
                lambda: store.conversations.list_items(key, after=None, limit=5, order="asc"),
                lambda: store.conversations.recent_items(key, 5),
                lambda: store.conversations.delete(key),
            ):
                with pytest.raises(StoreUnavailable):
                    await call()
    finally:
        await store.close()
