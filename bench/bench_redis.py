"""The Redis store against the in-memory store, measured in the same run. Printed, never asserted.

- Throughput: echo requests/s of one uvicorn process with
  ``RESPONSEKIT_STORE=redis://127.0.0.1:6379/14?key_prefix=<this run's>`` vs the same app on the
  in-memory store (bench/apps/responsekit_echo.py, wrk with 32 connections, rounds interleaved),
  default mode (JSON) and stream=true (target for each: Redis >= 0.5x memory).
- Cross-replica latency: one process (replica A) appends events to a response's log, one per
  millisecond, each carrying its append time (CLOCK_MONOTONIC, shared by all processes); this
  process (replica B) tails the log through its own store and notes when each event arrives
  (target: p99 <= 5 ms on loopback). Measured twice: at the store (``events.read``), and end to
  end, a client of replica B's ``GET /responses/{id}?stream=true`` reading the deltas of a
  handler that runs on replica A.

Needs Redis on 127.0.0.1:6379 (db 14; the tests use 15. Keys under a prefix unique to this run,
deleted afterwards) and wrk.
Run: ``python -m bench redis`` or ``python -m bench.bench_redis [--quick]``.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REDIS = ("127.0.0.1", 6379)
DB = 14  # the tests use 15
TARGET_RATIO = 0.5
TARGET_P99_MS = 5.0
REPLICA_APP = Path(__file__).parent / "apps" / "redis_replica.py"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _redis_url(prefix: str) -> str:
    return f"redis://{REDIS[0]}:{REDIS[1]}/{DB}?key_prefix={prefix}"


def _delete_keys(prefix: str) -> None:
    import redis

    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=DB)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 1000):
            client.unlink(*keys[start : start + 1000])
    finally:
        client.close()


def _percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples_ms)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return p50, p99, ordered[-1]


# -- throughput -------------------------------------------------------------------------------------
def throughput(prefix: str, seconds: float, rounds: int, stream: bool) -> None:
    from bench.bench_http import CONNECTIONS, ECHO_REQUEST, _wrk_script, serve, wrk

    with tempfile.TemporaryDirectory() as tmp:
        script = _wrk_script(Path(tmp), {**ECHO_REQUEST, "stream": stream})
        with (
            serve("responsekit_echo.py", RESPONSEKIT_STORE="memory") as (memory_url, _),
            serve("responsekit_echo.py", RESPONSEKIT_STORE=_redis_url(prefix)) as (redis_url, _),
        ):
            servers = {"memory": memory_url, "redis": redis_url}
            for url in servers.values():  # warm up
                wrk(url, script, 1)
            results: dict[str, list[float]] = {name: [] for name in servers}
            for _ in range(rounds):  # interleaved, so drifting machine load hits both alike
                for name, url in servers.items():
                    results[name].append(wrk(url, script, seconds))
    med = {name: statistics.median(values) for name, values in results.items()}
    mode = "stream=true" if stream else "default (JSON)"
    print(f"  echo, {mode}, {CONNECTIONS} connections, one uvicorn process each:")
    for name, value in med.items():
        rounds_text = ", ".join(f"{v:.0f}" for v in results[name])
        print(f"    {name + ' store':<13} {value:>8.0f} req/s   (rounds: {rounds_text})")
    ratio = med["redis"] / med["memory"] if med["memory"] else 0.0
    print(
        f"    ratio redis / memory = {ratio:.2f}  (target >= {TARGET_RATIO}) {_verdict(ratio >= TARGET_RATIO)}"
    )


# -- latency at the store ---------------------------------------------------------------------------
def _writer(url: str, response_id: str, count: int, ready, go) -> None:
    """Replica A: its own process and store; appends one timestamped event per millisecond."""

    async def main() -> None:
        from responsekit.store.protocols import LogEntry, ResponseRecord
        from responsekit.store.redis import RedisStore
        from responsekit.streaming.events import encode_json, sse_frame

        store = RedisStore.from_url(url)
        await store.start()
        snapshot = {"id": response_id, "object": "response", "status": "in_progress", "output": []}
        await store.records.create(ResponseRecord(response_id=response_id, snapshot=snapshot))
        await store.events.open(response_id)
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        for seq in range(count):
            payload = {
                "type": "response.output_text.delta",
                "delta": "tok",
                "sequence_number": seq,
                "t": time.monotonic_ns(),
            }
            await store.events.append(
                response_id, [LogEntry(seq, sse_frame(payload["type"], encode_json(payload)))]
            )
            await asyncio.sleep(0.001)
        done = {**snapshot, "status": "completed"}
        await store.records.finish(response_id, done)
        payload = {
            "type": "response.completed",
            "response": done,
            "sequence_number": count,
            "t": time.monotonic_ns(),
        }
        await store.events.append(
            response_id, [LogEntry(count, sse_frame(payload["type"], encode_json(payload)))], close=True
        )
        await store.close()

    asyncio.run(main())


async def _read_latencies(url: str, response_id: str, ready, go) -> list[float]:
    from responsekit.store.redis import RedisStore

    store = RedisStore.from_url(url)
    await store.start()
    try:
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, ready.wait, 30):
            raise TimeoutError("the writer process did not start")
        frames = await store.events.read(response_id, -1, None)
        go.set()
        latencies: list[float] = []
        async for batch in frames:
            now = time.monotonic_ns()
            for frame in batch:
                sent = json.loads(frame.split(b"data: ", 1)[1])["t"]
                latencies.append((now - sent) / 1e6)
        return latencies
    finally:
        await store.close()


def store_latency(prefix: str, count: int) -> None:
    context = multiprocessing.get_context("spawn")
    ready, go = context.Event(), context.Event()
    response_id = "resp_" + secrets.token_hex(24)
    url = _redis_url(prefix)
    writer = context.Process(target=_writer, args=(url, response_id, count, ready, go), daemon=True)
    writer.start()
    try:
        latencies = asyncio.run(asyncio.wait_for(_read_latencies(url, response_id, ready, go), 120))
    finally:
        writer.join(30)
        if writer.is_alive():
            writer.kill()
    p50, p99, worst = _percentiles(latencies)
    print(f"  store: append on replica A -> events.read on replica B, {len(latencies)} events, 1 per ms:")
    print(
        f"    p50 {p50:.2f} ms   p99 {p99:.2f} ms   max {worst:.2f} ms   "
        f"(target p99 <= {TARGET_P99_MS:g} ms) {_verdict(p99 <= TARGET_P99_MS)}"
    )


# -- latency end to end -----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_latency(prefix: str, count: int) -> None:
    from bench.bench_http import serve

    env = {"RESPONSEKIT_STORE": _redis_url(prefix), "DELTAS": str(count)}
    with serve(str(REPLICA_APP), **env) as (a_url, _), serve(str(REPLICA_APP), **env) as (b_url, _):
        created = httpx.post(
            a_url + "/responses", json={"model": "bench", "input": "go", "background": True}, timeout=30
        )
        created.raise_for_status()
        response_id = created.json()["id"]
        latencies: list[float] = []
        with httpx.stream(
            "GET", f"{b_url}/responses/{response_id}", params={"stream": "true"}, timeout=60
        ) as reply:
            buffer = b""
            for chunk in reply.iter_raw():
                now = time.monotonic_ns()
                buffer += chunk
                *blocks, buffer = buffer.split(b"\n\n")
                for block in blocks:
                    if block.startswith(b"event: response.output_text.delta"):
                        delta = json.loads(block.split(b"\ndata: ", 1)[1])["delta"]
                        latencies.append((now - int(delta)) / 1e6)
    p50, p99, worst = _percentiles(latencies)
    print(
        f"  HTTP: handler on replica A -> client of GET ?stream=true on replica B, {len(latencies)} deltas:"
    )
    print(
        f"    p50 {p50:.2f} ms   p99 {p99:.2f} ms   max {worst:.2f} ms   "
        f"(target p99 <= {TARGET_P99_MS:g} ms) {_verdict(p99 <= TARGET_P99_MS)}"
    )


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


def run(quick: bool = False) -> None:
    if not _redis_reachable():
        print(f"  skipped: Redis is not reachable on {REDIS[0]}:{REDIS[1]}")
        return
    prefix = f"rkbench:{secrets.token_hex(6)}:"
    try:
        if shutil.which("wrk"):
            for stream in (False, True):
                throughput(prefix, seconds=1 if quick else 3, rounds=1 if quick else 5, stream=stream)
        else:
            print("  throughput skipped: wrk is not installed (apt-get install wrk)")
        store_latency(prefix, count=300 if quick else 3000)
        http_latency(prefix, count=300 if quick else 2000)
    finally:
        _delete_keys(prefix)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run(quick="--quick" in sys.argv)
