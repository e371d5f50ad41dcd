"""Full control: one greeting emitted three ways, all producing the same events.

Pick the way with the request's metadata: {"way": "convenience" | "streaming" | "builder"}.
"""

import asyncio

from responsekit import CreateResponse, ResponseContext, ResponseEventStream, ResponsesAgentServerHost

app = ResponsesAgentServerHost()

GREETING = "Hello, world!"


async def greeting_chunks():
    """Any async source of text: a model's token stream, a file, a queue..."""
    yield GREETING


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    way = stream.response.metadata.get("way", "convenience")  # the request's metadata, echoed
    yield stream.emit_created()
    yield stream.emit_in_progress()

    if way == "convenience":  # 1. one call emits the whole message
        for event in stream.output_item_message(GREETING):
            yield event

    elif way == "streaming":  # 2. the async twin: one delta per chunk of an async iterable
        async for event in stream.aoutput_item_message(greeting_chunks()):
            yield event

    else:  # 3. the builder API: every event by hand
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        yield text.emit_delta(GREETING)
        yield text.emit_text_done()
        yield text.emit_done()
        yield message.emit_done()

    yield stream.emit_completed()


if __name__ == "__main__":
    app.run()
