"""``ResponsesServerOptions(create_span_hook=...)``: the peer package's create span hook.

The hook is an object with ``on_span_start(name, tags)`` and ``on_span_end(name, tags, error)``
(a plain callable counts as ``on_span_start``). Each response calls ``on_span_start`` when it
starts, with the span name ``create_response`` and its attributes, and ``on_span_end`` when it
ends, with the final attributes and, for a failed response, a :class:`ResponseFailed`.

The ``tags`` handed to ``on_span_start`` are the span's own: what the hook adds or changes
becomes attributes of the OpenTelemetry span. If ``on_span_start`` returns an OpenTelemetry span,
that span replaces the one responsekit would start (responsekit sets the final attributes on it
and ends it). Without OpenTelemetry the hook is called all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from responsekit._telemetry.attributes import (
    CREATE_SPAN,
    end_attributes,
    error_code,
    error_message,
    start_attributes,
)
from responsekit.server.observers import ResponseObserver, ResponseRun

logger = logging.getLogger("responsekit")


class ResponseFailed(Exception):
    """The ``error`` ``on_span_end`` gets for a failed response."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def is_span_hook(value: object) -> bool:
    """A hook object (``on_span_start`` / ``on_span_end``) or a plain callable."""
    return callable(value) or callable(getattr(value, "on_span_start", None))


class SpanHook:
    """Calls a user's hook; its failures are logged, never passed on to the response."""

    def __init__(self, hook: Any) -> None:
        self._hook = hook
        self._start = getattr(hook, "on_span_start", None) or (hook if callable(hook) else None)
        self._end = getattr(hook, "on_span_end", None)

    def start(self, tags: dict[str, Any]) -> Any:
        """``on_span_start(name, tags)``; returns what it returned (maybe a replacement span)."""
        if self._start is None:
            return None
        try:
            return self._start(CREATE_SPAN, tags)
        except Exception:
            logger.warning("create_span_hook.on_span_start failed", exc_info=True)
            return None

    def end(self, tags: dict[str, Any], response: Mapping[str, Any]) -> None:
        if self._end is None:
            return
        code = error_code(response)
        error = ResponseFailed(code, error_message(response)) if code is not None else None
        try:
            self._end(CREATE_SPAN, dict(tags), error)
        except Exception:
            logger.warning("create_span_hook.on_span_end failed", exc_info=True)


class SpanHookObserver(ResponseObserver):
    """The hook on its own, when OpenTelemetry is off (the tracing observer calls it otherwise)."""

    def __init__(self, hook: Any) -> None:
        self._hook = SpanHook(hook)

    def response_started(self, run: ResponseRun) -> None:
        tags = start_attributes(run)
        run.state[self] = tags
        self._hook.start(tags)

    def response_finished(self, run: ResponseRun, response: Mapping[str, Any]) -> None:
        tags = run.state.pop(self, None)
        if tags is not None:
            tags.update(end_attributes(response))
            self._hook.end(tags, response)
