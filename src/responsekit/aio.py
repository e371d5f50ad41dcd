"""The async flavour of :class:`~responsekit.ResponseEventStream` (the peer package's ``aio`` module).

``responsekit.aio.ResponseEventStream`` is the same stream whose one-call ``output_item_*``
generators are async generators: use ``async for event in stream.output_item_message(chunks)``.
The text-like arguments (a message's text, a function call's arguments, a reasoning summary) take a
``str`` or an (async) iterable of chunks, one delta per chunk; ``output_item_image_gen_call`` takes
its partial images as ``partials=`` (an async iterable). Builders and ``emit_*`` methods are the
synchronous stream's.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

from responsekit.streaming.events import StreamEvent
from responsekit.streaming.item_generators import _aiter
from responsekit.streaming.stream import ResponseEventStream as _SyncStream

__all__ = ["ResponseEventStream"]


def _async_twin(name: str):
    sync = getattr(_SyncStream, name)

    @functools.wraps(sync)
    async def twin(self: _SyncStream, *args: Any, **kwargs: Any) -> AsyncIterator[StreamEvent]:
        for event in sync(self, *args, **kwargs):
            yield event

    return twin


class ResponseEventStream(_SyncStream):
    """A :class:`responsekit.ResponseEventStream` whose ``output_item_*`` generators are async."""

    async def output_item_message(  # type: ignore[override]
        self, text: str | AsyncIterable[str] | Iterable[str], *, annotations: Iterable[Any] = ()
    ) -> AsyncIterator[StreamEvent]:
        """A complete assistant message: ``text`` whole, or one delta per chunk of an iterable."""
        events = (
            _SyncStream.output_item_message(self, text, annotations=annotations or ())
            if isinstance(text, str)
            else None
        )
        if events is not None:
            for event in events:
                yield event
            return
        async for event in self.aoutput_item_message(text, annotations=annotations or ()):
            yield event

    async def output_item_function_call(  # type: ignore[override]
        self, name: str, call_id: str, arguments: str | AsyncIterable[str] | Iterable[str]
    ) -> AsyncIterator[StreamEvent]:
        """A complete function call: ``arguments`` whole, or one delta per chunk."""
        chunks = [arguments] if isinstance(arguments, str) else arguments
        async for event in self.aoutput_item_function_call(name, call_id, chunks):
            yield event

    async def output_item_reasoning_item(  # type: ignore[override]
        self, summary_text: str | AsyncIterable[str] | Iterable[str]
    ) -> AsyncIterator[StreamEvent]:
        """A complete reasoning item with one summary part: whole, or one delta per chunk."""
        chunks = [summary_text] if isinstance(summary_text, str) else summary_text
        async for event in self.aoutput_item_reasoning_item(chunks):
            yield event

    async def output_item_image_gen_call(  # type: ignore[override]
        self,
        result_base64: str,
        *,
        partials: AsyncIterable[str] | Iterable[str] | None = None,
        **partial_options: Any,
    ) -> AsyncIterator[StreamEvent]:
        """An image-generation call: in_progress, generating, each partial image as it comes,
        completed, done."""
        call = self.add_output_item_image_gen_call()
        yield call.emit_added()
        yield call.emit_in_progress()
        yield call.emit_generating()
        if partials is not None:
            async for partial in _aiter(partials):
                yield call.emit_partial_image(partial, **partial_options)
        call.set_result(result_base64)
        yield call.emit_completed()
        yield call.emit_done()


# Every other one-call generator, as an async generator over the synchronous one.
for _name in dir(_SyncStream):
    if _name.startswith("output_item") and _name not in vars(ResponseEventStream):
        setattr(ResponseEventStream, _name, _async_twin(_name))
del _name
