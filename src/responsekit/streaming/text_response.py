"""TextResponse: the whole lifecycle of a one-message text answer, from a string or a token stream."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Any

from responsekit.streaming.events import StreamEvent
from responsekit.streaming.snapshot import ResponseSnapshot
from responsekit.streaming.stream import ResponseEventStream

TextSource = str | AsyncIterable[str] | Iterable[str] | Callable[[], Any]


class TextResponse:
    """Return this from a handler: created, in_progress, one message, completed.

    ``text`` is a string (one delta), an async iterable of chunks (one delta each), or a callable
    returning either (awaitable or not). ``configure`` receives the response snapshot before
    ``response.created`` so the handler can set fields (e.g. metadata) on it.
    """

    def __init__(
        self,
        context: Any,
        request: Any,
        *,
        text: TextSource,
        configure: Callable[[ResponseSnapshot], Any] | None = None,
    ) -> None:
        self.context = context
        self.request = request
        self.text = text
        self.configure = configure
        self.stream = ResponseEventStream(response_id=getattr(context, "response_id", None), request=request)

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        stream = self.stream
        if self.configure is not None:
            result = self.configure(stream.response)
            if inspect.isawaitable(result):
                await result
        yield stream.emit_created()
        yield stream.emit_in_progress()
        source = self.text
        if callable(source):
            source = source()
            if inspect.isawaitable(source):
                source = await source
        if isinstance(source, str):
            for event in stream.output_item_message(source):
                yield event
        else:
            async for event in stream.aoutput_item_message(source):
                yield event
        yield stream.emit_completed()


__all__ = ["TextResponse"]
