"""A replica for bench_redis: DELTAS deltas, one per millisecond, each carrying its emit time.

Each delta's text is ``time.monotonic_ns()`` when it was emitted (CLOCK_MONOTONIC: comparable
across processes on one machine). The first delta waits 0.3 s, so a reader on another replica has
joined and tails live events rather than replaying them.
"""

import asyncio
import os
import time

from responsekit import ResponseEventStream, ResponsesAgentServerHost

app = ResponsesAgentServerHost()
DELTAS = int(os.environ.get("DELTAS", "1000"))


@app.response_handler
async def timestamps(request, context, cancellation_signal):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    message = stream.add_output_item_message()
    yield message.emit_added()
    text = message.add_text_content()
    yield text.emit_added()
    await asyncio.sleep(0.3)
    for _ in range(DELTAS):
        yield text.emit_delta(str(time.monotonic_ns()))
        await asyncio.sleep(0.001)
    yield text.emit_text_done()
    yield text.emit_done()
    yield message.emit_done()
    yield stream.emit_completed()


if __name__ == "__main__":
    app.run(host="127.0.0.1", log_level="warning", access_log=False)
