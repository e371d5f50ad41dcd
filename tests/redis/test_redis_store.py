"""The Redis store's concerns against a real Redis, with several store instances as replicas.

Each test's stores share one key prefix of their own (see conftest.py); a store reads another's
writes only through Redis (its local copy of a log exists only for the responses it opened).
"""

from __future__ import annotations

import asyncio

import anyio
import httpx
import pytest
import redis
from support.polling import apoll
from support.redis_support import TEST_DB, delete_keys, new_prefix
from support.sse import check_complete_stream, parse_frame, parse_sse

from responsekit.server.runner import FAILURE_MESSAGES
from responsekit.store.protocols import ConversationKey, LogEntry, ResponseRecord, StoreUnavailable
from responsekit.store.redis import RedisStore, conversation_scope
from responsekit.streaming.events import encode_json, sse_frame

pytestmark = pytest.mark.anyio

WAIT = 10.0


def _sync(db: int = TEST_DB) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=6379, db=db, socket_timeout=2)


def _redis_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


def _record(rid: str, **fields) -> ResponseRecord:
    snapshot = {"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"}
    return ResponseRecord(
        response_id=rid,
        snapshot=snapshot,
        input_items=[
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": f"hi {rid}"}]}
        ],
        owner="alice",
        **fields,
    )


def _frame(seq: int, text: str = "tok") -> bytes:
    payload = {"type": "response.output_text.delta", "delta": f'{text} ✓ "{seq}"', "sequence_number": seq}
    return sse_frame("response.output_text.delta", encode_json(payload))


def _terminal(seq: int, status: str = "completed") -> tuple[dict, bytes]:
    snapshot = {"id": "x", "object": "response", "status": status, "output": []}
    payload = {"type": "response.completed", "response": snapshot, "sequence_number": seq}
    return snapshot, sse_frame("response.completed", encode_json(payload))


async def _collect(iterator, *, keep_alives: bool = False) -> list[bytes]:
    frames: list[bytes] = []
    with anyio.fail_after(WAIT):
        async for batch in iterator:
            if batch or keep_alives:
                frames.extend(batch)
    return frames


def _rid(n: int | str) -> str:
    return f"resp_{n:0>48}"


# -- records ----------------------------------------------------------------------------------------
async def test_a_record_created_on_one_replica_reads_the_same_on_another(stores, prefix):
    a, b = await stores(), await stores()
    record = _record(
        _rid(1),
        chat_key="chat",
        background=True,
        stream=True,
        previous_response_id=None,
        conversation_id="conv_1",
        created_at=1234.5,
    )
    await a.records.create(record)
    seen = await b.records.get(record.response_id)
    assert seen == record
    assert await b.records.get(_rid(2)) is None
    # the in-flight snapshot reaches the other replica; the terminal one replaces it once only
    await a.records.save_snapshot(record.response_id, {**record.snapshot, "output": [{"id": "msg_1"}]})
    assert await a.records.finish(record.response_id, {**record.snapshot, "status": "completed"})
    await a.records.save_snapshot(record.response_id, {**record.snapshot, "status": "in_progress"})
    done = await b.records.get(record.response_id)
    assert done.finished and done.status == "completed"
    assert await b.records.delete(record.response_id)
    assert await a.records.get(record.response_id) is None
    assert not await b.records.delete(record.response_id)


