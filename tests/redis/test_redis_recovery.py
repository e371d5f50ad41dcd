"""Resilient background responses on the Redis store: a response whose replica died is reported by
another replica's reaper, claimed by exactly one replica, and its event log continues at the next
sequence number (no gap, no repeat); a run that was only slow and the one that re-entered it cannot
both write.

The stores here are not started (no renewal or reaping of their own): each test drives the scans and
renewals itself, so no replica reaps on its own schedule behind its back. They share one key prefix
(replicas), as in test_redis_store.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace

import anyio
import pytest
import redis
from support.polling import apoll
from support.redis_support import TEST_DB
from support.sse import parse_frame

from responsekit.server.runner import FAILURE_MESSAGES
from responsekit.store.protocols import LogEntry, RecoveryClaim, ResponseRecord, Resumable
from responsekit.store.redis import RedisStore
from responsekit.streaming.events import encode_json, sse_frame

pytestmark = pytest.mark.anyio

WAIT = 10.0
URL = f"redis://127.0.0.1:6379/{TEST_DB}"


@pytest.fixture
async def replicas(prefix: str) -> AsyncIterator[Callable[..., RedisStore]]:
    """``replicas(**kwargs)`` makes a store on this test's prefix, not started (see the docstring);
    ``resilient=True`` also gives it an ``on_recoverable`` that collects ids in ``store.reported``."""
    made: list[RedisStore] = []

    def make(*, resilient: bool = False, **kwargs) -> RedisStore:
        store = RedisStore(URL, key_prefix=prefix, **kwargs)
        store.reported = []  # type: ignore[attr-defined]
        store.resilient = resilient
        store.on_recoverable = store.reported.append  # type: ignore[attr-defined]
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


def _sync() -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=6379, db=TEST_DB, socket_timeout=2)


def _rid(name: str) -> str:
    return f"resp_{name:0>48}"


REQUEST = {"model": "m", "input": "count to ten", "background": True, "store": True}


def _record(rid: str, *, resilient: bool = True) -> ResponseRecord:
    snapshot = {"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"}
    return ResponseRecord(
        response_id=rid,
        snapshot=snapshot,
        input_items=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        owner="alice",
        background=True,
        created_at=12.5,
        resumable=Resumable(
            request=dict(REQUEST), client_headers={"x-trace": "t1"}, query_parameters={"tenant": "blue"}
        )
        if resilient
        else None,
    )


def _frame(seq: int, writer: str = "w") -> bytes:
    payload = {"type": "response.output_text.delta", "delta": f"{writer} ✓ {seq}", "sequence_number": seq}
    return sse_frame("response.output_text.delta", encode_json(payload))


def _terminal(rid: str, seq: int, writer: str = "w") -> tuple[dict, bytes]:
    snapshot = {"id": rid, "object": "response", "status": "completed", "output": [], "by": writer}
    payload = {"type": "response.completed", "response": snapshot, "sequence_number": seq}
    return snapshot, sse_frame("response.completed", encode_json(payload))


def _entries(first: int, last: int, writer: str = "w") -> list[LogEntry]:
    return [LogEntry(seq, _frame(seq, writer)) for seq in range(first, last + 1)]


def _seqs(frames: list[bytes]) -> list[int]:
    return [parse_frame(frame).data["sequence_number"] for frame in frames]


async def _collect(iterator) -> list[bytes]:
    frames: list[bytes] = []
    with anyio.fail_after(WAIT):
        async for batch in iterator:
            frames.extend(batch)
    return frames


def _stored_seqs(prefix: str, rid: str) -> list[int]:
    """Every sequence number stored in the log's stream, in entry order (repeats included)."""
    client = _sync()
    try:
        seqs = []
        for _entry_id, fields in client.xrange(f"{prefix}l:{rid}"):
            seqs += [int(name) for name in fields if name not in (b"o", b"c")]
        return seqs
    finally:
        client.close()


async def _dying_worker(replicas, rid: str, *, lease_seconds: float = 0.3) -> tuple[RedisStore, dict]:
    """A replica that runs a resilient ``rid``: frames 0..4, a checkpoint, then it dies (nothing
    released, nothing ended; its lease is no longer renewed). Returns it and the checkpoint."""
    worker = replicas(lease_seconds=lease_seconds)
    await worker.create_with_log(_record(rid))
    worker.records.hold(rid)
    await worker.events.append(rid, _entries(0, 2))
    await worker.events.append(rid, _entries(3, 4))
    checkpoint = {
        **_record(rid).snapshot,
        "output": [{"id": "msg_1", "type": "message", "status": "completed"}],
    }
    await worker.records.save_checkpoint(rid, checkpoint, {"step": 2, "cursor": "abc"})
    await worker._io.drain(WAIT)
    await worker.close()  # dies
    return worker, checkpoint


