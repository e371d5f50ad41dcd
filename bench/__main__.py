"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench emit [...]`` (some).

Each benchmark is a module ``bench/bench_<name>.py`` with a ``run(quick: bool = False) -> None``
that prints its results. Add a new one by listing its name in ``BENCHMARKS``. Benchmarks print
numbers and PASS/MISS against their targets; they never fail on a time (exit status 0 unless a
benchmark crashes).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

#: Run in this order by ``python -m bench``; each name is the module bench/bench_<name>.py.
BENCHMARKS: list[str] = ["import", "emit", "instructions", "http", "websocket", "redis", "workers", "memory"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {BENCHMARKS})"
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions (a smoke run, noisier numbers)"
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; known: {BENCHMARKS}")
    crashed = []
    for name in args.names or BENCHMARKS:
        print(f"== bench {name} ==", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"bench.bench_{name}").run(quick=args.quick)
        except Exception:  # one broken benchmark must not hide the others' numbers
            traceback.print_exc()
            crashed.append(name)
        print(f"== {name}: {time.perf_counter() - started:.1f} s ==\n", flush=True)
    if crashed:
        print(f"crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
