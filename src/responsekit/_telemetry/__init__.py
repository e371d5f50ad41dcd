"""OpenTelemetry for responsekit (the ``responsekit[otel]`` extra): tracing, metrics, and the
peer package's ``create_span_hook``. Private: configured through ``ResponsesServerOptions``.

Nothing leaves the process unless the application configures OpenTelemetry: responsekit uses only
``opentelemetry-api``, whose spans and metrics go to the TracerProvider and MeterProvider the
application sets (with their exporters), and nowhere without one.

When it is on (``ResponsesServerOptions.telemetry``, decided at startup):

- ``None`` (the default): on when ``opentelemetry`` is importable *and* the application has set a
  global TracerProvider or MeterProvider by startup; otherwise off, and the runtime pays nothing.
- ``True``: on (the API's global providers are looked up as usual, e.g. set later).
- ``False``: off.

The create span hook is called either way (it needs no OpenTelemetry).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsekit.server.host import ResponsesAgentServerHost

_installed: weakref.WeakSet[Any] = weakref.WeakSet()


def opentelemetry_available() -> bool:
    try:
        return importlib.util.find_spec("opentelemetry.trace") is not None
    except (ImportError, ValueError):
        return False


def _providers_configured() -> bool:
    """Has the application set a global TracerProvider or MeterProvider (not the API's proxies)?"""
    # Setting one imports the API's module first, and the API loads one named by the environment on
    # first lookup; with neither, none is set, and the API need not be imported (startup time) to say so.
    if not (
        "opentelemetry.trace" in sys.modules
        or "opentelemetry.metrics" in sys.modules
        or "OTEL_PYTHON_TRACER_PROVIDER" in os.environ
        or "OTEL_PYTHON_METER_PROVIDER" in os.environ
    ):
        return False
    from opentelemetry import metrics, trace

    tracing = type(trace.get_tracer_provider()).__name__ not in ("ProxyTracerProvider", "NoOpTracerProvider")
    metering = type(metrics.get_meter_provider()).__name__ not in ("_ProxyMeterProvider", "NoOpMeterProvider")
    return tracing or metering


def telemetry_wanted(setting: bool | None) -> bool:
    if setting is False or not opentelemetry_available():
        return False
    return setting is True or _providers_configured()


def install_telemetry(
    host: ResponsesAgentServerHost,
    *,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    force: bool = False,
) -> bool:
    """Register the host's telemetry observers (once per host); True if OpenTelemetry is on.

    ``tracer_provider`` / ``meter_provider``: instead of the global ones; ``force``: on whatever
    ``ResponsesServerOptions.telemetry`` says (both for tests and embedding)."""
    if host in _installed:
        return False
    _installed.add(host)
    hook = host.options.create_span_hook
    if not (force or telemetry_wanted(host.options.telemetry)):
        if hook is not None:
            from responsekit._telemetry.hook import SpanHookObserver

            host.observers.add(SpanHookObserver(hook))
        return False
    from responsekit._telemetry.metrics import MetricsObserver
    from responsekit._telemetry.store import timed_store
    from responsekit._telemetry.tracing import TracingObserver

    host.observers.add(TracingObserver(tracer_provider, hook=hook))
    meters = host.observers.add(
        MetricsObserver(
            meter_provider,
            open_streams=lambda: {"sse": len(host._streams), "websocket": len(host._sockets)},
        )
    )
    host._store = timed_store(host.store, meters.store_call)
    return True