async def _until_reported(reaper: RedisStore, rid: str) -> None:
    async def reported() -> bool:
        failed = await reaper.reap_expired()
        assert rid not in failed, "a recoverable response was failed"
        return rid in reaper.reported  # type: ignore[attr-defined]

    await apoll(reported, timeout=WAIT, interval=0.02, what=f"{rid} reported for recovery")


async def _until_claimed(store: RedisStore, rid: str) -> RecoveryClaim:
    return await apoll(
        lambda: store.records.claim_recovery(rid), timeout=WAIT, interval=0.02, what=f"{rid} claimed"
    )


# -- records ----------------------------------------------------------------------------------------
async def test_a_resilient_record_keeps_what_re_entering_it_needs_and_its_checkpoint(replicas, prefix):
    a, b = replicas(), replicas()
    rid = _rid("rec")
    record = _record(rid)
    await a.create_with_log(record)
    seen = await b.records.get(rid)
    assert seen == record and seen.resumable.attempts == 0 and seen.resumable.checkpoint is None
    ordinary = _record(_rid("plain"), resilient=False)
    await a.create_with_log(ordinary)
    assert (await b.records.get(ordinary.response_id)).resumable is None
    # a checkpoint is the current snapshot and the one recovery re-enters from; a later snapshot
    # save changes the first only
    checkpoint = {**record.snapshot, "output": [{"id": "msg_1"}]}
    await a.records.save_checkpoint(rid, checkpoint, {"step": 1})
    got = await b.records.get(rid)
    assert got.snapshot == checkpoint
    assert got.resumable.checkpoint == checkpoint and got.resumable.internal_metadata == {"step": 1}
    later = {**checkpoint, "output": [{"id": "msg_1"}, {"id": "msg_2"}]}
    await a.records.save_snapshot(rid, later)
    await a._io.drain(WAIT)
    got = await b.records.get(rid)
    assert got.snapshot == later and got.resumable.checkpoint == checkpoint
    # ignored once finished
    done = {**later, "status": "completed"}
    assert await a.records.finish(rid, done)
    await a.records.save_checkpoint(rid, {**record.snapshot, "output": []}, {"step": 9})
    got = await b.records.get(rid)
    assert got.snapshot == done and got.resumable.checkpoint == checkpoint
    assert got.resumable.internal_metadata == {"step": 1}
    # a record created with a checkpoint already (e.g. copied) keeps it
    copied = _record(_rid("copied"))
    copied.resumable.checkpoint = checkpoint
    copied.resumable.internal_metadata = {"k": [1, 2]}
    copied.resumable.attempts = 2
    await a.records.create(copied)
    assert await b.records.get(copied.response_id) == copied


async def test_from_url_reads_resilient_background_from_the_options():
    common = dict(
        response_retention_seconds=60.0,
        event_log_retention_seconds=60.0,
        lease_seconds=5.0,
        conversation_retention_seconds=60.0,
    )
    stores = [
        RedisStore.from_url(URL, SimpleNamespace(**common, resilient_background=True)),
        RedisStore.from_url(URL, SimpleNamespace(**common)),
        RedisStore.from_url(URL),
    ]
    try:
        assert [store.resilient for store in stores] == [True, False, False]
    finally:
        for store in stores:
            await store.close()


