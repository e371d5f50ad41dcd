"""A store that times its calls: the host's store, wrapped only while telemetry is on.

Each awaited method of the store and of its parts (``records``, ``events``, ``conversations``,
``cancels``) is timed; everything else (attributes, synchronous methods) is the store's own.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import Any

#: ``(store name, operation such as "records.get", seconds, error or None)``.
Recorder = Callable[[str, str, float, "BaseException | None"], None]

_PARTS = ("records", "events", "conversations", "cancels")


class _Timed:
    """Times the coroutine methods of ``target``; reads and writes everything else through."""

    def __init__(self, target: Any, prefix: str, store_name: str, record: Recorder) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_store_name", store_name)
        object.__setattr__(self, "_record", record)
        object.__setattr__(self, "_wrapped", {})

    def __getattr__(self, name: str) -> Any:
        wrapped = self._wrapped
        if name in wrapped:
            return wrapped[name]
        value = getattr(self._target, name)
        if not self._prefix and name in _PARTS:
            value = _Timed(value, f"{name}.", self._store_name, self._record)
        elif inspect.iscoroutinefunction(value):
            value = self._timed(value, f"{self._prefix}{name}")
        else:
            return value
        wrapped[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)
        self._wrapped.pop(name, None)

    def _timed(self, method: Callable[..., Any], operation: str) -> Callable[..., Any]:
        record, store_name = self._record, self._store_name

        @functools.wraps(method)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = await method(*args, **kwargs)
            except BaseException as exc:
                record(store_name, operation, time.perf_counter() - started, exc)
                raise
            record(store_name, operation, time.perf_counter() - started, None)
            return result

        return timed


def timed_store(store: Any, record: Recorder) -> Any:
    """``store`` with each awaited call reported to ``record`` (a timed store is returned as is)."""
    if isinstance(store, _Timed):
        return store
    return _Timed(store, "", getattr(store, "name", type(store).__name__), record)
