"""Cold start: the import, and the time to the first answered request, in the same run.

Hosted agents start cold, so both are on every start's path. Each command runs in a fresh
interpreter, alternating, and the medians are compared.

- Import: ``import responsekit`` against ``python -c pass``; the peer package is measured too when
  it is installed (``make bench`` installs it). Target: ``import responsekit`` under 0.3 s of its
  own (the median minus the bare interpreter's).
- Startup (a bound, no target): from the process's start to the first answered request (an echo
  ``POST /responses``, the client retrying from the moment the process is spawned) for the
  responsekit echo app (bench/apps/responsekit_echo.py, app.run()), against ``python -c pass``
  and a bare Starlette app on uvicorn (bench/apps/bare_starlette.py); medians of a few.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 0.3
PEER_MODULE = "azure.ai.agentserver.responses"
APPS = Path(__file__).parent / "apps"


def _seconds(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def run(quick: bool = False) -> None:
    rounds = 5 if quick else 15
    commands = {"python -c pass": "pass", "import responsekit": "import responsekit"}
    try:
        peer_found = importlib.util.find_spec(PEER_MODULE) is not None
    except ModuleNotFoundError:
        peer_found = False
    if peer_found:
        commands["import the peer package"] = f"import {PEER_MODULE}"
    times: dict[str, list[float]] = {name: [] for name in commands}
    for code in commands.values():  # warm the file cache once
        _seconds(code)
    for _ in range(rounds):
        for name, code in commands.items():
            times[name].append(_seconds(code))
    bare = statistics.median(times["python -c pass"])
    print(f"  python -c pass: {bare * 1000:6.0f} ms (median of {rounds})")
    for name in commands:
        if name == "python -c pass":
            continue
        own = statistics.median(times[name]) - bare
        verdict = ""
        if name == "import responsekit":
            verdict = (
                f"   (target < {TARGET_SECONDS * 1000:.0f} ms) {'PASS' if own < TARGET_SECONDS else 'MISS'}"
            )
        print(f"  {name}: {own * 1000:6.0f} ms beyond the bare interpreter{verdict}")
    startup(3 if quick else 7)


def _first_answer(port: int, deadline: float) -> None:
    """Retry a POST /responses until one is answered (any HTTP status line)."""
    body = json.dumps({"model": "bench", "input": "hello, benchmark"}).encode()
    request = (
        b"POST /responses HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(request)
                if sock.recv(64).startswith(b"HTTP/1.1 "):
                    return
        except OSError:
            pass
        time.sleep(0.002)
    raise TimeoutError("no answer")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _startup_seconds(app: str | None) -> float:
    """Seconds from spawning the process to its first answered request (``None``: ``python -c pass``)."""
    if app is None:
        return _seconds("pass")
    port = _free_port()
    env = {**os.environ, "PORT": str(port)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(APPS / app)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _first_answer(port, started + 60)
        return time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def startup(rounds: int) -> None:
    apps = {
        "python -c pass": None,
        "bare starlette (uvicorn)": "bare_starlette.py",
        "responsekit echo (app.run)": "responsekit_echo.py",
    }
    times: dict[str, list[float]] = {name: [] for name in apps}
    for app in apps.values():  # warm the file cache once
        _startup_seconds(app)
    for _ in range(rounds):
        for name, app in apps.items():
            times[name].append(_startup_seconds(app))
    print(f"  startup, process start to first answered POST /responses (median of {rounds}; a bound):")
    for name, values in times.items():
        print(
            f"    {name:<27} {statistics.median(values) * 1000:6.0f} ms   "
            f"(rounds: {', '.join(f'{v * 1000:.0f}' for v in values)})"
        )