async def test_retention_is_a_redis_ttl_that_starts_when_the_response_ends(stores, prefix):
    a = await stores(
        response_retention_seconds=300, event_log_retention_seconds=120, conversation_retention_seconds=600
    )
    rid = _rid(3)
    conversation = await a.conversations.ensure(ConversationKey("alice", None, "conv_ttl"), 1)
    await a.records.create(_record(rid, conversation_id="conv_ttl"))
    await a.events.open(rid)
    client = _sync()
    try:
        # running: nothing expires under it (its lease bounds it instead)
        assert client.pttl(f"{prefix}r:{rid}") == -1
        assert client.pttl(f"{prefix}l:{rid}") == -1
        assert client.zscore(f"{prefix}leases", rid) is not None
        await a.events.append(rid, [LogEntry(0, _frame(0))])
        assert await a.records.finish(rid, {"id": rid, "status": "completed", "output": []})
        await a.events.append(rid, [LogEntry(1, _terminal(1)[1])], close=True)
        await a._io.drain(WAIT)
        assert 290_000 < client.pttl(f"{prefix}r:{rid}") <= 300_000
        assert 110_000 < client.pttl(f"{prefix}l:{rid}") <= 120_000
        # the conversation lives its own retention (plus the leases its running response had)
        scope = conversation_scope(*conversation.key)
        assert 590_000 < client.pttl(f"{prefix}cv:{scope}") <= 600_000 + 2 * 10_000
        assert client.zscore(f"{prefix}leases", rid) is None  # the lease went with the terminal state
    finally:
        client.close()


async def test_finish_is_one_compare_and_set_across_replicas(stores):
    a, b = await stores(), await stores()
    ids = [_rid(f"cas{i}") for i in range(20)]
    for rid in ids:
        await a.records.create(_record(rid))
    results = await asyncio.gather(
        *(
            store.records.finish(rid, {"id": rid, "status": status, "output": []})
            for rid in ids
            for store, status in ((a, "completed"), (b, "cancelled"))
        )
    )
    # Above, each replica's commands go out as one pipelined batch: one replica may well win them all.
    # Below, one response at a time with the replicas taking turns to send first (a controlled
    # interleaving: both finishes are in flight together, the first one queued reaches Redis first),
    # so each replica both wins and loses, and both outcomes below are checked.
    turns = [_rid(f"turn{i}") for i in range(10)]
    for rid in turns:
        await a.records.create(_record(rid))
    for i, rid in enumerate(turns):
        order = ((a, "completed"), (b, "cancelled"))[:: 1 if i % 2 == 0 else -1]
        outcome = await asyncio.gather(
            *(
                store.records.finish(rid, {"id": rid, "status": status, "output": []})
                for store, status in order
            )
        )
        results += outcome[:: 1 if i % 2 == 0 else -1]  # back to (a, b)
    wins = {"a": 0, "b": 0}
    for i, rid in enumerate(ids + turns):
        won_a, won_b = results[2 * i], results[2 * i + 1]
        assert won_a != won_b, rid
        wins["a" if won_a else "b"] += 1
        assert (await b.records.get(rid)).status == ("completed" if won_a else "cancelled")
    assert wins["a"] >= 1 and wins["b"] >= 1, wins  # both branches ran


async def test_history_follows_the_previous_chain_from_any_replica(stores):
    a, b = await stores(), await stores()
    first, second = _record(_rid("h1")), _record(_rid("h2"), previous_response_id=_rid("h1"))
    third = _record(_rid("h3"), previous_response_id=_rid("h2"))
    for record in (first, second):
        await a.records.create(record)
        await a.records.finish(
            record.response_id,
            {
                **record.snapshot,
                "status": "completed",
                "output": [{"type": "message", "id": "o" + record.response_id}],
            },
        )
    history = await b.records.history(third, limit=100)
    assert [item.get("id") for item in history] == [
        None,
        "o" + first.response_id,
        None,
        "o" + second.response_id,
    ]
    assert len(await b.records.history(third, limit=1)) == 1
    # a conversation's history is its items (the conversation store), not the records made in it
    c1, c2 = _record(_rid("c1"), conversation_id="conv_h"), _record(_rid("c2"), conversation_id="conv_h")
    await a.records.create(c1)
    await b.records.create(c2)
    assert await b.records.history(c2, limit=100) == []


