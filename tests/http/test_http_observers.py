"""Observers (server/observers.py) over real HTTP: what they see of each response, in order, and
that a failing observer never reaches the response nor the other observers."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

import httpx
from support.hosts import echo_handler, make_host, slow_handler
from support.polling import WAIT, poll
from support.servers import serve_in_thread

from responsekit.server.observers import EventView, ResponseObserver, ResponseRun


class Recorder(ResponseObserver):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, Any]] = []
        self.runs: list[ResponseRun] = []

    def response_started(self, run: ResponseRun) -> None:
        with self.lock:
            self.runs.append(run)
            self.seen.append(("started", run.response_id))

    def event_emitted(self, run: ResponseRun, event: Mapping[str, Any]) -> None:
        assert isinstance(event, EventView)
        with self.lock:
            self.seen.append(("event", (event.type, event.sequence_number, dict(event)["type"])))

    def response_finished(self, run: ResponseRun, response: Mapping[str, Any]) -> None:
        with self.lock:
            self.seen.append(("finished", (run.response_id, response["status"])))


class Broken(ResponseObserver):
    def response_started(self, run: ResponseRun) -> None:
        raise RuntimeError("observer bug")

    def event_emitted(self, run: ResponseRun, event: Mapping[str, Any]) -> None:
        raise RuntimeError("observer bug")

    def response_finished(self, run: ResponseRun, response: Mapping[str, Any]) -> None:
        raise RuntimeError("observer bug")

    def handler_scope(self, run: ResponseRun):
        raise RuntimeError("observer bug")


def test_an_observer_sees_start_every_event_in_order_and_the_terminal_snapshot():
    host = make_host("memory")
    host.response_handler(slow_handler(deltas=2, delay=0.001))
    recorder = host.observers.add(Recorder())
    headers = {
        "x-agent-user-isolation-key": "user-1",
        "traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01",
    }
    with serve_in_thread(host) as server:
        body = {"model": "m-1", "input": "hi", "stream": True, "background": True}
        with httpx.stream("POST", server.url + "/responses", json=body, headers=headers, timeout=WAIT) as r:
            frames = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]
        response_id = frames[0]["response"]["id"]
        poll(lambda: recorder.seen and recorder.seen[-1][0] == "finished", what="response_finished")
    (run,) = recorder.runs
    assert (run.response_id, run.mode, run.model, run.user_key) == (
        response_id,
        "background_stream",
        "m-1",
        "user-1",
    )
    assert run.headers["traceparent"] == headers["traceparent"] and run.stored is True
    assert run.started_at > 0
    assert recorder.seen[0] == ("started", response_id)
    events = [value for kind, value in recorder.seen if kind == "event"]
    assert events == [(f["type"], f["sequence_number"], f["type"]) for f in frames]
    assert recorder.seen[-1] == ("finished", (response_id, "completed"))


def test_a_failing_observer_affects_neither_the_response_nor_the_other_observers():
    host = make_host("memory")
    host.response_handler(echo_handler())
    host.observers.add(Broken())
    recorder = host.observers.add(Recorder())
    with serve_in_thread(host) as server:
        reply = httpx.post(server.url + "/responses", json={"model": "m", "input": "hi"}, timeout=WAIT)
        assert reply.status_code == 200 and reply.json()["status"] == "completed"
        assert recorder.seen[0] == ("started", reply.json()["id"])
        assert recorder.seen[-1] == ("finished", (reply.json()["id"], "completed"))
        assert recorder.runs[0].mode == "default"


def test_an_observer_discarded_sees_no_later_response():
    host = make_host("memory")
    host.response_handler(echo_handler())
    recorder = host.observers.add(Recorder())
    assert host.observers.add(recorder) is recorder and len(host.observers) == 1  # added once
    with serve_in_thread(host) as server:
        first = httpx.post(server.url + "/responses", json={"model": "m", "input": "a"}, timeout=WAIT).json()
        host.observers.discard(recorder)
        assert not host.observers
        httpx.post(server.url + "/responses", json={"model": "m", "input": "b"}, timeout=WAIT)
    assert [value for kind, value in recorder.seen if kind == "started"] == [first["id"]]
