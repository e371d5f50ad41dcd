"""Streaming upstream: forward the request to an upstream Responses endpoint and re-emit its stream.

The upstream is any Responses API (OpenAI, Azure OpenAI, another responsekit server), reached with
the `openai` client, configured by OPENAI_BASE_URL and OPENAI_API_KEY.
"""

import asyncio

from openai import AsyncOpenAI

from responsekit import (
    CreateResponse,
    ResponseContext,
    ResponseEventStream,
    ResponsesAgentServerHost,
    ResponsesServerOptions,
)

DEFAULT_MODEL = "gpt-4o-mini"  # for requests that name no model
app = ResponsesAgentServerHost(options=ResponsesServerOptions(default_model=DEFAULT_MODEL))
upstream = AsyncOpenAI()  # reads OPENAI_BASE_URL and OPENAI_API_KEY


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()

    events = await upstream.responses.create(
        model=request.get("model", DEFAULT_MODEL),
        input=request.get("input", ""),
        instructions=request.get("instructions"),
        stream=True,
    )
    usage = None
    async with events:  # a client hang-up cancels this handler, which closes the upstream stream
        async for event in events:
            if event.type == "response.output_item.added" and event.item.type == "message":
                message = stream.add_output_item_message()
                yield message.emit_added()
            elif event.type == "response.content_part.added" and event.part.type == "output_text":
                text = message.add_text_content()
                yield text.emit_added()
            elif event.type == "response.output_text.delta":
                yield text.emit_delta(event.delta)
            elif event.type == "response.output_text.annotation.added":
                yield text.emit_annotation_added(event.annotation)
            elif event.type == "response.output_text.done":
                yield text.emit_text_done()
            elif event.type == "response.content_part.done" and event.part.type == "output_text":
                yield text.emit_done()
            elif event.type == "response.output_item.done" and event.item.type == "message":
                yield message.emit_done()
            elif event.type == "response.completed":
                usage = event.response.usage
            elif event.type in ("response.failed", "response.incomplete"):
                yield stream.emit_failed(code="server_error", message="The upstream model did not finish.")
                return
    yield stream.emit_completed(usage=usage)


if __name__ == "__main__":
    app.run()
