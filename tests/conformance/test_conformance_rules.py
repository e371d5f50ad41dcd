"""The rules table, levels per profile, verdict semantics and the client validation of a run."""

from __future__ import annotations

import dataclasses
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance_support import suite_config
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from support.servers import serve_in_thread

from responsekit.conformance import html, report, schemas
from responsekit.conformance.checks import MODULES, all_checks, get
from responsekit.conformance.cli import main
from responsekit.conformance.context import Config, Context
from responsekit.conformance.registry import (
    FAIL,
    MUST,
    PASS,
    SHOULD,
    SKIP,
    WARN,
    Check,
    Failed,
    Skipped,
    Warned,
    run_check,
)
from responsekit.conformance.rules import PROFILES, RULES, SOURCES, rules_by_check
from responsekit.conformance.runner import run_suite, select
from responsekit.streaming.stream import ResponseEventStream

# -- the table against the registry ---------------------------------------------------------------


def test_every_rule_names_registered_checks_and_every_check_one_rule() -> None:
    registered = {c.id for c in all_checks()}
    named = rules_by_check()
    assert [r.id for r in RULES if not r.checks] == [], "a rule no check judges"
    assert sorted(set(named) - registered) == [], "the table names checks that do not exist"
    assert sorted(registered - set(named)) == [], "checks no rule names (add a Rule to rules.RULES)"
    assert {c: [r.id for r in rs] for c, rs in named.items() if len(rs) > 1} == {}, "a check in two rules"


def test_rules_are_well_formed() -> None:
    assert len({r.id for r in RULES}) == len(RULES), "duplicate rule ids"
    for rule in RULES:
        assert rule.source in SOURCES and rule.section and rule.statement, rule.id
        assert "\n" not in rule.statement, rule.id
        assert {rule.openai, rule.open_responses} <= {MUST, SHOULD, None}, rule.id
        assert rule.profiles, f"{rule.id} applies under no profile"


def test_declared_levels_agree_with_the_table() -> None:
    """The decorator's level is the rule's strongest one, its profiles those the rule applies under."""
    for chk in all_checks():
        rule = chk.rule
        if rule is None:
            continue  # the test above names it
        assert (chk.level, chk.profiles) == (rule.strongest, rule.profiles), chk.id


def test_models_deviations_runs_last() -> None:
    assert MODULES[-1] == "models" and all_checks()[-1].id == "models.deviations"


# -- levels per profile -----------------------------------------------------------------------------


class FakeContext:
    def __init__(self, profile: str = "openai", client_validation: str = "strict") -> None:
        self.config = Config(
            base_url="http://127.0.0.1:9", profile=profile, client_validation=client_validation
        )
        self._memo: dict[str, Any] = {}

    def memo(self, name: str, make: Any) -> Any:
        if name not in self._memo:
            self._memo[name] = make()
        return self._memo[name]


def _fail(_: Any) -> None:
    raise Failed("broken", status=500)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_check_takes_its_level_from_the_table(profile: str) -> None:
    expected_verdict = {MUST: FAIL, SHOULD: WARN, None: SKIP}
    for chk in (c for c in all_checks() if c.rule is not None):  # the others: see the first test
        level = chk.rule.level(profile)
        result = run_check(dataclasses.replace(chk, fn=_fail), FakeContext(profile))
        assert result.verdict == expected_verdict[level], (chk.id, profile)
        assert result.rule == chk.rule.id
        if level is not None:
            assert result.level == level, (chk.id, profile)


def test_calibrated_examples() -> None:
    def levels(check_id: str) -> tuple[str | None, str | None]:
        return get(check_id).level_under("openai"), get(check_id).level_under("open-responses")

    # The protocol owner's API sends `event:` lines and its SDK ignores them.
    assert levels("sse.event_field") == (SHOULD, MUST)
    assert levels("sse.done_sentinel") == (None, MUST)
    # A non-background cancel must be refused with a 4xx and the envelope, should be exactly 400.
    assert levels("cancel.foreground_4xx")[0] == MUST and levels("cancel.foreground_400")[0] == SHOULD
    assert levels("errors.oversized_body") == (MUST, MUST)
    assert levels("errors.oversized_413") == (SHOULD, SHOULD)
    assert levels("models.deviations") == (SHOULD, SHOULD)
    # Endpoints Open Responses does not define are SHOULD under its profile.
    assert levels("retrieve.unknown_404") == (MUST, SHOULD)
    assert levels("conversations.isolation") == (SHOULD, SHOULD)  # a hosted-agent extension


