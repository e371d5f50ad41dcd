"""Accept every natural form of handler and present it as one async iterator of events.

Forms: an async generator function; a sync generator function; an async or sync function that
returns a TextResponse, an async/sync iterable of events, or a generator.

Sync code runs in a worker thread (as Starlette runs sync endpoints): a sync handler's call, and
each step of a sync iterator, so a blocking call in one never stalls the event loop, other
requests, keep-alives or a shared store's lease renewals. A cancelled wait on a worker thread
returns at once; the thread finishes on its own (its later events are dropped by the run).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

from anyio.to_thread import run_sync

# Threads come from anyio's default pool of the running loop (40 at once, shared with Starlette's
# sync endpoints), so a burst of blocking handlers queues rather than starving the process.
_END = object()


class HandlerReturnError(TypeError):
    """The handler returned something that is not a stream of events."""


#: Per handler, whether it is a plain sync callable: the inspection costs microseconds per request,
#: and a server calls the same few handlers again and again. Keyed by identity (a callable object
#: need not be hashable); the handler is kept alive with its answer, so an id is never reused.
_sync_callables: dict[int, tuple[Any, bool]] = {}


def _is_sync_callable(handler: Any) -> bool:
    """A plain function (or callable object) whose call does the work: not async, not a generator."""
    known = _sync_callables.get(id(handler))
    if known is not None and known[0] is handler:
        return known[1]
    answer = _inspect_sync_callable(handler)
    if len(_sync_callables) < 256:  # a server has a handful of handlers; never grows without bound
        _sync_callables[id(handler)] = (handler, answer)
    return answer


def _inspect_sync_callable(handler: Any) -> bool:
    targets = [handler]
    if not inspect.isroutine(handler):
        targets.append(handler.__call__)  # a callable object: its __call__ says what it is
    return not any(
        inspect.iscoroutinefunction(t) or inspect.isasyncgenfunction(t) or inspect.isgeneratorfunction(t)
        for t in targets
    )


async def open_handler(handler: Any, request: Any, context: Any, signal: Any) -> AsyncIterator[Any]:
    """Call the handler and return its events as one async iterator (no extra layer per event)."""
    if _is_sync_callable(handler):
        result = await run_sync(handler, request, context, signal, abandon_on_cancel=True)
    else:
        result = handler(request, context, signal)
    if inspect.isawaitable(result) and not inspect.isasyncgen(result):
        result = await result
    if result is None:
        return _no_events()
    if isinstance(result, AsyncIterable):  # async generators, TextResponse, other async iterables
        return result.__aiter__()
    if isinstance(result, Iterable) and not isinstance(result, (str, bytes, dict)):
        return _sync_events(iter(result))
    raise HandlerReturnError(
        f"the handler returned {type(result).__name__}; return a TextResponse or yield events "
        "from a ResponseEventStream"
    )


async def _sync_events(events: Iterator[Any]) -> AsyncIterator[Any]:
    try:
        while True:
            event = await run_sync(next, events, _END, abandon_on_cancel=True)
            if event is _END:
                return
            yield event
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            with contextlib.suppress(ValueError):  # still running in an abandoned thread: leave it
                close()


async def _no_events() -> AsyncIterator[Any]:
    return
    yield  # an async generator that yields nothing
