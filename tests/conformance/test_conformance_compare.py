"""`responsekit conformance compare`: the table of several reports, its Markdown and HTML, the CLI."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conformance_support import serve

from responsekit.conformance import compare, report
from responsekit.conformance.cli import build_run_parser, main
from responsekit.conformance.registry import FAIL, MUST, PASS, SHOULD, SKIP, WARN, Result

SUPERSCRIPT_DIGITS = str.maketrans(
    "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079", "0123456789"
)
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)> | [link](javascript:x) *b* `c`"


def result(check_id: str, verdict: str, message: str = "", level: str = MUST, title: str = "") -> dict:
    return Result(check_id, title or f"title of {check_id}", level, "fact", verdict, message).as_dict()


def write_report(
    path: Path,
    results: list[dict],
    *,
    name=None,
    version=None,
    started_at="2026-11-02T10:00:00Z",
    profile="openai",
):
    doc = {
        "suite": "responsekit-conformance",
        "version": "0.1.0",
        "server": {"name": name, "version": version},
        "base_url": f"http://{path.stem}.example",
        "profile": profile,
        "model": None,
        "started_at": started_at,
        "results": results,
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def reports(tmp_path: Path) -> list[Path]:
    """Three implementations whose check sets differ; results deliberately out of registry order."""
    ours = write_report(
        tmp_path / "ours.json",
        [
            result("stream.sequence", PASS),
            result("create.default", PASS),
            result("replay.last_event_id", PASS, level=SHOULD),
            result("tools.function_call_stream", SKIP, "the server did not call the offered tool"),
        ],
        name="ours",
        version="1.2.3",
    )
    theirs = write_report(
        tmp_path / "theirs.json",
        [
            result("future.check", FAIL, "a check this suite does not know"),
            result("create.default", PASS),
            result("stream.sequence", FAIL, "expected sequence_number 3,\n saw 4"),
            result("replay.last_event_id", WARN, "not honoured", level=SHOULD),
            result("tools.function_call_stream", SKIP, "the server did not call the offered tool"),
            result("create.zz_newer", PASS),
        ],
        name="theirs",
        version="9",
        started_at="2026-10-01T08:30:00Z",
    )
    unnamed = write_report(tmp_path / "unnamed.json", [result("create.default", FAIL, "500")], started_at="")
    return [ours, theirs, unnamed]


def table_of(paths: list[Path], labels: dict[str, str] | None = None) -> compare.Table:
    return compare.build(compare.load_reports([str(p) for p in paths], labels))


def test_rows_follow_the_registry_grouped_by_area_then_unknown_ids(reports: list[Path]) -> None:
    table = table_of(reports)
    assert [(area, [row.id for row in rows]) for area, rows in table.areas] == [
        ("create", ["create.default", "create.zz_newer"]),  # an unknown id joins its area, last
        ("stream", ["stream.sequence"]),
        ("replay", ["replay.last_event_id"]),
        ("tools", ["tools.function_call_stream"]),
        ("future", ["future.check"]),  # an unknown area comes after every known one
    ]


def test_columns_carry_name_version_and_date_from_the_metadata(reports: list[Path]) -> None:
    columns = table_of(reports).columns
    assert [(c.label, c.version, c.date) for c in columns] == [
        ("ours", "1.2.3", "2026-11-02"),
        ("theirs", "9", "2026-10-01"),
        ("http://unnamed.example", "", ""),  # no server name: the base URL names the column
    ]


def test_labels_override_by_path_file_name_or_stem(reports: list[Path]) -> None:
    labels = {str(reports[0]): "by path", "theirs.json": "by file name", "unnamed": "by stem"}
    assert [c.label for c in table_of(reports, labels).columns] == ["by path", "by file name", "by stem"]


def test_a_label_naming_no_report_is_an_error(reports: list[Path]) -> None:
    with pytest.raises(compare.CompareError, match="nothere"):
        table_of(reports, {"nothere.json": "x"})
    with pytest.raises(compare.CompareError, match="FILE=NAME"):
        compare.parse_labels(["no-equals-sign"])


def test_cells_hold_verdicts_missing_checks_are_empty_and_reasons_are_shared_notes(
    reports: list[Path],
) -> None:
    table = table_of(reports)
    rows = {row.id: row for _, rows in table.areas for row in rows}
    assert [c and c.verdict for c in rows["create.default"].cells] == [PASS, PASS, FAIL]
    assert rows["create.zz_newer"].cells[0] is None and rows["create.zz_newer"].cells[2] is None
    assert rows["create.zz_newer"].cells[1].verdict == PASS
    gap = rows["stream.sequence"].cells[1]
    assert gap.reason == "expected sequence_number 3, saw 4"  # one line
    assert table.notes[gap.note - 1] == gap.reason
    skip_ours, skip_theirs, _ = rows["tools.function_call_stream"].cells
    assert skip_ours.note == skip_theirs.note  # the same reason is one note
    assert rows["create.default"].cells[0].note is None  # no reason, no note
    assert rows["replay.last_event_id"].level == SHOULD
    assert rows["future.check"].title == "title of future.check"  # unknown ids keep the report's title


def test_summary_counts_verdicts_per_level_and_column(reports: list[Path]) -> None:
    summary = table_of(reports).summary
    assert summary[MUST] == (
        {PASS: 2, FAIL: 0, WARN: 0, SKIP: 1},
        {PASS: 2, FAIL: 2, WARN: 0, SKIP: 1},
        {PASS: 0, FAIL: 1, WARN: 0, SKIP: 0},
    )
    assert summary[SHOULD] == (
        {PASS: 1, FAIL: 0, WARN: 0, SKIP: 0},
        {PASS: 0, FAIL: 0, WARN: 1, SKIP: 0},
        {PASS: 0, FAIL: 0, WARN: 0, SKIP: 0},
    )


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table line, splitting on unescaped pipes only."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def test_markdown_shape(reports: list[Path]) -> None:
    text = compare.to_markdown(table_of(reports))
    table, notes = text.split("\n\nNotes:\n\n")
    lines = table.splitlines()
    assert _cells(lines[0]) == [
        "Check",
        "Level",
        "ours 1.2.3 (2026-11-02)",
        "theirs 9 (2026-10-01)",
        "http://unnamed.example",
    ]
    assert lines[1] == "|---|---|---|---|---|"
    assert all(len(_cells(line)) == 5 for line in lines)
    rows = {_cells(line)[0]: _cells(line)[1:] for line in lines[2:]}
    assert rows["**create**"] == ["", "", "", ""]
    assert rows["`create.zz_newer`"] == ["MUST", "\u2014", "PASS", "\u2014"]
    marker = re.fullmatch(r"FAIL([\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+)", rows["`stream.sequence`"][2])[1]
    note = int(marker.translate(SUPERSCRIPT_DIGITS))
    assert f"{note}. expected sequence\\_number 3, saw 4" in notes.splitlines()
    assert rows["**MUST** total"] == [
        "",
        "2 PASS, 0 FAIL, 0 WARN, 1 SKIP",
        "2 PASS, 2 FAIL, 0 WARN, 1 SKIP",
        "0 PASS, 1 FAIL, 0 WARN, 0 SKIP",
    ]
    assert rows["**SHOULD** total"][2] == "0 PASS, 0 FAIL, 1 WARN, 0 SKIP"


def test_a_check_judged_at_different_levels_says_each_cells_level(tmp_path: Path) -> None:
    """Under another profile (or suite version) a check may be SHOULD where it was MUST."""
    paths = [
        write_report(
            tmp_path / "a.json", [result("sse.event_field", PASS, level=MUST)], name="a", profile="x"
        ),
        write_report(tmp_path / "b.json", [result("sse.event_field", WARN, "no", level=SHOULD)], name="b"),
        write_report(tmp_path / "c.json", [result("create.default", PASS)], name="c"),
    ]
    table = table_of(paths)
    rows = {row.id: row for _, rows in table.areas for row in rows}
    assert rows["sse.event_field"].level == compare.VARIES and rows["create.default"].level == MUST
    lines = compare.to_markdown(table).splitlines()
    # The columns ran under different profiles: the headings say so.
    assert _cells(lines[0])[2:] == [
        "a (x profile, 2026-11-02)",
        "b (openai profile, 2026-11-02)",
        "c (openai profile, 2026-11-02)",
    ]
    assert _cells(next(line for line in lines if "sse.event_field" in line)) == [
        "`sse.event_field`",
        "varies",
        "PASS (MUST)",
        "WARN\u00b9 (SHOULD)",
        "\u2014",
    ]
    assert _cells(next(line for line in lines if "create.default" in line))[1:] == [
        "MUST",
        "\u2014",
        "\u2014",
        "PASS",
    ]
    page = compare.to_html(table)
    assert "PASS <small class='level'>MUST</small>" in page
    assert "<sup><a href='#note-1'>1</a></sup> <small class='level'>SHOULD</small>" in page


def hostile_reports(tmp_path: Path) -> list[Path]:
    return [
        write_report(
            tmp_path / "evil.json",
            [
                result("create.default", "PASS' onmouseover='alert(1)", HOSTILE, title=HOSTILE),
                result(f"evil{HOSTILE}.x", FAIL, f"12. {HOSTILE}", title=HOSTILE),
            ],
            name=HOSTILE,
            version=HOSTILE,
            started_at=HOSTILE,
        ),
        write_report(tmp_path / "good.json", [result("create.default", PASS)], name="good"),
    ]


class _Page(HTMLParser):
    """The elements and attributes of a page, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.values: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.values.extend(value or "" for _, value in attrs)

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_every_string_from_a_report(tmp_path: Path) -> None:
    page = _Page()
    page.feed(compare.to_html(table_of(hostile_reports(tmp_path))))
    # Only the page's own elements and attributes: nothing a report wrote became markup.
    assert page.tags <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "p",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "code",
        "small",
        "span",
        "sup",
        "a",
        "ol",
        "li",
    }
    assert page.attributes <= {
        "lang",
        "charset",
        "id",
        "class",
        "title",
        "scope",
        "colspan",
        "data-column",
        "data-area",
        "data-check",
        "data-verdict",
        "data-level",
        "href",
    }
    assert HOSTILE in "".join(page.text)  # shown as text
    assert HOSTILE in page.values  # and as a tooltip, intact
    assert "other" in " ".join(page.values)  # an unknown verdict gets no verdict class of its own


