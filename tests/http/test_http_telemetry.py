"""OpenTelemetry over real HTTP: the span tree of each mode, W3C trace propagation, replay and cancel
spans linked to the response's span, the create span hook, metrics after a known workload, and
nothing exported without a configured provider.

Each test has its own SDK TracerProvider and MeterProvider (in-memory exporter and reader) handed
to the host, so the process's global OpenTelemetry state is never set here; the automatic switch-on
with a global provider runs in a subprocess of its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from support.hosts import make_host
from support.polling import WAIT, poll
from support.servers import serve_in_thread
from websockets.sync.client import connect

pytest.importorskip("opentelemetry.sdk", reason="the telemetry tests need opentelemetry-sdk (dev extra)")

from opentelemetry import baggage, trace  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from responsekit import ResponseEventStream  # noqa: E402
from responsekit._telemetry import install_telemetry  # noqa: E402

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"
USAGE = {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}
MODES = {
    "default": {},
    "stream": {"stream": True},
    "background": {"background": True},
    "background_stream": {"background": True, "stream": True},
}


@dataclass
class Otel:
    tracer_provider: TracerProvider
    exporter: InMemorySpanExporter
    meter_provider: MeterProvider
    reader: InMemoryMetricReader

    def spans(self, name: str, response_id: str | None = None) -> list[ReadableSpan]:
        return [
            s
            for s in self.exporter.get_finished_spans()
            if s.name == name
            and (response_id is None or s.attributes.get("gen_ai.response.id") == response_id)
        ]

    def span(self, name: str, response_id: str) -> ReadableSpan:
        """The one finished span ``name`` of ``response_id`` (waits for it: spans end in the server)."""
        found = poll(lambda: self.spans(name, response_id), what=f"span {name} of {response_id}")
        assert len(found) == 1, found
        return found[0]

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """The data points of metric ``name``: (attributes, point) pairs."""
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found += [(dict(p.attributes), p) for p in metric.data.data_points]
        return found


@pytest.fixture
def otel() -> Iterator[Otel]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield Otel(tracer_provider, exporter, meter_provider, reader)
    tracer_provider.shutdown()
    meter_provider.shutdown()


class Seen:
    """What the handler saw (from the server's thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.baggage: list[dict[str, Any]] = []
        self.started = threading.Event()


def handler_with_upstream_span(
    otel: Otel, seen: Seen | None = None, *, fail: bool = False, wait_for_cancel: bool = False
):
    """A message and usage, with a span of the handler's own around its (pretend) upstream call."""
    upstream = otel.tracer_provider.get_tracer("test.upstream")

    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        with upstream.start_as_current_span("upstream_call"):
            if seen is not None:
                with seen.lock:
                    seen.baggage.append(dict(baggage.get_all()))
            await asyncio.sleep(0)
        if seen is not None:
            seen.started.set()
        if wait_for_cancel:
            await asyncio.wait_for(cancellation_signal.wait(), WAIT)
            return
        if fail:
            raise RuntimeError("upstream exploded")
        for event in stream.output_item_message("hello"):
            yield event
        yield stream.emit_completed(usage=USAGE)

    return handler


@contextmanager
def traced_server(otel: Otel | None, handler, store_kind: str = "memory", **options: Any) -> Iterator[Any]:
    host = make_host(store_kind, **options)
    host.response_handler(handler)
    if otel is not None:
        install_telemetry(
            host, tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider, force=True
        )
    with serve_in_thread(host) as server:
        server.host = host
        yield server


def create(server, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    """POST /responses in any mode; returns the response as created (reads a stream to its end)."""
    body = {"model": "test-model", "input": "hi", **body}
    if body.get("stream"):
        with httpx.stream("POST", server.url + "/responses", json=body, headers=headers, timeout=WAIT) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("data: {"):
                    return json.loads(line[6:])["response"]  # the first event: response.created
        raise AssertionError("the stream had no event")
    reply = httpx.post(server.url + "/responses", json=body, headers=headers, timeout=WAIT)
    assert reply.status_code == 200, reply.text
    return reply.json()


def as_hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


# -- spans ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", list(MODES))
def test_each_mode_gives_a_response_span_with_the_handler_span_and_its_own_spans_under_it(otel, mode):
    with traced_server(otel, handler_with_upstream_span(otel)) as server:
        response_id = create(server, **MODES[mode])["id"]
        root = otel.span("create_response", response_id)
        handler = otel.span("response_handler", response_id)
        upstream = poll(lambda: otel.spans("upstream_call"), what="the handler's own span")[0]

    assert root.kind is SpanKind.SERVER and root.parent is None
    attributes = root.attributes
    assert attributes["gen_ai.response.id"] == response_id
    assert attributes["gen_ai.request.model"] == "test-model"
    assert attributes["gen_ai.operation.name"] == "invoke_agent"
    assert attributes["responsekit.response.mode"] == mode
    assert attributes["responsekit.response.status"] == "completed"
    assert attributes["responsekit.response.output_items"] == 1
    assert attributes["gen_ai.usage.input_tokens"] == 7 and attributes["gen_ai.usage.output_tokens"] == 3
    assert "error.type" not in attributes and root.status.status_code is StatusCode.UNSET
    # The tree: response -> handler -> the handler's own span, one trace.
    assert handler.parent.span_id == root.context.span_id
    assert upstream.parent.span_id == handler.context.span_id
    assert {root.context.trace_id, handler.context.trace_id, upstream.context.trace_id} == {
        root.context.trace_id
    }
    # The response's span lasts from the request to the terminal event, around the handler's.
    assert root.start_time <= handler.start_time and handler.end_time <= root.end_time


def test_a_websocket_turn_gets_the_same_span_tree_under_the_upgrade_requests_traceparent(otel):
    with traced_server(otel, handler_with_upstream_span(otel)) as server:
        url = "ws" + server.url.removeprefix("http") + "/responses"
        with connect(url, additional_headers={"traceparent": TRACEPARENT}, open_timeout=WAIT) as ws:
            ws.send(json.dumps({"type": "response.create", "model": "test-model", "input": "hi"}))
            while (event := json.loads(ws.recv(timeout=WAIT)))["type"] != "response.completed":
                pass
        response_id = event["response"]["id"]
        root = otel.span("create_response", response_id)
        handler = otel.span("response_handler", response_id)
    assert root.attributes["responsekit.response.mode"] == "stream"
    assert as_hex(root.context.trace_id, 32) == TRACE_ID and as_hex(root.parent.span_id, 16) == PARENT_SPAN_ID
    assert handler.parent.span_id == root.context.span_id


def test_a_failed_response_span_carries_the_error_code(otel):
    with traced_server(otel, handler_with_upstream_span(otel, fail=True)) as server:
        reply = create(server)
        root = otel.span("create_response", reply["id"])
    assert reply["status"] == "failed"
    assert root.attributes["responsekit.response.status"] == "failed"
    assert root.attributes["error.type"] == reply["error"]["code"] == "server_error"
    assert root.status.status_code is StatusCode.ERROR


def test_a_traceparent_header_makes_the_response_join_the_callers_trace(otel):
    seen = Seen()
    headers = {"traceparent": TRACEPARENT, "tracestate": "vendor=abc", "baggage": "tenant.id=acme"}
    with traced_server(otel, handler_with_upstream_span(otel, seen)) as server:
        response_id = create(server, headers=headers, background=True)["id"]
        root = otel.span("create_response", response_id)
        handler = otel.span("response_handler", response_id)
    assert as_hex(root.context.trace_id, 32) == TRACE_ID
    assert root.parent is not None and root.parent.is_remote
    assert as_hex(root.parent.span_id, 16) == PARENT_SPAN_ID
    assert root.context.trace_state.get("vendor") == "abc"
    assert as_hex(handler.context.trace_id, 32) == TRACE_ID
    assert seen.baggage == [{"tenant.id": "acme"}]  # the request's baggage reaches the handler


def test_cancel_and_replay_have_spans_of_their_own_linked_to_the_response_span(otel, store_kind):
    seen = Seen()
    handler = handler_with_upstream_span(otel, seen, wait_for_cancel=True)
    with traced_server(otel, handler, store_kind) as server:
        response_id = create(server, background=True)["id"]
        assert seen.started.wait(WAIT)
        cancel = httpx.post(
            f"{server.url}/responses/{response_id}/cancel", headers={"traceparent": TRACEPARENT}, timeout=WAIT
        )
        assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
        with httpx.stream("GET", f"{server.url}/responses/{response_id}?stream=true", timeout=WAIT) as replay:
            assert replay.status_code == 200
            replay.read()
        root = otel.span("create_response", response_id)
        cancel_span = otel.span("cancel_response", response_id)
        replay_span = otel.span("replay_response", response_id)
        # A refused cancel (a response that was not created in the background) is an error.
        foreground = create(server, stream=True)["id"]
        refused = httpx.post(f"{server.url}/responses/{foreground}/cancel", timeout=WAIT)
        assert refused.status_code == 400
        refused_span = otel.span("cancel_response", foreground)
    assert refused_span.status.status_code is StatusCode.ERROR
    assert refused_span.attributes["error.type"] == refused.json()["error"]["code"] == "not_cancellable"
    assert root.attributes["responsekit.response.status"] == "cancelled"
    for span in (cancel_span, replay_span):
        assert span.kind is SpanKind.SERVER
        assert [link.context.span_id for link in span.links] == [root.context.span_id]
        assert span.links[0].context.trace_id == root.context.trace_id
    # Each request is its own trace, or its caller's: the cancel joined the traceparent's.
    assert as_hex(cancel_span.context.trace_id, 32) == TRACE_ID
    assert replay_span.context.trace_id != root.context.trace_id
    assert replay_span.end_time >= root.end_time  # the replay's span lasts until its stream ended
    # The store's calls went through the timing wrapper (whatever the store).
    operations = {
        a["responsekit.store.operation"] for a, _ in otel.points("responsekit.store.operation.duration")
    }
    assert {"create_with_log", "records.get", "records.finish", "events.read"} <= operations


def test_create_span_hook_adds_attributes_and_sees_the_end(otel):
    calls: list[tuple[str, str, dict[str, Any], Any]] = []

    class Hook:
        def on_span_start(self, name, tags):
            calls.append(("start", name, dict(tags), None))
            tags["app.tenant"] = "acme"

        def on_span_end(self, name, tags, error):
            calls.append(("end", name, dict(tags), error))

    with traced_server(otel, handler_with_upstream_span(otel, fail=True), create_span_hook=Hook()) as server:
        response_id = create(server)["id"]
        root = otel.span("create_response", response_id)
    assert root.attributes["app.tenant"] == "acme"
    (start, end) = calls
    assert start[:2] == ("start", "create_response") and start[2]["gen_ai.response.id"] == response_id
    assert end[:2] == ("end", "create_response")
    assert end[2]["app.tenant"] == "acme" and end[2]["responsekit.response.status"] == "failed"
    assert end[3] is not None and end[3].code == "server_error"


def test_create_span_hook_can_replace_the_span(otel):
    tracer = otel.tracer_provider.get_tracer("test.hook")

    def hook(name, tags):  # a plain callable is on_span_start
        return tracer.start_span(f"my {name}", attributes={"mine": True})

    with traced_server(otel, handler_with_upstream_span(otel), create_span_hook=hook) as server:
        response_id = create(server, stream=True)["id"]
        mine = otel.span("my create_response", response_id)
        handler = otel.span("response_handler", response_id)
    assert otel.spans("create_response") == []
    assert mine.attributes["mine"] is True and mine.attributes["responsekit.response.status"] == "completed"
    assert handler.parent.span_id == mine.context.span_id


def test_create_span_hook_is_called_without_opentelemetry(otel):
    ends: list[dict[str, Any]] = []

    class Hook:
        def on_span_start(self, name, tags):
            pass

        def on_span_end(self, name, tags, error):
            ends.append(tags)

    handler = handler_with_upstream_span(otel)
    with traced_server(None, handler, telemetry=False, create_span_hook=Hook()) as server:
        response_id = create(server)["id"]
        poll(lambda: ends, what="on_span_end")
    assert (
        ends[0]["gen_ai.response.id"] == response_id and ends[0]["responsekit.response.status"] == "completed"
    )
    assert otel.spans("create_response") == []  # OpenTelemetry off: the hook only


# -- metrics -------------------------------------------------------------------------------------------
def test_metrics_after_three_completed_and_one_failed_response(otel):
    seen = Seen()

    async def handler(request, context, cancellation_signal):
        fail = request.metadata and request.metadata.get("fail") == "yes"
        inner = handler_with_upstream_span(otel, seen, fail=bool(fail))
        async for event in inner(request, context, cancellation_signal):
            yield event

    with traced_server(otel, handler) as server:
        for _ in range(2):
            create(server)
        create(server, stream=True)
        failed = create(server, metadata={"fail": "yes"})
        assert failed["status"] == "failed"
        poll(lambda: len(otel.spans("create_response")) == 4, what="four responses ended")

        def total(name: str, **attributes: str) -> int:
            return sum(
                p.value
                for attrs, p in otel.points(name)
                if all(attrs.get(f"responsekit.{k}") == v for k, v in attributes.items())
            )

        assert total("responsekit.responses.started") == 4
        assert total("responsekit.responses.started", **{"response.mode": "default"}) == 3
        assert total("responsekit.responses.started", **{"response.mode": "stream"}) == 1
        assert total("responsekit.responses.finished", **{"response.status": "completed"}) == 3
        assert total("responsekit.responses.finished", **{"response.status": "failed"}) == 1
        assert total("responsekit.responses.active") == 0
        # Each completed response: created, in_progress, 6 message events (item added, part added,
        # delta, text done, part done, item done), completed = 9; the failed one: created,
        # in_progress, then the runtime's response.failed.
        assert total("responsekit.events.emitted") == 3 * 9 + 3
        assert total("responsekit.events.emitted", **{"event.type": "response.completed"}) == 3
        durations = otel.points("responsekit.response.duration")
        assert sum(p.count for _, p in durations) == 4 and all(p.sum > 0 for _, p in durations)
        assert sum(p.count for _, p in otel.points("responsekit.response.time_to_first_event")) == 4
        store_ops = {
            attrs["responsekit.store.operation"]: p
            for attrs, p in otel.points("responsekit.store.operation.duration")
        }
        assert store_ops["create_with_log"].count == 4
        assert store_ops["records.finish"].count == 4
        assert all(
            attrs["responsekit.store.name"] == "memory"
            for attrs, _ in otel.points("responsekit.store.operation.duration")
        )


def test_open_streams_and_active_responses_while_a_stream_is_open(otel):
    seen = Seen()
    handler = handler_with_upstream_span(otel, seen, wait_for_cancel=True)
    with traced_server(otel, handler) as server:
        body = {"model": "m", "input": "hi", "stream": True, "background": True}
        with httpx.stream("POST", server.url + "/responses", json=body, timeout=WAIT) as live:
            lines = live.iter_lines()
            first = next(line for line in lines if line.startswith("data: {"))
            response_id = json.loads(first[6:])["response"]["id"]
            assert seen.started.wait(WAIT)

            def gauges() -> tuple[int, int]:
                sse = sum(
                    p.value
                    for a, p in otel.points("responsekit.streams.open")
                    if a["responsekit.transport"] == "sse"
                )
                return sse, sum(p.value for _, p in otel.points("responsekit.responses.active"))

            assert gauges() == (1, 1)
            assert httpx.post(f"{server.url}/responses/{response_id}/cancel", timeout=WAIT).status_code == 200
            assert any("response.failed" in line for line in lines)  # the stream ends: cancelled
        poll(lambda: gauges() == (0, 0), what="no open stream, no active response")


# -- off unless configured -----------------------------------------------------------------------------
def test_nothing_is_exported_and_nothing_fails_without_a_configured_provider(otel, caplog):
    caplog.set_level(logging.WARNING)
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"  # none set in this process
    # The default (telemetry=None) stays off: no observer, the store unwrapped.
    with traced_server(None, handler_with_upstream_span(otel)) as server:
        assert len(server.host.observers) == 0
        assert type(server.host.store).__name__ == "MemoryStore"
        assert create(server)["status"] == "completed"
    # Forced on, with the API's global (unset) providers: every mode works, nothing is recorded.
    with traced_server(None, handler_with_upstream_span(otel), telemetry=True) as server:
        assert len(server.host.observers) == 2
        for mode, body in MODES.items():
            response = create(server, **body)
            if mode != "default":
                poll(
                    lambda rid=response["id"]: (
                        httpx.get(f"{server.url}/responses/{rid}").json()["status"] == "completed"
                    ),
                    what=f"{mode} response completed",
                )
    # Only the handler's own span (on the test's provider) was exported: responsekit made none.
    assert {s.name for s in otel.exporter.get_finished_spans()} == {"upstream_call"}
    assert all(s.parent is None for s in otel.exporter.get_finished_spans())
    complaints = [r for r in caplog.records if r.name.startswith(("responsekit", "opentelemetry"))]
    assert complaints == []


AUTO_ON = """
import asyncio, json, httpx
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from responsekit import ResponsesAgentServerHost, ResponsesServerOptions, TextResponse

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
app = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory"))

@app.response_handler
async def handler(request, context, cancellation_signal):
    return TextResponse(context, request, text="hi")

async def main():
    await app.startup()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        reply = await client.post("/responses", json={"model": "m", "input": "x"})
    await app.shutdown()
    print(json.dumps([reply.json()["id"], sorted(s.name for s in exporter.get_finished_spans())]))

asyncio.run(main())
"""


def test_a_global_tracer_provider_set_before_startup_turns_telemetry_on():
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(AUTO_ON)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    response_id, names = json.loads(done.stdout.strip().splitlines()[-1])
    assert response_id.startswith("resp_")
    assert names == ["create_response", "response_handler"]
