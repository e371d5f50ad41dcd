"""Reports (console, JSON, JUnit, HTML), the table of checks in the guide, the CLI surface and the pytest plugin's cost."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from responsekit.cli import main as responsekit_main
from responsekit.conformance import html, readme, report
from responsekit.conformance.checks import all_checks
from responsekit.conformance.cli import main
from responsekit.conformance.registry import (
    FAIL,
    MUST,
    PASS,
    SHOULD,
    SKIP,
    WARN,
    Failed,
    Result,
    Skipped,
    run_check,
)
from responsekit.conformance.runner import select

ROOT = Path(__file__).resolve().parents[2]
TIMELINE = [
    {
        "index": 2,
        "sequence_number": 2,
        "type": "response.output_item.added",
        "detail": "",
        "offending": False,
    },
    {
        "index": 3,
        "sequence_number": 4,
        "type": "response.output_text.delta",
        "detail": "delta='<b>'",
        "offending": True,
    },
]


def results() -> list[Result]:
    return [
        Result("create.default", "Default mode", MUST, "fact", PASS),
        Result(
            "stream.sequence",
            "Numbering",
            MUST,
            "fact",
            FAIL,
            "expected sequence_number 3, saw 4 (a gap)",
            {"sequence_number": 4, "status": 200},
            TIMELINE,
            0.25,
        ),
        Result(
            "replay.last_event_id", "Last-Event-ID", SHOULD, "fact", WARN, "not honoured", {"status": 200}
        ),
        Result(
            "tools.function_call_stream",
            "Tools",
            MUST,
            "fact",
            SKIP,
            "the server did not call the offered tool",
        ),
    ]


def test_exit_code_only_for_must_failures() -> None:
    assert report.exit_code(results()) == 1
    assert report.exit_code([r for r in results() if r.verdict != FAIL]) == 0


def test_console_lines_evidence_and_summary() -> None:
    out = io.StringIO()
    console = report.Console(out, io.StringIO(), colour=False)
    for r in results():
        console.result(r)
    console.summary(results(), 1.5)
    text = out.getvalue()
    assert "FAIL  MUST    stream.sequence" in text and "expected sequence_number 3, saw 4 (a gap)" in text
    assert "sequence_number: 4" in text and "> #4 response.output_text.delta" in text
    assert "SKIP  MUST    tools.function_call_stream" in text and "did not call the offered tool" in text
    assert "FAIL: 1 MUST check(s) failed in 1.5s: stream.sequence" in text
    assert "\033[" not in text


def test_progress_line_only_on_terminals() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    console = report.Console(io.StringIO(), err)
    console.start(3, 40, all_checks()[0])
    assert "[3/40] running create.default" in err.getvalue()
    quiet = io.StringIO()
    report.Console(io.StringIO(), quiet).start(3, 40, all_checks()[0])
    assert quiet.getvalue() == ""


def test_json_round_trip_and_no_secrets() -> None:
    doc = report.to_json(
        results(), base_url="http://x", profile="openai", model=None, started_at=0, duration_s=1
    )
    text = json.dumps(doc)
    assert doc["summary"]["must_failed"] == ["stream.sequence"] and doc["summary"]["exit_code"] == 1
    assert [Result.from_dict(r) for r in json.loads(text)["results"]][1].timeline == TIMELINE
    assert "api_key" not in text and "headers" not in text


def test_junit_xml(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    report.write_junit(results(), str(path))
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite}
    assert "a gap" in cases["stream.sequence"].find("failure").text
    assert cases["tools.function_call_stream"].find("skipped") is not None
    assert "WARN" in cases["replay.last_event_id"].find("system-out").text


def test_html_has_coloured_table_and_escaped_timeline() -> None:
    doc = report.to_json(
        results(), base_url="http://x", profile="openai", model=None, started_at=0, duration_s=1
    )
    page = html.render(doc)
    assert "<td class='v FAIL'>FAIL</td>" in page and ".FAIL{background" in page
    assert "<tr class='off'>" in page and "delta=&#x27;&lt;b&gt;&#x27;" in page
    assert "delta='<b>'" not in page


def test_report_command_writes_html(tmp_path: Path) -> None:
    src = tmp_path / "r.json"
    src.write_text(
        json.dumps(
            report.to_json(
                results(), base_url="http://x", profile="openai", model=None, started_at=0, duration_s=1
            )
        )
    )
    out = tmp_path / "r.html"
    assert responsekit_main(["conformance", "report", str(src), "--html", str(out)]) == 1
    assert "stream.sequence" in out.read_text()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["report", str(bad), "--html", str(out)]) == 2


def test_run_check_turns_outcomes_into_verdicts() -> None:
    class Ctx:
        class config:
            profile = "openai"

    def chk(fn, level=MUST, profiles=("openai", "open-responses")):
        from responsekit.conformance.registry import Check

        return run_check(Check("x.y", "t", level, "f", fn, profiles), Ctx())

    def fail(_):
        raise Failed("bad", status=500)

    def skip(_):
        raise Skipped("no tools")

    def boom(_):
        raise TimeoutError("slow")

    assert chk(lambda _: None).verdict == PASS
    assert (chk(fail).verdict, chk(fail).evidence) == (FAIL, {"status": 500})
    assert chk(fail, SHOULD).verdict == WARN
    assert chk(skip).verdict == SKIP
    assert chk(boom).verdict == FAIL and "TimeoutError" in chk(boom).message
    assert chk(lambda _: None, profiles=("open-responses",)).verdict == SKIP


def test_select_by_id_group_and_glob() -> None:
    ids = [c.id for c in select(all_checks(), ["replay", "stream.seq*"], ["replay.live_tail"])]
    replay = [c.id for c in all_checks() if c.group == "replay" and c.id != "replay.live_tail"]
    assert ids == ["stream.sequence", *replay] and {"replay.full", "replay.starting_after"} <= set(ids)


def test_every_check_is_described() -> None:
    checks = all_checks()
    assert len({c.id for c in checks}) == len(checks) >= 40
    for c in checks:
        assert c.level in (MUST, SHOULD) and c.title and c.fact and "\n" not in c.title, c.id


def test_cli_usage_errors() -> None:
    assert main(["--base-url", "http://127.0.0.1:9", "--only", "no.such.check"]) == 2
    assert main(["--base-url", "http://127.0.0.1:9", "--timeout", "2"]) == 2  # nothing listens on port 9
    with pytest.raises(SystemExit):
        main(["--base-url", "http://x", "--header", "no-colon"])
    assert responsekit_main(["nonsense"]) == 2


def test_readme_table_is_generated_from_the_checks() -> None:
    table = readme.table()
    assert table.count("\n") == len(all_checks()) + 2
    assert table.startswith("| Check | `openai` | `open-responses` | Verifies | Rests on |\n")
    # Levels per profile come from the rules table ("-": the rule does not apply there).
    assert "| `sse.done_sentinel` | - | MUST |" in table and "| `sse.event_field` | SHOULD | MUST |" in table
    assert "(Open Responses: § HTTP Responses, Streaming HTTP Responses" in table


def test_guide_section_matches_the_generated_table() -> None:
    # The table of checks lives in the user's guide (docs/conformance.md), between the markers.
    section = readme.section_of((ROOT / "docs" / "conformance.md").read_text(encoding="utf-8"))
    assert section is not None, "docs/conformance.md lost its conformance-checks markers"
    assert section == readme.table(), (
        "the table of checks is stale: run "
        "`python -m responsekit.conformance readme-table --write docs/conformance.md`"
    )


def test_readme_write_replaces_between_markers(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(f"intro\n{readme.START}\nold\n{readme.END}\noutro\n")
    assert main(["readme-table", "--write", str(path)]) == 0
    assert readme.section_of(path.read_text()) == readme.table()
    assert path.read_text().startswith("intro\n") and path.read_text().endswith("outro\n")


def test_plugin_is_inert_without_its_option() -> None:
    # Importing the plugin (as every pytest run does) must not pull in the suite or HTTP stacks.
    code = (
        "import sys; import responsekit.conformance.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith('responsekit.conformance')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "['responsekit.conformance', 'responsekit.conformance.pytest_plugin']"


def test_pyargs_run_skips_without_base_url() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "responsekit.conformance",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "create_default or stream.sequence",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT / "tests" / "conformance",
    )
    assert "skipped" in out.stdout and "failed" not in out.stdout, out.stdout[-2000:]
