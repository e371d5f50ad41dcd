"""Durable SQLite: a notebook whose responses survive a restart of the server.

The store is a SQLite file (`sqlite:///responses.db` by default, relative to the working directory;
`RESPONSEKIT_STORE` picks another). Stop the server, start it again on the same file: GET, stream
replay, input_items and `previous_response_id` chains serve what was stored before.
"""

import asyncio
import os

from responsekit import (
    CreateResponse,
    ResponseContext,
    ResponsesAgentServerHost,
    ResponsesServerOptions,
    TextResponse,
)

app = ResponsesAgentServerHost(
    options=ResponsesServerOptions(store_url=os.environ.get("RESPONSEKIT_STORE") or "sqlite:///responses.db")
)


def text_of(item: dict) -> str:
    return " ".join(part["text"] for part in item.get("content") or [] if part.get("text"))


async def words(text: str):
    """The answer one word at a time (one delta event each, replayed byte for byte later)."""
    for i, word in enumerate(text.split(" ")):
        await asyncio.sleep(0.01)
        yield word if i == 0 else " " + word


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    note = await context.get_input_text()
    # The earlier notes of this chain (previous_response_id), read from the SQLite file.
    history = [item.model_dump(mode="json") for item in await context.get_history()]
    notes = [text_of(item) for item in history if item.get("role") == "user"] + [note]
    return TextResponse(context, request, text=words(f"Note {len(notes)} saved. Notes: {'; '.join(notes)}."))


if __name__ == "__main__":
    app.run()
