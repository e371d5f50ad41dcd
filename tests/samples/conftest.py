"""Fixtures of the sample tests: each test module names its sample in ``SAMPLE``.

Every sample runs as its own process (``python samples/<name>/app.py``) on a free loopback port,
once per test module: the tests that use one (through ``server`` or ``upstream``) are marked ``slow``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from sample_support import ROOT, start_sample, strict_client
from support.servers import ProcessServer, spawn_server

HERE = Path(__file__).resolve().parent
#: The fixtures that spawn a server process.
PROCESS_FIXTURES = {"server", "upstream"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        in_samples = HERE in Path(item.path).resolve().parents
        if in_samples and PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[ProcessServer]:
    module = request.module
    with start_sample(module.SAMPLE, ready_path=getattr(module, "READY_PATH", "/readiness")) as running:
        yield running


@pytest.fixture(scope="module")
def base_url(server: ProcessServer) -> str:
    return server.url


@pytest.fixture(scope="module")
def client(base_url: str) -> openai.OpenAI:
    return strict_client(base_url)


@pytest.fixture(scope="session")
def upstream() -> Iterator[ProcessServer]:
    """The fake upstream model (tests/samples/fake_upstream.py), for the upstream samples."""
    with spawn_server(["python", "tests/samples/fake_upstream.py"], cwd=str(ROOT)) as running:
        yield running
