"""HTTP throughput of an echo handler, measured against baselines in the same run.

Each server runs as its own uvicorn process (one worker) on loopback; wrk (Debian's package) drives
it with 32 connections from one thread, so the two cores split into one for the server, one for
the load. Rounds are interleaved across the servers, so drifting machine load hits all alike.
Printed, never asserted:

- echo, default mode (JSON): requests/s of responsekit vs a bare Starlette endpoint answering
  with bytes of the same size (target >= 0.6x) and vs the peer package
  azure-ai-agentserver-responses 2.3.0 serving the same handler (target >= 12x);
- echo, stream=true: vs a bare Starlette StreamingResponse yielding the same pre-encoded frames
  (target >= 0.8x) and vs the peer package (target >= 10x);
- beside each echo row, the floor: responsekit serving the least a handler can answer (created,
  in_progress, completed; ``store: false``; bench/apps/responsekit_echo.py with HANDLER=floor), no
  target: no handler can beat it on this runtime, so a target above its ratio needs a different
  runtime;
- one stream of 100,000 text deltas: events per second a raw-socket client receives from
  responsekit vs from the floor, a bare StreamingResponse yielding the same number of pre-encoded
  frames (bench/apps/bare_starlette.py with DELTAS), both read by the same client code in the
  same run (target >= 0.5x).

Memory across rounds of responses is bench_memory's; startup time is bench_import's.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

APPS = Path(__file__).parent / "apps"
ECHO_REQUEST = {"model": "bench", "input": "hello, benchmark"}
CONNECTIONS = 32
#: (vs bare Starlette, vs the peer package) for stream=False and stream=True.
TARGETS = {False: (0.6, 12.0), True: (0.8, 10.0)}
DELTAS = 100_000
TARGET_DELTAS_VS_BARE = 0.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(app_file: str, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run bench/apps/<app_file> (it reads PORT) until the block ends; yields (url, process)."""
    port = _free_port()
    with serve_command([sys.executable, str(APPS / app_file)], port, app_file, **env) as served:
        yield served


@contextlib.contextmanager
def serve_command(
    argv: list[str], port: int, name: str, **env: str
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``argv`` (a server listening on ``port``) in a session of its own until the block ends,
    once GET /readiness answers 200; yields (url, process). Its stderr goes to a file (a pipe
    nobody reads would fill), shown if it exits early; at the end SIGTERM, then SIGKILL to its
    process group (the workers a supervisor forked)."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            argv,
            env={**os.environ, **env, "PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    stderr.seek(0)
                    raise RuntimeError(f"{name} exited: {stderr.read().decode(errors='replace')[-2000:]}")
                try:
                    if httpx.get(url + "/readiness", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready")
                time.sleep(0.05)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):  # anything left of its group, after 15 s
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    for _ in range(150):
                        os.killpg(process.pid, 0)  # raises once the group is gone
                        time.sleep(0.1)
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wrk_script(directory: Path, body: dict) -> Path:
    lua = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(json.dumps(body))}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    path = directory / f"post_{abs(hash(json.dumps(body)))}.lua"
    path.write_text("\n".join(lua) + "\n")
    return path


def _run_wrk(url: str, script: Path, seconds: float, connections: int) -> str:
    return subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url + "/responses"],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout


def wrk(url: str, script: Path, seconds: float, connections: int = CONNECTIONS) -> float:
    out = _run_wrk(url, script, seconds, connections)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"    ! {errors.group(1)} non-2xx responses from {url}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


