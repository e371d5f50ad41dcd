"""pytest plugin: ``pytest --pyargs responsekit.conformance --responses-base-url URL``.

Registered for every pytest run of an environment where responsekit is installed, so it only adds
options and one session fixture; nothing is imported or contacted until a test asks for the fixture,
and the fixture skips when --responses-base-url was not given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

#: The capabilities the session's checks probed, for the terminal summary.
_CAPABILITIES = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("responses-conformance", "Responses protocol conformance (responsekit)")
    group.addoption(
        "--responses-base-url",
        default=None,
        metavar="URL",
        help="run the conformance checks against this server (the URL /responses hangs off)",
    )
    group.addoption("--responses-model", default=None, help="model to request")
    group.addoption("--responses-api-key", default=None, help="sent as 'Authorization: Bearer KEY'")
    group.addoption(
        "--responses-header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="extra request header (repeatable)",
    )
    group.addoption("--responses-profile", default="openai", choices=("openai", "open-responses"))
    group.addoption("--responses-timeout", type=float, default=30.0, help="seconds per HTTP call")
    group.addoption("--responses-prompt", default=None, help="the ordinary prompt")
    group.addoption("--responses-prompt-long", default=None, help="a prompt whose answer takes a while")
    group.addoption(
        "--responses-prompt-tool", default=None, help="a prompt that makes the server call the tool"
    )
    group.addoption(
        "--responses-client-validation",
        default="strict",
        choices=("strict", "default"),
        help="what fails a body: what the strict openai client rejects, or what it rejects as users run it",
    )
    group.addoption(
        "--responses-isolation-headers",
        action="store_true",
        help="the server supports the hosted-agent isolation headers (judge isolation.responses)",
    )


@pytest.fixture(scope="session")
def responses_conformance(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The run context shared by every conformance check of the session."""
    opt = request.config.getoption
    url = opt("responses_base_url")
    if not url:
        pytest.skip("no --responses-base-url given")
    from responsekit.conformance import requirements

    missing_extra = requirements.missing()
    if missing_extra:  # once, before any check runs
        pytest.exit(missing_extra, returncode=pytest.ExitCode.USAGE_ERROR)
    from responsekit.conformance.context import Config, Context

    headers = {}
    for raw in opt("responses_header"):
        name, sep, value = raw.partition(":")
        if not sep:
            raise pytest.UsageError(f"--responses-header expects 'Name: value', got {raw!r}")
        headers[name.strip()] = value.strip()
    config = Config(
        base_url=url,
        model=opt("responses_model"),
        api_key=opt("responses_api_key"),
        headers=headers,
        profile=opt("responses_profile"),
        timeout=opt("responses_timeout"),
        client_validation=opt("responses_client_validation"),
        isolation_headers=opt("responses_isolation_headers"),
    )
    for field in ("prompt", "prompt_long", "prompt_tool"):
        if opt(f"responses_{field}"):
            setattr(config, field, opt(f"responses_{field}"))
    ctx = Context(config)
    yield ctx
    from responsekit.conformance import capabilities

    request.config.stash[_CAPABILITIES] = capabilities.report(ctx, probe_all=False)
    ctx.close()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Which optional capabilities the checks of this session found (when any was probed)."""
    found = config.stash.get(_CAPABILITIES, None)
    if found:
        from responsekit.conformance.report import capability_lines

        terminalreporter.section("Responses protocol: optional capabilities")
        for line in capability_lines(found):
            terminalreporter.write_line(line.strip())
