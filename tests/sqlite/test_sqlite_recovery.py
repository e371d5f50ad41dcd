"""Resilient background responses on the SQLite store: a response whose run stopped without ending it
(the process died, or the run left it with ``leave_for_recovery``) is kept at the next start (with
``resilient``), reported to ``on_recoverable``, claimed by this process, and its event log goes on
at the next sequence number; the schema of a file from before them (version 1) is migrated.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from contextlib import asynccontextmanager

import anyio
import pytest
from pydantic_core import from_json

from responsekit.store.protocols import LogEntry, ResponseRecord, Resumable
from responsekit.store.sqlite import SqliteStore, schema
from responsekit.streaming.events import encode_json, sse_frame
from responsekit.streaming.terminal import FAILURE_MESSAGES

pytestmark = pytest.mark.anyio

WAIT = 10.0
REQUEST = {"model": "m", "input": "hello", "background": True}


def _rid() -> str:
    return f"resp_{secrets.token_hex(24)}"


def _record(*, resilient: bool = True) -> ResponseRecord:
    rid = _rid()
    return ResponseRecord(
        response_id=rid,
        snapshot={"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"},
        input_items=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        owner="alice",
        background=True,
        resumable=(
            Resumable(request=dict(REQUEST), client_headers={"x-h": "1"}, query_parameters={"q": "2"})
            if resilient
            else None
        ),
    )


def _output(text: str) -> list[dict]:
    return [
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text}],
        }
    ]


def _frame(seq: int) -> bytes:
    payload = {"type": "response.output_text.delta", "delta": f"tok {seq}", "sequence_number": seq}
    return sse_frame("response.output_text.delta", encode_json(payload))


def _terminal(seq: int, snapshot: dict) -> bytes:
    payload = {"type": "response.completed", "response": snapshot, "sequence_number": seq}
    return sse_frame("response.completed", encode_json(payload))


def _entries(start: int, stop: int) -> list[LogEntry]:
    return [LogEntry(seq, _frame(seq)) for seq in range(start, stop)]


async def _drain(iterator) -> list[bytes]:
    frames: list[bytes] = []
    with anyio.fail_after(WAIT):
        async for batch in iterator:
            frames.extend(batch)
    return frames


async def _frames(store: SqliteStore, rid: str, after: int = -1) -> list[bytes]:
    return await _drain(await store.events.read(rid, after, None))


async def _first(store: SqliteStore, rid: str, after: int, count: int) -> list[bytes]:
    """The first ``count`` frames of a log still open (its reader waits for more)."""
    frames: list[bytes] = []
    iterator = await store.events.read(rid, after, None)
    with anyio.fail_after(WAIT):
        async for batch in iterator:
            frames.extend(batch)
            if len(frames) >= count:
                break
    await iterator.aclose()
    return frames


def _opening(db, reported: list[str], *, resilient: bool = True):
    """``async with _opening(...)``: the store on the test's file with ``resilient`` and a collector
    for ``on_recoverable`` set before it starts."""

    @asynccontextmanager
    async def opening():
        store = SqliteStore(db)
        store.resilient = resilient
        store.on_recoverable = reported.append
        await store.start()
        try:
            yield store
        finally:
            await store.close()

    return opening()


async def _crashed_with_checkpoint(opened) -> tuple[ResponseRecord, dict]:
    """A resilient response with events 0..4 and a checkpoint, left unfinished by a store closed
    without ending it (as a process that dies: what was queued is written)."""
    async with opened() as store:
        record = _record()
        rid = record.response_id
        await store.create_with_log(record)
        await store.events.append(rid, _entries(0, 5))
        checkpoint = {**record.snapshot, "output": _output("partial")}
        await store.records.save_checkpoint(rid, checkpoint, {"step": 3})
        got = await store.records.get(rid)
        assert got.resumable.checkpoint == checkpoint and got.resumable.internal_metadata == {"step": 3}
    return record, checkpoint


async def test_a_resilient_response_left_running_is_claimed_and_its_log_continues(opened, db):
    record, checkpoint = await _crashed_with_checkpoint(opened)
    rid = record.response_id
    reported: list[str] = []
    async with _opening(db, reported) as store:
        assert reported == [rid] and store.awaiting_recovery == [rid] and store.recovered == []
        waiting = await store.records.get(rid)  # from the file, unfinished, with what resumes it
        assert not waiting.finished and waiting.snapshot == checkpoint
        assert waiting.resumable == Resumable(
            request=REQUEST,
            client_headers={"x-h": "1"},
            query_parameters={"q": "2"},
            checkpoint=checkpoint,
            internal_metadata={"step": 3},
            attempts=0,
        )
        assert await _frames(store, rid) == [_frame(seq) for seq in range(5)]  # not claimed: the file

        claim = await store.records.claim_recovery(rid)
        assert claim is not None and claim.next_sequence_number == 5
        assert claim.record.resumable.attempts == 1
        assert claim.record.resumable.checkpoint == checkpoint
        assert claim.record.resumable.internal_metadata == {"step": 3}
        assert claim.record.resumable.request == REQUEST
        assert claim.record.snapshot == checkpoint and not claim.record.finished
        assert await store.records.claim_recovery(rid) is None  # this process runs it now
        assert await store.events.last_sequence_number(rid) == 4

        # Readers started after the claim, before the appends: from the file, then live.
        reader = asyncio.ensure_future(_frames(store, rid, after=2))
        whole = asyncio.ensure_future(_frames(store, rid))
        live = asyncio.ensure_future(_frames(store, rid, after=5))
        await asyncio.sleep(0.05)
        assert not reader.done()
        await store.events.append(rid, _entries(5, 7))
        await store.records.save_snapshot(rid, {**checkpoint, "output": _output("more")})
        final = {**checkpoint, "status": "completed", "output": _output("done")}
        assert await store.records.finish(rid, final)
        await store.events.append(rid, [LogEntry(7, _terminal(7, final))], close=True)
        expected = [*(_frame(seq) for seq in range(7)), _terminal(7, final)]
        assert await reader == expected[3:]
        assert await whole == expected
        assert await live == expected[6:]
        assert await store.events.last_sequence_number(rid) == 7
        assert await store.records.claim_recovery(rid) is None  # finished
        assert await _frames(store, rid, after=2) == expected[3:]  # closed: read from the file
        done = await store.records.get(rid)
        assert done.finished and done.snapshot == final and done.resumable.attempts == 1
        stored_bytes = store.stored_bytes
    async with opened() as store:  # one log, whole, with the same rows
        assert store.recovered == []
        assert store.stored_bytes == stored_bytes  # what was counted is what the file holds
        assert await _frames(store, rid) == expected
        assert await store.events.last_sequence_number(rid) == 7
        assert (await store.records.get(rid)).snapshot == final
        count = sqlite3.connect(db).execute("SELECT COUNT(*) FROM logs WHERE response_id = ?", (rid,))
        assert count.fetchone()[0] == 1


async def test_without_resilient_an_unfinished_resilient_response_ends_failed_as_lost(opened, db):
    record, checkpoint = await _crashed_with_checkpoint(opened)
    rid = record.response_id
    reported: list[str] = []
    async with _opening(db, reported, resilient=False) as store:
        assert reported == [] and store.awaiting_recovery == [] and store.recovered == [rid]
        lost = await store.records.get(rid)
        assert lost.finished and lost.status == "failed"
        assert lost.snapshot["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["lost"]}
        assert lost.snapshot["output"] == checkpoint["output"]
        frames = await _frames(store, rid)
        assert frames[:5] == [_frame(seq) for seq in range(5)] and len(frames) == 6
        assert from_json(frames[5].split(b"data: ", 1)[1])["sequence_number"] == 5
        assert await store.records.claim_recovery(rid) is None


async def test_an_ordinary_response_still_ends_lost_with_resilient_on(opened, db):
    async with opened() as store:
        ordinary = _record(resilient=False)
        await store.create_with_log(ordinary)
        await store.events.append(ordinary.response_id, _entries(0, 2))
        assert (await store.records.get(ordinary.response_id)).resumable is None
    reported: list[str] = []
    async with _opening(db, reported) as store:
        assert reported == [] and store.recovered == [ordinary.response_id]
        got = await store.records.get(ordinary.response_id)
        assert got.finished and got.status == "failed" and got.resumable is None
        assert await store.records.claim_recovery(ordinary.response_id) is None


async def test_attempts_accumulate_across_restarts(opened, db):
    record, _ = await _crashed_with_checkpoint(opened)
    rid = record.response_id
    reported: list[str] = []
    async with _opening(db, reported) as store:
        claim = await store.records.claim_recovery(rid)
        assert claim.record.resumable.attempts == 1 and claim.next_sequence_number == 5
        await store.events.append(rid, _entries(5, 6))
        # crashes again
    async with _opening(db, reported) as store:
        assert reported == [rid, rid]
        claim = await store.records.claim_recovery(rid)
        assert claim.record.resumable.attempts == 2 and claim.next_sequence_number == 6
        assert (await store.records.get(rid)).resumable.attempts == 2
        assert await _first(store, rid, 3, 2) == [_frame(4), _frame(5)]
        await store.events.append(rid, _entries(6, 7))
        assert await _first(store, rid, 3, 3) == [_frame(4), _frame(5), _frame(6)]


async def test_leave_for_recovery_hands_the_response_to_the_next_start(opened, db):
    reported: list[str] = []
    async with _opening(db, reported) as store:
        record = _record()
        rid = record.response_id
        await store.create_with_log(record)
        reader = asyncio.ensure_future(_frames(store, rid))
        await store.events.append(rid, _entries(0, 3))  # not waited for: the leave waits
        later = {**record.snapshot, "output": _output("later")}
        await store.records.save_snapshot(rid, later)
        await store.records.leave_for_recovery(rid)
        assert await reader == [_frame(seq) for seq in range(3)]  # what it had, then the end
        got = await store.records.get(rid)  # from the file now
        assert not got.finished and got.snapshot == later and got.resumable.request == REQUEST
        assert await _frames(store, rid) == [_frame(seq) for seq in range(3)]
        await store.events.append(rid, _entries(3, 4))  # not written by this process any more
        assert await store.events.last_sequence_number(rid) == 2  # open in the file
    async with _opening(db, reported) as store:
        assert reported == [rid]
        assert await store.events.last_sequence_number(rid) == 2  # awaiting recovery
        claim = await store.records.claim_recovery(rid)
        assert claim.next_sequence_number == 3 and claim.record.snapshot == later
        assert claim.record.resumable.checkpoint is None and claim.record.resumable.attempts == 1


async def test_a_checkpoint_is_committed_when_it_returns_and_ignored_once_finished(opened, db):
    async with opened() as store:
        record = _record()
        rid = record.response_id
        await store.create_with_log(record)
        checkpoint = {**record.snapshot, "output": _output("one")}
        await store.records.save_checkpoint(rid, checkpoint, {"k": "v"})
        checkpoint["output"].append({"changed": "after"})  # the handler goes on: the copy is kept
        row = sqlite3.connect(db).execute("SELECT checkpoint FROM responses WHERE id = ?", (rid,)).fetchone()
        stored = from_json(row[0])
        assert stored == {
            "response": {**record.snapshot, "output": _output("one")},
            "internal_metadata": {"k": "v"},
        }
        assert (await store.records.get(rid)).resumable.checkpoint == stored["response"]
        final = {**record.snapshot, "status": "completed", "output": _output("done")}
        assert await store.records.finish(rid, final)
        await store.records.save_checkpoint(rid, {**record.snapshot, "output": []}, {})
        await store.events.append(rid, [LogEntry(0, _terminal(0, final))], close=True)
        bytes_before = store.stored_bytes
    async with opened() as store:
        got = await store.records.get(rid)
        assert got.finished and got.snapshot == final
        assert got.resumable.checkpoint == stored["response"]
        assert store.stored_bytes == bytes_before  # what the bounds count, counted again from the file


async def test_two_claims_at_once_give_one_claim(opened, db):
    record, _ = await _crashed_with_checkpoint(opened)
    reported: list[str] = []
    async with _opening(db, reported) as store:
        claims = await asyncio.gather(*(store.records.claim_recovery(record.response_id) for _ in range(3)))
        assert sum(claim is not None for claim in claims) == 1
        assert (await store.records.get(record.response_id)).resumable.attempts == 1


async def test_from_url_reads_resilient_background(tmp_path):
    class Options:
        response_retention_seconds = 3600.0
        event_log_retention_seconds = 3600.0
        max_stored_responses = 100
        max_stored_bytes = 1 << 20
        conversation_retention_seconds = 3600.0
        resilient_background = True

    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert SqliteStore.from_url(url, Options()).resilient is True
    del Options.resilient_background
    assert SqliteStore.from_url(url, Options()).resilient is False
    assert SqliteStore.from_url(url).resilient is False


# -- schema ----------------------------------------------------------------------------------------
_V1_RESPONSES = """
CREATE TABLE responses (
    id TEXT PRIMARY KEY,
    owner TEXT,
    chat_key TEXT,
    background INTEGER NOT NULL,
    stream INTEGER NOT NULL,
    previous_response_id TEXT,
    conversation_id TEXT,
    created_at REAL NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    finished_at REAL,
    expires_at REAL,
    size INTEGER NOT NULL,
    snapshot BLOB NOT NULL,
    input_items BLOB NOT NULL
)
"""


def _v1_file(path) -> None:
    """A file as version 1 wrote it: the tables of today but ``responses`` without its version 2
    columns, one finished and one running response (with their logs)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(_V1_RESPONSES)
    current = schema._TABLES.split(");", 1)[1]  # every table but responses, as version 2 has them
    for statement in schema._statements(current):
        conn.execute(statement)
    for rid, finished in (("resp_done", 1), ("resp_running", 0)):
        snapshot = encode_json(
            {
                "id": rid,
                "object": "response",
                "status": "completed" if finished else "in_progress",
                "output": [],
            }
        )
        items = encode_json([{"type": "message", "role": "user", "content": "hi"}])
        conn.execute(
            "INSERT INTO responses (id, owner, background, stream, created_at, finished, finished_at, "
            "expires_at, size, snapshot, input_items) VALUES (?, 'alice', 1, 0, 1.0, ?, ?, ?, ?, ?, ?)",
            (
                rid,
                finished,
                2.0 if finished else None,
                4e12 if finished else None,
                len(snapshot) + len(items),
                snapshot,
                items,
            ),
        )
    conn.execute(
        "INSERT INTO logs (response_id, lid, closed, last_seq, size, expires_at) VALUES ('resp_done', 1, 1, 0, ?, 4e12)",
        (len(_frame(0)),),
    )
    conn.execute("INSERT INTO chunks VALUES (1, 0, ?, ?)", (len(_frame(0)).to_bytes(4, "little"), _frame(0)))
    conn.execute("INSERT INTO logs (response_id, lid) VALUES ('resp_running', 2)")
    conn.execute("PRAGMA user_version = 1")
    conn.close()


