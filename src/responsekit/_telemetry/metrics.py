"""Metrics through the OpenTelemetry metrics API: responses started, finished and in flight, time
to first event, duration, events emitted, open streams and store operation latency."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from responsekit._telemetry.attributes import ERROR_TYPE, MODE, STATUS
from responsekit.server.observers import ResponseObserver, ResponseRun

EVENT_TYPE = "responsekit.event.type"
TRANSPORT = "responsekit.transport"
STORE_OPERATION = "responsekit.store.operation"
STORE_NAME = "responsekit.store.name"

#: Metric names (all under ``responsekit.``).
STARTED = "responsekit.responses.started"
FINISHED = "responsekit.responses.finished"
ACTIVE = "responsekit.responses.active"
TIME_TO_FIRST_EVENT = "responsekit.response.time_to_first_event"
DURATION = "responsekit.response.duration"
EVENTS = "responsekit.events.emitted"
OPEN_STREAMS = "responsekit.streams.open"
STORE_DURATION = "responsekit.store.operation.duration"


def _version() -> str:
    from responsekit import __version__

    return __version__


class MetricsObserver(ResponseObserver):
    def __init__(
        self,
        meter_provider: metrics.MeterProvider | None = None,
        open_streams: Callable[[], Mapping[str, int]] | None = None,
    ) -> None:
        meter = metrics.get_meter("responsekit", _version(), meter_provider=meter_provider)
        self._started = meter.create_counter(STARTED, unit="{response}", description="Responses created")
        self._finished = meter.create_counter(
            FINISHED, unit="{response}", description="Responses ended, by final status"
        )
        self._active = meter.create_up_down_counter(
            ACTIVE, unit="{response}", description="Responses running (created, not yet ended)"
        )
        self._first_event = meter.create_histogram(
            TIME_TO_FIRST_EVENT, unit="s", description="From the create request to the first event"
        )
        self._duration = meter.create_histogram(
            DURATION, unit="s", description="From the create request to the terminal event"
        )
        self._events = meter.create_counter(
            EVENTS, unit="{event}", description="Events emitted (counted when their response ends)"
        )
        self._store = meter.create_histogram(
            STORE_DURATION, unit="s", description="Duration of each call to the store"
        )
        if open_streams is not None:

            def observe(options: CallbackOptions) -> Iterable[Observation]:
                return [Observation(n, {TRANSPORT: kind}) for kind, n in open_streams().items()]

            meter.create_observable_up_down_counter(
                OPEN_STREAMS,
                callbacks=[observe],
                unit="{stream}",
                description="Open event streams (SSE responses, WebSocket connections)",
            )

    def response_started(self, run: ResponseRun) -> None:
        attributes = {MODE: run.mode}
        # The run's events, counted by type; added to the counter when it ends (one call per type
        # rather than one per event: a long text stream emits thousands of deltas).
        run.state[self] = Counter()
        self._started.add(1, attributes)
        self._active.add(1, attributes)

    def event_emitted(self, run: ResponseRun, event: Mapping[str, Any]) -> None:
        counts: Counter[str] | None = run.state.get(self)
        if counts is None:
            return
        if not counts:
            self._first_event.record(max(time.time() - run.started_at, 0.0), {MODE: run.mode})
        counts[event.type] += 1

    def response_finished(self, run: ResponseRun, response: Mapping[str, Any]) -> None:
        counts: Counter[str] = run.state.pop(self, None) or Counter()
        for event_type, count in counts.items():
            self._events.add(count, {MODE: run.mode, EVENT_TYPE: event_type})
        ended = {MODE: run.mode, STATUS: response.get("status") or "unknown"}
        self._active.add(-1, {MODE: run.mode})
        self._finished.add(1, ended)
        self._duration.record(max(time.time() - run.started_at, 0.0), ended)

    def store_call(
        self, store_name: str, operation: str, seconds: float, error: BaseException | None
    ) -> None:
        attributes = {STORE_NAME: store_name, STORE_OPERATION: operation}
        if error is not None:
            attributes[ERROR_TYPE] = type(error).__name__
        self._store.record(seconds, attributes)
