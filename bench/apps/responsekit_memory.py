"""responsekit for the memory benchmark: a handler whose event log is large, or one that waits.

Input ``big``: one message of DELTAS deltas of DELTA_BYTES bytes each (the log is about 5x
DELTAS * DELTA_BYTES, as every ``*.done`` event and the terminal one repeat the whole text).
Any other input: the response opens its message, then waits until it is cancelled (or its client
disconnects), so the stream stays open. With ``MALLOC_TRIM_ON_SIGUSR2=1`` (glibc), SIGUSR2 calls
``malloc_trim(0)``.
"""

import ctypes
import os
import signal

from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions

app = ResponsesAgentServerHost(
    options=ResponsesServerOptions(store_url=os.environ.get("RESPONSEKIT_STORE") or "memory")
)
DELTAS = int(os.environ.get("DELTAS", "1000"))
DELTA_BYTES = int(os.environ.get("DELTA_BYTES", "2000"))


@app.response_handler
async def handler(request, context, cancellation_signal):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    message = stream.add_output_item_message()
    yield message.emit_added()
    text = message.add_text_content()
    yield text.emit_added()
    if await context.get_input_text() != "big":
        await cancellation_signal.wait()
        return
    chunk = "x" * DELTA_BYTES
    for _ in range(DELTAS):
        yield text.emit_delta(chunk)
    yield text.emit_text_done()
    yield text.emit_done()
    yield message.emit_done()
    yield stream.emit_completed()


if os.environ.get("MALLOC_TRIM_ON_SIGUSR2") and hasattr(signal, "SIGUSR2"):
    # For the bench only: SIGUSR2 hands the heap's free pages back to the OS (glibc malloc_trim),
    # telling memory kept by the allocator from memory still in use.
    signal.signal(signal.SIGUSR2, lambda *_: ctypes.CDLL("libc.so.6").malloc_trim(0))


if __name__ == "__main__":
    app.run(host="127.0.0.1", log_level="warning", access_log=False, backlog=4096)
