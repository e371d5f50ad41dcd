"""Item builders: one OutputItemBuilder subclass per item kind, with its parts and streamed field."""

from __future__ import annotations

from typing import Any

from responsekit.streaming._generated_builders import (
    _CodeInterpreterCallItemBuilderEvents,
    _CompactionItemBuilderEvents,
    _CustomToolCallItemBuilderEvents,
    _FileSearchCallItemBuilderEvents,
    _FunctionCallItemBuilderEvents,
    _ImageGenCallItemBuilderEvents,
    _McpCallItemBuilderEvents,
    _McpListToolsItemBuilderEvents,
    _ShellCallItemBuilderEvents,
    _ShellCallOutputItemBuilderEvents,
    _WebSearchCallItemBuilderEvents,
)
from responsekit.streaming.events import StreamEvent, _plain
from responsekit.streaming.output_item_builder import OutputItemBuilder
from responsekit.streaming.part_builders import (
    ReasoningSummaryPartBuilder,
    ReasoningTextContentBuilder,
    RefusalContentBuilder,
    TextContentBuilder,
)


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
