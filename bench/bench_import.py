"""Cold import time: ``import responsekit`` against ``python -c pass``, measured in the same run.

Hosted agents start cold, so the import is on every start's path. Each command runs in a fresh
interpreter, alternating, and the medians are compared; the peer package is measured too when it
is installed (``make bench`` installs it). Target: ``import responsekit`` under 0.3 s of its own
(the median minus the bare interpreter's).
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import time

TARGET_SECONDS = 0.3
PEER_MODULE = "azure.ai.agentserver.responses"


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
