"""The memory store keeps a finished response compact: its record as a tuple of JSON and scalars, its
event log's frames as a tuple, so the garbage collector stops tracking them (a full collection then
costs nothing per stored response), while every read returns what it returned before."""

from __future__ import annotations

import dataclasses
import gc
import secrets

import pytest

from responsekit.store.memory import MemoryStore
from responsekit.store.protocols import LogEntry, ResponseRecord, Resumable
from responsekit.streaming.events import encode_json

pytestmark = pytest.mark.anyio


def _record(rid: str | None = None, **fields) -> ResponseRecord:
    rid = rid or f"resp_{secrets.token_hex(24)}"
    fields.setdefault("owner", "alice")
    return ResponseRecord(
        response_id=rid,
        snapshot={"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"},
        input_items=[
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hé ✓"}]}
        ],
        **fields,
    )


def _output(text: str) -> list[dict]:
    return [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}]


def _done(record: ResponseRecord, text: str = "ok", status: str = "completed") -> dict:
    return {**record.snapshot, "status": status, "output": _output(text), "usage": {"total_tokens": 3}}


async def _finished(store: MemoryStore, record: ResponseRecord, text: str = "ok") -> dict:
    """Run ``record`` through the store as a response does: record and log, frames, terminal."""
    await store.create_with_log(record)
    rid = record.response_id
    await store.events.append(rid, [LogEntry(0, b"event: a\ndata: {}\n\n")])
    snapshot = _done(record, text)
    assert await store.records.finish(rid, snapshot)
    await store.events.append(rid, [LogEntry(1, b"event: response.completed\ndata: {}\n\n")], close=True)
    return snapshot


def _tracked() -> int:
    gc.collect()
    gc.collect()
    return len(gc.get_objects())


async def test_a_finished_response_leaves_at_most_one_tracked_object_per_response():
    store = MemoryStore()
    await _finished(store, _record())  # the store's own containers exist from here on
    before = _tracked()
    for _ in range(200):
        await _finished(store, _record())
    per_response = (_tracked() - before) / 200
    assert per_response <= 1.5, per_response  # the _Log itself; a live record and list were ~16


async def test_the_stored_record_and_log_of_a_finished_response_are_untracked():
    store = MemoryStore()
    record = _record()
    await _finished(store, record)
    _tracked()  # a tuple holding a tuple may need a second collection to be untracked
    entry = store.records._records[record.response_id]
    assert not gc.is_tracked(entry)
    assert not gc.is_tracked(store.events._logs[record.response_id].frames)


async def test_get_of_a_finished_record_returns_an_equal_record_of_its_own():
    store = MemoryStore()
    record = _record(
        owner="bob",
        chat_key="chat-1",
        background=True,
        stream=True,
        previous_response_id="resp_before",
        conversation_id="conv_1",
        created_at=1234.5,
    )
    snapshot = await _finished(store, record)
    expected = dataclasses.replace(record, snapshot=snapshot, finished=True)
    got = await store.records.get(record.response_id)
    assert got == expected
    assert got.finished and got.status == "completed" and got.is_terminal
    # Each read is a copy: changing one changes neither the store nor the next read.
    got.snapshot["status"] = "failed"
    got.input_items.clear()
    assert await store.records.get(record.response_id) == expected
    # The caller's live record sees the terminal state, as it did.
    assert record.finished and record.snapshot is snapshot


async def test_a_running_record_is_the_live_object_until_it_finishes():
    store = MemoryStore()
    record = _record()
    await store.create_with_log(record)
    assert await store.records.get(record.response_id) is record
    snapshot = {**record.snapshot, "output": _output("partial")}
    await store.records.save_snapshot(record.response_id, snapshot)
    assert record.snapshot is snapshot
    assert type(store.records._records[record.response_id][1]) is ResponseRecord
    done = _done(record)
    assert await store.records.finish(record.response_id, done)
    assert not await store.records.finish(record.response_id, _done(record, status="cancelled"))
    await store.records.save_snapshot(record.response_id, {"status": "in_progress"})  # ignored
    assert (await store.records.get(record.response_id)).snapshot == done


async def test_a_record_created_finished_is_kept_frozen_and_reads_back_equal():
    store = MemoryStore()
    record = _record(finished=True)
    record.snapshot = _done(record)
    await store.records.create(record)
    _tracked()
    assert not gc.is_tracked(store.records._records[record.response_id])
    assert await store.records.get(record.response_id) == record
    assert store.stored_bytes == len(encode_json(record.snapshot)) + len(encode_json(record.input_items))


async def test_a_resumable_record_stays_live_when_finished():
    store = MemoryStore()
    record = _record(resumable=Resumable(request={"model": "m"}))
    await store.records.create(record)
    assert await store.records.finish(record.response_id, _done(record))
    assert await store.records.get(record.response_id) is record


async def test_history_follows_a_chain_of_finished_records():
    store = MemoryStore()
    first = _record()
    second = _record(previous_response_id=first.response_id)
    third = _record(previous_response_id=second.response_id)
    await _finished(store, first, "one")
    await _finished(store, second, "two")
    await store.create_with_log(third)
    expected = [*first.input_items, *_output("one"), *second.input_items, *_output("two")]
    assert await store.records.history(third, 100) == expected
    assert await store.records.history(third, 2) == expected[-2:]
    assert await store.records.history(first, 100) == []


async def test_a_closed_log_replays_every_frame_in_list_batches():
    store = MemoryStore()
    record = _record()
    await _finished(store, record)
    batches = [batch async for batch in await store.events.read(record.response_id, -1, None)]
    assert all(type(batch) is list for batch in batches)
    assert [frame for batch in batches for frame in batch] == [
        b"event: a\ndata: {}\n\n",
        b"event: response.completed\ndata: {}\n\n",
    ]


async def test_delete_and_expiry_drop_a_frozen_record_and_its_bytes():
    store = MemoryStore()
    record = _record()
    await _finished(store, record)
    assert await store.records.delete(record.response_id)
    assert await store.records.get(record.response_id) is None
    assert not await store.records.delete(record.response_id)
    await store.events.delete(record.response_id)
    assert store.stored_bytes == 0

    expiring = MemoryStore(response_retention_seconds=0.0)
    finished, running = _record(), _record()
    await _finished(expiring, finished)
    await expiring.create_with_log(running)
    assert await expiring.records.get(finished.response_id) is None  # past its retention
    assert await expiring.records.get(running.response_id) is running  # running: never expires


async def test_the_byte_bound_counts_and_evicts_frozen_records_as_before():
    record = _record()
    probe = MemoryStore()
    snapshot = await _finished(probe, record)
    frames = sum(len(f) for f in probe.events._logs[record.response_id].frames)
    one = len(encode_json(snapshot)) + len(encode_json(record.input_items)) + frames
    assert probe.stored_bytes == one

    store = MemoryStore(max_stored_bytes=3 * one)
    running = _record()
    await store.create_with_log(running)
    ids = []
    for _ in range(5):
        finished = _record()
        await _finished(store, finished)
        ids.append(finished.response_id)
    assert store.stored_bytes <= 3 * one
    assert await store.records.get(ids[0]) is None  # the oldest finished went first
    assert (await store.records.get(ids[-1])).finished
    assert await store.records.get(running.response_id) is running
    assert set(store.records._sizes) == set(store.records._records)
