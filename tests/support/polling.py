"""The one way tests wait for something to become true: a bounded poll (a hang fails, never blocks CI).

``poll(predicate)`` calls ``predicate`` until it returns something truthy and returns that value;
``apoll`` is the same for async tests (``predicate`` may return an awaitable). The predicate is
always called at least once, even with a timeout of zero. It may raise (an ``assert`` on what it
saw, a process that exited) to fail at once instead of waiting out the timeout.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

#: Every bounded wait in the tests uses at most this by default.
WAIT = 10.0


def _describe(what: str | Callable[[], str]) -> str:
    return what() if callable(what) else what


def _timed_out(what: str | Callable[[], str], timeout: float) -> AssertionError:
    return AssertionError(f"{_describe(what)}: not within {timeout:g}s")


def poll(
    predicate: Callable[[], T],
    *,
    timeout: float = WAIT,
    interval: float = 0.01,
    what: str | Callable[[], str] = "condition",
) -> T:
    """Blocking: call ``predicate`` every ``interval`` seconds until truthy; fail after ``timeout``.

    ``what`` names the awaited condition in the failure (a callable is asked only on failure, so it
    can describe the last state seen).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout)
        time.sleep(interval)


async def apoll(
    predicate: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = WAIT,
    interval: float = 0.01,
    what: str | Callable[[], str] = "condition",
) -> T:
    """Async :func:`poll`: sleeps without blocking the loop; ``predicate`` may be sync or async."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout)
        await asyncio.sleep(interval)
