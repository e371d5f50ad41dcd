"""The HTML report: a table of checks a person reads at a glance, then the evidence of each failure.

The page is one self-contained file (inline CSS, no scripts), so it can be attached to a CI run.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

__all__ = ["render"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:2em} code,pre{font:12px ui-monospace,monospace}
table{border-collapse:collapse;margin:.5em 0} th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3} .PASS{background:#d9f2d9} .FAIL{background:#f8d0d0} .WARN{background:#fbeec4} .SKIP{background:#dde9f5}
td.v{font-weight:bold;text-align:center} tr.off td{background:#f8d0d0;font-weight:bold}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;white-space:pre-wrap} .meta td{border:none;padding:1px 8px}
"""


def _e(value: Any) -> str:
    return escape(value if isinstance(value, str) else json.dumps(value, default=str))


def _summary(report: dict[str, Any]) -> str:
    s = report.get("summary") or {}
    counts = s.get("counts") or {}
    verdicts = ("PASS", "FAIL", "WARN", "SKIP")
    head = "".join(f"<th class='{v}'>{v}</th>" for v in verdicts)
    rows = "".join(
        f"<tr><th>{_e(level)}</th>" + "".join(f"<td>{c.get(v, 0)}</td>" for v in verdicts) + "</tr>"
        for level, c in counts.items()
    )
    failed = s.get("must_failed") or []
    verdict = (
        f"<p class='FAIL'><b>FAIL</b>: {len(failed)} MUST check(s) failed: {_e(', '.join(failed))}</p>"
        if failed
        else "<p class='PASS'><b>PASS</b>: no MUST check failed</p>"
    )
    return f"{verdict}<table><tr><th></th>{head}</tr>{rows}</table>"


def _capabilities(report: dict[str, Any]) -> str:
    from responsekit.conformance.capabilities import NAMES
    from responsekit.conformance.report import capability_verdict

    caps = report.get("capabilities") or {}
    if not caps:
        return ""
    css = {True: "PASS", False: "SKIP"}
    rows = "".join(
        f"<tr><td>{_e(NAMES.get(name, name))}</td>"
        f"<td class='v {css.get(info.get('found'), 'WARN')}'>{_e(capability_verdict(info.get('found')))}</td>"
        f"<td>{_e(info.get('detail', ''))}</td></tr>"
        for name, info in caps.items()
    )
    return (
        "<h2>Optional capabilities</h2><p>The checks of a capability the server does not offer are skipped.</p>"
        f"<table><tr><th>capability</th><th>found</th><th>how it was decided</th></tr>{rows}</table>"
    )


def _timeline(rows: list[dict[str, Any]]) -> str:
    body = "".join(
        f"<tr class='{'off' if r.get('offending') else ''}'><td>{_e(str(r.get('sequence_number')))}</td>"
        f"<td><code>{_e(str(r.get('type')))}</code></td><td><code>{_e(r.get('detail', ''))}</code></td></tr>"
        for r in rows
    )
    return f"<table><tr><th>#</th><th>event</th><th>detail</th></tr>{body}</table>"


def _details(result: dict[str, Any]) -> str:
    parts = [
        f"<h2 id='{_e(result['id'])}'>{_e(result['verdict'])} {_e(result['id'])}</h2>",
        f"<p>{_e(result.get('title', ''))}<br><i>Rests on:</i> {_e(result.get('fact', ''))}</p>",
        f"<p><b>{_e(result.get('message', ''))}</b></p>",
    ]
    if result.get("timeline"):
        parts.append("<p>Event timeline around the failure (the offending event is highlighted):</p>")
        parts.append(_timeline(result["timeline"]))
    if result.get("evidence"):
        parts.append(f"<pre>{escape(json.dumps(result['evidence'], indent=2, default=str))}</pre>")
    return "\n".join(parts)


def render(report: dict[str, Any]) -> str:
    """The HTML page for a --report-json document."""
    results = report.get("results") or []
    rows = "".join(
        f"<tr><td><a href='#{_e(r['id'])}'>{_e(r['id'])}</a></td><td>{_e(r.get('level', ''))}</td>"
        f"<td class='v {_e(r['verdict'])}'>{_e(r['verdict'])}</td><td>{_e(r.get('title', ''))}</td>"
        f"<td>{_e(r.get('message', ''))}</td></tr>"
        if r["verdict"] in ("FAIL", "WARN")
        else f"<tr><td>{_e(r['id'])}</td><td>{_e(r.get('level', ''))}</td>"
        f"<td class='v {_e(r['verdict'])}'>{_e(r['verdict'])}</td><td>{_e(r.get('title', ''))}</td>"
        f"<td>{_e(r.get('message', ''))}</td></tr>"
        for r in results
    )
    meta = "".join(
        f"<tr><td>{k}</td><td><code>{_e(str(report.get(k)))}</code></td></tr>"
        for k in ("base_url", "profile", "client_validation", "model", "started_at", "duration_s", "version")
    )
    server = report.get("server") if isinstance(report.get("server"), dict) else {}
    named = " ".join(str(server[k]) for k in ("name", "version") if server.get(k))
    if named:  # the implementation, as declared with --server-name / --server-version
        meta = f"<tr><td>server</td><td><code>{_e(named)}</code></td></tr>{meta}"
    details = "\n".join(_details(r) for r in results if r["verdict"] in ("FAIL", "WARN"))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Responses conformance report</title>"
        f"<style>{_CSS}</style></head><body><h1>Responses protocol conformance</h1>"
        f"<table class='meta'>{meta}</table>{_summary(report)}{_capabilities(report)}"
        f"<table><tr><th>check</th><th>level</th><th>verdict</th><th>what it verifies</th><th>observed</th></tr>"
        f"{rows}</table>{details}</body></html>\n"
    )
