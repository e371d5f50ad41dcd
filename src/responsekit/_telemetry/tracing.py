"""Tracing: one span per response, its handler's work as a child, replay and cancel spans linked
to it. Only ``opentelemetry-api``: spans go wherever the application's TracerProvider sends them.

The response's span starts when the create request arrived and ends with its terminal event
(background runs included). Its parent is the caller's span from the request's W3C
``traceparent`` / ``tracestate`` (else the current span, e.g. an ASGI middleware's). The handler
span is current in the handler's task, so the handler's own spans (an upstream model call) nest
under it, and the request's baggage reaches the handler too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from responsekit._telemetry.attributes import (
    CREATE_SPAN,
    ERROR_TYPE,
    HANDLER_SPAN,
    REQUEST_SPANS,
    RESPONSE_ID,
    end_attributes,
    error_code,
    error_message,
    start_attributes,
)
from responsekit._telemetry.hook import SpanHook
from responsekit.server.observers import ResponseObserver, ResponseRun

#: How many responses' span contexts are kept for linking replay and cancel spans to them. Only
#: this process's responses: a replay or cancel served by another replica gets no link.
MAX_LINKED_RESPONSES = 10_000


@dataclass(slots=True)
class _Traced:
    span: trace.Span
    context: otel_context.Context  # the response span current, over the request's parent context
    tags: dict[str, Any]


def _version() -> str:
    from responsekit import __version__

    return __version__


class TracingObserver(ResponseObserver):
    def __init__(self, tracer_provider: trace.TracerProvider | None = None, hook: Any = None) -> None:
        self._tracer = trace.get_tracer("responsekit", _version(), tracer_provider=tracer_provider)
        self._hook = SpanHook(hook) if hook is not None else None
        self._spans: OrderedDict[str, trace.SpanContext] = OrderedDict()

    # -- the response's span -----------------------------------------------------------------------
    def response_started(self, run: ResponseRun) -> None:
        parent = propagate.extract(run.headers) if run.headers else otel_context.get_current()
        tags = start_attributes(run)
        span = self._hook.start(tags) if self._hook is not None else None
        if isinstance(span, trace.Span):  # the hook replaced the span
            span.set_attributes(tags)
        else:
            span = self._tracer.start_span(
                CREATE_SPAN,
                context=parent,
                kind=SpanKind.SERVER,
                attributes=tags,
                start_time=int(run.started_at * 1e9),
            )
        run.state[self] = _Traced(span, trace.set_span_in_context(span, parent), tags)
        span_context = span.get_span_context()
        if span_context.is_valid:
            self._spans[run.response_id] = span_context
            if len(self._spans) > MAX_LINKED_RESPONSES:
                self._spans.popitem(last=False)

    def response_finished(self, run: ResponseRun, response: Mapping[str, Any]) -> None:
        traced: _Traced | None = run.state.pop(self, None)
        if traced is None:
            return
        attributes = end_attributes(response)
        traced.span.set_attributes(attributes)
        if error_code(response) is not None:
            traced.span.set_status(Status(StatusCode.ERROR, error_message(response)))
        if self._hook is not None:
            traced.tags.update(attributes)
            self._hook.end(traced.tags, response)
        traced.span.end()

    # -- the handler's span, current in its task ----------------------------------------------------
    def handler_scope(self, run: ResponseRun) -> contextlib.AbstractContextManager[Any] | None:
        traced: _Traced | None = run.state.get(self)
        return None if traced is None else self._handler_span(run, traced)

    @contextlib.contextmanager
    def _handler_span(self, run: ResponseRun, traced: _Traced) -> Iterator[None]:
        span = self._tracer.start_span(
            HANDLER_SPAN, context=traced.context, attributes={RESPONSE_ID: run.response_id}
        )
        token = otel_context.attach(trace.set_span_in_context(span, traced.context))
        try:
            yield
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, str(exc)))
            raise
        finally:
            span.end()
            otel_context.detach(token)

    # -- replay and cancel: spans of their own, linked to the response's -----------------------------
    def request_scope(
        self, operation: str, response_id: str, headers: Mapping[str, str]
    ) -> contextlib.AbstractContextManager[Any] | None:
        name = REQUEST_SPANS.get(operation)
        return None if name is None else self._request_span(name, response_id, headers)

    @contextlib.contextmanager
    def _request_span(self, name: str, response_id: str, headers: Mapping[str, str]) -> Iterator[None]:
        # Not made current: a replay's span ends where its stream ends, outside this request's task.
        linked = self._spans.get(response_id)
        span = self._tracer.start_span(
            name,
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            links=[Link(linked)] if linked is not None else None,
            attributes={RESPONSE_ID: response_id},
        )
        try:
            yield
        except (asyncio.CancelledError, GeneratorExit):  # the client went away: not an error
            raise
        except BaseException as exc:
            code = getattr(exc, "code", None)
            span.set_attribute(ERROR_TYPE, str(code) if code else type(exc).__name__)
            span.set_status(Status(StatusCode.ERROR, str(exc)))
            raise
        finally:
            span.end()