# -- the event log ----------------------------------------------------------------------------------
async def test_replay_on_another_replica_is_byte_identical_from_every_cursor(stores):
    a, b = await stores(), await stores()
    rid = _rid("replay")
    await a.records.create(_record(rid))
    await a.events.open(rid)
    frames = [_frame(i, "x" * (i % 7)) for i in range(40)]
    position = 0
    for size in (1, 3, 7, 1, 12, 2, 9, 5):  # batches of several frames share one stream entry
        await a.events.append(rid, [LogEntry(i, frames[i]) for i in range(position, position + size)])
        position += size
        await asyncio.sleep(0)
    assert await a.records.finish(rid, {"id": rid, "status": "completed", "output": []})
    terminal = _terminal(position)[1]
    await a.events.append(rid, [LogEntry(position, terminal)], close=True)
    frames.append(terminal)
    await a._io.drain(WAIT)
    for after in range(-1, len(frames) + 2):
        assert await _collect(await b.events.read(rid, after, None)) == frames[after + 1 :], after
    # the replica that wrote it reads the same bytes from Redis once its run is over
    assert await _collect(await a.events.read(rid, 10, None)) == frames[11:]
    with pytest.raises(KeyError):
        await b.events.read(_rid("nolog"), -1, None)


async def test_a_reader_on_another_replica_tails_live_without_gap_or_duplicate(stores):
    a, b = await stores(), await stores()
    rid = _rid("tail")
    await a.records.create(_record(rid))
    await a.events.open(rid)
    readers = [asyncio.ensure_future(_collect(await b.events.read(rid, after, 0.05))) for after in (-1, 5)]
    local = asyncio.ensure_future(_collect(await a.events.read(rid, -1, None)))
    frames = []
    for seq in range(150):
        frames.append(_frame(seq))
        await a.events.append(rid, [LogEntry(seq, frames[-1])])
        if seq % 10 == 0:
            await asyncio.sleep(0.01)  # let batches go out one by one, so readers really tail
    await a.records.finish(rid, {"id": rid, "status": "completed", "output": []})
    frames.append(_terminal(150)[1])
    await a.events.append(rid, [LogEntry(150, frames[-1])], close=True)
    remote_all, remote_from_5 = await asyncio.gather(*readers)
    assert remote_all == frames
    assert remote_from_5 == frames[6:]
    assert await local == frames


async def test_an_idle_tail_sends_keep_alives_and_stops_when_the_log_is_deleted(stores):
    a, b = await stores(), await stores()
    rid = _rid("idle")
    await a.records.create(_record(rid))
    await a.events.open(rid)
    await a.events.append(rid, [LogEntry(0, _frame(0))])
    await a._io.drain(WAIT)
    reader = await b.events.read(rid, -1, 0.05)
    batches = []
    with anyio.fail_after(WAIT):
        async for batch in reader:
            batches.append(batch)
            if batches.count([]) == 2:
                await a.events.delete(rid)
    assert batches[0] == [_frame(0)] and batches.count([]) >= 2


async def test_appends_after_the_log_is_closed_are_refused(stores):
    a, b = await stores(), await stores()
    rid = _rid("closed")
    await a.events.open(rid)
    await a.events.append(rid, [LogEntry(0, _frame(0))])
    await a.events.append(rid, [LogEntry(1, _terminal(1)[1])], close=True)
    await a._io.drain(WAIT)
    # another writer (say, a worker declared lost that comes back) cannot add to a closed log
    await b.events.append(rid, [LogEntry(2, _frame(2))])
    await b._io.drain(WAIT)
    assert await _collect(await b.events.read(rid, -1, None)) == [_frame(0), _terminal(1)[1]]


# -- cancel signals ---------------------------------------------------------------------------------
async def test_a_cancel_requested_on_one_replica_reaches_the_subscriber_on_another_within_a_second(stores):
    a, b = await stores(), await stores()
    received = asyncio.Event()
    unsubscribe = a.cancels.subscribe(_rid("cancel"), received.set)
    with anyio.fail_after(1.0):
        await b.cancels.request(_rid("cancel"))
        await received.wait()
    unsubscribe()
    received.clear()
    await b.cancels.request(_rid("cancel"))  # nobody listens any more: nothing happens
    await b._io.drain(WAIT)
    assert not received.is_set()


# -- leases -----------------------------------------------------------------------------------------
async def _until_reaped(store: RedisStore, rid: str) -> None:
    async def reaped() -> bool:
        return rid in await store.reap_expired()

    await apoll(reaped, timeout=WAIT, interval=0.02, what=f"{rid} reaped")


