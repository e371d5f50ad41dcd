"""Resilient streaming: a background response in three phases that survives the death of its process.

After each finished phase the handler records how far it got (`stream.internal_metadata`) and
yields `stream.checkpoint()`: the response as it stands (the finished messages, with their ids) is
stored durably. If the process dies, the next start of the server (SQLite) or another replica
(Redis) calls the handler again with `context.is_recovery` set and `context.persisted_response`
holding that checkpoint; the handler seeds its stream with it and goes on with the next phase.

`SIMULATE_CRASH_MS=2500` makes the process kill itself (SIGKILL: no cleanup, no terminal event)
that many milliseconds after a response's first run started; a recovery never does.
"""

import asyncio
import os
import signal

from responsekit import (
    CreateResponse,
    ResponseContext,
    ResponseEventStream,
    ResponsesAgentServerHost,
    ResponsesServerOptions,
)

app = ResponsesAgentServerHost(
    options=ResponsesServerOptions(
        resilient_background=True,  # background=true responses are re-entered after a crash
        store_url=os.environ.get("RESPONSEKIT_STORE") or "sqlite:///resilient_streaming.db",
    )
)

#: The three phases of the job, each streamed word by word as one message.
PHASES = [
    ["Phase 1: ", "gathered ", "the ", "sources."],
    ["Phase 2: ", "drafted ", "the ", "summary."],
    ["Phase 3: ", "checked ", "the ", "facts."],
]
STEP_SECONDS = 0.25  # one word: a phase takes about a second
CRASH_MS = int(os.environ.get("SIMULATE_CRASH_MS") or 0)


def crash() -> None:
    print(f"SIMULATE_CRASH_MS={CRASH_MS}: the process kills itself now", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    if context.is_recovery:
        # Seeded with the last checkpoint: the finished phases' messages are in the stream's output
        # with their ids (they are not emitted again), and internal_metadata says where to go on.
        stream = ResponseEventStream(response_id=context.response_id, response=context.persisted_response)
    else:
        stream = ResponseEventStream(response_id=context.response_id, request=request)
    timer = None
    if CRASH_MS and not context.is_recovery:
        timer = asyncio.get_running_loop().call_later(CRASH_MS / 1000, crash)
    try:
        yield stream.emit_created()  # on a recovery, the log has it already: not logged again
        yield stream.emit_in_progress()  # on a recovery, it carries the checkpointed messages
        for phase in range(stream.internal_metadata.get("phase", 0) + 1, len(PHASES) + 1):
            message = stream.add_output_item_message()
            yield message.emit_added()
            text = message.add_text_content()
            yield text.emit_added()
            for word in PHASES[phase - 1]:
                if cancellation_signal.is_set():
                    return  # cancelled: the runtime ends the response "cancelled"
                await asyncio.sleep(STEP_SECONDS)
                yield text.emit_delta(word)
            yield text.emit_text_done()
            yield text.emit_done()
            yield message.emit_done()
            stream.internal_metadata["phase"] = phase  # travels with the checkpoint, never sent
            yield stream.checkpoint()  # durable before the next phase starts
        yield stream.emit_completed()
    finally:
        if timer is not None:
            timer.cancel()  # the run ended before the simulated crash


if __name__ == "__main__":
    app.run()
