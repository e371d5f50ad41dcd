"""Server memory under clients that do not read, and per open stream. Printed, never asserted.

The server is bench/apps/responsekit_memory.py in its own process (in-memory store); its RSS is
read from /proc/<pid>/status (VmRSS), each time once it has settled (unchanged for a moment).

- Non-reading replays: one response whose event log is ~10 MB; 20 raw-socket connections ask for
  its replay (``GET ?stream=true``) and never read. RSS growth while they are open (target
  < 40 MB: the server sends the backlog in bounded chunks as the socket drains, so a reader that
  does not read costs a transport buffer, not the log) and after they close (target < 10 MB: the
  memory comes back).
  The same on the Redis store when Redis runs on 127.0.0.1:6379 (db 9, keys under a prefix of
  this run, deleted afterwards): there a reader also holds the page of the log it is sending from
  (at most ``PAGE_BYTES``, 1 MiB, read and cut inside Redis). Then, after close, the RSS once the
  server called glibc's ``malloc_trim(0)`` (SIGUSR2): what the allocator kept but no longer uses
  (freed memory glibc does not hand back by itself: the heap is fragmented by the pages' frames).
- Open streams: 1,000 concurrent ``stream=true`` creates whose handler waits (each has received
  its first events); RSS growth per open stream, the budget the README documents.

Run: ``python -m bench memory`` or ``python -m bench.bench_memory [--quick]``.
"""

from __future__ import annotations

import asyncio
import json
import platform
import secrets
import signal
import socket
import sys
import time

import httpx

from bench.bench_http import serve

