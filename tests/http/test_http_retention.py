"""Retention and bounded memory: records and event logs expire; the store never outgrows its bound."""

from __future__ import annotations

import time

import pytest
from http_helpers import apoll, asgi, check_envelope, create, parse_sse
from support.hosts import WAIT, Probe, echo_handler, host_with, stalling_handler

pytestmark = pytest.mark.anyio


async def _until_404(client, path: str, timeout: float = WAIT) -> None:
    async def gone():
        reply = await client.get(path)
        assert reply.status_code in (200, 404), reply.text
        return reply if reply.status_code == 404 else None

    check_envelope(await apoll(gone, timeout=timeout, interval=0.02, what=f"{path} answering 404"), 404)


async def test_stored_responses_expire_after_the_retention(store_kind):
    host = host_with(
        store_kind, echo_handler(), response_retention_seconds=0.2, event_log_retention_seconds=0.2
    )
    async with asgi(host) as client:
        rid = (await create(client)).json()["id"]
        assert (await client.get(f"/responses/{rid}")).status_code == 200
        await _until_404(client, f"/responses/{rid}")
        check_envelope(await client.get(f"/responses/{rid}/input_items"), 404)
        check_envelope(await client.delete(f"/responses/{rid}"), 404)


async def test_event_logs_expire_after_their_retention_while_the_record_stays(store_kind):
    host = host_with(
        store_kind, echo_handler(), response_retention_seconds=600, event_log_retention_seconds=0.2
    )
    async with asgi(host) as client:
        reply = await create(client, stream=True)
        rid = parse_sse(reply.content).frames[0].data["response"]["id"]
        await _until_404(client, f"/responses/{rid}?stream=true")
        assert (await client.get(f"/responses/{rid}")).json()["status"] == "completed"


async def test_a_response_running_past_the_retention_is_not_lost(store_kind):
    probe = Probe()
    host = host_with(
        store_kind,
        stalling_handler(probe),
        response_retention_seconds=0.1,
        event_log_retention_seconds=0.1,
        shutdown_grace_period_seconds=0.2,
    )
    async with asgi(host) as client:
        rid = (await create(client, background=True)).json()["id"]
        await probe.await_("started")
        started = time.monotonic()
        while time.monotonic() - started < 0.3:  # outlive the retention, with other traffic sweeping
            await create(client, background=True)
        assert (await client.get(f"/responses/{rid}")).status_code == 200
        cancelled = await client.post(f"/responses/{rid}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize("max_stored", [1, 5])
async def test_memory_store_holds_at_most_max_stored_responses(max_stored):
    # max_stored_responses bounds the in-memory store only (Redis memory is bounded by TTLs).
    host = host_with("memory", echo_handler(), max_stored_responses=max_stored)
    async with asgi(host) as client:
        ids = [(await create(client, stream=bool(i % 2))).status_code for i in range(40)]
        assert set(ids) == {200}
        records, logs = host.store.records, host.store.events
        assert len(records) <= max_stored, len(records)
        assert len(logs) <= max_stored, len(logs)


async def test_memory_bound_holds_with_a_long_running_response_at_the_head():
    probe = Probe()
    slow = stalling_handler(probe)
    fast = echo_handler()
    state = {"first": True}

    async def mixed(request, context, signal):
        if state.pop("first", False):
            return slow(request, context, signal)
        return await fast(request, context, signal)

    host = host_with("memory", mixed, max_stored_responses=5, shutdown_grace_period_seconds=0.1)
    async with asgi(host) as client:
        head = (await create(client, background=True)).json()["id"]
        await probe.await_("started")
        for _ in range(30):
            assert (await create(client)).status_code == 200
        assert len(host.store.records) <= 5 + 1, len(host.store.records)  # the running one is never dropped
        assert (await client.get(f"/responses/{head}")).status_code == 200
