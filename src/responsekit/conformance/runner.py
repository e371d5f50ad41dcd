"""Selecting and running checks against one server."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase

from responsekit.conformance.context import Config, Context
from responsekit.conformance.registry import Check, Result, run_check

__all__ = ["select", "run_suite"]


def _matches(check_id: str, pattern: str) -> bool:
    # "replay" selects the group, "replay.full" one check, "stream.*" a glob.
    return check_id == pattern or check_id.startswith(pattern + ".") or fnmatchcase(check_id, pattern)


def select(checks: Iterable[Check], only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[Check]:
    only, skip = [p for p in only if p], [p for p in skip if p]
    chosen = [c for c in checks if not only or any(_matches(c.id, p) for p in only)]
    return [c for c in chosen if not any(_matches(c.id, p) for p in skip)]


def unknown_patterns(checks: Iterable[Check], patterns: Iterable[str]) -> list[str]:
    ids = [c.id for c in checks]
    return [p for p in patterns if p and not any(_matches(i, p) for i in ids)]


def run_suite(
    config: Config,
    checks: list[Check] | None = None,
    *,
    on_start: Callable[[int, int, Check], None] | None = None,
    on_result: Callable[[Result], None] | None = None,
    context: Context | None = None,
) -> list[Result]:
    """Run ``checks`` (all by default) in order; report progress through the callbacks.

    Raises ``requirements.MissingExtra`` (an ``ImportError`` naming the extra to install) before any
    check runs when a package the suite needs is missing.
    """
    from responsekit.conformance import requirements
    from responsekit.conformance.checks import all_checks

    requirements.require()

    checks = all_checks() if checks is None else checks
    ctx = context or Context(config)
    results = []
    try:
        for n, chk in enumerate(checks, 1):
            if on_start:
                on_start(n, len(checks), chk)
            result = run_check(chk, ctx)
            results.append(result)
            if on_result:
                on_result(result)
    finally:
        if context is None:
            ctx.close()
    return results
