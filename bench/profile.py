"""Where a request's time goes: ``make profile`` (``python -m bench.profile``).

Serves the benchmark's echo app (bench/apps/responsekit_echo.py) under py-spy, drives it with wrk
(one thread, 32 connections) for a few seconds per mode, and writes to ``profile/`` (ignored by git):

- ``<mode>.svg``: a flame graph of the server process;
- ``<mode>.txt``: a sorted table: the share of samples under each function of responsekit (its own
  time plus what it calls outside responsekit), by line, and by package of the innermost frame
  (responsekit, starlette, uvicorn, h11, asyncio, ...), so a change can be compared before/after.

Modes: ``default`` (JSON), ``stream`` (stream=true). Needs wrk (Debian's package) and py-spy (the
``bench`` extra); ``--seconds`` and ``--rate`` tune the run.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_http import _wrk_script, serve

OUT = Path(__file__).resolve().parents[1] / "profile"
REQUESTS = {
    "default": {"model": "bench", "input": "hello, benchmark"},
    "stream": {"model": "bench", "input": "hello, benchmark", "stream": True},
}
_FRAME = re.compile(r"(.*) \((.*?):(\d+)\)$")


def table(raw: Path, top: int = 40) -> str:
    """The sorted table of a py-spy ``raw`` (collapsed stacks) file."""
    total = 0
    under: collections.Counter[str] = collections.Counter()
    by_line: collections.Counter[str] = collections.Counter()
    by_package: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaf = _FRAME.match(frames[-1])
        path = leaf.group(2) if leaf else frames[-1]
        by_package[_package(path)] += n
        for frame in reversed(frames):
            match = _FRAME.match(frame)
            if match and match.group(2).startswith("responsekit/"):
                under[f"{match.group(1)} ({match.group(2)})"] += n
                by_line[f"{match.group(2)}:{match.group(3)}"] += n
                break
    out = [f"{total} samples", "", "innermost package of each sample:"]
    out += [f"  {100 * v / total:5.1f}%  {k}" for k, v in by_package.most_common(12)]
    out += ["", "under each responsekit function (its own time and its non-responsekit callees):"]
    out += [f"  {100 * v / total:5.1f}%  {k}" for k, v in under.most_common(top)]
    out += ["", "by responsekit line:"]
    out += [f"  {100 * v / total:5.1f}%  {k}" for k, v in by_line.most_common(top)]
    return "\n".join(out) + "\n"


def _py_spy() -> str:
    """py-spy from PATH, else beside this interpreter (the venv's bin, when it is not on PATH)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.exists() else "py-spy")


def _package(path: str) -> str:
    if path.startswith("responsekit/"):
        return "responsekit"
    return path.split("/")[0].removesuffix(".py")


def profile(mode: str, seconds: float, rate: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, serve("responsekit_echo.py") as (url, process):
        script = _wrk_script(Path(tmp), REQUESTS[mode])
        raw = OUT / f"{mode}.raw"
        spy = subprocess.Popen(
            [
                _py_spy(),
                "record",
                "-p",
                str(process.pid),
                "-r",
                str(rate),
                "-d",
                str(int(seconds) + 2),
                "-f",
                "raw",
                "-o",
                str(raw),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1)
        out = subprocess.run(
            ["wrk", "-t1", "-c32", f"-d{int(seconds)}s", "-s", str(script), url + "/responses"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        spy.wait(60)
    if not raw.exists():
        raise RuntimeError(
            f"py-spy wrote nothing: {spy.stderr.read().decode()[-1000:] if spy.stderr else ''}"
        )
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    text = f"mode {mode}: {rps.group(1) if rps else '?'} req/s under the profiler\n\n" + table(raw)
    (OUT / f"{mode}.txt").write_text(text)
    _flamegraph(raw, OUT / f"{mode}.svg")
    print(text.split("\n\nby responsekit line")[0])


def _flamegraph(raw: Path, svg: Path) -> None:
    """py-spy renders SVG from a live process only; from collapsed stacks, a minimal SVG of our own."""
    stacks = []
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            stacks.append((stack.split(";"), int(count)))
    svg.write_text(render_svg(stacks))


def render_svg(stacks: list[tuple[list[str], int]], width: int = 1600, row: int = 16) -> str:
    """An icicle graph (root at the top) of collapsed stacks: each frame's width is its share."""
    tree: dict = {}
    for frames, n in stacks:
        node = tree
        for frame in frames:
            child = node.setdefault(frame, {"n": 0, "kids": {}})
            child["n"] += n
            node = child["kids"]
    total = sum(n for _, n in stacks) or 1
    rects: list[str] = []
    depth_max = 0

    def walk(nodes: dict, x: float, depth: int) -> None:
        nonlocal depth_max
        depth_max = max(depth_max, depth)
        for frame, node in sorted(nodes.items(), key=lambda kv: -kv[1]["n"]):
            w = width * node["n"] / total
            if w >= 0.5:
                label = json.dumps(frame)[1:-1].replace("&", "&amp;").replace("<", "&lt;")
                hue = 20 if "responsekit/" in frame else 200
                rects.append(
                    f"<g><title>{label} ({100 * node['n'] / total:.1f}%)</title>"
                    f'<rect x="{x:.1f}" y="{depth * row}" width="{w:.1f}" height="{row - 1}" '
                    f'fill="hsl({hue},70%,{60 + depth % 3 * 8}%)"/>'
                    + (
                        f'<text x="{x + 2:.1f}" y="{depth * row + 12}" font-size="11">{label[: int(w / 7)]}</text>'
                        if w > 40
                        else ""
                    )
                    + "</g>"
                )
                walk(node["kids"], x, depth + 1)
            x += w

    walk(tree, 0.0, 0)
    height = (depth_max + 1) * row
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace">'
        + "".join(rects)
        + "</svg>\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("modes", nargs="*", metavar="MODE", help=f"of {list(REQUESTS)} (default: all)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    args = parser.parse_args(argv)
    for tool, found in (
        ("wrk", shutil.which("wrk")),
        ("py-spy", Path(_py_spy()).exists() or shutil.which("py-spy")),
    ):
        if not found:
            print(
                f"{tool} is not installed (wrk: apt-get install wrk; py-spy: pip install py-spy)",
                file=sys.stderr,
            )
            return 2
    unknown = [mode for mode in args.modes if mode not in REQUESTS]
    if unknown:
        parser.error(f"unknown mode(s) {unknown}; known: {list(REQUESTS)}")
    OUT.mkdir(exist_ok=True)
    for mode in args.modes or REQUESTS:
        profile(mode, args.seconds, args.rate)
    print(f"written to {OUT}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
