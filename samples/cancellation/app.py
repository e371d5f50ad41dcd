"""Cancellation: a long-running handler that stops cleanly when cancelled or when the server drains."""

import asyncio

from responsekit import CreateResponse, ResponseContext, ResponseEventStream, ResponsesAgentServerHost

app = ResponsesAgentServerHost()

STEPS = 20  # 20 half-second steps: plenty of time to cancel


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    message = stream.add_output_item_message()
    yield message.emit_added()
    text = message.add_text_content()
    yield text.emit_added()
    for step in range(1, STEPS + 1):
        if cancellation_signal.is_set():  # POST /responses/{id}/cancel, or a streaming client hung up
            yield text.emit_delta("Cancelled.")  # kept as partial output; the response ends "cancelled"
            break
        if context.is_shutdown_requested:  # the server is draining: finish early, cleanly
            yield text.emit_delta("Stopped early: the server is shutting down.")
            break
        await asyncio.sleep(0.5)  # one slice of the long job
        yield text.emit_delta(f"Step {step} done. ")
    yield text.emit_text_done()
    yield text.emit_done()
    yield message.emit_done()
    yield stream.emit_completed()


if __name__ == "__main__":
    app.run()