def test_a_skip_for_the_profile_says_where_the_rule_applies() -> None:
    result = run_check(dataclasses.replace(get("sse.done_sentinel"), fn=_fail), FakeContext("openai"))
    assert (result.verdict, result.message) == (SKIP, "applies only under --profile open-responses")


# -- verdict semantics ------------------------------------------------------------------------------


def _fake(fn: Any, level: str) -> Check:
    return Check("fake.check", "a fake check", level, "a fact", fn)  # no rule names it: declared level


def _warn(_: Any) -> None:
    raise Warned("param is 'x'", error={"param": "x"})


def _skip(_: Any) -> None:
    raise Skipped("no tools")


def _boom(_: Any) -> None:
    raise TimeoutError("slow")


def test_must_ends_pass_fail_or_skip_never_warn() -> None:
    ctx = FakeContext()
    outcomes = {
        name: run_check(_fake(fn, MUST), ctx)
        for name, fn in {
            "pass": lambda _: None,
            "warn": _warn,
            "fail": _fail,
            "skip": _skip,
            "boom": _boom,
        }.items()
    }
    assert {name: r.verdict for name, r in outcomes.items()} == {
        "pass": PASS,
        "warn": PASS,
        "fail": FAIL,
        "skip": SKIP,
        "boom": FAIL,
    }
    noted = outcomes["warn"]
    assert noted.message == "note: param is 'x'" and noted.evidence == {"error": {"param": "x"}}
    assert "TimeoutError" in outcomes["boom"].message
    assert report.exit_code(outcomes.values()) == 1


def test_should_ends_pass_warn_or_skip() -> None:
    ctx = FakeContext()
    verdicts = [
        run_check(_fake(fn, SHOULD), ctx).verdict for fn in (lambda _: None, _warn, _fail, _skip, _boom)
    ]
    assert verdicts == [PASS, WARN, WARN, SKIP, WARN]
    assert report.exit_code([run_check(_fake(_fail, SHOULD), ctx)]) == 0


# -- bodies: spec-only rejections and the client validation ----------------------------------------


def finished_response() -> dict[str, Any]:
    s = ResponseEventStream(request={"model": "m"})
    s.emit_created()
    s.emit_in_progress()
    list(s.output_item_message("hello"))
    return s.emit_completed().data["response"]


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def test_a_body_only_the_spec_models_reject_is_a_warn_naming_the_field() -> None:
    body = without(finished_response(), "status")  # the spec requires status; the openai models do not
    ctx = FakeContext()

    def judge(_: Any) -> None:
        problem = schemas.response_errors(body)
        if problem:
            raise Failed(problem)

    judged = run_check(_fake(judge, MUST), ctx)
    assert judged.verdict == PASS
    assert judged.evidence["schema_deviations"] == ["response: spec models: status: Field required"]
    deviations = run_check(get("models.deviations"), ctx)
    assert deviations.verdict == WARN and deviations.level == SHOULD
    assert "status: Field required" in deviations.message and "fake.check" in deviations.message
    assert deviations.evidence["deviations"] == [
        {
            "where": "response",
            "models": "spec",
            "fields": ["status"],
            "detail": "status: Field required",
            "seen_by": ["fake.check"],
        }
    ]


def test_models_deviations_passes_clean_bodies_and_skips_when_nothing_was_judged() -> None:
    ctx = FakeContext()
    assert run_check(get("models.deviations"), ctx).verdict == SKIP
    run_check(_fake(lambda _: schemas.response_errors(finished_response()), MUST), ctx)
    clean = run_check(get("models.deviations"), ctx)
    assert (clean.verdict, clean.message) == (PASS, "no body rejected by either model set (1 judged)")


def test_strict_and_default_differ_on_a_body_the_openai_models_reject() -> None:
    body = without(finished_response(), "created_at")
    with schemas.observing("strict") as strict:
        assert "openai models: created_at: Field required" in schemas.response_errors(body)
    with schemas.observing("default") as lenient:
        assert schemas.response_errors(body) is None
    assert strict.deviations == []
    assert {(d.models, d.fields) for d in lenient.deviations} == {
        ("openai", ("created_at",)),
        ("spec", ("created_at",)),
    }
    # An unknown output item type: the strict client rejects the union, the lenient one builds it.
    odd = {**finished_response(), "output": [{"type": "acme_thing", "id": "x"}]}
    with schemas.observing("strict"):
        assert "neither the spec nor the openai models" in schemas.response_errors(odd)
    with schemas.observing("default"):
        assert schemas.response_errors(odd) is None


