"""A Redis replay reader holds at most a page of the log, counted in bytes (against a real Redis).

One stream entry may carry a whole batch of appends (a thousand frames), and one frame may be larger
than a page: the replay is read in pages cut inside Redis, each at most ``PAGE_BYTES`` of frames (a
larger frame comes in pieces of a page), and the bytes read are the log's, byte for byte, from any
cursor. The same holds for a tailing reader that falls behind the shared tail buffer. What Redis
replies to the reading store is counted by a wrapper around its command queue: no timing.
"""

from __future__ import annotations

import asyncio

import anyio
import pytest

from responsekit.store import redis as redis_store
from responsekit.store.protocols import LogEntry, ResponseRecord
from responsekit.streaming.events import encode_json, sse_frame

pytestmark = pytest.mark.anyio

WAIT = 30.0
MB = 1024 * 1024


def _rid(name: str) -> str:
    return f"resp_{name:0>48}"


def _record(rid: str) -> ResponseRecord:
    snapshot = {"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"}
    return ResponseRecord(response_id=rid, snapshot=snapshot, input_items=[], owner=None)


def _frame(seq: int, size: int) -> bytes:
    payload = {"type": "response.output_text.delta", "delta": "x" * size, "sequence_number": seq}
    return sse_frame("response.output_text.delta", encode_json(payload))


def _terminal(seq: int, size: int) -> bytes:
    snapshot = {"id": "x", "object": "response", "status": "completed", "output": [], "text": "y" * size}
    payload = {"type": "response.completed", "response": snapshot, "sequence_number": seq}
    return sse_frame("response.completed", encode_json(payload))


def _reply_bytes(reply) -> int:
    """The bytes of every string in a (nested) Redis reply."""
    if isinstance(reply, bytes | str):
        return len(reply)
    if isinstance(reply, list | tuple):
        return sum(_reply_bytes(item) for item in reply)
    if isinstance(reply, dict):
        return sum(_reply_bytes(k) + _reply_bytes(v) for k, v in reply.items())
    return 0


def _count_replies(store) -> list[tuple[str, int]]:
    """Record (command, bytes of its reply) of every command the store's queue sends."""
    seen: list[tuple[str, int]] = []
    call = store._io.call

    def counting(args, response_id=None):
        future = call(args, response_id)
        name = "PAGE" if args[0] == "EVALSHA" and args[1] is redis_store.scripts.PAGE else str(args[0])

        def done(f: asyncio.Future) -> None:
            if not f.cancelled() and f.exception() is None:
                seen.append((name, _reply_bytes(f.result())))

        future.add_done_callback(done)
        return future

    store._io.call = counting
    return seen


async def _read_all(iterator) -> tuple[bytes, int]:
    """The bytes of every batch, and the largest batch (in bytes)."""
    out: list[bytes] = []
    largest = 0
    with anyio.fail_after(WAIT):
        async for batch in iterator:
            largest = max(largest, sum(map(len, batch)))
            out.extend(batch)
    return b"".join(out), largest


async def _write_log(writer, rid: str) -> list[bytes]:
    """A log of ~6 MB, in append calls of 1,000 small frames, of frames larger than a page, and a
    large terminal."""
    await writer.records.create(_record(rid))
    await writer.events.open(rid)
    sent: list[bytes] = []
    seq = 0
    for sizes in ([1500] * 1000, [1500] * 1000, [2_500_000, 300, 1_200_000, 40], [700] * 10):
        batch = []
        for size in sizes:
            batch.append(LogEntry(seq, _frame(seq, size)))
            sent.append(batch[-1].frame)
            seq += 1
        await writer.events.append(rid, batch)  # one append call (entries of bounded bytes)
        await writer._io.drain(WAIT)
    await writer.records.finish(rid, {"id": rid, "status": "completed", "output": []})
    sent.append(_terminal(seq, 1_100_000))
    await writer.events.append(rid, [LogEntry(seq, sent[-1])], close=True)
    return sent