# -- recovery ---------------------------------------------------------------------------------------
async def test_a_dead_replicas_resilient_response_is_reported_claimed_and_continued_without_gap(
    replicas, prefix
):
    rid = _rid("dead")
    rescuer, watcher = replicas(resilient=True, lease_seconds=5.0), replicas(resilient=True)
    worker = replicas(lease_seconds=1.0)
    await worker.create_with_log(_record(rid))
    worker.records.hold(rid)
    # while its lease runs, nobody may take it over
    assert await rescuer.records.claim_recovery(rid) is None
    assert await rescuer.reap_expired() == [] and rescuer.reported == []
    await worker.events.append(rid, _entries(0, 4))
    checkpoint = {**_record(rid).snapshot, "output": [{"id": "msg_1", "type": "message"}]}
    await worker.records.save_checkpoint(rid, checkpoint, {"step": 2})
    await worker._io.drain(WAIT)
    early = asyncio.ensure_future(_collect(await watcher.events.read(rid, -1, 0.05)))
    await worker.close()  # the replica dies: nothing released, nothing ended

    # another replica's scan reports it (not failed) once its lease expired
    await _until_reported(rescuer, rid)
    record = await watcher.records.get(rid)
    assert not record.finished and record.status == "in_progress"
    assert not early.done()  # its log is still open: readers keep waiting

    claim = await rescuer.records.claim_recovery(rid)
    assert claim is not None and claim.next_sequence_number == 5
    resumable = claim.record.resumable
    assert resumable.attempts == 1
    assert resumable.checkpoint == checkpoint and resumable.internal_metadata == {"step": 2}
    assert resumable.request == REQUEST
    assert resumable.client_headers == {"x-trace": "t1"} and resumable.query_parameters == {"tenant": "blue"}
    assert claim.record.snapshot == checkpoint and claim.record.owner == "alice"
    # claimed once: no other claim, and no scan reports it while the new run holds it
    assert await watcher.records.claim_recovery(rid) is None
    assert await rescuer.records.claim_recovery(rid) is None
    watcher.reported.clear()
    assert await watcher.reap_expired() == [] and watcher.reported == []

    lost = asyncio.Event()
    release = rescuer.records.hold(rid, on_lost=lost.set)
    await rescuer.renew_leases()
    client = _sync()
    try:
        seconds, micros = client.time()
        assert client.zscore(f"{prefix}leases", rid) > seconds * 1000 + micros // 1000 + 3000
    finally:
        client.close()
    # readers on the new writer: from its copy (after >= 4), or from Redis (earlier cursors)
    local = asyncio.ensure_future(_collect(await rescuer.events.read(rid, 4, None)))
    tail = asyncio.ensure_future(_collect(await rescuer.events.read(rid, 6, None)))
    earlier = asyncio.ensure_future(_collect(await rescuer.events.read(rid, 1, None)))
    await rescuer.events.append(rid, _entries(5, 6, "r"))
    snapshot, terminal = _terminal(rid, 7, "r")
    assert await rescuer.records.finish(rid, snapshot)
    await rescuer.events.append(rid, [LogEntry(7, terminal)], close=True)
    release()
    assert not lost.is_set()

    expected = [_frame(seq) for seq in range(5)] + [_frame(5, "r"), _frame(6, "r"), terminal]
    assert await early == expected
    assert await local == expected[5:]
    assert await tail == expected[7:]
    assert await earlier == expected[2:]
    replay = await _collect(await rescuer.events.read(rid, 2, None))
    assert _seqs(replay) == [3, 4, 5, 6, 7] and replay == expected[3:]
    assert await _collect(await watcher.events.read(rid, -1, None)) == expected
    assert _stored_seqs(prefix, rid) == list(range(8))
    # ended: nothing to claim or report any more
    assert await watcher.records.claim_recovery(rid) is None
    assert (await watcher.records.get(rid)).snapshot == snapshot


async def test_a_log_claimed_before_any_event_continues_at_zero(replicas, prefix):
    rid = _rid("empty")
    worker = replicas(lease_seconds=0.2)
    await worker.create_with_log(_record(rid))
    await worker.close()
    rescuer = replicas(resilient=True)
    claim = await _until_claimed(rescuer, rid)
    assert claim.next_sequence_number == 0 and claim.record.resumable.attempts == 1
    assert claim.record.resumable.checkpoint is None
    rescuer.records.hold(rid)
    reader = asyncio.ensure_future(_collect(await rescuer.events.read(rid, -1, None)))
    snapshot, terminal = _terminal(rid, 1)
    await rescuer.events.append(rid, _entries(0, 0))
    assert await rescuer.records.finish(rid, snapshot)
    await rescuer.events.append(rid, [LogEntry(1, terminal)], close=True)
    assert await reader == [_frame(0), terminal]
    assert _stored_seqs(prefix, rid) == [0, 1]


