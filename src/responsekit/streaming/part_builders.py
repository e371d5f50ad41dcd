"""Content-part and reasoning-summary-part builders: the state machines of the parts inside an item.

A part is added once inside an open item, then its deltas, then its text's done event once, then
done once; parts take the next index of their list in the order they are added.
"""

from __future__ import annotations

from typing import Any

from responsekit.streaming._generated_builders import (
    _ContentPartBuilderEvents,
    _ReasoningSummaryPartBuilderEvents,
    _ReasoningTextContentBuilderEvents,
    _RefusalContentBuilderEvents,
    _TextContentBuilderEvents,
)
from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.events import StreamEvent
from responsekit.streaming.output_item_builder import DONE, NEW, OPEN, OutputItemBuilder


class _PartBuilder:
    """Shared state of content parts and reasoning-summary parts."""

    __slots__ = ()
    _kind = "content"
    _list_key = "content"
    _text_field = "text"

    def _init_part(self, item: OutputItemBuilder, index: int | None, part: dict[str, Any]) -> None:
        self._stream = item._stream
        self._owner = item
        self._item_id = item._item_id
        self._output_index = item._output_index
        self._index = index
        self._part = part
        self._state = NEW
        self._chunks: list[str] = []
        self._final = False

    @property
    def text(self) -> str:
        """The text streamed so far."""
        return "".join(self._chunks)

    @property
    def state(self) -> str:
        return self._state

    def __repr__(self) -> str:
        return f"<{type(self).__name__} #{self._index} of item #{self._output_index} {self._state}>"

    def _refuse(self, event_type: str, rule: str) -> StreamOrderError:
        return StreamOrderError(
            f"{event_type} refused: {rule} ({self._kind} part #{self._index} of item #{self._output_index} "
            f"{self._item_id}, which is {self._state})"
        )

    def _pre_part_open(self, event_type: str) -> dict[str, Any]:
        self._stream._check_item_phase(event_type)
        if self._owner._state is not OPEN:
            raise self._refuse(
                event_type, f"its item is {self._owner._state}; parts live inside an open item"
            )
        if self._state is not NEW:
            raise self._refuse(event_type, "a part is added only once")
        # Parts take the next index of their list in the order they are added (clients append on
        # `added` and then address parts by index), whatever order their builders were made in.
        self._index = sum(
            1 for p in self._owner._parts if p._list_key == self._list_key and p._state is not NEW
        )
        return self._part

    def _post_part_open(self, event_type: str) -> None:
        self._state = OPEN

    def _pre_part_delta(self, event_type: str, delta: Any) -> None:
        if self._state is not OPEN or self._final:
            rule = "emit_added() the part first" if self._state is NEW else "its text is already done"
            raise self._refuse(event_type, rule)
        if type(delta) is not str:
            raise self._refuse(event_type, f"a delta is a str, not {type(delta).__name__}")

    def _post_part_delta(self, delta: str) -> None:
        self._chunks.append(delta)

    def _pre_part_final(self, event_type: str) -> str:
        if self._state is not OPEN or self._final:
            rule = "emit_added() the part first" if self._state is NEW else "its text is already done"
            raise self._refuse(event_type, rule)
        return "".join(self._chunks)

    def _post_part_final(self, value: str) -> None:
        self._part[self._text_field] = value
        self._final = True

    def _pre_part_close(self, event_type: str) -> dict[str, Any]:
        if self._state is not OPEN:
            raise self._refuse(
                event_type, "emit_added() the part first" if self._state is NEW else "already done"
            )
        if not self._final:
            raise self._refuse(event_type, "its text has no done event yet")
        return self._part

    def _post_part_close(self, part: dict[str, Any]) -> None:
        self._state = DONE

    def _close_interrupted(self) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if self._state is DONE:
            return events
        if self._state is NEW:
            events.append(self.emit_added())
        if not self._final:
            events.append(self._emit_final())
        events.append(self.emit_done())
        return events


class ContentPartBuilder(_PartBuilder, _ContentPartBuilderEvents):
    """A content part of an item (``content_index``)."""

    __slots__ = (
        "_stream",
        "_owner",
        "_item_id",
        "_output_index",
        "_index",
        "_part",
        "_state",
        "_chunks",
        "_final",
    )

    @property
    def _content_index(self) -> int:
        return self._index

    @property
    def content_index(self) -> int | None:
        """The part's index in its item's ``content`` (None until ``emit_added()``)."""
        return self._index


class TextContentBuilder(ContentPartBuilder, _TextContentBuilderEvents):
    """An ``output_text`` part: ``emit_added``, ``emit_delta``..., ``emit_text_done``, ``emit_done``."""

    __slots__ = ()
    _kind = "output_text"

    def _pre_annotation(self, event_type: str) -> int:
        if self._state is not OPEN:
            raise self._refuse(event_type, "annotations belong to an open text part")
        return len(self._part["annotations"])

    def _post_annotation(self, annotation: Any) -> None:
        self._part["annotations"].append(annotation)

    def _emit_final(self) -> StreamEvent:
        return self.emit_text_done()


class RefusalContentBuilder(ContentPartBuilder, _RefusalContentBuilderEvents):
    """A ``refusal`` part: ``emit_added``, ``emit_delta``..., ``emit_refusal_done``, ``emit_done``."""

    __slots__ = ()
    _kind = "refusal"
    _text_field = "refusal"

    def _emit_final(self) -> StreamEvent:
        return self.emit_refusal_done()


class ReasoningTextContentBuilder(ContentPartBuilder, _ReasoningTextContentBuilderEvents):
    """A ``reasoning_text`` part of a reasoning item."""

    __slots__ = ()
    _kind = "reasoning_text"

    def _emit_final(self) -> StreamEvent:
        return self.emit_text_done()


class ReasoningSummaryPartBuilder(_PartBuilder, _ReasoningSummaryPartBuilderEvents):
    """A summary part of a reasoning item (``summary_index``)."""

    __slots__ = (
        "_stream",
        "_owner",
        "_item_id",
        "_output_index",
        "_index",
        "_part",
        "_state",
        "_chunks",
        "_final",
    )
    _kind = "summary_text"
    _list_key = "summary"

    @property
    def _summary_index(self) -> int:
        return self._index

    @property
    def summary_index(self) -> int | None:
        """The part's index in its item's ``summary`` (None until ``emit_added()``)."""
        return self._index

    def _emit_final(self) -> StreamEvent:
        return self.emit_text_done()
