"""A conformance suite for servers that speak the Responses protocol, runnable against any base URL.

Command line: ``responsekit conformance --base-url URL`` (or ``python -m responsekit.conformance``).
pytest: ``pytest --pyargs responsekit.conformance --responses-base-url URL``.
In code::

    from responsekit.conformance import Config, run_suite
    results = run_suite(Config(base_url="http://127.0.0.1:8088"))

This module stays light: the pytest plugin imports it in every pytest run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Config", "run_suite", "all_checks", "__version__"]

if TYPE_CHECKING:
    from responsekit.conformance.checks import all_checks
    from responsekit.conformance.context import Config
    from responsekit.conformance.runner import run_suite


def __getattr__(name: str) -> Any:
    # Lazy: importing the package must not import httpx, pydantic models or the checks.
    if name == "Config":
        from responsekit.conformance.context import Config

        return Config
    if name == "run_suite":
        from responsekit.conformance.runner import run_suite

        return run_suite
    if name == "all_checks":
        from responsekit.conformance.checks import all_checks

        return all_checks
    raise AttributeError(name)
