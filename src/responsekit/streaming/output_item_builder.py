"""OutputItemBuilder: the state machine of one output item, base of every item builder.

An item is added once, then its events, then done once; a streamed value (arguments, code, input)
gets its ``*.done`` event once, after which no more deltas; an item is done only when all its parts
are done and its streamed field, if any, is done. The item states are defined here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from responsekit.streaming._generated_builders import _OutputItemBuilderEvents
from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.events import StreamEvent

if TYPE_CHECKING:
    from responsekit.streaming.part_builders import _PartBuilder
    from responsekit.streaming.stream import ResponseEventStream

NEW, OPEN, DONE = "not yet added", "open", "done"
# Item statuses that mean "still running"; an item's done event reports "completed" instead.
_RUNNING = {"in_progress", "searching", "generating", "interpreting", "calling"}


class OutputItemBuilder(_OutputItemBuilderEvents):
    """One output item: ``emit_added()``, its own events, then ``emit_done()``."""

    __slots__ = (
        "_stream",
        "_output_index",
        "_item_id",
        "_item",
        "_state",
        "_parts",
        "_chunks",
        "_final_done",
        "_counter",
    )
    #: The item field streamed by this item's delta events, if it has any.
    _delta_field: str | None = None
    #: The status an item gets when the response ends before the item did.
    _interrupted_status = "incomplete"

    def __init__(self, stream: ResponseEventStream, output_index: int | None, item: dict[str, Any]) -> None:
        self._stream = stream
        # The item's position in `output`, fixed by emit_added(): items take the next index in the
        # order they are added, whatever order their builders were made in.
        self._output_index = output_index
        self._item = item
        self._item_id = item.get("id")
        self._state = NEW
        self._parts: list[_PartBuilder] = []
        self._chunks: list[str] = []
        self._final_done = False
        self._counter = 0

    # -- read-only views -----------------------------------------------------------------------
    @property
    def item_id(self) -> str | None:
        return self._item_id

    @property
    def output_index(self) -> int | None:
        """The item's index in ``output`` (None until ``emit_added()``)."""
        return self._output_index

    @property
    def item(self) -> dict[str, Any]:
        """The item as it stands (the done event carries its final form)."""
        return self._item

    @property
    def state(self) -> str:
        return self._state

    def __repr__(self) -> str:
        return f"<{type(self).__name__} #{self._output_index} {self._item.get('type')} {self._state}>"

    # -- rule checks -----------------------------------------------------------------------------
    def _refuse(self, event_type: str, rule: str) -> StreamOrderError:
        return StreamOrderError(
            f"{event_type} refused: {rule} (item #{self._output_index} {self._item.get('type')} "
            f"{self._item_id}, which is {self._state})"
        )

    def _require_open(self, event_type: str) -> None:
        self._stream._check_item_phase(event_type)
        if self._state is not OPEN:
            rule = "emit_added() the item first" if self._state is NEW else "the item is already done"
            raise self._refuse(event_type, rule)

    def _pre_item_open(self, event_type: str) -> dict[str, Any]:
        self._stream._check_item_phase(event_type)
        if self._state is not NEW:
            raise self._refuse(event_type, "an item is added only once")
        self._output_index = self._stream._added_items
        return self._item

    def _post_item_open(self, event_type: str) -> None:
        self._state = OPEN
        self._stream._added_items += 1
        for part in self._parts:  # parts made before the item was added
            part._output_index = self._output_index

    def _pre_item_close(self, event_type: str) -> dict[str, Any]:
        self._require_open(event_type)
        for part in self._parts:
            if part._state is not DONE:
                raise self._refuse(
                    event_type,
                    f"its {part._kind} part #{part._index} is {part._state}; emit that part's done first",
                )
        if self._chunks and not self._final_done:
            raise self._refuse(event_type, f"its streamed {self._delta_field} has no done event yet")
        return self._final_item()

    def _post_item_close(self, item: dict[str, Any]) -> None:
        self._state = DONE
        self._item = item
        self._stream._item_finished(self, item)

    def _pre_item_progress(self, event_type: str) -> None:
        self._require_open(event_type)

    def _post_item_progress(self, status: str) -> None:
        self._item["status"] = status

    def _pre_item_delta(self, event_type: str, delta: Any) -> None:
        self._require_open(event_type)
        if self._final_done:
            raise self._refuse(event_type, f"its {self._delta_field} is already done")
        if not isinstance(delta, str):
            raise self._refuse(event_type, f"a delta is a str, not {type(delta).__name__}")

    def _post_item_delta(self, delta: str) -> None:
        self._chunks.append(delta)

    def _pre_item_final(self, event_type: str) -> str:
        self._require_open(event_type)
        if self._final_done:
            raise self._refuse(event_type, f"its {self._delta_field} is already done")
        if self._chunks:
            return "".join(self._chunks)
        return self._item.get(self._delta_field) or ""

    def _post_item_final(self, value: str) -> None:
        self._item[self._delta_field] = value
        self._final_done = True

    def _final_item(self) -> dict[str, Any]:
        item = dict(self._item)
        if item.get("status") in _RUNNING:
            item["status"] = "completed"
        lists: dict[str, list] = {}
        for part in sorted(self._parts, key=lambda p: p._index):
            lists.setdefault(part._list_key, []).append(part._part)
        item.update(lists)
        return item

    # -- used by the runtime when a response ends early ----------------------------------------------
    def _close_interrupted(self) -> list[StreamEvent]:
        """Close this item now (parts first), marked as interrupted; returns the events."""
        events: list[StreamEvent] = []
        if self._state is DONE:
            return events
        if self._state is NEW:
            events.append(self.emit_added())
        for part in self._parts:
            events.extend(part._close_interrupted())
        if self._chunks and not self._final_done:
            events.append(self._emit_final())
        if "status" in self._item and self._interrupted_status:
            self._item["status"] = self._interrupted_status
        events.append(self.emit_done())
        return events

    def _emit_final(self) -> StreamEvent:
        raise NotImplementedError  # builders with a delta field override this
