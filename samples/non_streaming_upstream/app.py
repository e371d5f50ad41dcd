"""Non-streaming upstream: call an upstream Responses endpoint once and emit its output as items.

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
    yield stream.emit_in_progress()  # clients see progress while the upstream works

    result = await upstream.responses.create(
        model=request.get("model", DEFAULT_MODEL),
        input=request.get("input", ""),
        instructions=request.get("instructions"),
        tools=request.get("tools", []),
    )

    for item in result.output:
        if item.type == "message":
            message = stream.add_output_item_message()
            yield message.emit_added()
            for part in item.content:
                if part.type == "output_text":
                    text = message.add_text_content()
                    yield text.emit_added()
                    yield text.emit_delta(part.text)
                    for annotation in part.annotations:
                        yield text.emit_annotation_added(annotation)
                    yield text.emit_text_done()
                    yield text.emit_done()
            yield message.emit_done()
        elif item.type == "function_call":
            call = stream.add_output_item_function_call(item.name, item.call_id)
            yield call.emit_added()
            yield call.emit_arguments_delta(item.arguments)
            yield call.emit_arguments_done()
            yield call.emit_done()
    yield stream.emit_completed(usage=result.usage)


if __name__ == "__main__":
    app.run()
