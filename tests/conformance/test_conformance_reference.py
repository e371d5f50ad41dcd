"""Against a compliant responsekit app, over real loopback HTTP, every MUST check passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conformance_support import suite_config

from responsekit.conformance.cli import main
from responsekit.conformance.registry import FAIL, MUST, PASS, Result


def _failures(results: dict[str, Result]) -> str:
    lines = []
    for r in results.values():
        if r.verdict != PASS:
            lines.append(f"{r.verdict} {r.id}: {r.message} {json.dumps(r.evidence, default=str)[:400]}")
    return "\n".join(lines)


def test_every_must_check_passes(baseline: dict[str, Result]) -> None:
    failed = [r for r in baseline.values() if r.level == MUST and r.verdict == FAIL]
    assert not failed, _failures(baseline)


def test_nothing_is_skipped_that_the_reference_app_can_show(baseline: dict[str, Result]) -> None:
    # The reference app streams slowly and calls tools, so cancel, live tail and tools are judged.
    skipped = {i for i, r in baseline.items() if r.verdict != PASS}
    assert skipped <= {"sse.done_sentinel"}, _failures(baseline)


def test_cli_writes_reports_and_exits_zero(reference_url: str, tmp_path: Path) -> None:
    cfg = suite_config(reference_url)
    out_json, out_xml, out_html = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.html"
    code = main(
        [
            "--base-url",
            reference_url,
            "--only",
            "create,stream,retrieve",
            "--timeout",
            str(cfg.timeout),
            "--report-json",
            str(out_json),
            "--junit-xml",
            str(out_xml),
            "--no-color",
        ]
    )
    assert code == 0
    doc = json.loads(out_json.read_text())
    assert {r["id"].split(".")[0] for r in doc["results"]} == {"create", "stream", "retrieve"}
    assert "<testsuites>" in out_xml.read_text().replace("<?xml version='1.0' encoding='utf-8'?>\n", "")
    assert main(["report", str(out_json), "--html", str(out_html)]) == 0
    assert "PASS" in out_html.read_text()


def test_pytest_plugin_runs_the_checks_as_items(reference_url: str) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "responsekit.conformance",
        "-q",
        "-p",
        "no:cacheprovider",
        "--responses-base-url",
        reference_url,
        "--responses-prompt-long",
        "slow 50",
        "--responses-prompt-tool",
        "weather in Paris",
        "--responses-timeout",
        "10",
        "-k",
        "stream or tools",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=Path(__file__).parent)
    assert out.returncode == 0, out.stdout[-3000:]
    assert " passed" in out.stdout and "failed" not in out.stdout


def test_open_responses_profile_judges_the_done_sentinel(reference_url: str) -> None:
    from responsekit.conformance.checks import all_checks
    from responsekit.conformance.runner import run_suite, select

    config = suite_config(reference_url)
    config.profile = "open-responses"
    results = run_suite(config, select(all_checks(), ["sse"]))
    assert {r.id: r.verdict for r in results} == {
        "sse.event_field": PASS,
        "sse.data_json": PASS,
        "sse.done_sentinel": PASS,
        "sse.keep_alive": PASS,
    }