async def test_a_version_1_file_is_migrated_and_works(opened, db):
    assert schema.SCHEMA_VERSION == 2
    _v1_file(db)
    reported: list[str] = []
    async with _opening(db, reported) as store:
        assert store.recovered == ["resp_running"] and reported == []  # not resilient: lost
        done = await store.records.get("resp_done")
        assert done.finished and done.owner == "alice" and done.resumable is None
        assert await _frames(store, "resp_done") == [_frame(0)]
        lost = await store.records.get("resp_running")
        assert lost.finished and lost.status == "failed" and lost.resumable is None
        record = _record()
        await store.create_with_log(record)
        await store.records.save_checkpoint(record.response_id, record.snapshot, {"a": 1})
        assert (await store.records.get(record.response_id)).resumable.internal_metadata == {"a": 1}
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    columns = {row[1] for row in conn.execute("PRAGMA table_info(responses)")}
    assert {"resumable", "checkpoint", "attempts"} <= columns
    conn.close()
    async with _opening(db, reported) as store:  # the migrated file opens again, and recovers
        assert reported == [record.response_id]
        claim = await store.records.claim_recovery(record.response_id)
        assert claim.record.resumable.internal_metadata == {"a": 1} and claim.next_sequence_number == 0


async def test_a_response_left_for_recovery_may_be_claimed_again_in_the_same_process(opened, db):
    """E.g. to cancel it: the host claims it and ends it here."""
    reported: list[str] = []
    async with _opening(db, reported) as store:
        record = _record()
        rid = record.response_id
        await store.create_with_log(record)
        await store.events.append(rid, _entries(0, 2))
        await store.records.leave_for_recovery(rid)
        claim = await store.records.claim_recovery(rid)
        assert claim is not None and claim.next_sequence_number == 2 and claim.record.resumable.attempts == 1
        reader = asyncio.ensure_future(_frames(store, rid))
        cancelled = {**record.snapshot, "status": "cancelled"}
        assert await store.records.finish(rid, cancelled)
        await store.events.append(rid, [LogEntry(2, _terminal(2, cancelled))], close=True)
        expected = [_frame(0), _frame(1), _terminal(2, cancelled)]
        assert await reader == expected
        assert await _frames(store, rid) == expected
        assert await store.records.claim_recovery(rid) is None
    async with _opening(db, reported) as store:
        assert reported == [] and store.recovered == []
        assert (await store.records.get(rid)).snapshot == cancelled
