"""responsekit streaming DELTAS text deltas, yielding to the event loop before each one, as a handler
relaying a model's tokens does (each event then reaches its reader on its own, not in a batch)."""

import asyncio
import os

from responsekit import ResponsesAgentServerHost, TextResponse

app = ResponsesAgentServerHost()
DELTAS = int(os.environ.get("DELTAS", "1000"))


async def _tokens(n: int):
    for _ in range(n):
        await asyncio.sleep(0)
        yield "tok "


@app.response_handler
async def paced(request, context, cancellation_signal):
    return TextResponse(context, request, text=_tokens(DELTAS))


if __name__ == "__main__":
    app.run(host="127.0.0.1", log_level="warning", access_log=False)