async def test_without_resilience_an_expired_resilient_response_still_fails_as_lost(replicas):
    plain = replicas(resilient=False)  # has an on_recoverable, but is not resilient
    silent = replicas(resilient=True)
    silent.on_recoverable = None  # resilient, but nobody to report to
    for reaper, name in ((plain, "plain"), (silent, "silent")):
        rid = _rid(name)
        await _dying_worker(replicas, rid, lease_seconds=0.2)

        async def failed(reaper=reaper, rid=rid) -> bool:
            return rid in await reaper.reap_expired()

        await apoll(failed, timeout=WAIT, interval=0.02, what=f"{rid} failed as lost")
        assert reaper.reported == []
        record = await reaper.records.get(rid)
        assert record.finished and record.status == "failed"
        assert record.snapshot["error"]["message"] == FAILURE_MESSAGES["lost"]
        frames = await _collect(await reaper.events.read(rid, -1, None))
        assert _seqs(frames) == [0, 1, 2, 3, 4, 5] and parse_frame(frames[5]).event == "response.failed"
        assert await reaper.records.claim_recovery(rid) is None
    # an ordinary response (no resumable) fails as lost even on a resilient store
    rescuer = replicas(resilient=True)
    rid = _rid("ordinary")
    worker = replicas(lease_seconds=0.2)
    await worker.create_with_log(_record(rid, resilient=False))
    await worker.close()

    async def ordinary_failed() -> bool:
        return rid in await rescuer.reap_expired()

    await apoll(ordinary_failed, timeout=WAIT, interval=0.02, what="the ordinary response failed")
    assert rid not in rescuer.reported and await rescuer.records.claim_recovery(rid) is None


async def test_of_replicas_claiming_at_once_exactly_one_wins(replicas, prefix):
    ids = [_rid(f"both{i}") for i in range(6)]
    for rid in ids:
        await _dying_worker(replicas, rid, lease_seconds=0.2)
    claimers = [replicas(resilient=True) for _ in range(4)]
    await _until_reported(claimers[0], ids[-1])
    for rid in ids:
        claims = await asyncio.gather(*(store.records.claim_recovery(rid) for store in claimers))
        won = [claim for claim in claims if claim is not None]
        assert len(won) == 1, (rid, claims)
        assert won[0].record.resumable.attempts == 1 and won[0].next_sequence_number == 5
        winner = claimers[claims.index(won[0])]
        assert [store.events.writing(rid) for store in claimers] == [store is winner for store in claimers]
    client = _sync()
    try:
        assert {int(client.hget(f"{prefix}r:{rid}", "att")) for rid in ids} == {1}
    finally:
        client.close()


async def test_a_slow_run_and_the_run_that_re_entered_it_cannot_both_write(replicas, prefix):
    """The old run was only slow (its lease lapsed); another replica re-entered the response. Both
    number from 5: whichever stores a sequence number first continues, the other is told it lost,
    and the log has every sequence number once."""
    for order in ("old first", "new first", "together"):
        rid = _rid(order.replace(" ", ""))
        old = replicas(resilient=True)
        old.leases.lease_ms = 1  # as if its renewals had stalled past the lease
        await old.create_with_log(_record(rid))
        old_lost = asyncio.Event()
        old_release = old.records.hold(rid, on_lost=old_lost.set)
        await old.events.append(rid, _entries(0, 4, "old"))
        await old._io.drain(WAIT)
        old_reader = asyncio.ensure_future(_collect(await old.events.read(rid, -1, None)))

        new = replicas(resilient=True)
        claim = await _until_claimed(new, rid)
        assert claim.next_sequence_number == 5
        new_lost = asyncio.Event()
        new_release = new.records.hold(rid, on_lost=new_lost.set)
        new_reader = asyncio.ensure_future(_collect(await new.events.read(rid, 4, None)))

        # the old run sends 5..6 in one batch, the new one 5 alone (a batch of one entry number
        # that is above the other's: only the contiguity of the log refuses it)
        if order == "old first":
            await old.events.append(rid, _entries(5, 6, "old"))
            await old._io.drain(WAIT)
            await new.events.append(rid, _entries(5, 5, "new"))
            await new._io.drain(WAIT)
        elif order == "new first":
            await new.events.append(rid, _entries(5, 5, "new"))
            await new._io.drain(WAIT)
            await old.events.append(rid, _entries(5, 6, "old"))
            await old._io.drain(WAIT)
        else:
            await asyncio.gather(
                old.events.append(rid, _entries(5, 6, "old")), new.events.append(rid, _entries(5, 5, "new"))
            )
            await asyncio.gather(old._io.drain(WAIT), new._io.drain(WAIT))
        with anyio.fail_after(WAIT):
            while not (old_lost.is_set() or new_lost.is_set()):
                await asyncio.sleep(0.01)
        assert old_lost.is_set() != new_lost.is_set(), order
        if order == "old first":
            assert old_lost.is_set() is False
        elif order == "new first":
            assert new_lost.is_set() is False
        winner, name, release = (new, "new", new_release) if old_lost.is_set() else (old, "old", old_release)
        loser = old if winner is new else new
        assert winner.events.writing(rid) and not loser.events.writing(rid)
        # the loser writes nothing more: its later appends are refused too
        await loser.events.append(rid, _entries(7, 7, "loser"))
        await loser._io.drain(WAIT)
        if name == "new":
            await winner.events.append(rid, _entries(6, 6, "new"))
        snapshot, terminal = _terminal(rid, 7, name)
        assert await winner.records.finish(rid, snapshot)
        await winner.events.append(rid, [LogEntry(7, terminal)], close=True)
        release()
        assert not (old_lost.is_set() and new_lost.is_set()), order
        replay = await _collect(await loser.events.read(rid, -1, None))
        assert _seqs(replay) == list(range(8)), order
        assert _stored_seqs(prefix, rid) == list(range(8)), order
        assert replay[5:] == [_frame(5, name), _frame(6, name), terminal], order
        # readers of either copy end with the log as stored (the loser's continue from Redis)
        assert await old_reader == replay, order
        assert await new_reader == replay[5:], order