async def test_a_replay_of_a_multi_mb_log_is_read_in_pages_of_bounded_bytes_and_identical(stores):
    writer, reading = await stores(), await stores()
    rid = _rid("pagedreplay")
    sent = await _write_log(writer, rid)
    # An append call of many frames is cut into stream entries of at most APPEND_MAX_BYTES of frames
    # (or one larger frame): a page is cut from one entry, which Redis copies whole into the script.
    entries = await writer._io.call(("XRANGE", writer._keys.log(rid), "-", "+"))
    assert len(entries) > 7
    for _, fields in entries:
        sizes = [len(value) for name, value in zip(fields[::2], fields[1::2], strict=True) if name != b"c"]
        assert sum(sizes[:-1]) < redis_store.APPEND_MAX_BYTES, sizes
    log = b"".join(sent)
    assert len(log) > 6 * MB
    replies = _count_replies(reading)
    limit = redis_store.PAGE_BYTES + 1024  # the page, and its few header fields

    for after in (-1, 0, 999, 1500, 2000, 2001, 2002, len(sent) - 2):
        replies.clear()
        data, largest = await _read_all(await reading.events.read(rid, after, None))
        assert data == b"".join(sent[after + 1 :]), after
        assert largest <= redis_store.PAGE_BYTES
        assert replies, after
        assert max(size for _, size in replies) <= limit, (after, replies)
        pages = [size for name, size in replies if name == "PAGE"]
        assert len(pages) >= len(data) // redis_store.PAGE_BYTES, (after, len(pages))

    # from a cursor at or past the end: nothing, and nothing large read to find that out
    replies.clear()
    data, _ = await _read_all(await reading.events.read(rid, len(sent) - 1, None))
    assert data == b""
    assert max(size for _, size in replies) <= 1024, replies


async def test_small_pages_cut_frames_into_pieces_and_keep_the_byte_stream(stores, monkeypatch):
    monkeypatch.setattr(redis_store, "PAGE_BYTES", 1000)
    writer, reading = await stores(), await stores()
    rid = _rid("smallpages")
    await writer.records.create(_record(rid))
    await writer.events.open(rid)
    sent: list[bytes] = []
    seq = 0
    for sizes in ([10, 3000, 10, 10], [999], [2500], [5] * 40):
        batch = []
        for size in sizes:
            batch.append(LogEntry(seq, _frame(seq, size)))
            sent.append(batch[-1].frame)
            seq += 1
        await writer.events.append(rid, batch)
    await writer.records.finish(rid, {"id": rid, "status": "completed", "output": []})
    sent.append(_terminal(seq, 1800))
    await writer.events.append(rid, [LogEntry(seq, sent[-1])], close=True)
    replies = _count_replies(reading)
    for after in range(-1, len(sent)):
        replies.clear()
        data, largest = await _read_all(await reading.events.read(rid, after, None))
        assert data == b"".join(sent[after + 1 :]), after
        assert largest <= 1000
        assert max(size for name, size in replies if name == "PAGE") <= 1000 + 200, after


async def test_a_tailing_reader_behind_the_shared_buffer_reads_the_gap_in_bounded_pages(stores, monkeypatch):
    monkeypatch.setattr(redis_store, "PAGE_BYTES", 4096)
    monkeypatch.setattr(redis_store, "TAIL_BUFFER_ENTRIES", 4)
    writer, reading = await stores(), await stores()
    rid = _rid("gappages")
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
    slow_first = asyncio.ensure_future(slow.__anext__())
    sent: list[bytes] = []
    for seq in range(16):  # one stream entry each, some larger than a page, well past the buffer of 4
        sent.append(_frame(seq, 10_000 if seq % 3 == 0 else 100))
        await writer.events.append(rid, [LogEntry(seq, sent[-1])])
        await writer._io.drain(WAIT)
        with anyio.fail_after(WAIT):
            while len(b"".join(fast_seen)) < len(b"".join(sent)):
                await asyncio.sleep(0.005)
        if seq == 0:
            with anyio.fail_after(WAIT):
                slow_seen = list(await slow_first)  # then the slow reader pauses: nothing pulls it
    replies = _count_replies(reading)
    await writer.records.finish(rid, {"id": rid, "status": "completed", "output": []})
    sent.append(_terminal(16, 50))
    await writer.events.append(rid, [LogEntry(16, sent[-1])], close=True)
    data, largest = await _read_all(slow)
    with anyio.fail_after(WAIT):
        await fast_task
    assert b"".join(fast_seen) == b"".join(sent)
    assert b"".join(slow_seen) + data == b"".join(sent)
    assert largest <= 4096
    pages = [size for name, size in replies if name == "PAGE"]
    assert pages, replies  # the gap was read from Redis, in pages
    assert max(pages) <= 4096 + 200