def test_an_extension_type_the_spec_rejects_fails_under_both_validations() -> None:
    bad = {**finished_response(), "output": [{"type": "structured_outputs", "output": {"a": 1}}]}  # no id
    for validation in schemas.CLIENT_VALIDATIONS:
        with schemas.observing(validation):
            assert "spec models: id: Field required" in schemas.response_errors(bad), validation


@pytest.fixture(scope="module")
def odd_server() -> Iterator[str]:
    """A server whose GET /responses/{id} answers a Response without created_at."""
    body = without(finished_response(), "created_at")

    async def retrieve(request: Any) -> JSONResponse:
        return JSONResponse({**body, "id": request.path_params["rid"]})

    with serve_in_thread(Starlette(routes=[Route("/responses/{rid}", retrieve)])) as running:
        yield running.url


def test_the_validations_match_what_the_openai_client_does(odd_server: str) -> None:
    """strict is the client with _strict_response_validation=True; default the client as users run it."""
    import openai

    def client(strict: bool) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=odd_server, api_key="k", max_retries=0, _strict_response_validation=strict
        )

    with client(strict=True) as strict, pytest.raises(openai.APIResponseValidationError):
        strict.responses.retrieve("resp_1")
    with client(strict=False) as lenient:
        assert lenient.responses.retrieve("resp_1").id == "resp_1"
    # The suite's validations say the same of that body.
    ctx = Context(Config(base_url=odd_server))
    try:
        body = ctx.get("resp_1").json
    finally:
        ctx.close()
    with schemas.observing("strict"):
        assert schemas.response_errors(body) is not None
    with schemas.observing("default"):
        assert schemas.response_errors(body) is None


def test_the_run_validates_under_the_configured_client_validation() -> None:
    body = without(finished_response(), "created_at")

    def judge(_: Any) -> None:
        problem = schemas.response_errors(body)
        if problem:
            raise Failed(problem)

    assert run_check(_fake(judge, MUST), FakeContext(client_validation="strict")).verdict == FAIL
    lenient = run_check(_fake(judge, MUST), FakeContext(client_validation="default"))
    assert lenient.verdict == PASS and len(lenient.evidence["schema_deviations"]) == 2


# -- the split checks and the report, against the reference server ------------------------------------


def test_split_checks_pass_against_the_reference_server(reference_url: str) -> None:
    checks = select(all_checks(), ["errors.oversized_body", "errors.oversized_413", "cancel.foreground_*"])
    results = {r.id: r for r in run_suite(suite_config(reference_url), checks)}
    assert {i: r.verdict for i, r in results.items()} == {
        "cancel.foreground_400": PASS,
        "cancel.foreground_4xx": PASS,
        "errors.oversized_body": PASS,
        "errors.oversized_413": PASS,
    }
    assert results["cancel.foreground_400"].level == SHOULD and results["cancel.foreground_4xx"].level == MUST


def test_the_report_names_the_client_validation(reference_url: str, tmp_path: Path) -> None:
    out, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    argv = ["--base-url", reference_url, "--only", "create.default,models.deviations", "--no-color"]
    argv += ["--client-validation", "default", "--report-json", str(out), "--junit-xml", str(junit)]
    assert main(argv) == 0
    doc = json.loads(out.read_text())
    assert doc["client_validation"] == "default"
    assert {r["id"]: (r["verdict"], r["rule"]) for r in doc["results"]} == {
        "create.default": (PASS, "create.default"),
        "models.deviations": (PASS, "models.deviations"),
    }
    assert "<td>client_validation</td><td><code>default</code>" in html.render(doc)
    props = {p.get("name"): p.get("value") for p in ET.parse(junit).iter("property")}
    assert props["client_validation"] == "default"
    console = io.StringIO()
    report.Console(console, colour=False).summary([], client_validation=doc["client_validation"])
    assert "Client validation: default (what the openai client accepts as users run it" in console.getvalue()


def test_strict_is_the_documented_default() -> None:
    from responsekit.conformance.cli import build_run_parser

    assert build_run_parser().parse_args(["--base-url", "http://x"]).client_validation == "strict"
    assert Config(base_url="http://x").client_validation == schemas.DEFAULT_CLIENT_VALIDATION == "strict"
    doc = report.to_json([], base_url="u", profile="openai", model=None, started_at=0, duration_s=0)
    assert doc["client_validation"] == "strict"
