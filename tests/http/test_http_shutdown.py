"""Graceful shutdown semantics, in-process: what SIGTERM / lifespan shutdown start (``begin_shutdown``).

New requests get 503 (readiness too; liveness stays up), ``context.is_shutdown_requested`` turns
true, in-flight handlers get the grace period, then are cancelled; every response ends terminal,
a handler cut off by shutdown ending ``failed`` with ``error.code == "server_error"``.
"""

from __future__ import annotations

import anyio
import pytest
from http_helpers import asgi, check_envelope, create
from support.hosts import WAIT, Probe, host_with, slow_handler, stalling_handler

from responsekit.server.runner import FAILURE_MESSAGES

pytestmark = pytest.mark.anyio


def _by_input(handlers):
    async def handler(request, context, signal):
        kind = await context.get_input_text()
        async for event in handlers[kind](request, context, signal):
            yield event

    return handler


async def test_shutdown_refuses_new_requests_signals_handlers_then_cancels_after_grace(store_kind):
    graceful, stalled = Probe(), Probe()
    handlers = {
        "graceful": slow_handler(deltas=10**6, delay=0.01, probe=graceful, observe_shutdown=True),
        "stall": stalling_handler(stalled),
    }
    host = host_with(store_kind, _by_input(handlers), shutdown_grace_period_seconds=0.3)
    async with asgi(host) as client:
        a = (await create(client, input="graceful", background=True)).json()["id"]
        b = (await create(client, input="stall", background=True)).json()["id"]
        await graceful.await_("started")
        await stalled.await_("started")
        assert not host.is_shutdown_requested
        host.begin_shutdown()  # what SIGTERM and lifespan shutdown do first
        assert host.is_shutdown_requested
        unavailable = check_envelope(await create(client), 503, code="service_unavailable")
        assert unavailable["type"] == "server_error"
        assert (await create(client, input="x")).headers["retry-after"] == "1"
        check_envelope(await client.get(f"/responses/{a}"), 503)
        assert (await client.get("/readiness")).status_code == 503
        assert (await client.get("/liveness")).status_code == 200
        # during the grace period the graceful handler sees the flag and completes; the stalled one is
        # still running (not cancelled at once)
        await graceful.await_("shutdown_seen")
        await graceful.await_("finished")
        assert not stalled.is_set("cancelled")
        with anyio.fail_after(WAIT):
            await host.shutdown()
        assert stalled.is_set("cancelled")
        records = host.store.records
        done_a, done_b = await records.get(a), await records.get(b)
        assert done_a.status == "completed"
        assert done_b.status == "failed"
        assert done_b.snapshot["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["shutdown"]}
        assert done_b.snapshot["output"][0]["status"] == "incomplete"


async def test_zero_grace_cancels_in_flight_handlers_at_once(store_kind):
    stalled = Probe()
    host = host_with(store_kind, stalling_handler(stalled), shutdown_grace_period_seconds=0)
    async with asgi(host) as client:
        rid = (await create(client, background=True)).json()["id"]
        await stalled.await_("started")
        with anyio.fail_after(WAIT):
            await host.shutdown()
        assert (await host.store.records.get(rid)).status == "failed"


async def test_default_mode_request_in_flight_at_shutdown_gets_its_terminal_response(store_kind):
    stalled = Probe()
    host = host_with(store_kind, stalling_handler(stalled), shutdown_grace_period_seconds=0.05)
    async with asgi(host) as client:
        results = []
        async with anyio.create_task_group() as tg:

            async def default_mode() -> None:
                results.append(await create(client))

            tg.start_soon(default_mode)
            await stalled.await_("started")
            host.begin_shutdown()
        (reply,) = results
        assert reply.status_code == 200
        body = reply.json()
        assert body["status"] == "failed" and body["error"]["message"] == FAILURE_MESSAGES["shutdown"]
