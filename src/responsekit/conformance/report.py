"""Reporting results: console lines and summary, the JSON report, JUnit XML."""

from __future__ import annotations

import json
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from responsekit.conformance.registry import FAIL, MUST, PASS, SHOULD, SKIP, WARN, Check, Result
from responsekit.conformance.schemas import DEFAULT_CLIENT_VALIDATION, STRICT

__all__ = [
    "Console",
    "exit_code",
    "summarize",
    "to_json",
    "load_json",
    "write_junit",
    "capability_verdict",
    "capability_lines",
    "validation_line",
]

VERDICTS = (PASS, FAIL, WARN, SKIP)
_COLOURS = {PASS: "\033[32m", FAIL: "\033[31m", WARN: "\033[33m", SKIP: "\033[36m"}
_RESET = "\033[0m"


def exit_code(results: Iterable[Result]) -> int:
    """1 when any MUST check failed, else 0 (WARN and SKIP never fail a run)."""
    return 1 if any(r.verdict == FAIL and r.level == MUST for r in results) else 0


def summarize(results: Sequence[Result]) -> dict[str, Any]:
    counts = {level: {v: 0 for v in VERDICTS} for level in (MUST, SHOULD)}
    for r in results:
        counts.setdefault(r.level, {v: 0 for v in VERDICTS})[r.verdict] += 1
    return {
        "counts": counts,
        "total": {v: sum(c[v] for c in counts.values()) for v in VERDICTS},
        "must_failed": [r.id for r in results if r.verdict == FAIL and r.level == MUST],
        "exit_code": exit_code(results),
    }


