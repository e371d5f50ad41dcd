"""One replica of the multi-replica tests: ``python replica_app.py`` with PORT and RESPONSEKIT_STORE set.

The request's model picks the behaviour: ``echo``, ``history`` (echoes the history's texts),
``slow`` (``int(input)`` deltas, 20 ms apart) and ``stall`` (one delta, then waits to be cancelled).
The handler leaves marks as files in $REPLICA_MARKS (``<response id>.<mark>``, holding the replica's
name) so a test can see what happened inside which process.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions, TextResponse

NAME = os.environ.get("REPLICA_NAME", "replica")
MARKS = Path(os.environ["REPLICA_MARKS"])

app = ResponsesAgentServerHost(
    options=ResponsesServerOptions(
        lease_seconds=float(os.environ.get("REPLICA_LEASE_SECONDS", "10")),
        sse_keep_alive_interval_seconds=60.0,
        shutdown_grace_period_seconds=1.0,
    )
)


def mark(response_id: str, name: str) -> None:
    path = MARKS / f"{response_id}.{name}"
    path.with_suffix(".tmp").write_text(NAME)
    path.with_suffix(".tmp").replace(path)  # atomic: a reader never sees an empty mark


def _texts(item) -> list[str]:
    data = item.model_dump() if hasattr(item, "model_dump") else item
    return [part.get("text", "") for part in data.get("content") or [] if isinstance(part, dict)]


@app.response_handler
async def handler(request, context, cancellation_signal):
    model = request.model
    mark(context.response_id, "started")
    if model == "echo":
        async for event in TextResponse(context, request, text=f"Echo: {await context.get_input_text()}"):
            yield event
        return
    if model == "history":
        texts = [text for item in await context.get_history() for text in _texts(item)]
        async for event in TextResponse(context, request, text=" | ".join(texts)):
            yield event
        return
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    message = stream.add_output_item_message()
    yield message.emit_added()
    text = message.add_text_content()
    yield text.emit_added()
    deltas = int(await context.get_input_text() or "1") if model == "slow" else 1
    for i in range(deltas):
        yield text.emit_delta(f"d{i} ")
        mark(context.response_id, f"delta{i}")
        if model == "stall" or i + 1 < deltas:
            try:
                await asyncio.wait_for(cancellation_signal.wait(), None if model == "stall" else 0.02)
            except asyncio.TimeoutError:
                continue
            mark(context.response_id, "cancelled")
            return  # the runtime ends the response as cancelled
    yield text.emit_text_done()
    yield text.emit_done()
    yield message.emit_done()
    yield stream.emit_completed()


if __name__ == "__main__":
    app.run(host="127.0.0.1", log_level="warning")
