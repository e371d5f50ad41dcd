"""A Redis replay reader fetches no page ahead of what its consumer takes (against a real Redis).

A client that stops reading stops its replay: the reader holds the page it last handed out and asks
Redis for the next one only when the next batch is pulled, so 20 clients that never read cost 20
pages, not the log. Counted on the page commands the reading store sends: no timing.
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


def _frame(seq: int, size: int) -> bytes:
    payload = {"type": "response.output_text.delta", "delta": "x" * size, "sequence_number": seq}
    return sse_frame("response.output_text.delta", encode_json(payload))


def _count_pages(store) -> list[int]:
    """One item per page command the store's queue sends."""
    pages: list[int] = []
    call = store._io.call

    def counting(args, response_id=None):
        if args[0] == "EVALSHA" and args[1] is redis_store.scripts.PAGE:
            pages.append(1)
        return call(args, response_id)

    store._io.call = counting
    return pages


async def _settle(store) -> None:
    """Let every task run until the store's command queue is idle."""
    for _ in range(20):
        await asyncio.sleep(0)
        await store._io.drain(WAIT)


async def test_a_replay_reader_fetches_the_next_page_only_when_its_batch_is_pulled(stores, monkeypatch):
    monkeypatch.setattr(redis_store, "PAGE_BYTES", 8 * 1024)
    writer, reading = await stores(), await stores()
    rid = f"resp_{'noreadahead':0>48}"
    snapshot = {"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"}
    await writer.records.create(
        ResponseRecord(response_id=rid, snapshot=snapshot, input_items=[], owner=None)
    )
    await writer.events.open(rid)
    sent = [_frame(seq, 1000) for seq in range(200)]  # ~250 KiB: ~30 pages of 8 KiB
    await writer.events.append(rid, [LogEntry(seq, frame) for seq, frame in enumerate(sent)], close=True)
    pages = _count_pages(reading)

    replay = await reading.events.read(rid, -1, None)
    await _settle(reading)
    assert len(pages) == 1  # the first page, read to open the replay
    received: list[bytes] = []
    with anyio.fail_after(WAIT):
        for taken in range(1, 4):
            received += await replay.__anext__()
            await _settle(reading)  # a consumer that stops here: nothing more is fetched
            assert len(pages) == taken, (taken, len(pages))
            assert sum(map(len, received)) <= taken * 8 * 1024
        async for batch in replay:
            received += batch
    assert b"".join(received) == b"".join(sent)
    assert len(pages) >= len(b"".join(sent)) // (8 * 1024)
