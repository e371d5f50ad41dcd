"""Open-items bookkeeping: which output items are still open, and closing them all as interrupted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from responsekit.streaming.events import StreamEvent
from responsekit.streaming.output_item_builder import DONE

if TYPE_CHECKING:
    from responsekit.streaming.output_item_builder import OutputItemBuilder


class _OpenItems:
    """ResponseEventStream's mixin tracking its unfinished items."""

    __slots__ = ()

    @property
    def open_items(self) -> list[OutputItemBuilder]:
        return [item for item in self._items if item._state is not DONE]

    # -- runtime support: ending a response whatever state it is in ------------------------------------
    def close_open_items(self) -> list[StreamEvent]:
        """Close every unfinished item (and part) as interrupted; returns the events emitted."""
        events: list[StreamEvent] = []
        if self._terminal is not None:
            return events
        if not self._created:
            events.append(self.emit_created())
        if not self._in_progress and any(item._state is not DONE for item in self._items):
            events.append(self.emit_in_progress())
        for item in self._items:
            events.extend(item._close_interrupted())
        return events
