"""Server memory: across rounds of responses, under clients that do not read, per open stream.
Printed, never asserted.

Each server is its own process (in-memory store unless said otherwise); its RSS is read from
/proc/<pid>/status (VmRSS), each time once it has settled (unchanged for a moment).

- Rounds: the echo server (bench/apps/responsekit_echo.py, retention 2 s) serves 10 rounds of
  10,000 responses (quick: 3 of 2,000; wrk, 8 connections); after each, once the retention window
  has passed and writes have swept what expired, its RSS (target: every round within 3% of the
  first). A twin server with TRACEMALLOC=1 gets the same rounds (in the same run, so the target's
  RSS carries no tracemalloc bookkeeping): SIGUSR1 makes it write a heap snapshot at the end of
  each round; its traced Python heap per round is printed, and the top 10 allocation sites
  growing between round 1's snapshot and the last round's, so a drift names its site (or, when
  the traced heap stays flat while RSS grows, shows the drift is below Python's objects: the
  allocators' fragmentation). BENCH_TRACEMALLOC=0 leaves the twin out. On glibc a second twin gets
  the same rounds and, before each reading, ``malloc_trim(0)`` (SIGUSR2): its RSS is what the
  process still uses, the first server's minus the free memory the allocator keeps.
- Non-reading replays: one response whose event log is ~10 MB; 20 raw-socket connections ask for
  its replay (``GET ?stream=true``) and never read. RSS growth while they are open (target
  < 40 MB: the server sends the backlog in bounded chunks as the socket drains, so a reader that
  does not read costs a transport buffer, not the log) and after they close (target < 10 MB: the
  memory comes back).
  The same on the Redis store when Redis runs on 127.0.0.1:6379 (bench_redis's db 14, keys under
  a prefix of this run, deleted afterwards): there a reader also holds the page of the log it is
  sending from (at most ``PAGE_BYTES``, 256 KiB, read and cut inside Redis). Then, after close, the
  RSS once the server called glibc's ``malloc_trim(0)`` (SIGUSR2): what the allocator kept but no
  longer uses (freed memory glibc does not hand back by itself: the heap is fragmented by the
  pages' frames).
- Open streams (a bound, no target): 1,000 concurrent ``stream=true`` creates on one process whose
  handler waits (each has received its first events, raw asyncio sockets); total RSS growth and
  growth per open stream, the budget the README documents.

Run: ``python -m bench memory`` or ``python -m bench.bench_memory [--quick]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import httpx

from bench.bench_http import ECHO_REQUEST, _wrk_script, serve, wrk_count

REPLAY_READERS = 20
TARGET_OPEN_MB = 40.0
TARGET_AFTER_MB = 10.0
STREAMS = 1000
TARGET_ROUNDS_DRIFT = 0.03
TOP_SITES = 10
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
    print(f"  {count:,} concurrent open SSE streams (stream=true, each waiting in its handler), one process:")
    print(
        f"    RSS {before / MB:.0f} MB before, {while_open / MB:.0f} MB while open, {after / MB:.0f} MB after"
        f"   (after: the cancelled responses stay stored)"
    )
    print(
        f"    total growth while open: {(while_open - before) / MB:.1f} MB;  "
        f"per open stream: {per_stream / 1024:.0f} KiB   (a bound: printed, no target)"
    )


# -- RSS across rounds of responses -------------------------------------------------------------------
def _snapshot(process, directory: Path, n: int) -> tracemalloc.Snapshot:
    """Heap snapshot ``n`` of the server (TRACEMALLOC=1): SIGUSR1, then wait for its file."""
    path = directory / f"snapshot-{n}.pickle"
    process.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 60
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server wrote no {path.name}")
        time.sleep(0.05)
    return tracemalloc.Snapshot.load(str(path))


def rss_rounds(responses: int, rounds: int, retention: float, trace: bool = True) -> None:
    """RSS of the echo server after each round of ``responses``, once retention has passed; with
    ``trace``, a twin server under tracemalloc gets the same rounds, and the allocation sites that
    grew from its first round's end to its last one's are printed."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        directory = Path(tmp)
        script = _wrk_script(directory, ECHO_REQUEST)
        env = {"RETENTION_SECONDS": str(retention)}
        url, process = stack.enter_context(serve("responsekit_echo.py", **env))
        servers = [url]
        if trace:
            env |= {"TRACEMALLOC": "1", "TRACEMALLOC_DIR": tmp}
            traced_url, traced = stack.enter_context(serve("responsekit_echo.py", **env))
            servers.append(traced_url)
        trimmed_process = None
        if platform.libc_ver()[0] == "glibc":
            trimmed_url, trimmed_process = stack.enter_context(
                serve("responsekit_echo.py", RETENTION_SECONDS=str(retention), MALLOC_TRIM_ON_SIGUSR2="1")
            )
            servers.append(trimmed_url)
        client = stack.enter_context(httpx.Client(timeout=30))
        samples: list[int] = []
        trimmed: list[int] = []  # the trimmed twin's RSS after each round
        sent: list[int] = []
        heap: list[int] = []  # the traced server's Python heap after each round
        snapshots: list[tracemalloc.Snapshot] = []
        for round_ in range(rounds):
            sent.append(wrk_count(url, script, responses))
            if trace:
                wrk_count(traced_url, script, responses)
            if trimmed_process is not None:
                wrk_count(trimmed_url, script, responses)
            time.sleep(retention + 0.5)  # let the retention window pass (this is what is measured)
            for server in servers:
                for _ in range(200):  # writes sweep what expired
                    client.post(server + "/responses", json=ECHO_REQUEST)
            samples.append(settled_rss(process.pid, limit=5.0))
            if trimmed_process is not None:
                trimmed_process.send_signal(signal.SIGUSR2)
                client.get(trimmed_url + "/readiness").raise_for_status()  # the handler has run
                trimmed.append(settled_rss(trimmed_process.pid, limit=5.0))
            if trace:
                snapshot = _snapshot(traced, directory, round_ + 1)
                heap.append(sum(stat.size for stat in snapshot.statistics("filename")))
                if round_ in (0, rounds - 1):
                    snapshots.append(snapshot)
    first = samples[0]
    worst = max(abs(s - first) / first for s in samples)
    print(
        f"  echo server RSS after each of {rounds} rounds of >= {responses:,} responses, "
        f"retention {retention:g}s passed:"
    )
    print(f"    {', '.join(f'{s / MB:.1f}' for s in samples)} MB   (responses sent: {sum(sent):,})")
    print(
        f"    worst drift from round 1: {worst:.1%}   (target <= {TARGET_ROUNDS_DRIFT:.0%}) "
        f"{_verdict(worst <= TARGET_ROUNDS_DRIFT)}"
    )
    if trimmed:
        drift = max(abs(t - trimmed[0]) / trimmed[0] for t in trimmed)
        print(
            f"    a twin's RSS after glibc's malloc_trim(0), each round: {', '.join(f'{t / MB:.1f}' for t in trimmed)}"
            f" MB; worst drift {drift:.1%} (the rest of the RSS above is free memory the allocator keeps)"
        )
    if len(snapshots) == 2:
        print(
            f"    its tracemalloc twin's Python heap (traced): {', '.join(f'{h / MB:.2f}' for h in heap)} MB; "
            f"top {TOP_SITES} allocation sites growing from round 1 to round {rounds}:"
        )
        growing = [d for d in snapshots[1].compare_to(snapshots[0], "lineno") if d.size_diff > 0]
        for diff in growing[:TOP_SITES]:
            frame = diff.traceback[0]
            print(
                f"      {diff.size_diff / 1024:+9.1f} KiB {diff.count_diff:+7d} blocks  "
                f"(now {diff.size / 1024:8.1f} KiB)  {_short_path(frame.filename)}:{frame.lineno}"
            )
        if not growing:
            print("      (none)")


def _short_path(filename: str) -> str:
    for marker in ("/site-packages/", "/src/", "/lib/python"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return os.path.basename(filename)


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
    trace = os.environ.get("BENCH_TRACEMALLOC", "1") != "0"
    if quick:
        rss_rounds(responses=2_000, rounds=3, retention=2.0, trace=trace)
    else:
        rss_rounds(responses=10_000, rounds=10, retention=2.0, trace=trace)
    non_reading_replays(deltas=1000, delta_bytes=2000)
    open_streams(STREAMS)
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
