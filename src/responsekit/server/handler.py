"""Accept every natural form of handler and present it as one async iterator of events.

Forms: an async generator function; a sync generator function; an async or sync function that
returns a TextResponse, an async/sync iterable of events, or a generator.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any


class HandlerReturnError(TypeError):
    """The handler returned something that is not a stream of events."""


async def open_handler(handler: Any, request: Any, context: Any, signal: Any) -> AsyncIterator[Any]:
    """Call the handler and return its events as one async iterator (no extra layer per event)."""
    result = handler(request, context, signal)
    if inspect.isawaitable(result) and not inspect.isasyncgen(result):
        result = await result
    if result is None:
        return _no_events()
    if isinstance(result, AsyncIterable):  # async generators, TextResponse, other async iterables
        return result.__aiter__()
    if isinstance(result, Iterable) and not isinstance(result, (str, bytes, dict)):
        return _sync_events(result)
    raise HandlerReturnError(
        f"the handler returned {type(result).__name__}; return a TextResponse or yield events "
        "from a ResponseEventStream"
    )


async def _sync_events(events: Iterable[Any]) -> AsyncIterator[Any]:
    for event in events:
        yield event


async def _no_events() -> AsyncIterator[Any]:
    return
    yield  # an async generator that yields nothing
