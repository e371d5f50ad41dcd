"""The Redis store's isolation, lease and connection guarantees, against a real Redis.

- a conversation belongs to its isolation scope (owner, chat key): another user naming the same
  conversation id has another conversation (over HTTP here; the store's own tests, its keys and its
  retention while responses run, are in test_redis_conversations.py);
- a cursor past the end of a log replays nothing and then tails (never a bad stream id);
- a replica whose lease was taken over stops its handler, and its live stream ends with the
  reaper's terminal event, byte for byte what a replay shows;
- every tailing reader of a store shares one connection.
"""

from __future__ import annotations

import asyncio
import secrets

import anyio
import httpx
import pytest
import redis
from support.hosts import Probe
from support.polling import apoll
from support.redis_support import TEST_DB, redis_test_url
from support.servers import serve_in_thread
from support.sse import parse_frame, parse_sse

from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions, TextResponse
from responsekit.server.runner import FAILURE_MESSAGES
from responsekit.store import redis as redis_store
from responsekit.store.protocols import LogEntry, ResponseRecord
from responsekit.store.redis import RedisStore
from responsekit.streaming.events import encode_json, sse_frame

pytestmark = pytest.mark.anyio

WAIT = 10.0


def _sync() -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=6379, db=TEST_DB, socket_timeout=2)


def _rid(n: int | str) -> str:
    return f"resp_{n:0>48}"


def _record(rid: str, owner: str | None = "alice", **fields) -> ResponseRecord:
    snapshot = {"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"}
    items = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": f"hi {rid}"}]}]
    return ResponseRecord(response_id=rid, snapshot=snapshot, input_items=items, owner=owner, **fields)


def _frame(seq: int) -> bytes:
    payload = {"type": "response.output_text.delta", "delta": f"tok{seq}", "sequence_number": seq}
    return sse_frame("response.output_text.delta", encode_json(payload))


def _terminal(seq: int) -> tuple[dict, bytes]:
    snapshot = {"id": "x", "object": "response", "status": "completed", "output": []}
    payload = {"type": "response.completed", "response": snapshot, "sequence_number": seq}
    return snapshot, sse_frame("response.completed", encode_json(payload))


async def _collect(iterator) -> list[bytes]:
    frames: list[bytes] = []
    with anyio.fail_after(WAIT):
        async for batch in iterator:
            frames.extend(batch)
    return frames


def _texts(items: list) -> list[str]:
    return [part["text"] for item in items for part in item.get("content") or []]


