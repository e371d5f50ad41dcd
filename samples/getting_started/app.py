"""Getting started: an echo agent in a few lines."""

import asyncio

from responsekit import CreateResponse, ResponseContext, ResponsesAgentServerHost, TextResponse

app = ResponsesAgentServerHost()


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    text = await context.get_input_text()
    return TextResponse(context, request, text=f"Echo: {text}")


if __name__ == "__main__":
    app.run()
