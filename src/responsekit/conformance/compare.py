"""Several --report-json files side by side: one column per implementation, one row per check.

Rows are grouped by area (the check id's prefix) in the suite's own order, then the ids this suite
does not know (a report from another version). A cell is the verdict; its one-line reason becomes a
numbered note (and, in HTML, the cell's tooltip). A summary row per level counts the verdicts.

Reports come from other people's servers, so every string read from one is treated as hostile: it
is escaped for the format it lands in, and a verdict becomes a CSS class only when it is one of the
four known verdicts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from responsekit.conformance.registry import FAIL, MUST, PASS, SHOULD, SKIP, WARN

__all__ = [
    "CompareError",
    "Implementation",
    "Cell",
    "Row",
    "Table",
    "parse_labels",
    "load_reports",
    "build",
    "to_markdown",
    "to_html",
]

VERDICTS = (PASS, FAIL, WARN, SKIP)
LEVELS = (MUST, SHOULD)
MISSING = "\u2014"  # the cell of a check a report does not contain
VARIES = "varies"  # the level of a check the reports judged at different levels (e.g. by profile)
_SUPERSCRIPT = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")
_REASON_LIMIT = 240
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.\-]+")
# Markdown punctuation that could start emphasis, links, code, tables or headings; `<` and `&`
# are turned into entities first, so no raw HTML or entity gets through.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
# What would make a note (a list item's text) a block of its own: a list, heading or rule.
_MD_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")


class CompareError(Exception):
    """A report cannot be read or a --label cannot be applied (a usage error, not a crash)."""


@dataclass(frozen=True)
class Implementation:
    """One report: a column of the table."""

    label: str
    version: str
    date: str
    profile: str
    base_url: str
    results: dict[str, dict[str, Any]]  # check id -> the result as the report wrote it


@dataclass(frozen=True)
class Cell:
    verdict: str
    level: str  # the level this report judged the check at
    reason: str  # one line, possibly empty
    note: int | None  # the number of the footnote holding the reason


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    level: str  # the level every report judged it at, or VARIES (then each cell says its own)
    cells: tuple[Cell | None, ...]  # None: the report has no result for this check


@dataclass(frozen=True)
class Table:
    columns: tuple[Implementation, ...]
    areas: tuple[tuple[str, tuple[Row, ...]], ...]
    notes: tuple[str, ...]  # note n is notes[n - 1]
    summary: dict[str, tuple[dict[str, int], ...]]  # level -> per column, verdict -> count


# -- loading ---------------------------------------------------------------------------------------


def parse_labels(values: Iterable[str]) -> dict[str, str]:
    """``["a.json=Ours", ...]`` as ``{"a.json": "Ours"}``."""
    labels: dict[str, str] = {}
    for value in values:
        key, sep, name = value.partition("=")
        if not sep or not key.strip() or not name.strip():
            raise CompareError(f"--label expects FILE=NAME, got {value!r}")
        labels[key.strip()] = name.strip()
    return labels


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def one_line(value: Any, limit: int = _REASON_LIMIT) -> str:
    text = " ".join(_text(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise CompareError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise CompareError(f"{path} is not valid JSON: {exc}") from None
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, list):
        raise CompareError(f"{path} is not a conformance report (no `results` list)")
    for n, result in enumerate(results):
        if not (
            isinstance(result, dict)
            and isinstance(result.get("id"), str)
            and isinstance(result.get("verdict"), str)
        ):
            raise CompareError(
                f"{path} is not a conformance report (result #{n} has no string `id` and `verdict`)"
            )
    return doc


def _label_for(path: str, labels: dict[str, str], used: set[str]) -> str | None:
    p = Path(path)
    for key in (path, p.name, p.stem):
        if key in labels:
            used.add(key)
            return labels[key]
    return None


def _implementation(path: str, doc: dict[str, Any], label: str | None) -> Implementation:
    server = doc.get("server") if isinstance(doc.get("server"), dict) else {}
    started = _text(doc.get("started_at"))
    results: dict[str, dict[str, Any]] = {}
    for result in doc["results"]:
        results.setdefault(result["id"], result)  # a repeated id: the first verdict stands
    return Implementation(
        label=label or _text(server.get("name")) or _text(doc.get("base_url")) or Path(path).stem,
        version=_text(server.get("version")),
        date=started[:10] if _DATE.match(started) else started,
        profile=_text(doc.get("profile")),
        base_url=_text(doc.get("base_url")),
        results=results,
    )


def load_reports(paths: Sequence[str], labels: dict[str, str] | None = None) -> list[Implementation]:
    """Read the reports; ``labels`` maps a path (as given, its file name or its stem) to a column name."""
    labels = labels or {}
    used: set[str] = set()
    columns = [_implementation(path, _read(path), _label_for(path, labels, used)) for path in paths]
    unused = sorted(set(labels) - used)
    if unused:
        raise CompareError(f"--label names no report given: {', '.join(unused)}")
    return columns


# -- the table -------------------------------------------------------------------------------------


def _known_checks() -> dict[str, Any]:
    """The suite's checks by id, in registry order (empty if the checks cannot be imported here)."""
    try:
        from responsekit.conformance.checks import all_checks
    except ImportError:
        return {}
    return {chk.id: chk for chk in all_checks()}


