"""Multi-output: a reasoning item and a message in one response."""

import asyncio

from responsekit import CreateResponse, ResponseContext, ResponseEventStream, ResponsesAgentServerHost

app = ResponsesAgentServerHost()


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    question = await context.get_input_text()
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    for event in stream.output_item_reasoning_item(f"The user asked {question!r}. A short answer will do."):
        yield event
    for event in stream.output_item_message(f"Here is my answer to {question!r}: 42."):
        yield event
    yield stream.emit_completed()


if __name__ == "__main__":
    app.run()
