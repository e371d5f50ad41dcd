"""Graceful shutdown: hearing SIGTERM/SIGINT, and draining the runs and streams in flight.

The host (server/host.py) owns the state (its runs, its open SSE responses, the shutting-down
flag); this module holds what happens to it: the signal hooks that start draining as soon as the
signal arrives, the drain itself (the grace period, then cancelling what still runs, then closing
the streams that tail responses running elsewhere) and the uvicorn server used by ``app.run()``.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsekit.server.runner import ResponseRun
    from responsekit.server.sse import EventStreamResponse


def chain_exit_signals(begin_shutdown: Callable[[], None]) -> None:
    """Under any ASGI server that handles SIGTERM/SIGINT in Python (uvicorn does), call
    ``begin_shutdown`` on the signal itself, then the server's own handler: the lifespan shutdown
    only comes once every connection has closed, which a streaming response may never do on its
    own. Only from the main thread; a handler already chained is not chained twice."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous) or getattr(previous, "_responsekit_drain", False):
            continue

        def on_signal(signum: int, frame: Any, previous: Callable = previous) -> None:
            loop.call_soon_threadsafe(begin_shutdown)
            previous(signum, frame)

        on_signal._responsekit_drain = True  # type: ignore[attr-defined]
        signal.signal(sig, on_signal)


async def drain(
    runs: Callable[[], Iterable[ResponseRun]],
    streams: Callable[[], Iterable[EventStreamResponse]],
    grace_seconds: float,
) -> None:
    """Give the runs in flight ``grace_seconds`` to finish, cancel those still running (each ends
    within its abandon margin even if its handler ignores the cancellation), then stop the SSE
    responses still open: they tail responses that run elsewhere (another replica), and end without
    an invented terminal event; their clients resume with Last-Event-ID.

    ``runs`` and ``streams`` are read afresh at each step (they change while draining)."""
    in_flight = list(runs())
    if in_flight:
        waits = [asyncio.ensure_future(run.done.wait()) for run in in_flight]
        await asyncio.wait(waits, timeout=grace_seconds)
        for wait in waits:
            wait.cancel()
    for run in list(runs()):
        run.cancel("shutdown")
    pending = [run.done.wait() for run in list(runs())]
    if pending:
        await asyncio.gather(*pending)
    for stream in list(streams()):
        stream.stop()


def draining_server(config: Any, begin_shutdown: Callable[[], None]) -> Any:
    """A uvicorn ``Server`` for ``config`` that calls ``begin_shutdown`` first on SIGTERM/SIGINT, so
    the host drains while the sockets close."""
    import uvicorn  # imported when serving, not when the package is imported

    server = uvicorn.Server(config)
    handle_exit = server.handle_exit

    def on_exit(sig: int, frame: Any) -> None:
        begin_shutdown()
        handle_exit(sig, frame)

    server.handle_exit = on_exit  # type: ignore[method-assign]
    return server
