"""responsekit serving an echo handler (the benchmark's subject). DELTAS=n streams n deltas instead.

HANDLER=floor serves the least a handler can answer instead: ``response.created``,
``response.in_progress`` and ``response.completed``, no output (bench_http and bench_instructions
send it ``store: false``): what any response costs on this runtime, whatever its handler does.

With MALLOC_TRIM_ON_SIGUSR2=1 (glibc; the memory benchmark's trimmed twin), SIGUSR2 calls
``malloc_trim(0)``: the heap's free pages go back to the OS.

RETENTION_SECONDS sets the response and event-log retention (default an hour). The store is
RESPONSEKIT_STORE's (memory when unset). With TRACEMALLOC=1 (the memory benchmark's drift report)
tracemalloc traces allocations from the start, and each SIGUSR1 writes a heap snapshot to
TRACEMALLOC_DIR/snapshot-<n>.pickle (n = 1, 2, ...; written under another name, then renamed, so a
file that exists is complete).
"""

import os

if os.environ.get("TRACEMALLOC") == "1":  # before anything else is imported, so it is all traced
    import signal
    import tracemalloc

    tracemalloc.start(int(os.environ.get("TRACEMALLOC_FRAMES", "1")))
    _snapshots = 0

    def _dump_snapshot(*_: object) -> None:
        global _snapshots
        _snapshots += 1
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen *>")]
        )
        path = os.path.join(os.environ.get("TRACEMALLOC_DIR", "."), f"snapshot-{_snapshots}.pickle")
        snapshot.dump(path + ".part")
        os.replace(path + ".part", path)

    signal.signal(signal.SIGUSR1, _dump_snapshot)

from responsekit import (  # noqa: E402
    ResponseEventStream,
    ResponsesAgentServerHost,
    ResponsesServerOptions,
    TextResponse,
)

if os.environ.get("MALLOC_TRIM_ON_SIGUSR2") == "1":  # for the bench only: see the docstring
    import ctypes
    import signal

    signal.signal(signal.SIGUSR2, lambda *_: ctypes.CDLL("libc.so.6").malloc_trim(0))

retention = float(os.environ.get("RETENTION_SECONDS", "3600"))
options = ResponsesServerOptions(response_retention_seconds=retention, event_log_retention_seconds=retention)
app = ResponsesAgentServerHost(options=options)
DELTAS = int(os.environ.get("DELTAS", "0"))


async def _tokens(n: int):
    for _ in range(n):
        yield "tok "


FLOOR = os.environ.get("HANDLER") == "floor"


async def _floor(request, context):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    yield stream.emit_completed()


@app.response_handler
async def echo(request, context, cancellation_signal):
    if FLOOR:
        return _floor(request, context)
    if DELTAS:
        return TextResponse(context, request, text=_tokens(DELTAS))
    return TextResponse(context, request, text=f"Echo: {await context.get_input_text()}")


if __name__ == "__main__":
    app.run(host="127.0.0.1", log_level="warning", access_log=False)
