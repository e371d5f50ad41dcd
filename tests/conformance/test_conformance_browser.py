"""The conformance HTML pages in a real browser: the report of a run, and the comparison of several.

The reports come from real runs of `responsekit conformance` against the reference app, compliant
and with a sequence-number gap injected, plus a hand-written third report whose check set differs
and whose strings are hostile. Headless Chromium loads each page; assertions go through the DOM.
Screenshots land in tests/.screenshots/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance_support import (
    PROMPT_LONG,
    PROMPT_TOOL,
    SERVER_OPTIONS,
    FaultMiddleware,
    SequenceGap,
    make_reference_app,
    serve,
)
from support.browser import headless_chromium, save_screenshot

from responsekit.conformance.cli import main
from responsekit.conformance.compare import MISSING, one_line

pytestmark = pytest.mark.slow
HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


def run_suite(url: str, report: Path, name: str, *extra: str) -> int:
    return main(
        [
            "--base-url",
            url,
            "--prompt-long",
            PROMPT_LONG,
            "--prompt-tool",
            PROMPT_TOOL,
            "--timeout",
            "10",
            "--oversize-mib",
            "2",
            "--server-name",
            name,
            "--server-version",
            "1.0",
            "--report-json",
            str(report),
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, reference_url: str) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    paths = {name: folder / f"{name}.json" for name in ("reference", "gapped", "other")}
    assert run_suite(reference_url, paths["reference"], "reference") == 0
    gapped = FaultMiddleware(make_reference_app(**SERVER_OPTIONS), events=lambda scope: SequenceGap())
    with serve(gapped) as url:
        assert run_suite(url, paths["gapped"], "gapped", "--only", "create,sse,stream,retrieve") == 1
    # Another implementation: fewer checks, one this suite does not know, hostile strings.
    doc = json.loads(paths["reference"].read_text(encoding="utf-8"))
    doc["server"] = {"name": "other", "version": HOSTILE}
    doc["results"] = [r for r in doc["results"] if not r["id"].startswith("replay.")]
    doc["results"][0] = {**doc["results"][0], "verdict": "SKIP", "message": HOSTILE}
    doc["results"].append(
        {"id": "future.check", "title": HOSTILE, "level": "MUST", "verdict": "FAIL", "message": "x"}
    )
    paths["other"].write_text(json.dumps(doc), encoding="utf-8")
    return paths


@pytest.fixture
def driver() -> Iterator:
    with headless_chromium(width=1400, height=2400) as browser:
        yield browser


def load(driver, page: Path) -> None:
    driver.get(page.resolve().as_uri())


def results_of(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["results"]


def test_report_page_shows_every_verdict_and_the_evidence_of_failures(
    reports: dict[str, Path], tmp_path: Path, driver
) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "report.html"
    assert main(["report", str(reports["gapped"]), "--html", str(page)]) == 1  # a MUST check failed
    load(driver, page)
    results = results_of(reports["gapped"])
    server = driver.find_element(By.XPATH, "//tr[td[1][normalize-space()='server']]/td[2]")
    assert server.text == "gapped 1.0"
    table = driver.find_element(By.XPATH, "//th[normalize-space()='check']/ancestor::table[1]")
    rows = table.find_elements(By.XPATH, ".//tr[td]")
    assert [row.find_elements(By.TAG_NAME, "td")[0].text for row in rows] == [r["id"] for r in results]
    for row, result in zip(rows, results, strict=True):
        verdict = row.find_element(By.CSS_SELECTOR, "td.v")
        assert (
            verdict.text == result["verdict"] and result["verdict"] in verdict.get_attribute("class").split()
        )
    failed = [r for r in results if r["verdict"] == "FAIL"]
    assert "stream.sequence" in [r["id"] for r in failed]
    for result in failed:  # each failure links to its evidence further down
        link = driver.find_element(By.CSS_SELECTOR, f"a[href='#{result['id']}']")
        section = driver.find_element(By.ID, link.get_attribute("href").split("#", 1)[1])
        assert section.text == f"FAIL {result['id']}"
    assert driver.find_elements(By.XPATH, "//tr[contains(@class,'off')]"), "no offending event highlighted"
    must = driver.find_element(By.XPATH, "//tr[th[normalize-space()='MUST']]")
    counts = [int(td.text) for td in must.find_elements(By.TAG_NAME, "td")]
    expected = [
        sum(1 for r in results if r["level"] == "MUST" and r["verdict"] == v)
        for v in ("PASS", "FAIL", "WARN", "SKIP")
    ]
    assert counts == expected
    assert save_screenshot(driver, "conformance-report").stat().st_size > 0


def test_comparison_page_shows_each_implementation_side_by_side(
    reports: dict[str, Path], tmp_path: Path, driver
) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "comparison.html"
    files = [str(reports[name]) for name in ("reference", "gapped", "other")]
    assert main(["compare", *files, "--label", "gapped=with a gap", "--html", str(page)]) == 0
    load(driver, page)
    assert driver.title == "Responses conformance comparison"  # no hostile script ran
    assert not driver.find_elements(By.TAG_NAME, "img") and not driver.find_elements(By.TAG_NAME, "script")

    heads = driver.find_elements(By.CSS_SELECTOR, "thead th.impl")
    assert [h.find_element(By.CLASS_NAME, "label").text for h in heads] == [
        "reference",
        "with a gap",
        "other",
    ]
    assert heads[2].find_element(By.CLASS_NAME, "version").text == HOSTILE  # shown as text

    columns = [{r["id"]: r for r in results_of(Path(f))} for f in files]
    rows = driver.find_elements(By.CSS_SELECTOR, "tr.check")
    assert sorted(row.get_attribute("data-check") for row in rows) == sorted(set().union(*columns))
    assert rows[-1].get_attribute("data-check") == "future.check"  # unknown ids come last
    notes = {li.get_attribute("id"): li.text for li in driver.find_elements(By.CSS_SELECTOR, "ol.notes li")}
    for row in rows:
        check_id = row.get_attribute("data-check")
        cells = row.find_elements(By.CSS_SELECTOR, "td.v")
        for cell, results in zip(cells, columns, strict=True):
            result = results.get(check_id)
            if result is None:
                assert cell.text == MISSING
                continue
            reason = one_line(result.get("message"))
            assert cell.get_attribute("data-verdict") == result["verdict"]
            assert cell.text.startswith(result["verdict"])
            if reason:  # the reason is the tooltip and the footnote the cell links to
                assert cell.get_attribute("title") == reason
                note = cell.find_element(By.CSS_SELECTOR, "sup a").get_attribute("href").split("#", 1)[1]
                assert notes[note] == reason
    gap = driver.find_element(By.CSS_SELECTOR, "tr[data-check='stream.sequence'] td.v.FAIL")
    assert "sequence_number" in gap.get_attribute("title")

    for level in ("MUST", "SHOULD"):
        summary = driver.find_elements(By.CSS_SELECTOR, f"tfoot tr[data-level='{level}'] td")
        for cell, results in zip(summary, columns, strict=True):
            for verdict in ("PASS", "FAIL", "WARN", "SKIP"):
                shown = cell.find_element(By.CSS_SELECTOR, f"span[data-verdict='{verdict}']").text
                count = sum(1 for r in results.values() if r["level"] == level and r["verdict"] == verdict)
                assert shown == f"{count} {verdict}"
    assert save_screenshot(driver, "conformance-comparison").stat().st_size > 0
