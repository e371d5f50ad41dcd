"""The conformance checks as pytest items (collected by ``pytest --pyargs responsekit.conformance``).

FAIL fails the test with the evidence, SKIP skips it with the reason, WARN passes with a warning.
"""

from __future__ import annotations

import warnings

import pytest

from responsekit.conformance.checks import all_checks, get
from responsekit.conformance.registry import FAIL, SKIP, WARN, run_check
from responsekit.conformance.report import evidence_lines


class ConformanceWarning(UserWarning):
    """A SHOULD check that failed, or a soft deviation."""


@pytest.mark.parametrize("check_id", [c.id for c in all_checks()])
def test_conformance(check_id: str, responses_conformance) -> None:
    result = run_check(get(check_id), responses_conformance)
    detail = "\n".join([f"{result.id} ({result.level}): {result.message}", *evidence_lines(result, "  ")])
    if result.verdict == FAIL:
        pytest.fail(detail, pytrace=False)
    if result.verdict == SKIP:
        pytest.skip(result.message)
    if result.verdict == WARN:
        warnings.warn(ConformanceWarning(detail), stacklevel=1)
