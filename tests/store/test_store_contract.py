"""The store contract: the same cases against every store responsekit ships (memory, SQLite, Redis).

Only the public protocols of ``responsekit.store.protocols`` are used (``Store``, ``RecordStore``,
``EventLog``, ``CancelSignals``): whatever a store does inside, the runtime sees one behaviour.
"""

from __future__ import annotations

import asyncio
import secrets

import anyio
import pytest

from responsekit.store.protocols import (
    CancelSignals,
    EventLog,
    LogEntry,
    LogNotFound,
    RecordStore,
    ResponseRecord,
    Store,
)
from responsekit.streaming.events import encode_json, sse_frame

pytestmark = pytest.mark.anyio

WAIT = 10.0


def _rid() -> str:
    return f"resp_{secrets.token_hex(24)}"


def _record(rid: str | None = None, **fields) -> ResponseRecord:
    rid = rid or _rid()
    snapshot = {"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"}
    fields.setdefault("owner", "alice")
    return ResponseRecord(
        response_id=rid,
        snapshot=snapshot,
        input_items=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": rid}]}],
        **fields,
    )


def _output(text: str) -> list[dict]:
    return [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}]


def _done(record: ResponseRecord, status: str = "completed", text: str = "ok") -> dict:
    return {**record.snapshot, "status": status, "output": _output(text)}


def _frame(seq: int) -> bytes:
    payload = {"type": "response.output_text.delta", "delta": f'tok ✓ "{seq}"', "sequence_number": seq}
    return sse_frame("response.output_text.delta", encode_json(payload))


def _terminal(seq: int) -> bytes:
    snapshot = {"id": "x", "object": "response", "status": "completed", "output": []}
    payload = {"type": "response.completed", "response": snapshot, "sequence_number": seq}
    return sse_frame("response.completed", encode_json(payload))


async def _collect(iterator, *, keep_alives: bool = False) -> list[bytes]:
    frames: list[bytes] = []
    with anyio.fail_after(WAIT):
        async for batch in iterator:
            if batch or keep_alives:
                frames.extend(batch)
    return frames


async def _written_log(store: Store, count: int = 5) -> tuple[str, list[bytes]]:
    """A response whose log holds ``count`` frames and its terminal event (closed)."""
    record = _record()
    await store.create_with_log(record)
    frames = [_frame(seq) for seq in range(count)]
    await store.events.append(record.response_id, [LogEntry(seq, f) for seq, f in enumerate(frames[:2])])
    await store.events.append(record.response_id, [LogEntry(seq, frames[seq]) for seq in range(2, count)])
    assert await store.records.finish(record.response_id, _done(record))
    frames.append(_terminal(count))
    await store.events.append(record.response_id, [LogEntry(count, frames[-1])], close=True)
    return record.response_id, frames


# -- the parts ----------------------------------------------------------------------------------------
async def test_every_part_implements_its_protocol(store):
    assert isinstance(store, Store)
    assert isinstance(store.records, RecordStore)
    assert isinstance(store.events, EventLog)
    assert isinstance(store.cancels, CancelSignals)
    assert await store.healthy()
    await store.start()  # starting again is harmless


# -- records --------------------------------------------------------------------------------------
async def test_a_created_record_reads_back_as_it_was_created(store):
    record = _record(
        owner="alice",
        chat_key="chat-1",
        background=True,
        stream=True,
        previous_response_id="resp_previous",
        conversation_id="conv_1",
        created_at=1234.5,
    )
    await store.records.create(record)
    got = await store.records.get(record.response_id)
    assert got is not None
    assert got == record
    assert not got.finished and got.status == "in_progress" and not got.is_terminal
    assert await store.records.get(_rid()) is None


async def test_owner_of_answers_without_the_record_running_finished_or_gone(store):
    record = _record(owner="alice")
    rid = record.response_id
    assert await store.records.owner_of(rid) == (False, None)
    await store.records.create(record)
    assert await store.records.owner_of(rid) == (True, "alice")
    assert await store.records.finish(rid, _done(record))
    assert await store.records.owner_of(rid) == (True, "alice")
    unowned = _record(owner=None)
    await store.records.create(unowned)
    assert await store.records.owner_of(unowned.response_id) == (True, None)
    assert await store.records.delete(rid)
    assert await store.records.owner_of(rid) == (False, None)


async def test_save_snapshot_updates_a_running_record_and_not_a_finished_one(store):
    record = _record()
    await store.records.create(record)
    rid = record.response_id
    running = {**record.snapshot, "output": _output("partial")}
    await store.records.save_snapshot(rid, running)
    assert (await store.records.get(rid)).snapshot == running
    final = _done(record, text="final")
    assert await store.records.finish(rid, final)
    await store.records.save_snapshot(rid, {**record.snapshot, "output": _output("late")})
    got = await store.records.get(rid)
    assert got.snapshot == final
    assert got.finished and got.status == "completed"


async def test_finish_is_a_compare_and_set_with_exactly_one_winner(store):
    record = _record()
    await store.records.create(record)
    rid = record.response_id
    candidates = [_done(record, status, text=status) for status in ("completed", "cancelled", "failed")] * 3
    wins = await asyncio.gather(*(store.records.finish(rid, snapshot) for snapshot in candidates))
    assert wins.count(True) == 1, wins
    winner = candidates[wins.index(True)]
    got = await store.records.get(rid)
    assert got.finished and got.snapshot == winner
    assert not await store.records.finish(rid, _done(record))  # terminal already
    assert not await store.records.finish(_rid(), _done(record))  # no such record


async def test_finish_needs_a_terminal_snapshot(store):
    record = _record()
    await store.records.create(record)
    with pytest.raises(ValueError):
        await store.records.finish(record.response_id, record.snapshot)
    assert not (await store.records.get(record.response_id)).finished


