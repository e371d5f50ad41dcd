"""A hypothesis state machine over the HTTP API: the lifecycle guarantees hold under any interleaving.

The machine creates responses in every mode with handlers that finish, fail, stall (until cancelled)
or stop early, and interleaves get, replay from random cursors, cancel, delete and input_items.
Its model of each response says what each call must answer; the checks:

- every finished response has exactly one terminal event and it is last, on live and replayed
  streams, whose sequence numbers are contiguous from 0 (from the cursor + 1 on a resumed replay);
- replay bytes equal the original stream's bytes;
- the status GET reports matches the terminal event;
- a deleted (or store=false) response is 404 everywhere;
- cancel: 200 and ``cancelled`` for an in-flight background response (terminal event
  ``response.failed`` with status ``cancelled``), 200 again when already cancelled, 400 for a
  non-background or already finished one.

The host runs in-process on an anyio blocking portal's event loop; every call is bounded, so a
stalled handler can never hang a test.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from http_helpers import (
    TERMINAL_STATUSES,
    apoll,
    check_complete_stream,
    check_envelope,
    parse_sse,
    wait_status,
)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, precondition, rule
from support.hosts import (
    WAIT,
    failing_handler,
    host_with,
    reasoning_message_handler,
    stalling_handler,
    stopping_early_handler,
)

KINDS = {
    "finish": (reasoning_message_handler, "completed"),
    "fail": (failing_handler, "failed"),
    "stop": (stopping_early_handler, "failed"),
    "stall": (stalling_handler, None),  # ends only when cancelled (or deleted)
}
MODES = st.sampled_from([(False, False), (True, False), (False, True), (True, True)])  # (stream, background)


def _dispatch():
    handlers = {kind: make() for kind, (make, _) in KINDS.items()}

    async def handler(request, context, signal):
        kind = await context.get_input_text()
        result = handlers[kind](request, context, signal)
        if hasattr(result, "__aiter__"):
            async for event in result:
                yield event
        else:
            for event in result:
                yield event

    return handler


@dataclass
class Model:
    rid: str
    kind: str
    stream: bool
    background: bool
    stored: bool
    status: str | None = None  # known terminal status, once known
    original: bytes | None = None  # the live stream's event bytes (stream mode)
    deleted: bool = False
    cancelled: bool = False
    items: int = 1
    seen_statuses: list[str] = field(default_factory=list)
    live: Any = None  # a stalled stream+background create still streaming (a concurrent Future)

    @property
    def gone(self) -> bool:
        return self.deleted or not self.stored


class LifecycleMachine(RuleBasedStateMachine):
    store_kind = "memory"

    def __init__(self) -> None:
        super().__init__()
        self._exit = contextlib.ExitStack()
        self.portal = self._exit.enter_context(start_blocking_portal("asyncio"))
        self.host = host_with(self.store_kind, _dispatch(), shutdown_grace_period_seconds=0.05)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.host), base_url="http://machine", timeout=WAIT
        )
        self.models: dict[str, Model] = {}

    responses = Bundle("responses")

    def call(self, fn, *args):
        async def bounded():
            with anyio.fail_after(WAIT):
                return await fn(*args)

        return self.portal.call(bounded)

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.call(lambda: self.client.request(method, path, **kwargs))

    # -- rules -------------------------------------------------------------------------------------------
    @rule(target=responses, kind=st.sampled_from(sorted(KINDS)), mode=MODES, store=st.booleans())
    def create(self, kind, mode, store):
        stream, background = mode
        if kind == "stall":
            background = True  # a foreground stall could only end by disconnect or shutdown
        if background:
            store = True  # background needs store=true (400 otherwise; covered in test_http_errors)
        body = {"model": "m", "input": kind, "stream": stream, "background": background, "store": store}
        if kind == "stall" and stream:
            return self._create_live_stall(body)
        reply = self.request("POST", "/responses", json=body)
        assert reply.status_code == 200, reply.text
        if stream:
            sse = parse_sse(reply.content)
            terminal = check_complete_stream(sse)
            response = terminal.data["response"]
            model = Model(
                response["id"],
                kind,
                stream,
                background,
                store,
                status=response["status"],
                original=sse.raw_events,
            )
            assert model.status == KINDS[kind][1]
        else:
            response = reply.json()
            model = Model(response["id"], kind, stream, background, store)
            if background:
                assert response["status"] in ("queued", "in_progress")
            else:
                model.status = response["status"]
                assert model.status == KINDS[kind][1]
        assert response["store"] is store and response["background"] is background
        self.models[model.rid] = model
        return model.rid

    def _create_live_stall(self, body: dict) -> str:
        """The in-process transport buffers a response, so the stalled stream's request runs
        concurrently; it completes once the response is cancelled (checked in _finish_live)."""
        known = set(self.host._runs)
        future = self.portal.start_task_soon(lambda: self.client.post("/responses", json=body))

        async def new_run_id() -> str:
            fresh = await apoll(
                lambda: set(self.host._runs) - known, interval=0.001, what="the stalled response's run"
            )
            (rid,) = fresh
            return rid

        rid = self.call(new_run_id)
        self.models[rid] = Model(rid, "stall", True, True, True, live=future)
        return rid

    def _finish_live(self, model: Model) -> None:
        if model.live is None:
            return
        reply = model.live.result(timeout=WAIT)
        model.live = None
        sse = parse_sse(reply.content)
        terminal = check_complete_stream(sse)
        assert terminal.event == "response.failed" and terminal.data["response"]["status"] == "cancelled"
        model.original = sse.raw_events

    @rule(rid=responses)
    def get(self, rid):
        model = self.models[rid]
        reply = self.request("GET", f"/responses/{rid}")
        if model.gone:
            check_envelope(reply, 404)
            return
        status = reply.json()["status"]
        model.seen_statuses.append(status)
        if model.status is not None:
            assert status == model.status, (status, model)
        elif model.kind == "stall":
            assert status in ("queued", "in_progress")

    @rule(rid=responses, cursor=st.integers(-1, 14))
    def replay(self, rid, cursor):
        model = self.models[rid]
        if model.gone:
            check_envelope(self.request("GET", f"/responses/{rid}?stream=true&starting_after={cursor}"), 404)
            return
        if model.status is None and model.kind == "stall":
            return  # would tail until cancelled; the tail is covered by test_http_endpoints
        self._settle(model)
        full = parse_sse(self.request("GET", f"/responses/{rid}?stream=true").content)
        terminal = check_complete_stream(full)
        assert terminal.data["response"]["status"] == model.status
        assert (terminal.event == "response.failed") == (model.status in ("failed", "cancelled"))
        if model.original is not None:
            assert full.raw_events == model.original, "replay differs from the original stream"
        tail = parse_sse(self.request("GET", f"/responses/{rid}?stream=true&starting_after={cursor}").content)
        assert tail.done
        assert tail.raw_events == b"".join(f.raw for f in full.frames[cursor + 1 :])
        if tail.frames:
            check_complete_stream(tail, first_seq=cursor + 1)

    @rule(rid=responses)
    def cancel(self, rid):
        model = self.models[rid]
        reply = self.request("POST", f"/responses/{rid}/cancel")
        if model.gone:
            check_envelope(reply, 404)
        elif not model.background:
            check_envelope(reply, 400, code="not_cancellable")
        elif model.status == "cancelled":
            assert reply.status_code == 200 and reply.json()["status"] == "cancelled"
        elif model.status is not None:
            check_envelope(reply, 400, code="not_cancellable")
        elif model.kind == "stall":
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert body["status"] == "cancelled"
            assert all(item["status"] == "incomplete" for item in body["output"])  # partial output kept
            model.status = "cancelled"
            self._finish_live(model)
        else:  # a background handler that finishes on its own: the cancel may win or lose the race
            if reply.status_code == 200:
                assert reply.json()["status"] == "cancelled"
                model.status = "cancelled"
            else:
                check_envelope(reply, 400, code="not_cancellable")
                self._settle(model)
                assert model.status == KINDS[model.kind][1]

    @rule(rid=consumes(responses))
    def delete(self, rid):
        model = self.models[rid]
        reply = self.request("DELETE", f"/responses/{rid}")
        if model.gone:
            check_envelope(reply, 404)
        else:
            assert reply.status_code == 200 and reply.json() == {
                "id": rid,
                "object": "response",
                "deleted": True,
            }
            model.deleted = True
            self._finish_live(model)  # deleting an in-flight response cancels it first
        for method, path in (
            ("GET", ""),
            ("GET", "?stream=true"),
            ("GET", "/input_items"),
            ("POST", "/cancel"),
            ("DELETE", ""),
        ):
            check_envelope(self.request(method, f"/responses/{rid}{path}"), 404)

    @rule(rid=responses, limit=st.integers(1, 3))
    def input_items(self, rid, limit):
        model = self.models[rid]
        reply = self.request("GET", f"/responses/{rid}/input_items", params={"limit": limit})
        if model.gone:
            check_envelope(reply, 404)
            return
        page = reply.json()
        assert page["object"] == "list" and len(page["data"]) == min(limit, model.items)
        assert page["data"][0]["content"] == [{"type": "input_text", "text": model.kind}]

    @precondition(lambda self: any(m.status is None and not m.gone for m in self.models.values()))
    @rule()
    def settle_all(self):
        for model in self.models.values():
            if model.status is None and not model.gone and model.kind != "stall":
                self._settle(model)

    # -- model upkeep ---------------------------------------------------------------------------------------
    def _settle(self, model: Model) -> None:
        """Wait (bounded) for a background response that ends on its own, and learn its status."""
        if model.status is not None:
            return
        body = self.call(wait_status, self.client, model.rid, TERMINAL_STATUSES)
        model.status = body["status"]
        assert model.status == KINDS[model.kind][1]

    @invariant()
    def statuses_only_move_forward(self):
        for model in self.models.values():
            terminal = [s for s in model.seen_statuses if s in TERMINAL_STATUSES]
            assert len(set(terminal)) <= 1, model.seen_statuses
            if terminal:
                first = model.seen_statuses.index(terminal[0])
                assert all(s == terminal[0] for s in model.seen_statuses[first:]), model.seen_statuses

    def teardown(self):
        try:
            # every live response ends terminal, with its one terminal event last in its log
            for model in list(self.models.values()):
                if model.gone:
                    continue
                if model.status is None and model.kind == "stall":
                    self.cancel(model.rid)
                self._settle(model)
                full = parse_sse(self.request("GET", f"/responses/{model.rid}?stream=true").content)
                assert check_complete_stream(full).data["response"]["status"] == model.status
                if model.original is not None:
                    assert full.raw_events == model.original
        finally:
            try:  # even after a failure: shutdown ends every run, so no request is left hanging
                self.call(self.client.aclose)
                self.call(self.host.shutdown)
            finally:
                with contextlib.suppress(Exception):
                    self.portal.call(self.portal.stop, True)
                self._exit.close()


def test_lifecycle_machine(store_kind):
    from hypothesis.stateful import run_state_machine_as_test

    # make_host skips a store that is not available before the machine starts
    host_with(store_kind, _dispatch())
    machine = type(f"LifecycleMachine_{store_kind}", (LifecycleMachine,), {"store_kind": store_kind})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=50,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


test_lifecycle_machine = pytest.mark.timeout(110)(test_lifecycle_machine)