REPLAY_READERS = 20
TARGET_OPEN_MB = 40.0
TARGET_AFTER_MB = 10.0
STREAMS = 1000
MB = 1024 * 1024


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def rss(pid: int) -> int:
    """The process's resident set size in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def settled_rss(pid: int, *, within: int = 256 * 1024, readings: int = 5, limit: float = 30.0) -> int:
    """RSS once ``readings`` readings 0.2 s apart stay within ``within`` bytes (or after ``limit`` s)."""
    deadline = time.monotonic() + limit
    window = [rss(pid)]
    while time.monotonic() < deadline:
        time.sleep(0.2)
        window = [*window[-(readings - 1) :], rss(pid)]
        if len(window) == readings and max(window) - min(window) <= within:
            break
    return window[-1]


def _replay_bytes(url: str, response_id: str) -> int:
    size = 0
    with httpx.stream("GET", f"{url}/responses/{response_id}?stream=true", timeout=60) as reply:
        reply.raise_for_status()
        for chunk in reply.iter_raw():
            size += len(chunk)
    return size


def non_reading_replays(deltas: int, delta_bytes: int, store_url: str = "memory") -> None:
    env = {
        "DELTAS": str(deltas),
        "DELTA_BYTES": str(delta_bytes),
        "RESPONSEKIT_STORE": store_url,
        "MALLOC_TRIM_ON_SIGUSR2": "1",
    }
    with serve("responsekit_memory.py", **env) as (url, process):
        created = httpx.post(url + "/responses", json={"model": "bench", "input": "big"}, timeout=120)
        created.raise_for_status()
        response_id = created.json()["id"]
        log_bytes = _replay_bytes(url, response_id)
        _replay_bytes(url, response_id)  # warm: whatever one replay allocates once is in the baseline
        before = settled_rss(process.pid)
        host, port = url.removeprefix("http://").split(":")
        request = f"GET /responses/{response_id}?stream=true HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        sockets = []
        for _ in range(REPLAY_READERS):
            sock = socket.socket()
            # A small receive window: the kernel absorbs little, the server has to hold the rest.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((host, int(port)))
            sock.sendall(request)
            sockets.append(sock)
        while_open = settled_rss(process.pid)
        for sock in sockets:
            sock.close()
        httpx.get(url + "/readiness", timeout=30).raise_for_status()
        after = settled_rss(process.pid)
        trimmed = None
        if platform.libc_ver()[0] == "glibc":
            process.send_signal(signal.SIGUSR2)  # malloc_trim(0): what glibc kept, handed back
            httpx.get(url + "/readiness", timeout=30).raise_for_status()
            trimmed = settled_rss(process.pid)
    grown_open = (while_open - before) / MB
    grown_after = (after - before) / MB
    store = "memory" if store_url == "memory" else "redis"
    print(
        f"  {store} store: {REPLAY_READERS} replays that never read, of one log of {log_bytes / MB:.1f} MB "
        f"(server RSS {before / MB:.0f} MB before):"
    )
    print(
        f"    RSS growth while open  {grown_open:7.1f} MB   (target < {TARGET_OPEN_MB:g} MB) "
        f"{_verdict(grown_open < TARGET_OPEN_MB)}"
    )
    print(
        f"    RSS growth after close {grown_after:7.1f} MB   (target < {TARGET_AFTER_MB:g} MB) "
        f"{_verdict(grown_after < TARGET_AFTER_MB)}"
    )
    if trimmed is not None:
        print(f"    RSS growth after close, then malloc_trim(0) {(trimmed - before) / MB:7.1f} MB")


async def _open_stream(host: str, port: int, until: bytes) -> asyncio.StreamWriter:
    reader, writer = await asyncio.open_connection(host, port)
    body = json.dumps({"model": "bench", "input": "wait", "stream": True}).encode()
    writer.write(
        b"POST /responses HTTP/1.1\r\nHost: %s\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (host.encode(), len(body), body)
    )
    seen = b""
    while until not in seen:
        chunk = await asyncio.wait_for(reader.read(65536), 60)
        if not chunk:
            raise RuntimeError("a stream closed before its first events")
        seen = seen[-len(until) :] + chunk
    return writer


async def _open_streams(host: str, port: int, count: int) -> list[asyncio.StreamWriter]:
    writers: list[asyncio.StreamWriter] = []
    for start in range(0, count, 100):  # in waves, so the listen backlog never overflows
        wave = [
            _open_stream(host, port, b"response.content_part.added")
            for _ in range(start, min(start + 100, count))
        ]
        writers += await asyncio.gather(*wave)
    return writers


async def _close(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.close()
    await asyncio.gather(*(writer.wait_closed() for writer in writers), return_exceptions=True)


def open_streams(count: int) -> None:
    with serve("responsekit_memory.py") as (url, process):
        host, port = url.removeprefix("http://").split(":")

        async def cycle(n: int) -> int:
            writers = await _open_streams(host, int(port), n)
            reading = await asyncio.get_running_loop().run_in_executor(None, settled_rss, process.pid)
            await _close(writers)
            return reading

        asyncio.run(cycle(min(100, count)))  # warm up: first-use allocations stay out of the numbers
        httpx.get(url + "/readiness", timeout=30).raise_for_status()
        before = settled_rss(process.pid)
        while_open = asyncio.run(cycle(count))
        httpx.get(url + "/readiness", timeout=30).raise_for_status()
        after = settled_rss(process.pid)
    per_stream = (while_open - before) / count
    print(f"  {count} concurrent stream=true responses, each waiting in its handler (one process):")
    print(
        f"    RSS {before / MB:.0f} MB before, {while_open / MB:.0f} MB while open, {after / MB:.0f} MB after"
    )
    print(f"    per open stream: {per_stream / 1024:.0f} KiB   (after: the cancelled responses stay stored)")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def run(quick: bool = False) -> None:
    if not sys.platform.startswith("linux"):
        print("  skipped: reads /proc/<pid>/status (Linux only)")
        return
    non_reading_replays(deltas=1000, delta_bytes=2000)
    open_streams(200 if quick else STREAMS)
    if not _redis_up():
        print("  redis store: skipped (no Redis on 127.0.0.1:6379)")
        return
    from bench.bench_redis import _delete_keys, _redis_url

    prefix = f"bench-memory-{secrets.token_hex(4)}:"
    try:
        non_reading_replays(deltas=1000, delta_bytes=2000, store_url=_redis_url(prefix))
    except Exception as exc:  # the memory store's numbers above stand on their own
        print(f"  redis store: failed ({type(exc).__name__}: {exc})")
    finally:
        _delete_keys(prefix)


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
