"""A resilient server for the process-recovery tests: ``python resilient_app.py`` with PORT,
RESPONSEKIT_STORE (SQLite or Redis) and RECOVERY_MARKS set.

Options from the environment: RECOVERY_LEASE_SECONDS (default 1.0), RECOVERY_MAX_ATTEMPTS
(``max_recovery_attempts``, default 3), REPLICA_NAME (written into the marks).

The request's model picks the handler:

- ``phases``: three phases, each one message (four deltas, ``PHASE_STEP_SECONDS`` apart), with
  ``stream.internal_metadata["phase"]`` set and a checkpoint after each. A phase's text says which
  run wrote it: ``phase 2 (recovery)`` when ``context.is_recovery``, else ``phase 2 (first run)``.
- ``crashy``: the same phases, but the process SIGKILLs itself right after the first checkpoint of
  every run (first or recovered): it never finishes on its own.

The handler leaves marks as files in $RECOVERY_MARKS so a test sees what happened inside which
process: ``<id>.run<k>`` when the k-th run (0: the first) starts, holding JSON
``{"replica", "is_recovery", "phase"}``; ``<id>.checkpoint<n>`` once phase n's checkpoint is stored
(the handler goes on only after the runtime saved it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions

NAME = os.environ.get("REPLICA_NAME", "replica")
MARKS = Path(os.environ["RECOVERY_MARKS"])
PHASES = 3
DELTAS = 4
PHASE_STEP_SECONDS = float(os.environ.get("PHASE_STEP_SECONDS", "0.1"))

app = ResponsesAgentServerHost(
    options=ResponsesServerOptions(
        resilient_background=True,
        lease_seconds=float(os.environ.get("RECOVERY_LEASE_SECONDS", "1.0")),
        max_recovery_attempts=int(os.environ.get("RECOVERY_MAX_ATTEMPTS", "3")),
        sse_keep_alive_interval_seconds=60.0,
        shutdown_grace_period_seconds=1.0,
    )
)


def mark(response_id: str, name: str, content: str = "") -> None:
    path = MARKS / f"{response_id}.{name}"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(content or NAME)
    tmp.replace(path)  # atomic: a reader never sees an empty mark


def next_run(response_id: str) -> int:
    run = 0
    while (MARKS / f"{response_id}.run{run}").exists():
        run += 1
    return run


@app.response_handler
async def handler(request, context, cancellation_signal):
    rid = context.response_id
    if context.is_recovery:
        stream = ResponseEventStream(response_id=rid, response=context.persisted_response)
    else:
        stream = ResponseEventStream(response_id=rid, request=request)
    done = stream.internal_metadata.get("phase", 0)
    mark(
        rid,
        f"run{next_run(rid)}",
        json.dumps({"replica": NAME, "is_recovery": context.is_recovery, "phase": done}),
    )
    who = "recovery" if context.is_recovery else "first run"
    yield stream.emit_created()
    yield stream.emit_in_progress()
    for phase in range(done + 1, PHASES + 1):
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        for i in range(DELTAS):
            await asyncio.sleep(PHASE_STEP_SECONDS)
            yield text.emit_delta(f"phase {phase} ({who})" if i == 0 else f" .{i}")
        yield text.emit_text_done()
        yield text.emit_done()
        yield message.emit_done()
        stream.internal_metadata["phase"] = phase
        yield stream.checkpoint()
        mark(rid, f"checkpoint{phase}")
        if request.model == "crashy":
            os.kill(os.getpid(), signal.SIGKILL)
    yield stream.emit_completed()


if __name__ == "__main__":
    app.run(host="127.0.0.1", log_level="warning")
