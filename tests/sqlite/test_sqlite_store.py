"""The SQLite store in one process: what survives closing and opening the file again, what a previous
process left running, paged replays, retention and byte bounds, and where SQLite runs (never on the
event loop). The behaviour every store shares is in tests/store (the contract suites run on SQLite).
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
import time

import anyio
import pytest
from pydantic_core import from_json

from responsekit.store.protocols import (
    ConversationKey,
    ConversationRecord,
    LogEntry,
    LogNotFound,
    ResponseRecord,
    StoreUnavailable,
)
from responsekit.store.sqlite import SqliteStore, bounds, connection, logs
from responsekit.streaming.events import encode_json, sse_frame
from responsekit.streaming.terminal import FAILURE_MESSAGES

pytestmark = pytest.mark.anyio

WAIT = 10.0


def _rid() -> str:
    return f"resp_{secrets.token_hex(24)}"


def _record(rid: str | None = None, **fields) -> ResponseRecord:
    rid = rid or _rid()
    snapshot = {"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"}
    return ResponseRecord(
        response_id=rid,
        snapshot=snapshot,
        input_items=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": rid}]}],
        owner="alice",
        **fields,
    )


def _output(text: str) -> list[dict]:
    return [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}]


def _frame(seq: int, size: int = 0) -> bytes:
    payload = {
        "type": "response.output_text.delta",
        "delta": "x" * size or f"tok {seq}",
        "sequence_number": seq,
    }
    return sse_frame("response.output_text.delta", encode_json(payload))


def _terminal(seq: int, snapshot: dict) -> bytes:
    payload = {"type": "response.completed", "response": snapshot, "sequence_number": seq}
    return sse_frame("response.completed", encode_json(payload))


async def _collect(iterator) -> list[list[bytes]]:
    batches: list[list[bytes]] = []
    with anyio.fail_after(WAIT):
        async for batch in iterator:
            if batch:
                batches.append(batch)
    return batches


async def _frames(store: SqliteStore, rid: str, after: int = -1) -> list[bytes]:
    return [frame for batch in await _collect(await store.events.read(rid, after, None)) for frame in batch]


async def _finished(
    store: SqliteStore, count: int = 3, size: int = 0, **fields
) -> tuple[ResponseRecord, list[bytes], dict]:
    """A response that ran to completion: ``count`` frames (of ``size`` bytes or so), then its
    terminal event."""
    record = _record(**fields)
    rid = record.response_id
    await store.create_with_log(record)
    frames = [_frame(seq, size) for seq in range(count)]
    await store.events.append(rid, [LogEntry(seq, frame) for seq, frame in enumerate(frames)])
    final = {**record.snapshot, "status": "completed", "output": _output(f"done {rid}")}
    assert await store.records.finish(rid, final)
    frames.append(_terminal(count, final))
    await store.events.append(rid, [LogEntry(count, frames[-1])], close=True)
    return record, frames, final


# -- restart -------------------------------------------------------------------------------------------
async def test_records_logs_chains_and_conversations_survive_closing_and_opening_the_file(opened):
    key = ConversationKey("alice", None, f"conv_{secrets.token_hex(8)}")
    items = [
        {
            "id": f"msg_{i}",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        }
        for i in range(3)
    ]
    async with opened() as store:
        first, first_frames, first_final = await _finished(store, count=4)
        second, second_frames, _ = await _finished(store, previous_response_id=first.response_id)
        await store.conversations.create(ConversationRecord(key, 1_700_000_000, {"topic": "t"}), items)
        stored_bytes = store.stored_bytes
    async with opened() as store:
        got = await store.records.get(first.response_id)
        assert got is not None and got.finished and got.snapshot == first_final
        assert got.input_items == first.input_items and got.owner == "alice"
        assert await _frames(store, first.response_id) == first_frames
        assert await _frames(store, first.response_id, after=2) == first_frames[3:]
        assert await _frames(store, second.response_id) == second_frames
        assert await store.events.last_sequence_number(first.response_id) == 4
        third = _record(previous_response_id=second.response_id)
        history = await store.records.history(third, 100)
        assert history == [
            *first.input_items,
            *first_final["output"],
            *second.input_items,
            *(await store.records.get(second.response_id)).snapshot["output"],
        ]
        assert (await store.conversations.get(key)).metadata == {"topic": "t"}
        assert await store.conversations.list_items(key, after=None, limit=10, order="asc") == (items, False)
        assert store.stored_bytes == stored_bytes  # counted again from the file
        assert store.recovered == []


async def test_a_response_left_running_ends_failed_as_lost_with_one_terminal_event(opened):
    async with opened() as store:
        done, done_frames, _ = await _finished(store)
        running = _record()
        rid = running.response_id
        await store.create_with_log(running)
        checkpoint = {**running.snapshot, "output": _output("partial")}
        await store.records.save_snapshot(rid, checkpoint)
        await store.events.append(rid, [LogEntry(seq, _frame(seq)) for seq in range(3)])
        # closed without an end, as a process that dies (what was queued is written)
    async with opened() as store:
        assert store.recovered == [rid]
        lost = await store.records.get(rid)
        assert lost.finished and lost.status == "failed"
        assert lost.snapshot["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["lost"]}
        assert lost.snapshot["output"] == checkpoint["output"]  # the last checkpoint, ended
        frames = await _frames(store, rid)
        assert frames[:3] == [_frame(seq) for seq in range(3)]
        terminal = frames[3:]
        assert len(terminal) == 1 and terminal[0].startswith(b"event: response.failed\n")
        payload = from_json(terminal[0].split(b"data: ", 1)[1])
        assert payload["sequence_number"] == 3 and payload["response"] == lost.snapshot
        assert await _frames(store, rid, after=2) == terminal
        assert await _frames(store, done.response_id) == done_frames
        assert not await store.records.finish(rid, {**lost.snapshot, "status": "completed"})
    async with opened() as store:  # ended once: a later start changes nothing
        assert store.recovered == []
        assert len(await _frames(store, rid)) == 4


async def test_a_finished_response_whose_terminal_event_was_not_stored_gets_it_at_startup(opened):
    async with opened() as store:
        record = _record()
        rid = record.response_id
        await store.create_with_log(record)
        await store.events.append(rid, [LogEntry(0, _frame(0))])
        final = {**record.snapshot, "status": "incomplete", "output": []}
        assert await store.records.finish(rid, final)
        orphan = _rid()
        await store.events.open(orphan)  # a log without a record
    async with opened() as store:
        assert store.recovered == []
        frames = await _frames(store, rid)
        assert len(frames) == 2 and frames[1].startswith(b"event: response.incomplete\n")
        assert from_json(frames[1].split(b"data: ", 1)[1])["response"] == final
        assert (await store.records.get(rid)).snapshot == final
        (ended,) = await _frames(store, orphan)
        assert ended.startswith(b"event: response.failed\n")
        assert from_json(ended.split(b"data: ", 1)[1])["sequence_number"] == 0


async def test_a_long_log_replays_from_the_file_in_bounded_pages(opened):
    frames = [_frame(seq, size=900 if seq != 700 else 400_000) for seq in range(1500)]
    async with opened() as store:
        record = _record()
        rid = record.response_id
        await store.create_with_log(record)
        for start in range(0, len(frames), 100):
            await store.events.append(rid, [LogEntry(s, frames[s]) for s in range(start, start + 100)])
        assert await store.records.finish(rid, {**record.snapshot, "status": "completed"})
        await store.events.append(rid, [], close=True)
        # closed: its readers read the file now, page by page
        batches = await _collect(await store.events.read(rid, 9, None))
    assert [frame for batch in batches for frame in batch] == frames[10:]
    for batch in batches:
        assert len(batch) <= logs.PAGE_FRAMES
        assert len(batch) == 1 or sum(map(len, batch)) <= logs.PAGE_BYTES
    assert [frames[700]] in batches  # a frame larger than a page comes alone


async def test_snapshot_and_last_sequence_number_are_readable_after_a_restart(opened):
    async with opened() as store:
        record = _record()
        rid = record.response_id
        await store.create_with_log(record)
        await store.events.append(rid, [LogEntry(seq, _frame(seq)) for seq in range(5)])
        assert await store.events.last_sequence_number(rid) in (-1, 4)  # committed frames only
        await store.events.append(rid, [LogEntry(5, _terminal(5, record.snapshot))], close=True)
        assert await store.events.last_sequence_number(rid) == 5
    async with opened() as store:
        assert await store.events.last_sequence_number(rid) == 5
        assert await store.events.last_sequence_number(_rid()) is None


# -- retention and bounds ----------------------------------------------------------------------------
async def test_finished_records_and_logs_expire_after_their_retention_even_before_a_sweep(
    opened, monkeypatch
):
    monkeypatch.setattr(bounds, "SWEEP_INTERVAL_SECONDS", 3600.0)  # no sweep: reads must filter
    async with opened(response_retention_seconds=0.3, event_log_retention_seconds=0.3) as store:
        running = _record()
        await store.create_with_log(running)
        record, _, _ = await _finished(store)
        rid = record.response_id
        assert await store.records.get(rid) is not None and await store.events.exists(rid)
        await asyncio.sleep(0.5)
        assert await store.records.get(rid) is None
        assert not await store.events.exists(rid)
        with pytest.raises(LogNotFound):
            await store.events.read(rid, -1, None)
        later = _record(previous_response_id=rid)
        assert await store.records.history(later, 10) == []
        # a running response never expires
        assert await store.records.get(running.response_id) is not None
        assert await store.events.exists(running.response_id)
    async with opened(response_retention_seconds=0.3, event_log_retention_seconds=0.3) as store:
        # still expired after a restart (wall clock); the running one was ended as lost
        assert await store.records.get(rid) is None
        assert (await store.records.get(running.response_id)).status == "failed"


async def test_expired_rows_are_swept_from_the_file(opened, db):
    async with opened(response_retention_seconds=0.05, event_log_retention_seconds=0.05) as store:
        for _ in range(5):
            await _finished(store)
        await asyncio.sleep(0.2)
        await _finished(store)  # a later transaction sweeps
        assert store.stored_bytes > 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM logs").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(DISTINCT lid) FROM chunks").fetchone()[0] == 1


async def test_max_stored_responses_evicts_the_oldest_finished_never_a_running_one(opened):
    async with opened(max_stored_responses=3) as store:
        running = _record()
        await store.create_with_log(running)
        made = [(await _finished(store))[0].response_id for _ in range(4)]
        assert await store.records.get(running.response_id) is not None
        kept = [rid for rid in made if await store.records.get(rid) is not None]
        assert kept == made[-2:]  # the running one counts, and stays
        assert not await store.events.exists(made[0])


async def test_max_stored_bytes_evicts_the_oldest_finished_responses_first(opened):
    async with opened(max_stored_bytes=50_000) as store:
        running = _record()
        await store.create_with_log(running)
        await store.events.append(running.response_id, [LogEntry(0, _frame(0, size=20_000))])
        made = []
        for _ in range(12):
            record, _, _ = await _finished(store, count=1, size=5_000)
            made.append(record.response_id)
            assert store.stored_bytes <= 50_000
        alive = [rid for rid in made if await store.records.get(rid) is not None]
        assert 0 < len(alive) < len(made)
        assert alive == made[len(made) - len(alive) :]  # the oldest went first
        assert [rid for rid in made if await store.events.exists(rid)] == alive
        assert await store.records.get(running.response_id) is not None  # running: never evicted
        assert await store.events.exists(running.response_id)


async def test_conversations_expire_from_their_last_change_and_are_bounded_by_bytes(opened):
    async with opened(conversation_retention_seconds=0.6, max_stored_bytes=3_000) as store:
        conversations = store.conversations
        old = ConversationKey("alice", None, "conv_old")
        await conversations.create(ConversationRecord(old, 1), [])
        await asyncio.sleep(0.35)
        await conversations.append(old, [{"id": "msg_1", "type": "message", "content": "x"}])  # a change
        await asyncio.sleep(0.35)
        assert await conversations.get(old) is not None  # 0.7 s after creation, 0.35 s after its change
        await asyncio.sleep(0.4)
        assert await conversations.get(old) is None
        assert await conversations.append(old, []) is False
        keys = [ConversationKey("alice", None, f"conv_{i}") for i in range(4)]
        for key in keys:
            await conversations.create(ConversationRecord(key, 1), [{"id": "m", "content": "y" * 1_000}])
        assert [await conversations.get(key) is not None for key in keys] == [False, False, True, True]


# -- threads ------------------------------------------------------------------------------------------
class _Watched(sqlite3.Connection):
    """A connection that notes the thread of every call made through it."""

    threads: set[str] = set()
    delay = 0.0

    def _note(self) -> None:
        _Watched.threads.add(threading.current_thread().name)
        if _Watched.delay and threading.current_thread().name.endswith("writer"):
            time.sleep(_Watched.delay)  # a slow disk

    def execute(self, *args):
        self._note()
        return super().execute(*args)

    def executemany(self, *args):
        self._note()
        return super().executemany(*args)

    def cursor(self, *args):
        self._note()
        return super().cursor(*args)


async def test_every_sqlite_call_runs_on_the_writer_or_the_reader_thread(opened, monkeypatch):
    monkeypatch.setattr(connection, "CONNECTION_CLASS", _Watched)
    _Watched.threads = set()
    async with opened() as store:
        record, _, _ = await _finished(store)
        await store.records.get(record.response_id)
        await _frames(store, record.response_id)
        key = ConversationKey(None, None, "conv_threads")
        await store.conversations.ensure(key, 1)
        await store.conversations.list_items(key, after=None, limit=5, order="desc")
        await store.records.history(_record(previous_response_id=record.response_id), 5)
        assert await store.healthy()
    assert _Watched.threads == {"responsekit-sqlite-writer", "responsekit-sqlite-reader"}


async def test_a_slow_disk_never_blocks_the_event_loop(opened, monkeypatch):
    monkeypatch.setattr(connection, "CONNECTION_CLASS", _Watched)
    async with opened() as store:
        _Watched.delay = 0.05  # every statement of the writer takes 50 ms
        try:
            gaps: list[float] = []

            async def tick() -> None:
                last = time.perf_counter()
                while True:
                    await asyncio.sleep(0.005)
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            ticker = asyncio.ensure_future(tick())
            started = time.perf_counter()
            await _finished(store, count=20)
            took = time.perf_counter() - started
            ticker.cancel()
        finally:
            _Watched.delay = 0.0
    assert took > 0.3  # the writes did take the slow disk's time (a dozen statements)...
    assert max(gaps) < 0.2  # ...and the loop went on meanwhile


async def test_a_response_s_events_share_transactions(opened, monkeypatch):
    monkeypatch.setattr(connection, "CONNECTION_CLASS", _Counting)
    async with opened() as store:
        _Counting.begins = 0
        record = _record()
        rid = record.response_id
        await store.create_with_log(record)
        for seq in range(1000):
            await store.events.append(rid, [LogEntry(seq, _frame(seq))])
        assert await store.records.finish(rid, {**record.snapshot, "status": "completed"})
        await store.events.append(rid, [LogEntry(1000, _frame(1000))], close=True)
        assert len(await _frames(store, rid)) == 1001
    assert _Counting.begins < 100, _Counting.begins  # not one transaction per event


class _Counting(sqlite3.Connection):
    begins = 0

    def execute(self, sql, *args):
        if sql == "BEGIN IMMEDIATE":
            _Counting.begins += 1
        return super().execute(sql, *args)


async def test_a_failed_write_fails_its_response_alone_and_the_store_goes_on(opened, monkeypatch):
    monkeypatch.setattr(connection, "CONNECTION_CLASS", _Failing)
    async with opened() as store:
        doomed, kept = _record(), _record()
        await store.create_with_log(doomed)
        await store.create_with_log(kept)
        _Failing.failing = doomed.response_id
        try:
            await store.events.append(doomed.response_id, [LogEntry(0, _frame(0))])
            await store.events.append(kept.response_id, [LogEntry(0, _frame(0))])
            assert await store.records.finish(kept.response_id, {**kept.snapshot, "status": "completed"})
            await store.events.append(kept.response_id, [LogEntry(1, _frame(1))], close=True)
            with pytest.raises(Exception) as failed:
                await store.records.finish(doomed.response_id, {**doomed.snapshot, "status": "completed"})
                await store.events.append(doomed.response_id, [LogEntry(1, _frame(1))], close=True)
            assert "SQLite store" in str(failed.value)
        finally:
            _Failing.failing = None
        assert await _frames(store, kept.response_id) == [_frame(0), _frame(1)]
        await _finished(store)  # the store goes on
        assert await store.healthy()


class _Failing(sqlite3.Connection):
    failing: str | None = None

    def execute(self, sql, parameters=()):
        self._check(parameters)
        return super().execute(sql, parameters)

    def executemany(self, sql, rows):
        rows = list(rows)
        for row in rows:
            self._check(row)
        return super().executemany(sql, rows)

    def _check(self, parameters) -> None:
        if _Failing.failing is not None and _Failing.failing in parameters:
            raise sqlite3.OperationalError("disk I/O error")


async def test_a_closed_store_still_reads_the_file_and_refuses_writes(opened):
    async with opened() as store:
        record, frames, final = await _finished(store)
    assert (await store.records.get(record.response_id)).snapshot == final
    assert await _frames(store, record.response_id) == frames
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.create_with_log(_record())
    assert not await store.healthy()
    await store.start()  # and it opens again
    try:
        await _finished(store)
        assert await store.healthy()
    finally:
        await store.close()
