"""A handler that emits a burst of events without awaiting anything does not hold the event loop
until it ends: the run lets the loop turn every YIELD_EVERY_EVENTS events (server/runner.py), so
the response's readers, and every other request, get their turn during the burst."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions
from responsekit.server.runner import YIELD_EVERY_EVENTS

pytestmark = pytest.mark.anyio

BURST = 4 * YIELD_EVERY_EVENTS


@pytest.mark.parametrize("stream", [False, True], ids=["default", "stream"])
async def test_a_burst_lets_the_loop_turn(stream: bool) -> None:
    host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory"))
    ticks = 0  # loop turns another task got
    seen: list[int] = []  # the ticks at each delta the handler emitted

    @host.response_handler
    async def burst(request, context, signal):
        events = ResponseEventStream(response_id=context.response_id, request=request)
        yield events.emit_created()
        yield events.emit_in_progress()
        message = events.add_output_item_message()
        yield message.emit_added()
        part = message.add_text_content()
        yield part.emit_added()
        for _ in range(BURST):  # never awaits: only the run can let the loop turn
            seen.append(ticks)
            yield part.emit_delta("x")
        yield part.emit_text_done()
        yield part.emit_done()
        yield message.emit_done()
        yield events.emit_completed()

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await host.startup()
        other = asyncio.get_running_loop().create_task(ticker())
        try:
            answer = await client.post("/responses", json={"model": "m", "input": "hi", "stream": stream})
            assert answer.status_code == 200
        finally:
            other.cancel()
            await host.shutdown()
    # The other task ran between the burst's first and last deltas, about once per YIELD_EVERY_EVENTS.
    assert seen[-1] - seen[0] >= BURST // YIELD_EVERY_EVENTS - 1
