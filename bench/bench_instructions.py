"""Instructions per request, in process (callgrind): a measure this noisy machine cannot blur.

Wall-clock ratios move with whatever else the machine runs; an instruction count does not. This
runs bench/inprocess.py under ``valgrind --tool=callgrind`` for responsekit's echo app and for a
bare Starlette endpoint answering the same bytes, each with two request counts, and prints the
instructions one request costs (the difference divided by the extra requests) and their ratio.
The network and uvicorn are left out, so the ratio is responsekit's own work against Starlette's;
over HTTP both also pay uvicorn's share, which narrows the gap (see bench_http.py).

The floor is the least a response costs on this runtime: a handler that emits only
``response.created``, ``response.in_progress`` and ``response.completed``, ``store: false``.
Whatever a handler does, its requests cost at least this; a target below it needs a different
runtime, not a faster handler path.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_COLLECTED = re.compile(rb"Collected : (\d+)")


def _instructions(app: str, mode: str, count: int) -> int:
    completed = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "bench.inprocess",
            app,
            mode,
            str(count),
        ],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    found = _COLLECTED.search(completed.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count: {completed.stderr[-500:]!r}")
    return int(found.group(1))


def per_request(app: str, mode: str, low: int, high: int) -> float:
    return (_instructions(app, mode, high) - _instructions(app, mode, low)) / (high - low)


def run(quick: bool = False) -> None:
    if shutil.which("valgrind") is None:
        print("  skipped: valgrind is not installed (Debian package valgrind)")
        return
    low, high = (20, 80) if quick else (100, 400)
    for mode in ("json", "stream"):
        bare = per_request("bare", mode, low, high)
        ours = per_request("responsekit", mode, low, high)
        floor = per_request("floor", mode, low, high)
        print(
            f"  echo, {mode:6}: responsekit {ours / 1000:7.0f}k instructions/request, bare Starlette "
            f"{bare / 1000:5.0f}k: ratio {bare / ours:.2f}x (in process, no network)\n"
            f"  floor, {mode:5}: responsekit {floor / 1000:7.0f}k instructions/request "
            f"({floor / ours:.0%} of the echo's): ratio {bare / floor:.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