def wrk_count(url: str, script: Path, total: int, connections: int = 8) -> int:
    """Send at least ``total`` requests (in short wrk runs, so it never idles out a long duration)."""
    sent = 0
    for _ in range(1000):  # bounded: each run sends hundreds of requests at the very least
        if sent >= total:
            break
        match = re.search(r"(\d+) requests in", _run_wrk(url, script, 1, connections))
        sent += int(match.group(1)) if match else 0
    return sent


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def throughput(tmp: Path, stream: bool, seconds: float, rounds: int, peer: bool) -> None:
    request = {**ECHO_REQUEST, "stream": stream}
    script = _wrk_script(tmp, request)
    with serve("responsekit_echo.py") as (rk_url, _):
        sample = httpx.post(rk_url + "/responses", json=request, timeout=10).content
        body_file = tmp / ("body.sse" if stream else "body.json")
        body_file.write_bytes(sample)
        with contextlib.ExitStack() as stack:
            servers = {"responsekit": (rk_url, script)}
            servers["bare starlette"] = (
                stack.enter_context(
                    serve("bare_starlette.py", BODY_FILE=str(body_file), STREAM="1" if stream else "0")
                )[0],
                script,
            )
            floor_url = stack.enter_context(serve("responsekit_echo.py", HANDLER="floor"))[0]
            servers["responsekit floor"] = (floor_url, _wrk_script(tmp, {**request, "store": False}))
            if peer:
                try:
                    servers["peer 2.3.0"] = (stack.enter_context(serve("peer_echo.py"))[0], script)
                except Exception as exc:  # the comparison is optional; say why it is missing
                    print(f"    peer package unavailable: {str(exc).splitlines()[-1] if str(exc) else exc}")
            for url, server_script in servers.values():  # warm up every server once
                wrk(url, server_script, 1)
            results: dict[str, list[float]] = {name: [] for name in servers}
            for _ in range(rounds):  # interleaved, so drifting machine load hits all alike
                for name, (url, server_script) in servers.items():
                    results[name].append(wrk(url, server_script, seconds))
    mode = "stream=true" if stream else "default (JSON)"
    med = {name: statistics.median(values) for name, values in results.items()}
    print(f"  echo, {mode}, {CONNECTIONS} connections, body {len(sample)} bytes:")
    for name, value in med.items():
        print(
            f"    {name:<17} {value:>9.0f} req/s   (rounds: {', '.join(f'{v:.0f}' for v in results[name])})"
        )
    rk, bare, peer = med["responsekit"], med["bare starlette"], med.get("peer 2.3.0")
    vs_bare, vs_peer = TARGETS[stream]
    ratio = rk / bare if bare else 0.0
    print(
        f"    ratio responsekit / bare starlette = {ratio:5.2f}  (target >= {vs_bare:5.2f}) "
        f"{_verdict(ratio >= vs_bare)}"
    )
    if peer:
        ratio = rk / peer
        print(
            f"    ratio responsekit / peer 2.3.0     = {ratio:5.2f}  (target >= {vs_peer:5.2f}) "
            f"{_verdict(ratio >= vs_peer)}"
        )
    floor = med["responsekit floor"]
    if bare:
        print(
            f"    ratio floor / bare starlette       = {floor / bare:5.2f}  (no target: the most any "
            "handler can reach on this runtime)"
        )
    if peer:
        print(f"    ratio floor / peer 2.3.0           = {floor / peer:5.2f}")


def _count_events(url: str) -> tuple[int, float]:
    """One stream=true echo read to its end over a raw socket: (events, seconds).

    The client is lean on purpose (recv into a buffer, count ``event:`` lines), so the server is
    what is measured; ``Connection: close`` ends the body with the connection."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({**ECHO_REQUEST, "stream": True}).encode()
    request = (
        b"POST /responses HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    events = 0
    tail = b""
    started = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=120) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.sendall(request)
        while chunk := sock.recv(1 << 20):
            data = tail + chunk
            events += data.count(b"\nevent: ")
            tail = data[-8:]
    return events, time.perf_counter() - started


def many_deltas(deltas: int, rounds: int) -> None:
    """One stream of ``deltas`` text deltas: responsekit vs a bare StreamingResponse of its frames."""
    label = f"{deltas:,}"
    servers = {
        "responsekit": ("responsekit_echo.py", {"DELTAS": str(deltas)}),
        "bare starlette": ("bare_starlette.py", {"DELTAS": str(deltas)}),
    }
    rates: dict[str, list[float]] = {name: [] for name in servers}
    counts: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(serve(app, **env))[0] for name, (app, env) in servers.items()}
        for url in urls.values():
            _count_events(url)  # warm-up
        for _ in range(rounds):  # interleaved, so drifting machine load hits both alike
            for name, url in urls.items():
                events, elapsed = _count_events(url)
                counts[name] = events
                rates[name].append(events / elapsed)
    print(f"  one stream of {label} deltas, read to its end by the same raw-socket client:")
    best = {name: max(values) for name, values in rates.items()}
    for name, values in rates.items():
        print(
            f"    {name:<16} {best[name]:>9,.0f} events/s, {counts[name]} events   "
            f"(rounds: {', '.join(f'{r:,.0f}' for r in values)})"
        )
    ratio = best["responsekit"] / best["bare starlette"] if best["bare starlette"] else 0.0
    print(
        f"    ratio responsekit / bare StreamingResponse = {ratio:.2f}  "
        f"(target >= {TARGET_DELTAS_VS_BARE:.2f}) {_verdict(ratio >= TARGET_DELTAS_VS_BARE)}"
    )


def run(quick: bool = False) -> None:
    if shutil.which("wrk") is None:
        print("  wrk is not installed (Debian package `wrk`); skipping the HTTP benchmarks")
        return
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        seconds, rounds = (2, 1) if quick else (5, 3)
        throughput(tmp, stream=False, seconds=seconds, rounds=rounds, peer=True)
        throughput(tmp, stream=True, seconds=seconds, rounds=rounds, peer=True)
    many_deltas(DELTAS, rounds=1 if quick else 3)


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
