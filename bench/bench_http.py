"""HTTP throughput of an echo handler, measured against baselines in the same run.

Each server runs as its own uvicorn process (one worker) on loopback; wrk (Debian's package) drives
it with 32 connections from one thread, so the two cores split into one for the server, one for
the load. Printed, never asserted:

- echo, non-streaming and stream=true: requests/s of responsekit vs a bare Starlette endpoint that
  answers with bytes of the same size (target >= 0.3x) and vs the peer package
  azure-ai-agentserver-responses 2.3.0 serving the same handler (target >= 5x);
- one stream of 10,000 text deltas: events per second the client receives (target >= 50,000);
- RSS of the responsekit server across 5 rounds of (at least) 10,000 responses, each measured after the
  retention window has passed (target: every round within 10% of the first).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(app_file: str, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(APPS / app_file)],
        env={**__import__("os").environ, **env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{app_file} exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(url + "/readiness", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{app_file} not ready")
            time.sleep(0.05)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


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
            servers = {"responsekit": rk_url}
            servers["bare starlette"] = stack.enter_context(
                serve("bare_starlette.py", BODY_FILE=str(body_file), STREAM="1" if stream else "0")
            )[0]
            if peer:
                try:
                    servers["peer 2.3.0"] = stack.enter_context(serve("peer_echo.py"))[0]
                except Exception as exc:  # the comparison is optional; say why it is missing
                    print(f"    peer package unavailable: {str(exc).splitlines()[-1] if str(exc) else exc}")
            for url in servers.values():  # warm up every server once
                wrk(url, script, 1)
            results: dict[str, list[float]] = {name: [] for name in servers}
            for _ in range(rounds):  # interleaved, so drifting machine load hits all alike
                for name, url in servers.items():
                    results[name].append(wrk(url, script, seconds))
    mode = "stream=true" if stream else "default (JSON)"
    med = {name: statistics.median(values) for name, values in results.items()}
    print(f"  echo, {mode}, {CONNECTIONS} connections, body {len(sample)} bytes:")
    for name, value in med.items():
        print(
            f"    {name:<16} {value:>9.0f} req/s   (rounds: {', '.join(f'{v:.0f}' for v in results[name])})"
        )
    rk = med["responsekit"]
    ratio = rk / med["bare starlette"] if med["bare starlette"] else 0.0
    print(f"    ratio responsekit / bare starlette = {ratio:.2f}  (target >= 0.30) {_verdict(ratio >= 0.3)}")
    if "peer 2.3.0" in med and med["peer 2.3.0"]:
        ratio = rk / med["peer 2.3.0"]
        print(
            f"    ratio responsekit / peer 2.3.0     = {ratio:.2f}  (target >= 5.00) {_verdict(ratio >= 5)}"
        )


def _count_events(url: str) -> tuple[int, float]:
    events = 0
    tail = b""
    started = time.perf_counter()
    with httpx.stream(
        "POST", url + "/responses", json={**ECHO_REQUEST, "stream": True}, timeout=120
    ) as response:
        for chunk in response.iter_raw():
            data = tail + chunk
            events += data.count(b"\nevent: ") + (1 if data.startswith(b"event: ") and not tail else 0)
            tail = data[-8:]
    return events, time.perf_counter() - started


def many_deltas(rounds: int) -> None:
    with serve("responsekit_echo.py", DELTAS="10000") as (url, _):
        _count_events(url)  # warm-up
        rates = []
        for _ in range(rounds):
            events, elapsed = _count_events(url)
            rates.append(events / elapsed)
    best = max(rates)
    print(
        f"  one stream of 10,000 deltas: {events} events, best {best:,.0f} events/s "
        f"(rounds: {', '.join(f'{r:,.0f}' for r in rates)})  (target >= 50,000) {_verdict(best >= 50_000)}"
    )


def _rss_kib(process: subprocess.Popen) -> int:
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


def rss_flat(tmp: Path, responses: int, rounds: int, retention: float) -> None:
    script = _wrk_script(tmp, ECHO_REQUEST)
    with serve("responsekit_echo.py", RETENTION_SECONDS=str(retention)) as (url, process):
        samples = []
        for _ in range(rounds):
            wrk_count(url, script, responses)
            time.sleep(retention + 0.5)  # let the retention window pass (this is what is measured)
            for _ in range(200):  # writes sweep what expired
                httpx.post(url + "/responses", json=ECHO_REQUEST, timeout=10)
            samples.append(_rss_kib(process))
    first = samples[0]
    worst = max(abs(s - first) / first for s in samples)
    print(
        f"  RSS after each of {rounds} rounds of {responses} responses (retention {retention:g}s): "
        f"{', '.join(f'{s / 1024:.1f} MiB' for s in samples)}; worst drift {worst:.1%}  "
        f"(target <= 10%) {_verdict(worst <= 0.10)}"
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
        many_deltas(rounds=1 if quick else 3)
        rss_flat(tmp, responses=2_000 if quick else 10_000, rounds=2 if quick else 5, retention=2.0)


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
