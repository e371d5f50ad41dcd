"""Bounded waits, on a real uvicorn server: nothing a handler does can hold a request hostage.

- Sync handlers (functions and generators) run in worker threads: one blocked in a sync call does
  not stall other requests.
- A handler that swallows its cancellation: POST /cancel still answers (the response ends
  ``cancelled``), and what the handler emits afterwards is dropped and logged once.
- The same handler at shutdown: shutdown completes, every open stream gets its terminal event and
  ``[DONE]``.
- A replica shutting down closes the streams that tail a response running elsewhere, without
  inventing a terminal event; the client resumes on another replica with ``Last-Event-ID``.

None of these assert a duration: each test keeps the misbehaving handler running (a gate only the
test opens) until after the thing under test has happened, which proves it did not wait for it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading

import httpx
import pytest
from http_helpers import LiveSSE, check_complete_stream, parse_sse, poll
from support.hosts import WAIT, Probe, host_with, make_host
from support.redis_support import redis_test_url
from support.servers import serve_in_thread

from responsekit import (
    MemoryStore,
    ResponseEventStream,
    ResponsesAgentServerHost,
    ResponsesServerOptions,
    StoreUnavailable,
    TextResponse,
)
from responsekit.store.memory import MemoryEventLog


def _open_message(stream: ResponseEventStream):
    message = stream.add_output_item_message()
    text = message.add_text_content()
    return message, text


def runaway_handler(probe: Probe):
    """Streams one delta, then ignores every cancellation until the test opens ``release``; then it
    emits more (which the runtime must drop) and ends. Its loop is noted in ``probe.notes``."""

    async def handler(request, context, cancellation_signal):
        probe.note(asyncio.get_running_loop())
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message, text = _open_message(stream)
        yield message.emit_added()
        yield text.emit_added()
        yield text.emit_delta("partial")
        probe.set("started")
        try:
            while not probe.is_set("release"):
                try:
                    await asyncio.sleep(0.005)
                except asyncio.CancelledError:
                    probe.set("swallowed")  # and keep going: the misbehaviour under test
            yield text.emit_delta(" late")
            probe.set("emitted_late")
            yield text.emit_text_done()
            yield text.emit_done()
            yield message.emit_done()
            yield stream.emit_completed()
        finally:
            probe.set("ended")

    return handler


class _LoopRecordingHost(ResponsesAgentServerHost):
    """A host that remembers the event loop uvicorn runs it on (to act on it from the test thread)."""

    async def startup(self) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup()


def _client(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=WAIT)


# -- sync handlers run in worker threads -----------------------------------------------------------------
def test_a_blocking_sync_handler_does_not_stall_other_requests(store_kind):
    probe = Probe()

    def handler(request, context, cancellation_signal):  # a plain sync function
        if request["input"] == "block":
            probe.set("blocking")
            probe.wait("release")  # a blocking call, in the handler's worker thread
        return TextResponse(context, request, text=f"done: {request['input']}")

    host = host_with(store_kind, handler)
    with serve_in_thread(host) as server, _client(server) as client:
        results: list[httpx.Response] = []
        blocked = threading.Thread(
            target=lambda: results.append(client.post("/responses", json={"model": "m", "input": "block"}))
        )
        blocked.start()
        try:
            probe.wait("blocking")
            assert client.get("/liveness").status_code == 200
            other = client.post("/responses", json={"model": "m", "input": "other"})
            assert (
                other.status_code == 200 and other.json()["output"][0]["content"][0]["text"] == "done: other"
            )
            assert not results, "the blocked request answered before it was released"
        finally:
            probe.set("release")
            blocked.join(WAIT)
        assert results[0].status_code == 200 and results[0].json()["status"] == "completed"


def test_a_sync_generator_that_blocks_between_events_does_not_stall_the_loop(store_kind):
    probe = Probe()

    def handler(request, context, cancellation_signal):  # a sync generator
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        if request["input"] == "block":
            probe.set("blocking")
            probe.wait("release")
        yield from stream.output_item_message(f"text: {request['input']}")
        yield stream.emit_completed()

    host = host_with(store_kind, handler)
    with serve_in_thread(host) as server, _client(server) as client:
        with client.stream("POST", "/responses", json={"model": "m", "input": "block", "stream": True}) as r:
            live = LiveSSE(r)
            live.until_type("response.in_progress")
            probe.wait("blocking")
            # the live stream keeps its connection; other requests are served meanwhile
            other = client.post("/responses", json={"model": "m", "input": "x"})
            assert other.json()["status"] == "completed"
            probe.set("release")
            check_complete_stream(live.to_end())


def test_sync_handlers_see_the_request_context_in_their_thread(store_kind):
    seen: list = []

    def handler(request, context, cancellation_signal):
        seen.append(threading.current_thread() is threading.main_thread())
        # a stream made without an explicit template still takes the run's defaults (contextvars)
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_completed()

    host = host_with(store_kind, handler)
    with serve_in_thread(host) as server, _client(server) as client:
        body = client.post("/responses", json={"model": "model-x", "input": "hi"}).json()
        assert body["status"] == "completed" and body["model"] == "model-x"


# -- cancel does not wait for a handler that ignores it -----------------------------------------------------
def test_cancel_answers_while_the_handler_swallows_its_cancellation(store_kind, caplog):
    probe = Probe()
    host = host_with(store_kind, runaway_handler(probe), cancellation_grace_period_seconds=0.05)
    with serve_in_thread(host) as server, _client(server) as client, caplog.at_level(logging.INFO):
        rid = client.post("/responses", json={"model": "m", "input": "x", "background": True}).json()["id"]
        probe.wait("started")
        try:
            reply = client.post(f"/responses/{rid}/cancel")
            assert reply.status_code == 200, reply.text
            assert reply.json()["status"] == "cancelled"
            assert probe.is_set("swallowed") and not probe.is_set("ended"), "the handler still runs"
            first = parse_sse(client.get(f"/responses/{rid}", params={"stream": "true"}).content)
            check_complete_stream(first)
            assert first.terminal.data["response"]["status"] == "cancelled"
        finally:
            probe.set("release")
        probe.wait("ended")
        # what the runaway handler emitted after the cancel is dropped: the log did not change
        again = parse_sse(client.get(f"/responses/{rid}", params={"stream": "true"}).content)
        assert again.raw_events == first.raw_events
        assert client.get(f"/responses/{rid}").json()["status"] == "cancelled"
        poll(lambda: any("dropped" in r.getMessage() for r in caplog.records), what="the drop log line")
        dropped = [r for r in caplog.records if "dropped" in r.getMessage() and rid in r.getMessage()]
        assert len(dropped) == 1, [r.getMessage() for r in dropped]


# -- shutdown does not wait for it either -------------------------------------------------------------------------
def test_shutdown_ends_every_open_stream_despite_a_runaway_handler(store_kind):
    probe = Probe()
    host = host_with(store_kind, runaway_handler(probe), shutdown_grace_period_seconds=0.05)
    with serve_in_thread(host) as server, _client(server) as client:
        try:
            with client.stream("POST", "/responses", json={"model": "m", "input": "x", "stream": True}) as r:
                live = LiveSSE(r)
                live.until_type("response.output_text.delta")
                probe.wait("started")
                loop = probe.notes[0]
                shut = asyncio.run_coroutine_threadsafe(host.shutdown(), loop)
                sse = live.to_end()
            terminal = check_complete_stream(sse)
            assert terminal.data["response"]["status"] == "failed"
            shut.result(WAIT)  # the host's shutdown completed
            assert not probe.is_set("ended"), "the handler still runs: shutdown did not wait for it"
        finally:
            probe.set("release")
        probe.wait("ended")


# -- a replica that shuts down closes the streams tailing other replicas' responses ---------------------------
def test_shutdown_closes_streams_that_tail_a_response_running_on_another_replica():
    url = redis_test_url()
    probe = Probe()

    async def gated(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message, text = _open_message(stream)
        yield message.emit_added()
        yield text.emit_added()
        yield text.emit_delta("before ")
        probe.set("waiting")
        await probe.await_("release", timeout=3 * WAIT)
        yield text.emit_delta("after")
        yield text.emit_text_done()
        yield text.emit_done()
        yield message.emit_done()
        yield stream.emit_completed()

    runner = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url=url))
    runner.response_handler(gated)
    reader = _LoopRecordingHost(
        options=ResponsesServerOptions(store_url=url, shutdown_grace_period_seconds=0.05)
    )
    reader.response_handler(gated)
    with serve_in_thread(runner) as a, serve_in_thread(reader) as b, _client(a) as ca, _client(b) as cb:
        try:
            rid = ca.post("/responses", json={"model": "m", "input": "x", "background": True}).json()["id"]
            probe.wait("waiting")
            with cb.stream("GET", f"/responses/{rid}", params={"stream": "true"}) as r:
                live = LiveSSE(r)
                live.until(lambda sse: any(f.data.get("delta") == "before " for f in sse.frames))
                # what SIGTERM does: the host starts draining, uvicorn stops accepting
                reader.loop.call_soon_threadsafe(reader.begin_shutdown)
                b.server.should_exit = True
                sse = live.to_end()
            assert not sse.done, "no [DONE]: the response has not ended"
            assert all(f.event != "response.completed" for f in sse.frames), "no invented terminal event"
            last = sse.frames[-1].seq
            probe.set("release")
            resumed = parse_sse(
                ca.get(
                    f"/responses/{rid}", params={"stream": "true"}, headers={"Last-Event-ID": str(last)}
                ).content
            )
            assert resumed.seqs[0] == last + 1
            check_complete_stream(resumed, first_seq=last + 1)
        finally:
            probe.set("release")


@pytest.mark.parametrize("kind", ["duplicate", "alias_differs"])
def test_ambiguous_isolation_headers_are_refused(store_kind, kind):
    host = make_host(store_kind)
    host.response_handler(lambda request, context, signal: TextResponse(context, request, text="x"))
    with serve_in_thread(host) as server, _client(server) as client:
        if kind == "duplicate":
            headers = [("x-agent-user-isolation-key", "alice"), ("x-agent-user-isolation-key", "bob")]
        else:
            headers = [("x-agent-user-isolation-key", "alice"), ("x-agent-user-id", "bob")]
        for method, path in (("POST", "/responses"), ("GET", "/responses/resp_x")):
            reply = client.request(method, path, headers=headers, json={"model": "m", "input": "x"})
            assert reply.status_code == 400, reply.text
            error = reply.json()["error"]
            assert set(error) == {"message", "type", "param", "code"}
            assert error["code"] == "invalid_header" and error["param"].startswith("x-agent-user")


# -- store failures during a run are reported as such ----------------------------------------------------------
class _FailingLog(MemoryEventLog):
    """An event log whose appends fail once ``broken`` is set (a store outage in the middle of a run)."""

    broken = False

    async def append(self, response_id, entries, *, close=False):
        if self.broken:
            raise StoreUnavailable("connection refused")
        await super().append(response_id, entries, close=close)


@pytest.mark.parametrize("background", [False, True])
def test_a_store_failure_during_a_run_is_logged_as_a_store_failure(caplog, background):
    store = MemoryStore()
    log = store.events = _FailingLog(3600.0)
    probe = Probe()

    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        log.broken = True  # the store goes away mid-run
        yield stream.emit_in_progress()
        probe.set("emitted")
        yield stream.emit_completed()

    host = ResponsesAgentServerHost(store=store)
    host.response_handler(handler)
    with caplog.at_level(logging.INFO), serve_in_thread(host) as server, _client(server) as client:
        reply = client.post("/responses", json={"model": "m", "input": "x", "background": background})
        if background:
            assert reply.status_code == 200
            poll(lambda: any("store failure" in r.getMessage() for r in caplog.records), what="a log line")
            poll(lambda: not host._runs, what="the run to end")
        else:
            assert reply.status_code == 503, reply.text
            assert set(reply.json()["error"]) == {"message", "type", "param", "code"}
    gc.collect()  # a task whose exception nobody retrieved is reported when it is collected
    messages = [r.getMessage() for r in caplog.records]
    assert any("store failure" in m for m in messages), messages
    assert not any("handler raised" in m for m in messages), messages
    assert not any("never retrieved" in m for m in messages), messages
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], messages