async def _until_leases_expired(client: redis.Redis, key_prefix: str) -> None:
    """Until no lease under ``key_prefix`` is still running (the Redis clock decides)."""
    await apoll(
        lambda: not client.zcount(f"{key_prefix}leases", f"({_redis_ms(client)}", "+inf"),
        timeout=WAIT,
        interval=0.02,
        what="every lease expired",
    )


async def test_a_lost_worker_is_failed_once_its_lease_expires_and_tailing_readers_wake(stores):
    worker = await stores(lease_seconds=0.6)
    reaper, watcher = await stores(), await stores()
    rid = _rid("lost")
    await worker.records.create(_record(rid))
    await worker.events.open(rid)
    release = worker.records.hold(rid)
    sent = [_frame(0), _frame(1)]
    await worker.events.append(rid, [LogEntry(0, sent[0]), LogEntry(1, sent[1])])
    await worker._io.drain(WAIT)
    tail = asyncio.ensure_future(_collect(await watcher.events.read(rid, -1, 0.05)))
    # a live worker's lease is renewed: past its first expiry, nobody may reap it
    client = _sync()
    try:
        first_expiry = client.zscore(f"{worker.key_prefix}leases", rid)
        await apoll(
            lambda: _redis_ms(client) > first_expiry + 100,
            interval=0.02,
            what="the first lease expiry passed",
        )
    finally:
        client.close()
    assert rid not in await reaper.reap_expired()
    # the worker dies (its renewals stop, nothing is finished)
    release()
    await worker.close()
    await _until_reaped(reaper, rid)
    frames = await tail
    assert frames[:2] == sent and len(frames) == 3
    failed = parse_frame(frames[2])
    event = failed.data
    assert failed.event == "response.failed" and event["sequence_number"] == 2
    assert event["response"]["status"] == "failed"
    assert event["response"]["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["lost"]}
    record = await watcher.records.get(rid)
    assert record.finished and record.status == "failed" and record.snapshot == event["response"]
    assert rid not in await reaper.reap_expired()  # once only


async def test_a_worker_lost_between_its_terminal_state_and_its_terminal_event_still_gets_the_event(stores):
    worker = await stores(lease_seconds=0.3)
    reaper, watcher = await stores(), await stores()
    rid = _rid("halfway")
    await worker.records.create(_record(rid))
    await worker.events.open(rid)
    release = worker.records.hold(rid)
    await worker.events.append(rid, [LogEntry(0, _frame(0))])
    done = {"id": rid, "object": "response", "status": "completed", "output": []}
    assert await worker.records.finish(rid, done)
    tail = asyncio.ensure_future(_collect(await watcher.events.read(rid, -1, 0.05)))
    release()  # dies before its terminal event is stored
    await worker.close()

    async def closed() -> bool:
        if tail.done():
            return True
        assert await reaper.reap_expired() == []  # nothing to fail: it had finished
        return False

    await apoll(closed, timeout=WAIT, interval=0.02, what="the log closed")
    frames = await tail
    assert frames[0] == _frame(0) and len(frames) == 2
    assert parse_frame(frames[1]).event == "response.completed"
    assert parse_frame(frames[1]).data == {
        "type": "response.completed",
        "response": done,
        "sequence_number": 1,
    }
    assert (await watcher.records.get(rid)).snapshot == done


async def test_finish_racing_the_reaper_yields_one_terminal_state_and_one_terminal_event(stores):
    worker = await stores(lease_seconds=0.05)
    reaper = await stores()
    ids = [_rid(f"race{i}") for i in range(12)]
    for rid in ids:
        await worker.records.create(_record(rid))
        await worker.events.open(rid)
        await worker.events.append(rid, [LogEntry(0, _frame(0))])
    await worker._io.drain(WAIT)
    client = _sync()
    try:
        await _until_leases_expired(client, worker.key_prefix)
    finally:
        client.close()

    async def complete(rid: str, delay: float, by: RedisStore = worker) -> bool:
        await asyncio.sleep(delay)  # spread the completions over the reaper's round trips
        snapshot, frame = _terminal(1)
        if await by.records.finish(rid, snapshot):
            await by.events.append(rid, [LogEntry(1, frame)], close=True)
            return True
        return False

    # The reaper walks the ids oldest first while the completions come newest first: they meet.
    outcomes = await asyncio.gather(
        reaper.reap_expired(), *(complete(rid, (len(ids) - i) * 0.001) for i, rid in enumerate(ids))
    )
    completed = list(outcomes[1:])
    await worker._io.drain(WAIT)

    async def check(store: RedisStore, rid: str, won: bool) -> None:
        frames = await _collect(await store.events.read(rid, -1, None))
        assert len(frames) == 2, (rid, [f.split(b"\n", 1)[0] for f in frames])
        status = (await store.records.get(rid)).status
        assert status == ("completed" if won else "failed"), rid  # failed = some replica reaped it
        assert parse_frame(frames[1]).data["response"]["status"] == status

    for rid, won in zip(ids, completed, strict=True):
        await check(reaper, rid, won)
    # Timing alone may leave one side winning every race above. Controlled turns, one response at a
    # time, make sure both branches run: a finish sent while the reaper's scan is in flight (after it
    # listed the expired lease, round trips before it can fail the response) wins; a finish sent once
    # the reaper's scan is over loses. The turns use a key prefix of their own and stores that are
    # not started (a started store also reaps on its own schedule), so only these calls touch them.
    turn_prefix = new_prefix()
    url = f"redis://127.0.0.1:6379/{TEST_DB}"
    turn_worker = RedisStore(url, key_prefix=turn_prefix, lease_seconds=0.05)
    turn_reaper = RedisStore(url, key_prefix=turn_prefix)
    client = _sync()
    try:
        for i in range(4):
            rid = _rid(f"turn{i}")
            await turn_worker.records.create(_record(rid))
            await turn_worker.events.open(rid)
            await turn_worker.events.append(rid, [LogEntry(0, _frame(0))])
            await turn_worker._io.drain(WAIT)
            await _until_leases_expired(client, turn_prefix)
            if i % 2 == 0:
                _, won = await asyncio.gather(turn_reaper.reap_expired(), complete(rid, 0, turn_worker))
                assert won, f"{rid}: the finish sent during the reaper's scan lost"
            else:
                assert await turn_reaper.reap_expired() == [rid]
                won = await complete(rid, 0, turn_worker)
                assert not won, f"{rid}: a finish after the reaper failed it won"
            await turn_worker._io.drain(WAIT)
            await check(turn_reaper, rid, won)
            completed.append(won)
    finally:
        client.close()
        await turn_worker.close()
        await turn_reaper.close()
        delete_keys(turn_prefix)
    assert set(completed) == {True, False}, completed  # both branches ran


# -- Redis unavailable ------------------------------------------------------------------------------
async def test_without_redis_every_operation_fails_fast_with_store_unavailable(private_redis):
    store = RedisStore(private_redis.url, key_prefix="t:")
    await store.start()
    try:
        rid = _rid("down")
        await store.records.create(_record(rid))
        await store.events.open(rid)
        release = store.records.hold(rid)
        private_redis.stop()
        with anyio.fail_after(5):
            with pytest.raises(StoreUnavailable):
                await store.records.get(rid)
            with pytest.raises(StoreUnavailable):
                await store.records.create(_record(_rid("down2")))
            # an append does not wait for Redis; its failure surfaces on the response's next write
            await store.events.append(rid, [LogEntry(0, _frame(0))])
            await store._io.drain(WAIT)
            with pytest.raises(StoreUnavailable):
                await store.records.finish(rid, _terminal(1)[0])
            with pytest.raises(StoreUnavailable):
                await store.events.read(_rid("other"), -1, None)
        release()
        private_redis.start()
        with anyio.fail_after(WAIT):  # back: the same store works again, no restart needed
            await store.records.create(_record(_rid("up")))
            assert (await store.records.get(_rid("up"))).owner == "alice"
    finally:
        await store.close()


async def test_a_store_starts_without_redis_and_connects_once_it_is_there(private_redis):
    private_redis.stop()
    store = RedisStore(private_redis.url, key_prefix="t:")
    with anyio.fail_after(5):
        await store.start()  # logs a warning, does not hang or raise
    try:
        private_redis.start()
        received = asyncio.Event()
        store.cancels.subscribe(_rid("late"), received.set)
        other = RedisStore(private_redis.url, key_prefix="t:")
        await other.start()
        try:
            with anyio.fail_after(WAIT):
                while not received.is_set():  # the subscription comes back by itself
                    await other.cancels.request(_rid("late"))
                    with anyio.move_on_after(0.2):
                        await received.wait()
        finally:
            await other.close()
    finally:
        await store.close()


# -- the whole pipeline, two replicas in one process ------------------------------------------------
async def test_a_cancel_from_another_replica_racing_completion_ends_each_response_once(prefix):
    from support.hosts import Probe
    from support.redis_support import redis_test_url

    from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions

    probe = Probe()

    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        yield text.emit_delta("almost")
        if await context.get_input_text() == "hold":  # a controlled turn: the cancel comes first
            probe.set(f"holding {context.response_id}")
            await asyncio.wait_for(cancellation_signal.wait(), WAIT)
        else:
            await asyncio.sleep(0.002)
        yield text.emit_text_done()
        yield text.emit_done()
        yield message.emit_done()
        yield stream.emit_completed()

    url = redis_test_url(prefix)
    a, b = (ResponsesAgentServerHost(options=ResponsesServerOptions(store_url=url)) for _ in range(2))
    a.response_handler(handler)
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=h), base_url="http://t") for h in (a, b)]
    outcomes = []

    async def create(text: str) -> str:
        created = await clients[0].post("/responses", json={"model": "m", "input": text, "background": True})
        return created.json()["id"]

    async def cancel_and_check(rid: str) -> str:
        """Cancel ``rid`` from replica B; it ended once, as the cancel's answer says it did."""
        cancel = await clients[1].post(f"/responses/{rid}/cancel")
        assert cancel.status_code in (200, 400), cancel.text
        final = await clients[1].get(f"/responses/{rid}")
        status = final.json()["status"]
        assert status == ("cancelled" if cancel.status_code == 200 else "completed"), cancel.text
        replay = await clients[1].get(f"/responses/{rid}", params={"stream": "true"})
        sse = parse_sse(replay.content)
        check_complete_stream(sse)
        events = sse.events
        assert [e["sequence_number"] for e in events] == list(range(len(events)))
        terminals = [e for e in events if e["type"] in ("response.completed", "response.failed")]
        assert len(terminals) == 1 and terminals[0] is events[-1], [e["type"] for e in events]
        assert terminals[0]["response"]["status"] == status
        outcomes.append(status)
        return status

    async def completed(rid: str) -> bool:
        return (await clients[1].get(f"/responses/{rid}")).json()["status"] == "completed"

    try:
        with anyio.fail_after(30):
            for i in range(24):  # racing: either side may win
                rid = await create("x")
                await asyncio.sleep(i * 0.0002)
                await cancel_and_check(rid)
            # Timing alone may leave one side winning every race above: controlled turns make sure
            # both branches run. The cancel first (the handler holds until it sees the signal, then
            # completes anyway) ends it cancelled; after completion, a cancel is refused.
            for _ in range(2):
                rid = await create("hold")
                await probe.await_(f"holding {rid}")
                assert await cancel_and_check(rid) == "cancelled", rid
                rid = await create("x")
                await apoll(lambda rid=rid: completed(rid), what=f"{rid} completed")
                assert await cancel_and_check(rid) == "completed", rid
    finally:
        for client in clients:
            await client.aclose()
        await a.shutdown()
        await b.shutdown()
    assert set(outcomes) <= {"cancelled", "completed"}
    assert {"cancelled", "completed"} <= set(outcomes), outcomes  # both branches ran