def test_markdown_neutralises_every_string_from_a_report(tmp_path: Path) -> None:
    text = compare.to_markdown(table_of(hostile_reports(tmp_path)))
    table, notes = text.split("\n\nNotes:\n\n")
    assert all(len(_cells(line)) == 4 for line in table.splitlines())  # no pipe broke a row
    assert "<" not in text and "onerror=alert" in text  # no raw HTML, the words still there
    # Leave out the table's own markup (bold area and total rows, the code span of a plain id) ...
    reported = re.sub(r"(?<=\| )\*\*|\*\*(?= (\||total))", "", text.replace("`create.default`", ""))
    for char in "[]*`":  # ... then no link, emphasis or code span can open
        assert re.search(rf"(?<!\\)\{char}", reported) is None, char
    assert all(re.match(r"\d+\. ", line) for line in notes.splitlines())
    assert re.search(r"^\d+\. 12\\\. &lt;script", notes, re.M)  # a note cannot start a list of its own


# -- the command line --------------------------------------------------------------------------------


def test_cli_prints_markdown_and_writes_html(reports: list[Path], tmp_path: Path, capsys) -> None:
    out = tmp_path / "table.html"
    code = main(["compare", *map(str, reports), "--label", "unnamed=Third", "--html", str(out)])
    assert code == 0
    stdout = capsys.readouterr().out
    assert stdout.startswith("| Check | Level | ours 1.2.3 (2026-11-02) |") and "| Third |" in stdout
    page = out.read_text(encoding="utf-8")
    assert "<span class='label'>Third</span>" in page
    # Self-contained: no scripts, no stylesheet or image to fetch, links only within the page.
    assert "<script" not in page and "<link" not in page and "url(" not in page and "@import" not in page
    assert all(target.startswith("#") for target in re.findall(r"(?:src|href)='([^']*)'", page))


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot read"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a conformance report"),
        ('{"results": [{"id": "create.default"}]}', "result #0"),
    ],
)
def test_cli_unreadable_report_is_a_usage_error(tmp_path: Path, capsys, content, message, reports) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    assert main(["compare", str(reports[0]), str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(bad) in err and "Traceback" not in err


def test_cli_usage_errors(reports: list[Path], tmp_path: Path, capsys) -> None:
    assert main(["compare", str(reports[0]), "--label", "other.json=x"]) == 2
    assert "other.json" in capsys.readouterr().err
    assert main(["compare", str(reports[0]), "--html", str(tmp_path / "no" / "dir.html")]) == 2
    assert "cannot write" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--help"])
    assert exc.value.code == 0 and "--label" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["compare"])  # at least one report
    assert exc.value.code == 2


def test_a_run_records_the_server_name_and_version(tmp_path: Path) -> None:
    args = build_run_parser().parse_args(
        ["--base-url", "http://x", "--server-name", "acme", "--server-version", "2"]
    )
    doc = report.to_json(
        [],
        base_url="http://x",
        profile="openai",
        model=None,
        started_at=0,
        duration_s=0,
        server_name=args.server_name,
        server_version=args.server_version,
    )
    assert doc["server"] == {"name": "acme", "version": "2"}


def test_reports_of_real_runs_compare_end_to_end(tmp_path: Path, capsys) -> None:
    """Two runs of the CLI against a real server, then the comparison of their reports."""
    from responsekit import ResponsesAgentServerHost, TextResponse

    app = ResponsesAgentServerHost()

    @app.response_handler
    async def echo(request, context, cancellation_signal):
        return TextResponse(context, request, text="hello")

    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    with serve(app) as url:
        assert (
            main(
                [
                    "--base-url",
                    url,
                    "--only",
                    "create",
                    "--server-name",
                    "echo",
                    "--server-version",
                    "1",
                    "--report-json",
                    str(paths[0]),
                ]
            )
            == 0
        )
        assert (
            main(["--base-url", url, "--only", "create.default,retrieve", "--report-json", str(paths[1])])
            == 0
        )
    capsys.readouterr()
    assert main(["compare", *map(str, paths), "--label", "b=second"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert _cells(lines[0])[2:] == [
        f"echo 1 ({json.loads(paths[0].read_text())['started_at'][:10]})",
        f"second ({json.loads(paths[1].read_text())['started_at'][:10]})",
    ]
    rows = {_cells(line)[0]: _cells(line)[2:] for line in lines if line.startswith("| `")}
    assert rows["`create.default`"] == ["PASS", "PASS"]
    assert rows["`create.stream`"] == ["PASS", "\u2014"]
    assert rows["`retrieve.after_create`"] == ["\u2014", "PASS"]
