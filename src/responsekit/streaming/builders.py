"""Output-item and content-part builders: the state machines behind the generated emit_* methods.

Each generated method calls ``_pre_<role>`` (check the rules, raise before anything is emitted),
commits the payload to the stream, then ``_post_<role>`` (advance the state). The rules:

- an item is added once, then its events, then done once; a part likewise inside an open item;
- a streamed value (text, arguments, code, input) gets its ``*.done`` event once, after which no
  more deltas; a part is done only after its text is done; an item is done only when all its parts
  are done and its streamed field, if any, is done;
- item events need ``response.in_progress`` first and nothing may follow the terminal event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from responsekit.streaming._generated_builders import (
    _CodeInterpreterCallItemBuilderEvents,
    _CompactionItemBuilderEvents,
    _ContentPartBuilderEvents,
    _CustomToolCallItemBuilderEvents,
    _FileSearchCallItemBuilderEvents,
    _FunctionCallItemBuilderEvents,
    _ImageGenCallItemBuilderEvents,
    _McpCallItemBuilderEvents,
    _McpListToolsItemBuilderEvents,
    _OutputItemBuilderEvents,
    _ReasoningSummaryPartBuilderEvents,
    _ReasoningTextContentBuilderEvents,
    _RefusalContentBuilderEvents,
    _ShellCallItemBuilderEvents,
    _ShellCallOutputItemBuilderEvents,
    _TextContentBuilderEvents,
    _WebSearchCallItemBuilderEvents,
)
from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.events import StreamEvent, _plain

if TYPE_CHECKING:
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


# ---------------------------------------------------------------------------------- item builders


class MessageItemBuilder(OutputItemBuilder):
    """An assistant ``message``: add text or refusal parts, then ``emit_done()``."""

    __slots__ = ()

    def add_text_content(self) -> TextContentBuilder:
        part = TextContentBuilder()
        part._init_part(self, None, {"type": "output_text", "text": "", "annotations": [], "logprobs": []})
        self._parts.append(part)
        return part

    def add_refusal_content(self) -> RefusalContentBuilder:
        part = RefusalContentBuilder()
        part._init_part(self, None, {"type": "refusal", "refusal": ""})
        self._parts.append(part)
        return part


class ReasoningItemBuilder(OutputItemBuilder):
    """A ``reasoning`` item: summary parts (and optionally reasoning-text parts), then done."""

    __slots__ = ()

    def add_summary_part(self) -> ReasoningSummaryPartBuilder:
        part = ReasoningSummaryPartBuilder()
        part._init_part(self, None, {"type": "summary_text", "text": ""})
        self._parts.append(part)
        return part

    def add_text_content(self) -> ReasoningTextContentBuilder:
        part = ReasoningTextContentBuilder()
        part._init_part(self, None, {"type": "reasoning_text", "text": ""})
        self._parts.append(part)
        return part


class FunctionCallItemBuilder(OutputItemBuilder, _FunctionCallItemBuilderEvents):
    """A ``function_call``: ``emit_arguments_delta``..., ``emit_arguments_done``."""

    __slots__ = ()
    _delta_field = "arguments"

    def _emit_final(self) -> StreamEvent:
        return self.emit_arguments_done()


class FileSearchCallItemBuilder(OutputItemBuilder, _FileSearchCallItemBuilderEvents):
    """A ``file_search_call``: in_progress, searching, completed."""

    __slots__ = ()


class WebSearchCallItemBuilder(OutputItemBuilder, _WebSearchCallItemBuilderEvents):
    """A ``web_search_call``: in_progress, searching, completed."""

    __slots__ = ()
    _interrupted_status = "failed"  # its status has no "incomplete"


class CodeInterpreterCallItemBuilder(OutputItemBuilder, _CodeInterpreterCallItemBuilderEvents):
    """A ``code_interpreter_call``: in_progress, code deltas, code done, interpreting, completed."""

    __slots__ = ()
    _delta_field = "code"

    def _emit_final(self) -> StreamEvent:
        return self.emit_code_done()


class ImageGenCallItemBuilder(OutputItemBuilder, _ImageGenCallItemBuilderEvents):
    """An ``image_generation_call``: in_progress, generating, partial images, completed."""

    __slots__ = ()
    _interrupted_status = "failed"  # its status has no "incomplete"

    def set_result(self, result_b64: str) -> None:
        """The final image (base64), carried by the done event."""
        self._item["result"] = result_b64


class McpCallItemBuilder(OutputItemBuilder, _McpCallItemBuilderEvents):
    """An ``mcp_call``: in_progress, argument deltas, arguments done, completed or failed."""

    __slots__ = ()
    _delta_field = "arguments"

    def _emit_final(self) -> StreamEvent:
        return self.emit_arguments_done()

    def set_output(self, output: str | None = None, error: Any = None) -> None:
        """What the MCP tool returned (or its error), carried by the done event."""
        self._item["output"] = output
        self._item["error"] = _plain(error)


class McpListToolsItemBuilder(OutputItemBuilder, _McpListToolsItemBuilderEvents):
    """An ``mcp_list_tools`` item: in_progress, completed or failed."""

    __slots__ = ()

    def set_tools(self, tools: Any) -> None:
        self._item["tools"] = _plain(list(tools))


class CustomToolCallItemBuilder(OutputItemBuilder, _CustomToolCallItemBuilderEvents):
    """A ``custom_tool_call``: ``emit_input_delta``..., ``emit_input_done``."""

    __slots__ = ()
    _delta_field = "input"

    def _emit_final(self) -> StreamEvent:
        return self.emit_input_done()


class ShellCallItemBuilder(OutputItemBuilder, _ShellCallItemBuilderEvents):
    """A ``shell_call``: command added / delta / done events."""

    __slots__ = ()


class ShellCallOutputItemBuilder(OutputItemBuilder, _ShellCallOutputItemBuilderEvents):
    """A ``shell_call_output``: output content delta / done events."""

    __slots__ = ()


class CompactionItemBuilder(OutputItemBuilder, _CompactionItemBuilderEvents):
    """A ``compaction`` item: ``emit_compacting`` while it is produced."""

    __slots__ = ()


class GenericItemBuilder(OutputItemBuilder):
    """Any other item kind: ``emit_added()`` then ``emit_done()``, with the item as given."""

    __slots__ = ()
