"""Accept every natural form of handler and present it as one async iterator of events.

Forms: an async generator function; a sync generator function; an async or sync function that
returns a TextResponse, an async/sync iterable of events, or a generator.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

from responsekit.streaming.text_response import TextResponse


class HandlerReturnError(TypeError):
    """The handler returned something that is not a stream of events."""


async def handler_events(handler: Any, request: Any, context: Any, signal: Any) -> AsyncIterator[Any]:
    result = handler(request, context, signal)
    if inspect.isawaitable(result) and not inspect.isasyncgen(result):
        result = await result
    if result is None:
        return
    if isinstance(result, TextResponse) or isinstance(result, AsyncIterable):
        async for event in result:
            yield event
        return
    if isinstance(result, Iterable) and not isinstance(result, (str, bytes, dict)):
        for event in result:
            yield event
        return
    raise HandlerReturnError(
        f"the handler returned {type(result).__name__}; return a TextResponse or yield events "
        "from a ResponseEventStream"
    )