def _value(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validation_line(client_validation: str) -> str:
    """What ``--client-validation`` held the bodies to, in words."""
    if client_validation == STRICT:
        return (
            "strict (bodies the openai models reject fail; only the spec models' rejections are deviations)"
        )
    return (
        f"{client_validation} (what the openai client accepts as users run it: only non-JSON fails; "
        "model rejections are deviations)"
    )


def capability_verdict(found: Any) -> str:
    return {True: "found", False: "not found"}.get(found, "unknown")


def capability_lines(capabilities: dict[str, dict[str, Any]] | None) -> list[str]:
    """One line per optional capability: found or not, and the probe that decided it."""
    from responsekit.conformance.capabilities import NAMES

    return [
        f"  {name:<14} {capability_verdict(info.get('found')):<10} {NAMES.get(name, name)}: {info.get('detail', '')}"
        for name, info in (capabilities or {}).items()
    ]


def evidence_lines(result: Result, indent: str = "      ") -> list[str]:
    """The evidence of a result as indented text lines (for the console and JUnit)."""
    lines = [f"{indent}{key}: {_value(val)}" for key, val in result.evidence.items() if key != "violations"]
    if result.timeline:
        lines.append(f"{indent}timeline:")
        for row in result.timeline:
            mark = ">" if row.get("offending") else " "
            lines.append(
                f"{indent} {mark} #{row.get('sequence_number')} {row.get('type')} {row.get('detail', '')}".rstrip()
            )
    return lines


class Console:
    """One line per check (plus evidence on failure), a progress line on terminals, a summary table."""

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        *,
        colour: bool | None = None,
        verbose: bool = False,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.colour = self.out.isatty() if colour is None else colour
        self.progress = self.err.isatty()
        self.verbose = verbose
        self._width = 0

    def _paint(self, verdict: str) -> str:
        text = f"{verdict:<4}"
        return f"{_COLOURS[verdict]}{text}{_RESET}" if self.colour else text

    def start(self, n: int, total: int, chk: Check) -> None:
        if self.progress:
            line = f"[{n}/{total}] running {chk.id} ..."
            self.err.write("\r" + line.ljust(self._width))
            self.err.flush()
            self._width = len(line)

    def _clear(self) -> None:
        if self.progress and self._width:
            self.err.write("\r" + " " * self._width + "\r")
            self.err.flush()
            self._width = 0

    def result(self, r: Result) -> None:
        self._clear()
        note = r.message or r.title
        self.out.write(f"{self._paint(r.verdict)}  {r.level:<6}  {r.id:<30} {note}\n")
        if r.verdict in (FAIL, WARN) or (self.verbose and r.evidence):
            for line in evidence_lines(r):
                self.out.write(line + "\n")
        self.out.flush()

    def summary(
        self,
        results: Sequence[Result],
        elapsed: float | None = None,
        capabilities: dict[str, dict[str, Any]] | None = None,
        client_validation: str | None = None,
    ) -> None:
        self._clear()
        if client_validation:
            self.out.write(f"\nClient validation: {validation_line(client_validation)}\n")
        if capabilities:
            self.out.write("\nOptional capabilities (checks of one not found are skipped):\n")
            self.out.write("\n".join(capability_lines(capabilities)) + "\n")
        s = summarize(results)
        self.out.write("\n" + f"{'':8}" + "".join(f"{v:>7}" for v in VERDICTS) + "\n")
        for level, counts in s["counts"].items():
            self.out.write(f"{level:8}" + "".join(f"{counts[v]:>7}" for v in VERDICTS) + "\n")
        self.out.write(f"{'total':8}" + "".join(f"{s['total'][v]:>7}" for v in VERDICTS) + "\n\n")
        took = f" in {elapsed:.1f}s" if elapsed is not None else ""
        if s["must_failed"]:
            self.out.write(
                f"{self._paint(FAIL)}: {len(s['must_failed'])} MUST check(s) failed{took}: "
                f"{', '.join(s['must_failed'])}\n"
            )
        else:
            self.out.write(f"{self._paint(PASS)}: no MUST check failed ({len(results)} checks{took})\n")
        self.out.flush()


def to_json(
    results: Sequence[Result],
    *,
    base_url: str,
    profile: str,
    model: str | None,
    started_at: float,
    duration_s: float,
    capabilities: dict[str, dict[str, Any]] | None = None,
    server_name: str | None = None,
    server_version: str | None = None,
    client_validation: str = DEFAULT_CLIENT_VALIDATION,
) -> dict[str, Any]:
    """The --report-json document. Secrets (api key, header values) are never written.

    ``capabilities`` (``{name: {"found", "detail"}}``) says which optional parts the server offers.
    ``server`` names the implementation under test (as the user declared it), so that reports of
    several servers can be told apart side by side (``responsekit conformance compare``).
    ``client_validation`` is the ``--client-validation`` the bodies were judged under.
    """
    from responsekit.conformance import __version__

    return {
        "suite": "responsekit-conformance",
        "version": __version__,
        "server": {"name": server_name, "version": server_version},
        "base_url": base_url,
        "profile": profile,
        "client_validation": client_validation,
        "model": model,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_at)),
        "duration_s": round(duration_s, 3),
        "summary": summarize(results),
        "capabilities": capabilities or {},
        "results": [r.as_dict() for r in results],
    }


def load_json(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError(f"{path} is not a conformance report (no `results` list)")
    return data


def write_junit(
    results: Sequence[Result],
    path: str,
    *,
    name: str = "responsekit-conformance",
    capabilities: dict[str, dict[str, Any]] | None = None,
    client_validation: str | None = None,
) -> None:
    s = summarize(results)
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(results)),
        failures=str(s["total"][FAIL]),
        errors="0",
        skipped=str(s["total"][SKIP]),
        time=f"{sum(r.duration_s for r in results):.3f}",
    )
    if capabilities or client_validation:
        props = ET.SubElement(suite, "properties")
        if client_validation:
            ET.SubElement(props, "property", name="client_validation", value=client_validation)
        for cap, info in (capabilities or {}).items():
            ET.SubElement(
                props, "property", name=f"capability.{cap}", value=capability_verdict(info.get("found"))
            )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"conformance.{r.id.split('.')[0]}",
            name=r.id,
            time=f"{r.duration_s:.3f}",
        )
        detail = "\n".join([r.message, *evidence_lines(r, "  ")])
        if r.verdict == FAIL:
            ET.SubElement(case, "failure", message=r.message[:500], type=r.level).text = detail
        elif r.verdict == SKIP:
            ET.SubElement(case, "skipped", message=r.message[:500])
        elif r.verdict == WARN:
            ET.SubElement(case, "system-out").text = f"WARN ({r.level}): {detail}"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