# -- conversations belong to their isolation scope -------------------------------------------------
async def test_two_users_naming_the_same_conversation_see_only_their_own_history_over_http(prefix):
    async def handler(request, context, cancellation_signal):
        history = await context.get_history()
        dumped = [item.model_dump() if hasattr(item, "model_dump") else item for item in history]
        texts = [part.get("text", "") for item in dumped for part in item.get("content") or []]
        return TextResponse(context, request, text=" | ".join(texts) or "(none)")

    host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url=redis_test_url(prefix)))
    host.response_handler(handler)

    def ask(server, user: str, text: str) -> str:
        reply = httpx.post(
            f"{server.url}/responses",
            json={"model": "m", "input": text, "conversation": "conv_shared"},
            headers={"x-agent-user-isolation-key": user},
            timeout=WAIT,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["output"][0]["content"][0]["text"]

    with serve_in_thread(host) as server:
        assert await anyio.to_thread.run_sync(ask, server, "alice", "alice secret") == "(none)"
        assert await anyio.to_thread.run_sync(ask, server, "bob", "bob here") == "(none)"
        seen = await anyio.to_thread.run_sync(ask, server, "alice", "again")
        assert seen == "alice secret | (none)"
        assert "bob" not in seen


# -- cursors past the end ---------------------------------------------------------------------------
async def test_a_cursor_past_the_end_replays_nothing_then_ends_when_the_log_closes(stores):
    a, b = await stores(), await stores()
    rid = _rid("cursor")
    await a.records.create(_record(rid))
    await a.events.open(rid)
    await a.events.append(rid, [LogEntry(0, _frame(0)), LogEntry(1, _frame(1))])
    await a._io.drain(WAIT)
    huge = 99999999999999999999999
    # running, read on another replica: nothing yet, and the read ends when the log closes
    readers = [
        asyncio.ensure_future(_collect(await b.events.read(rid, after, 0.05))) for after in (huge, 5, 1)
    ]
    await a.events.append(rid, [LogEntry(2, _frame(2))])
    assert await a.records.finish(rid, {"id": rid, "status": "completed", "output": []})
    await a.events.append(rid, [LogEntry(3, _terminal(3)[1])], close=True)
    assert await asyncio.gather(*readers) == [[], [], [_frame(2), _terminal(3)[1]]]
    # closed: from any cursor past its end, nothing at once
    for after in (3, 4, huge, 2**64, 2**200):
        assert await _collect(await b.events.read(rid, after, None)) == []


# -- a lease taken over -----------------------------------------------------------------------------
async def _taken_over(
    worker: RedisStore, reaper: RedisStore, rid: str
) -> tuple[asyncio.Event, asyncio.Future]:
    """A response run by ``worker`` whose lease lapses at once, reaped by ``reaper``; returns the flag
    its ``on_lost`` sets and a local reader's frames."""
    worker.leases.lease_ms = 1  # as if its renewals had stalled past the lease
    await worker.records.create(_record(rid))
    await worker.events.open(rid)
    lost = asyncio.Event()
    worker.records.hold(rid, on_lost=lost.set)
    await worker.events.append(rid, [LogEntry(0, _frame(0)), LogEntry(1, _frame(1))])
    await worker._io.drain(WAIT)
    local = asyncio.ensure_future(_collect(await worker.events.read(rid, -1, None)))

    async def reaped() -> ResponseRecord | None:
        record = await reaper.records.get(rid)
        if record.finished:
            return record
        await reaper.reap_expired()
        return None

    record = await apoll(reaped, timeout=WAIT, what=f"{rid} reaped")
    assert record.status == "failed"
    return lost, local


async def _check_ends_as_the_replay(reaper: RedisStore, rid: str, local: asyncio.Future) -> None:
    frames = await local
    assert frames == await _collect(await reaper.events.read(rid, -1, None))
    assert frames[:2] == [_frame(0), _frame(1)] and len(frames) == 3
    event = parse_frame(frames[2]).data
    assert event["type"] == "response.failed" and event["sequence_number"] == 2
    assert event["response"]["error"]["message"] == FAILURE_MESSAGES["lost"]


async def test_a_renewal_that_finds_the_lease_taken_over_reports_the_run_lost(stores):
    worker, reaper = await stores(), await stores()
    rid = _rid("renewlost")
    lost, local = await _taken_over(worker, reaper, rid)
    await worker.renew_leases()  # nothing else is written: only the renewal can tell
    with anyio.fail_after(WAIT):
        await lost.wait()
    await _check_ends_as_the_replay(reaper, rid, local)


async def test_an_append_refused_after_a_takeover_reports_the_run_lost_and_is_never_shown(stores):
    worker, reaper = await stores(), await stores()
    rid = _rid("appendlost")
    lost, local = await _taken_over(worker, reaper, rid)
    await worker.events.append(rid, [LogEntry(2, _frame(2))])  # the log is closed: refused
    with anyio.fail_after(WAIT):
        await lost.wait()
    await _check_ends_as_the_replay(reaper, rid, local)


async def test_a_replica_whose_lease_was_taken_over_stops_and_its_live_stream_ends_as_the_replay(prefix):
    probe = Probe()

    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        yield text.emit_delta("before")
        probe.note(context.response_id)
        await probe.await_("client_saw_delta")
        # A long synchronous call: the event loop (lease renewals included) stops until another
        # replica has declared this run lost.
        probe.wait("reaped")
        try:
            yield text.emit_delta("after")  # refused: the log was closed by the reaper
            await asyncio.wait_for(cancellation_signal.wait(), WAIT)
            yield text.emit_delta("too late")
            yield stream.emit_completed()
        finally:  # however the run stops it (interrupted where it awaits, or closed where it yields)
            if cancellation_signal.is_set():
                probe.set("signal_seen")

    url = redis_test_url(prefix)
    host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url=url, lease_seconds=0.5))
    host.response_handler(handler)
    reaper = RedisStore(f"redis://127.0.0.1:6379/{TEST_DB}", key_prefix=prefix)
    await reaper.start()
    body = {"model": "m", "input": "x", "stream": True, "background": True}
    try:
        with serve_in_thread(host) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as client:
                with anyio.fail_after(3 * WAIT):
                    async with client.stream("POST", "/responses", json=body) as live:
                        assert live.status_code == 200
                        seen = b""
                        chunks = live.aiter_bytes()
                        while b"response.output_text.delta" not in seen:
                            seen += await chunks.__anext__()
                        probe.set("client_saw_delta")
                        rid = probe.notes[0]
                        await reaper.reap_expired()

                        async def reaped() -> bool:  # by either loop
                            if (await reaper.records.get(rid)).finished:
                                return True
                            await reaper.reap_expired()
                            return False

                        await apoll(reaped, interval=0.02, what="the blocked replica reaped")
                        probe.set("reaped")
                        async for chunk in chunks:
                            seen += chunk
                    replay = await client.get(f"/responses/{rid}", params={"stream": "true"})
                    stored = (await client.get(f"/responses/{rid}")).json()
    finally:
        probe.set("reaped")
        await reaper.close()
    assert seen.endswith(b"data: [DONE]\n\n"), seen[-300:]
    live, replayed = parse_sse(seen), parse_sse(replay.content)
    assert live.done and replayed.done
    assert [f.raw for f in live.frames] == [f.raw for f in replayed.frames]
    events = live.events
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    terminals = [e for e in events if e["type"] in ("response.completed", "response.failed")]
    assert len(terminals) == 1 and terminals[0] is events[-1]
    assert terminals[0]["type"] == "response.failed"
    assert terminals[0]["response"]["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["lost"]}
    assert not any(e.get("delta") in ("after", "too late") for e in events)
    assert stored["status"] == "failed" and stored == terminals[0]["response"]
    with anyio.fail_after(WAIT):
        await anyio.to_thread.run_sync(probe.wait, "signal_seen")


# -- one connection for every tailing reader --------------------------------------------------------
def _connections(name: str) -> int:
    client = _sync()
    try:
        return sum(1 for entry in client.client_list() if entry.get("name") == name)
    finally:
        client.close()


async def test_fifty_remote_tailing_readers_share_one_connection_and_all_get_every_frame(stores):
    name = f"rk-tail-{secrets.token_hex(4)}"
    writer, reading = await stores(), await stores(client_name=name)
    ids = [_rid(f"tail{i}") for i in range(50)]
    for rid in ids:
        await writer.records.create(_record(rid))
        await writer.events.open(rid)
    await writer._io.drain(WAIT)
    idle = {rid: asyncio.Event() for rid in ids}

    async def read(rid: str) -> list[bytes]:
        frames: list[bytes] = []
        with anyio.fail_after(3 * WAIT):
            async for batch in await reading.events.read(rid, -1, 0.05):
                if not batch:
                    idle[rid].set()  # a keep-alive: it is tailing, with nothing new
                frames.extend(batch)
        return frames

    readers = [asyncio.ensure_future(read(rid)) for rid in ids]
    with anyio.fail_after(WAIT):
        for event in idle.values():
            await event.wait()
    # the command queue, the cancel subscription and the one tailing connection
    most = _connections(name)
    assert most <= 2 + redis_store.TAIL_CONNECTIONS, most
    sent = {rid: [] for rid in ids}
    for seq in range(6):
        for rid in ids:
            frame = _frame(seq) if seq < 5 else _terminal(seq)[1]
            sent[rid].append(frame)
            if seq < 5:
                await writer.events.append(rid, [LogEntry(seq, frame)])
            else:
                await writer.records.finish(rid, {"id": rid, "status": "completed", "output": []})
                await writer.events.append(rid, [LogEntry(seq, frame)], close=True)
        await writer._io.drain(WAIT)
        most = max(most, _connections(name))
    results = await asyncio.gather(*readers)
    assert most <= 2 + redis_store.TAIL_CONNECTIONS, most
    for rid, frames in zip(ids, results, strict=True):
        assert frames == sent[rid], rid


async def test_a_tailing_reader_that_falls_behind_the_shared_buffer_reads_the_gap(stores, monkeypatch):
    monkeypatch.setattr(redis_store, "TAIL_BUFFER_ENTRIES", 4)
    writer, reading = await stores(), await stores()
    rid = _rid("behind")
    await writer.records.create(_record(rid))
    await writer.events.open(rid)
    await writer._io.drain(WAIT)
    fast = await reading.events.read(rid, -1, None)
    slow = await reading.events.read(rid, -1, None)
    fast_seen: list[bytes] = []

    async def keep_up() -> None:
        async for batch in fast:
            fast_seen.extend(batch)

    fast_task = asyncio.ensure_future(keep_up())
    slow_seen: list[bytes] = []
    slow_next = asyncio.ensure_future(slow.__anext__())
    sent = []
    for seq in range(20):  # one stream entry each, well past the buffer of 4
        sent.append(_frame(seq))
        await writer.events.append(rid, [LogEntry(seq, sent[-1])])
        await writer._io.drain(WAIT)
        with anyio.fail_after(WAIT):
            while len(fast_seen) < seq + 1:
                await asyncio.sleep(0.005)
        if seq == 0:
            slow_seen.extend(await slow_next)  # then the slow reader pauses: nothing pulls it
    await writer.records.finish(rid, {"id": rid, "status": "completed", "output": []})
    sent.append(_terminal(20)[1])
    await writer.events.append(rid, [LogEntry(20, sent[-1])], close=True)
    slow_seen.extend(await _collect(slow))
    with anyio.fail_after(WAIT):
        await fast_task
    assert fast_seen == sent
    assert slow_seen == sent


async def test_a_remote_reader_pages_through_a_long_log_then_tails_it(stores):
    writer, reading = await stores(), await stores()
    rid = _rid("long")
    await writer.records.create(_record(rid))
    await writer.events.open(rid)
    sent = [_frame(seq) for seq in range(1300)]
    for seq in range(1300):  # one stream entry each: several pages of READ_COUNT
        await writer.events.append(rid, [LogEntry(seq, sent[seq])])
        if seq % 100 == 99:
            await writer._io.drain(WAIT)
    await writer._io.drain(WAIT)
    reader = asyncio.ensure_future(_collect(await reading.events.read(rid, 9, 0.05)))
    await writer.records.finish(rid, {"id": rid, "status": "completed", "output": []})
    sent.append(_terminal(1300)[1])
    await writer.events.append(rid, [LogEntry(1300, sent[-1])], close=True)
    assert await reader == sent[10:]
    assert await _collect(await reading.events.read(rid, -1, None)) == sent
