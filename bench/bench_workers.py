"""``responsekit serve --workers N``: two worker processes against one, on the Redis store.

The echo app (bench/apps/responsekit_echo.py) served by ``responsekit serve <file>:app --workers N
--store redis://127.0.0.1:6379/14?key_prefix=<this run's> --log-level warning``, N = 1 and N = 2
(the same Redis store; workers share nothing else), default mode (JSON), wrk with 32 connections;
one server at a time, each round starting each afresh (rounds interleaved). Printed, never asserted: requests/s of each and the ratio 2 workers / 1
(expected well above 1x; target > 1.0x), and the CPU seconds each worker spent in the last
measured round (how wrk's 32 keep-alive connections were spread across the workers). The
machine's cores are shared by the workers, wrk and Redis, so the ratio is bounded by them, not
by 2.

Needs Redis on 127.0.0.1:6379 (db 14, keys under a prefix of this run, deleted afterwards), wrk,
and the ``responsekit serve`` command; prints ``SKIP: ...`` when one is missing (or when the command
does not start a server: its error is printed).
Run: ``python -m bench workers`` or ``python -m bench.bench_workers [--quick]``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_http import APPS, CONNECTIONS, ECHO_REQUEST, _free_port, _wrk_script, serve_command, wrk
from bench.bench_redis import _delete_keys, _redis_reachable, _redis_url

TARGET_RATIO = 1.0
WORKERS = 2
_TICK = os.sysconf("SC_CLK_TCK")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def _serving_processes(pid: int) -> list[int]:
    """``pid`` and its children (a supervisor's workers)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat(int(entry))[1]) == pid:
                    children.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return [pid, *sorted(children)]


def _cpu_seconds(pids: list[int]) -> list[float]:
    out = []
    for pid in pids:
        try:
            fields = _stat(pid)
            out.append((int(fields[11]) + int(fields[12])) / _TICK)  # utime + stime
        except OSError:
            out.append(0.0)
    return out


def _responsekit_command() -> list[str] | None:
    """The ``responsekit`` command of this interpreter's environment, if it has ``serve``."""
    script = Path(sys.executable).parent / "responsekit"
    command = [str(script)] if script.exists() else None
    if command is None and shutil.which("responsekit"):
        command = [shutil.which("responsekit")]
    if command is None:
        return None
    try:
        help_run = subprocess.run([*command, "serve", "--help"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if help_run.returncode != 0 or "--workers" not in help_run.stdout:
        return None
    return command


def workers(command: list[str], prefix: str, seconds: float, rounds: int) -> None:
    store = _redis_url(prefix)
    with tempfile.TemporaryDirectory() as tmp:
        script = _wrk_script(Path(tmp), ECHO_REQUEST)
        results: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}  # CPU seconds of each worker in the last measured round
        runs = {"1 worker": 1, f"{WORKERS} workers": WORKERS}
        # One server at a time: two of them at once would share the cores the measured one needs.
        for _ in range(rounds):
            for name, n in runs.items():
                port = _free_port()
                argv = [
                    *command, "serve", f"{APPS / 'responsekit_echo.py'}:app", "--host", "127.0.0.1",
                    "--port", str(port), "--workers", str(n), "--store", store, "--log-level", "warning",
                ]  # fmt: skip
                with serve_command(argv, port, f"responsekit serve --workers {n}") as (url, process):
                    wrk(url, script, 1)  # warm up (every worker started, connections opened)
                    pids = _serving_processes(process.pid)
                    pids = pids[1:] if len(pids) > 1 else pids  # the workers, not their supervisor
                    before = _cpu_seconds(pids)
                    results.setdefault(name, []).append(wrk(url, script, seconds))
                    cpu[name] = [b - a for a, b in zip(before, _cpu_seconds(pids), strict=True)]
    med = {name: statistics.median(values) for name, values in results.items()}
    print(f"  echo, default (JSON), Redis store, {CONNECTIONS} connections, responsekit serve --workers N:")
    for name, value in med.items():
        print(
            f"    {name:<10} {value:>8.0f} req/s   (rounds: {', '.join(f'{v:.0f}' for v in results[name])}); "
            f"CPU s per worker, last round: {', '.join(f'{c:.2f}' for c in cpu[name])}"
        )
    one = med["1 worker"]
    ratio = med[f"{WORKERS} workers"] / one if one else 0.0
    print(
        f"    ratio {WORKERS} workers / 1 worker = {ratio:.2f}  (expected well above 1x; target > "
        f"{TARGET_RATIO:.2f}) {_verdict(ratio > TARGET_RATIO)}"
    )


def run(quick: bool = False) -> None:
    command = _responsekit_command()
    if command is None:
        print("  SKIP: responsekit serve not available")
        return
    if shutil.which("wrk") is None:
        print("  SKIP: wrk is not installed (Debian package `wrk`)")
        return
    if not _redis_reachable():
        print("  SKIP: Redis is not reachable on 127.0.0.1:6379")
        return
    prefix = f"rkbench-workers:{secrets.token_hex(6)}:"
    try:
        workers(command, prefix, seconds=2 if quick else 5, rounds=1 if quick else 3)
    except (RuntimeError, TimeoutError) as exc:  # the command exists but serves nothing (yet)
        print(f"  SKIP: responsekit serve did not start a server: {str(exc).strip()[-1500:]}")
    finally:
        _delete_keys(prefix)


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
