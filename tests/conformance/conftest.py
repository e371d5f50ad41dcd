"""Fixtures of the conformance suite's own tests: the reference server and its baseline verdicts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conformance_support import SERVER_OPTIONS, make_reference_app, run_against, serve

from responsekit.conformance.registry import Result


@pytest.fixture(scope="session")
def reference_url() -> Iterator[str]:
    with serve(make_reference_app(**SERVER_OPTIONS)) as url:
        yield url


@pytest.fixture(scope="session")
def baseline(reference_url: str) -> dict[str, Result]:
    """Every check's verdict against the compliant reference app (one run per session)."""
    return run_against(reference_url)
