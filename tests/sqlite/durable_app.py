"""A server on the SQLite store for the restart tests: ``python durable_app.py`` with PORT and
RESPONSEKIT_STORE set.

The request's model picks the behaviour: ``echo`` (``Echo: <input>``), ``history`` (the texts of
its history, joined by `` | ``) and ``hang`` (a message with three deltas, then it waits until the
process dies).
"""

from __future__ import annotations

import asyncio

from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions, TextResponse

app = ResponsesAgentServerHost(
    options=ResponsesServerOptions(sse_keep_alive_interval_seconds=60.0, shutdown_grace_period_seconds=1.0)
)


def _texts(item) -> list[str]:
    data = item.model_dump() if hasattr(item, "model_dump") else item
    return [part.get("text", "") for part in data.get("content") or [] if isinstance(part, dict)]


@app.response_handler
async def handler(request, context, cancellation_signal):
    if request.model == "history":
        texts = [text for item in await context.get_history() for text in _texts(item)]
        async for event in TextResponse(context, request, text=" | ".join(texts)):
            yield event
        return
    if request.model != "hang":
        async for event in TextResponse(context, request, text=f"Echo: {await context.get_input_text()}"):
            yield event
        return
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    message = stream.add_output_item_message()
    yield message.emit_added()
    text = message.add_text_content()
    yield text.emit_added()
    for i in range(3):
        yield text.emit_delta(f"d{i} ")
    await asyncio.Event().wait()  # until the test kills this process


if __name__ == "__main__":
    app.run(host="127.0.0.1", log_level="warning")