async def test_a_run_that_leaves_for_recovery_is_reported_again_at_once_and_continued(replicas, prefix):
    rid = _rid("leave")
    await _dying_worker(replicas, rid, lease_seconds=0.2)
    first = replicas(resilient=True, lease_seconds=30.0)
    claim = await _until_claimed(first, rid)
    assert claim.next_sequence_number == 5
    lost = asyncio.Event()
    release = first.records.hold(rid, on_lost=lost.set)
    reader = asyncio.ensure_future(_collect(await first.events.read(rid, 4, None)))
    await first.events.append(rid, _entries(5, 5, "first"))
    checkpoint = {**claim.record.snapshot, "output": [{"id": "msg_2"}]}
    await first.records.save_checkpoint(rid, checkpoint, {"step": 5})
    # a long lease, but it leaves: the next scan of any replica (its own too) reports it
    await first.records.leave_for_recovery(rid)
    release()
    assert not first.events.writing(rid)
    second = replicas(resilient=True)
    assert await second.reap_expired() == [] and second.reported == [rid]
    assert await first.reap_expired() == [] and first.reported == [rid]
    again = await second.records.claim_recovery(rid)
    assert again is not None and again.next_sequence_number == 6
    assert again.record.resumable.attempts == 2
    assert again.record.resumable.checkpoint == checkpoint
    assert again.record.resumable.internal_metadata == {"step": 5}
    second.records.hold(rid)
    snapshot, terminal = _terminal(rid, 7, "second")
    await second.events.append(rid, _entries(6, 6, "second"))
    assert await second.records.finish(rid, snapshot)
    await second.events.append(rid, [LogEntry(7, terminal)], close=True)
    # the reader of the run that left continued from Redis
    assert await reader == [_frame(5, "first"), _frame(6, "second"), terminal]
    assert not lost.is_set()
    assert _stored_seqs(prefix, rid) == list(range(8))
    # the lease went with the closed log
    client = _sync()
    try:
        assert client.zscore(f"{prefix}leases", rid) is None
    finally:
        client.close()


async def test_appends_queued_behind_a_refused_one_are_never_stored(replicas, prefix):
    """The slow run's next append is sent while its refused one is in flight: it would continue the
    other run's frames (its first sequence number is the log's next), yet it is not stored."""
    rid = _rid("queued")
    old = replicas(resilient=True)
    old.leases.lease_ms = 1  # as if its renewals had stalled past the lease
    await old.create_with_log(_record(rid))
    old_lost = asyncio.Event()
    old.records.hold(rid, on_lost=old_lost.set)
    await old.events.append(rid, _entries(0, 4, "old"))
    await old._io.drain(WAIT)
    new = replicas(resilient=True)
    await _until_claimed(new, rid)
    new.records.hold(rid)
    await new.events.append(rid, _entries(5, 5, "new"))
    await new._io.drain(WAIT)
    await old.events.append(rid, _entries(5, 5, "old"))  # refused: 5 is stored already
    await asyncio.sleep(0)  # its batch is on the wire
    await old.events.append(rid, _entries(6, 6, "old"))  # the next batch: it would fit after 5
    await old._io.drain(WAIT)
    with anyio.fail_after(WAIT):
        await old_lost.wait()
    assert _stored_seqs(prefix, rid) == list(range(6))
    assert new.events.writing(rid)
    await new.events.append(rid, _entries(6, 6, "new"))
    snapshot, terminal = _terminal(rid, 7, "new")
    assert await new.records.finish(rid, snapshot)
    await new.events.append(rid, [LogEntry(7, terminal)], close=True)
    replay = await _collect(await old.events.read(rid, -1, None))
    assert replay[5:] == [_frame(5, "new"), _frame(6, "new"), terminal]
    assert _stored_seqs(prefix, rid) == list(range(8))
