"""``ResponsesServerOptions.telemetry`` and ``create_span_hook``: what is accepted, and the switch."""

from __future__ import annotations

import importlib.util

import pytest

from responsekit import ResponsesServerOptions
from responsekit._telemetry import opentelemetry_available, telemetry_wanted


class HookObject:
    def on_span_start(self, name, tags):
        pass

    def on_span_end(self, name, tags, error):
        pass


def test_the_peer_packages_hook_object_and_a_plain_callable_are_accepted():
    assert isinstance(ResponsesServerOptions(create_span_hook=HookObject()).create_span_hook, HookObject)
    assert callable(ResponsesServerOptions(create_span_hook=lambda name, tags: None).create_span_hook)
    for bad in ("nope", 3, object()):
        with pytest.raises(ValueError, match="create_span_hook must have on_span_start"):
            ResponsesServerOptions(create_span_hook=bad)


def test_telemetry_is_a_bool_or_none():
    assert ResponsesServerOptions().telemetry is None
    assert ResponsesServerOptions(telemetry=False).telemetry is False
    for bad in ("yes", 1):
        with pytest.raises(ValueError, match="telemetry must be a bool or None"):
            ResponsesServerOptions(telemetry=bad)


def test_telemetry_true_without_opentelemetry_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.startswith("opentelemetry") else real(name, *a),
    )
    assert not opentelemetry_available()
    with pytest.raises(
        ValueError, match=r"telemetry=True needs OpenTelemetry: pip install 'responsekit\[otel\]'"
    ):
        ResponsesServerOptions(telemetry=True)
    assert telemetry_wanted(None) is False and telemetry_wanted(True) is False


def test_the_default_waits_for_a_configured_provider():
    pytest.importorskip("opentelemetry.trace")
    from opentelemetry import trace

    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"  # none set here
    assert telemetry_wanted(None) is False
    assert telemetry_wanted(True) is True
    assert telemetry_wanted(False) is False