def _area(check_id: str) -> str:
    return check_id.split(".", 1)[0]


def _row_order(columns: Sequence[Implementation], known: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for column in columns:
        seen.update(dict.fromkeys(column.results))
    rank = {check_id: n for n, check_id in enumerate(known)}
    appearance = {check_id: n for n, check_id in enumerate(seen)}
    ids = sorted(seen, key=lambda i: (rank.get(i, len(rank)), appearance[i]))
    # Group by area, areas in the order their first check comes.
    areas: dict[str, list[str]] = {}
    for check_id in ids:
        areas.setdefault(_area(check_id), []).append(check_id)
    return [check_id for group in areas.values() for check_id in group]


def build(columns: Sequence[Implementation]) -> Table:
    known = _known_checks()
    notes: dict[str, int] = {}  # the same reason in several cells shares one note

    def cell(result: dict[str, Any] | None) -> Cell | None:
        if result is None:
            return None
        reason = one_line(result.get("message"))
        note = notes.setdefault(reason, len(notes) + 1) if reason else None
        return Cell(result["verdict"], _text(result.get("level")), reason, note)

    areas: dict[str, list[Row]] = {}
    for check_id in _row_order(columns, known):
        found = [c.results[check_id] for c in columns if check_id in c.results]
        chk = known.get(check_id)
        levels = {_text(r.get("level")) for r in found}
        row = Row(
            id=check_id,
            title=chk.title if chk else one_line(found[0].get("title")),
            level=levels.pop() if len(levels) == 1 else VARIES,
            cells=tuple(cell(c.results.get(check_id)) for c in columns),
        )
        areas.setdefault(_area(check_id), []).append(row)
    summary = {
        level: tuple(
            {
                v: sum(1 for r in c.results.values() if r.get("level") == level and r["verdict"] == v)
                for v in VERDICTS
            }
            for c in columns
        )
        for level in LEVELS
    }
    return Table(
        columns=tuple(columns),
        areas=tuple((area, tuple(rows)) for area, rows in areas.items()),
        notes=tuple(notes),
        summary=summary,
    )


# -- Markdown --------------------------------------------------------------------------------------


def md(value: Any) -> str:
    """Hostile text as inert Markdown inline text: one line, no HTML, no links, no table breaks."""
    text = escape(one_line(value), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_note(value: Any) -> str:
    return _MD_BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", md(value))


def _md_id(check_id: str) -> str:
    return f"`{check_id}`" if _PLAIN_ID.fullmatch(check_id) else md(check_id)


def _heading(column: Implementation, with_profile: bool) -> str:
    """``label version (date)``; the profile too when the columns were run under different ones."""
    head = " ".join(part for part in (column.label, column.version) if part)
    profile = f"{column.profile} profile" if with_profile and column.profile else ""
    context = ", ".join(part for part in (profile, column.date) if part)
    return f"{head} ({context})" if context else head


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS)


def _md_cell(cell: Cell, with_level: bool) -> str:
    note = str(cell.note).translate(_SUPERSCRIPT) if cell.note else ""
    level = f" ({md(cell.level)})" if with_level else ""
    return f"{md(cell.verdict)}{note}{level}"


def to_markdown(table: Table) -> str:
    width = len(table.columns)
    with_profile = len({c.profile for c in table.columns}) > 1
    lines = [
        "| Check | Level | " + " | ".join(md(_heading(c, with_profile)) for c in table.columns) + " |",
        "|---|---|" + "---|" * width,
    ]
    for area, rows in table.areas:
        lines.append(f"| **{md(area)}** | |" + " |" * width)
        for row in rows:
            cells = [MISSING if c is None else _md_cell(c, row.level == VARIES) for c in row.cells]
            lines.append(f"| {_md_id(row.id)} | {md(row.level)} | " + " | ".join(cells) + " |")
    for level, per_column in table.summary.items():
        lines.append(f"| **{level}** total | | " + " | ".join(_counts(c) for c in per_column) + " |")
    out = "\n".join(lines) + "\n"
    if table.notes:
        out += (
            "\nNotes:\n\n"
            + "\n".join(f"{n}. {_md_note(text)}" for n, text in enumerate(table.notes, 1))
            + "\n"
        )
    return out


# -- HTML ------------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:2em} code{font:12px ui-monospace,monospace}
table{border-collapse:collapse;margin:.5em 0} th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:#f3f3f3} th.impl small{display:block;font-weight:normal;color:#555}
tr.area th{background:#e8e8e8;text-transform:uppercase;letter-spacing:.05em}
td.v{font-weight:bold;text-align:center;white-space:nowrap} td.missing{color:#888;font-weight:normal}
td.v small.level{font-weight:normal;color:#555}
.PASS{background:#d9f2d9} .FAIL{background:#f8d0d0} .WARN{background:#fbeec4} .SKIP{background:#dde9f5}
tfoot th,tfoot td{background:#f3f3f3} tfoot span{display:inline-block;padding:0 4px;margin:1px}
sup a{text-decoration:none} ol.notes li:target{background:#fbeec4}
"""


def _h(value: Any) -> str:
    return escape(_text(value), quote=True)


def _verdict_class(verdict: str) -> str:
    return verdict if verdict in VERDICTS else "other"


def _html_heading(n: int, column: Implementation) -> str:
    details = "".join(
        f"<small class='{name}'>{_h(value)}</small>"
        for name, value in (
            ("version", column.version),
            ("date", column.date),
            ("profile", f"profile: {column.profile}" if column.profile else ""),
        )
        if value
    )
    return f"<th class='impl' data-column='{n}' title='{_h(column.base_url)}'><span class='label'>{_h(column.label)}</span>{details}</th>"


def _html_cell(cell: Cell | None, with_level: bool) -> str:
    if cell is None:
        return f"<td class='v missing' data-verdict='' title='not in this report'>{MISSING}</td>"
    note = f"<sup><a href='#note-{cell.note}'>{cell.note}</a></sup>" if cell.note else ""
    level = f" <small class='level'>{_h(cell.level)}</small>" if with_level else ""
    title = f" title='{_h(cell.reason)}'" if cell.reason else ""
    return (
        f"<td class='v {_verdict_class(cell.verdict)}' data-verdict='{_h(cell.verdict)}'{title}>"
        f"{_h(cell.verdict)}{note}{level}</td>"
    )


def _html_summary(level: str, per_column: Sequence[dict[str, int]]) -> str:
    cells = "".join(
        "<td>"
        + " ".join(f"<span class='{v}' data-verdict='{v}'>{counts[v]} {v}</span>" for v in VERDICTS)
        + "</td>"
        for counts in per_column
    )
    return f"<tr class='summary' data-level='{level}'><th colspan='2'>{level} total</th>{cells}</tr>"


def to_html(table: Table) -> str:
    """A self-contained page (inline CSS, no scripts, no external assets)."""
    width = len(table.columns) + 2
    head = "".join(_html_heading(n, c) for n, c in enumerate(table.columns))
    bodies = []
    for area, rows in table.areas:
        body = [f"<tr class='area'><th colspan='{width}'>{_h(area)}</th></tr>"]
        for row in rows:
            body.append(
                f"<tr class='check' data-check='{_h(row.id)}'><th scope='row' title='{_h(row.title)}'>"
                f"<code>{_h(row.id)}</code></th><td class='level'>{_h(row.level)}</td>"
                + "".join(_html_cell(c, row.level == VARIES) for c in row.cells)
                + "</tr>"
            )
        bodies.append(f"<tbody data-area='{_h(area)}'>{''.join(body)}</tbody>")
    foot = "".join(_html_summary(level, per_column) for level, per_column in table.summary.items())
    notes = "".join(f"<li id='note-{n}'>{_h(text)}</li>" for n, text in enumerate(table.notes, 1))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Responses conformance comparison</title>"
        f"<style>{_CSS}</style></head><body><h1>Responses protocol conformance: comparison</h1>"
        "<p>One column per implementation, one row per check. Hover over a verdict for its reason, "
        "or follow its note number. A dash means the report has no result for that check.</p>"
        f"<table id='comparison'><thead><tr><th>check</th><th>level</th>{head}</tr></thead>"
        f"{''.join(bodies)}<tfoot>{foot}</tfoot></table>"
        + (f"<h2>Notes</h2><ol class='notes'>{notes}</ol>" if notes else "")
        + "</body></html>\n"
    )
