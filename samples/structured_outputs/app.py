"""Structured outputs: returns JSON data in a `structured_outputs` item."""

import asyncio

from responsekit import CreateResponse, ResponseContext, ResponseEventStream, ResponsesAgentServerHost

app = ResponsesAgentServerHost()


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    text = await context.get_input_text()
    words = text.split()
    stats = {
        "text": text,
        "word_count": len(words),
        "longest_word": max(words, key=len, default=""),
        "is_question": text.rstrip().endswith("?"),
    }
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    for event in stream.output_item_structured_outputs(stats):
        yield event
    yield stream.emit_completed()


if __name__ == "__main__":
    app.run()
