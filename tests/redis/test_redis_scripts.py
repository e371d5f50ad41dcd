"""The Redis store's scripts: loaded once, called by SHA1, loaded again when Redis lost them."""

from __future__ import annotations

import anyio
import pytest
import redis

from responsekit.store.protocols import LogEntry, ResponseRecord
from responsekit.store.redis import RedisStore, scripts
from responsekit.streaming.events import encode_json, sse_frame

pytestmark = pytest.mark.anyio

WAIT = 10.0


def _record(n: int) -> ResponseRecord:
    rid = f"resp_{n:0>48}"
    snapshot = {"id": rid, "object": "response", "status": "in_progress", "output": [], "model": "m"}
    return ResponseRecord(response_id=rid, snapshot=snapshot, input_items=[], owner=None)


def _frame(seq: int) -> bytes:
    payload = {"type": "response.output_text.delta", "delta": str(seq), "sequence_number": seq}
    return sse_frame("response.output_text.delta", encode_json(payload))


async def _run(store: RedisStore, record: ResponseRecord) -> list[bytes]:
    """Create, append, finish and close a response; the frames a replay reads back."""
    rid = record.response_id
    await store.create_with_log(record)
    await store.records.save_snapshot(rid, {**record.snapshot, "output": []})
    await store.events.append(rid, [LogEntry(0, _frame(0))])
    assert await store.records.finish(rid, {**record.snapshot, "status": "completed"})
    await store.events.append(rid, [LogEntry(1, _frame(1))], close=True)
    frames: list[bytes] = []
    with anyio.fail_after(WAIT):
        async for batch in await store.events.read(rid, -1, None):
            frames.extend(batch)
    return frames


async def test_scripts_are_called_by_sha_and_reloaded_after_a_script_flush(private_redis):
    client = redis.Redis(host="127.0.0.1", port=private_redis.port, socket_timeout=2)
    store = RedisStore(private_redis.url, key_prefix="t:")
    await store.start()
    try:
        assert await _run(store, _record(1)) == [_frame(0), _frame(1)]
        client.script_flush()  # as an operator might: every script is gone
        assert await _run(store, _record(2)) == [_frame(0), _frame(1)]
        assert (await store.records.get(_record(2).response_id)).finished
        assert await store.reap_expired() == []
        stats = client.info("commandstats")
        assert stats["cmdstat_evalsha"]["calls"] > 0
        assert "cmdstat_eval" not in stats  # never the source with each call
        # the flush made Redis answer NOSCRIPT (the fallback ran); otherwise each script is loaded
        # once per connection, not once per call
        assert client.info("errorstats")["errorstat_NOSCRIPT"]["count"] >= 1
        assert stats["cmdstat_script|load"]["calls"] <= 3 * len(scripts.ALL), stats["cmdstat_script|load"]
    finally:
        await store.close()
        client.close()
