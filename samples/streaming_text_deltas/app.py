"""Streaming text deltas: a TextResponse fed token by token from an async generator."""

import asyncio

from responsekit import CreateResponse, ResponseContext, ResponsesAgentServerHost, TextResponse

app = ResponsesAgentServerHost()


async def tokens(text: str):
    """Stands in for a model: yields the answer one word at a time."""
    for i, word in enumerate(text.split(" ")):
        await asyncio.sleep(0.05)  # "thinking"
        yield word if i == 0 else " " + word


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    question = await context.get_input_text()

    def configure(response):
        # Runs before response.created: set fields of the response the client will see.
        response.metadata = {**response.metadata, "streamed": "word-by-word"}

    return TextResponse(context, request, text=tokens(f"You said: {question}"), configure=configure)


if __name__ == "__main__":
    app.run()