async def test_delete_removes_a_record_once(store):
    record = _record()
    await store.records.create(record)
    assert await store.records.delete(record.response_id)
    assert await store.records.get(record.response_id) is None
    assert not await store.records.delete(record.response_id)


# -- history --------------------------------------------------------------------------------------
async def test_history_follows_the_previous_response_chain_oldest_first(store):
    first = _record()
    second = _record(previous_response_id=first.response_id)
    third = _record(previous_response_id=second.response_id)
    for record, text in ((first, "one"), (second, "two")):
        await store.records.create(record)
        assert await store.records.finish(record.response_id, _done(record, text=text))
    await store.records.create(third)
    expected = [
        *first.input_items,
        *_output("one"),
        *second.input_items,
        *_output("two"),
    ]
    assert await store.records.history(third, 100) == expected
    assert await store.records.history(third, 2) == expected[-2:]  # the newest items
    assert await store.records.history(third, 0) == []
    assert await store.records.history(first, 100) == []


async def test_history_of_a_record_is_its_chain_only_never_its_conversation(store):
    # A conversation's history is its items (store.conversations; see test_conversation_store_contract.py).
    conversation = f"conv_{secrets.token_hex(6)}"
    earlier = _record(conversation_id=conversation)
    await store.records.create(earlier)
    assert await store.records.finish(earlier.response_id, _done(earlier))
    current = _record(conversation_id=conversation)
    await store.records.create(current)
    assert await store.records.history(current, 100) == []


# -- event logs -----------------------------------------------------------------------------------
async def test_a_log_replays_from_every_cursor_once_closed(store):
    rid, frames = await _written_log(store)
    assert await store.events.exists(rid)
    for after in range(-1, len(frames) + 2):
        got = await _collect(await store.events.read(rid, after, None))
        assert got == frames[after + 1 :], after


async def test_a_reader_tails_live_frames_until_the_log_is_closed(store):
    record = _record()
    rid = record.response_id
    await store.create_with_log(record)
    reader = asyncio.ensure_future(_collect(await store.events.read(rid, -1, None)))
    sent = []
    for seq in range(4):
        sent.append(_frame(seq))
        await store.events.append(rid, [LogEntry(seq, sent[-1])])
        await asyncio.sleep(0.01)
    assert not reader.done()
    assert await store.records.finish(rid, _done(record))
    sent.append(_terminal(4))
    await store.events.append(rid, [LogEntry(4, sent[-1])], close=True)
    assert await reader == sent


async def test_an_idle_reader_gets_keep_alives(store):
    record = _record()
    await store.create_with_log(record)
    batches = await store.events.read(record.response_id, -1, 0.05)
    with anyio.fail_after(WAIT):
        assert await batches.__anext__() == []  # nothing yet: a keep-alive
    await batches.aclose()


async def test_a_log_opened_with_its_record_or_after_it_is_the_same_empty_log(store):
    together, apart = _record(), _record()
    await store.create_with_log(together)
    await store.records.create(apart)
    await store.events.open(apart.response_id)
    for record in (together, apart):
        rid = record.response_id
        assert await store.events.exists(rid)
        assert (await store.records.get(rid)) == record
        await store.events.append(rid, [LogEntry(0, _terminal(0))], close=True)
        assert await _collect(await store.events.read(rid, -1, None)) == [_terminal(0)]


async def test_appends_after_the_close_are_not_kept(store):
    rid, frames = await _written_log(store, count=2)
    await store.events.append(rid, [LogEntry(len(frames), _frame(len(frames)))])
    await store.events.append(rid, [LogEntry(len(frames) + 1, _terminal(len(frames) + 1))], close=True)
    assert await _collect(await store.events.read(rid, -1, None)) == frames


async def test_reading_a_missing_or_deleted_log_raises_log_not_found(store):
    missing = _rid()
    assert not await store.events.exists(missing)
    with pytest.raises(LogNotFound):
        await store.events.read(missing, -1, None)
    with pytest.raises(KeyError):  # LogNotFound is a KeyError, as before it had a name
        await store.events.read(missing, -1, None)
    rid, _ = await _written_log(store, count=1)
    await store.events.delete(rid)
    assert not await store.events.exists(rid)
    with pytest.raises(LogNotFound):
        await store.events.read(rid, -1, None)


# -- cancel signals -------------------------------------------------------------------------------
async def test_a_cancel_request_reaches_the_subscriber_until_it_unsubscribes(store):
    rid = _rid()
    calls: list[str] = []
    unsubscribe = store.cancels.subscribe(rid, lambda: calls.append(rid))
    await store.cancels.request(rid)
    assert calls == [rid]
    await store.cancels.request(_rid())  # another response's cancel: not this subscriber's
    assert calls == [rid]
    unsubscribe()
    await store.cancels.request(rid)
    await asyncio.sleep(0.05)
    assert calls == [rid]
    unsubscribe()  # twice: harmless


# -- holding a running response -------------------------------------------------------------------
async def test_hold_returns_a_release_and_the_run_reads_and_writes_as_before(store):
    record = _record()
    rid = record.response_id
    await store.create_with_log(record)
    lost: list[str] = []
    release = store.records.hold(rid, on_lost=lambda: lost.append(rid))
    assert callable(release)
    await store.events.append(rid, [LogEntry(0, _frame(0))])
    assert await store.records.finish(rid, _done(record))
    await store.events.append(rid, [LogEntry(1, _terminal(1))], close=True)
    release()
    release()  # twice: harmless
    assert lost == []
    assert (await store.records.get(rid)).finished
    assert await _collect(await store.events.read(rid, -1, None)) == [_frame(0), _terminal(1)]
    assert callable(store.records.hold(_rid()))  # without on_lost
