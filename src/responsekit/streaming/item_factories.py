"""Item factories: ResponseEventStream's add_output_item_* methods, one per item kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from responsekit.ids import new_id
from responsekit.streaming.events import _plain
from responsekit.streaming.item_builders import (
    CodeInterpreterCallItemBuilder,
    CompactionItemBuilder,
    CustomToolCallItemBuilder,
    FileSearchCallItemBuilder,
    FunctionCallItemBuilder,
    GenericItemBuilder,
    ImageGenCallItemBuilder,
    McpCallItemBuilder,
    McpListToolsItemBuilder,
    MessageItemBuilder,
    ReasoningItemBuilder,
    ShellCallItemBuilder,
    ShellCallOutputItemBuilder,
    WebSearchCallItemBuilder,
)
from responsekit.streaming.output_item_builder import OutputItemBuilder


class _ItemFactories:
    """ResponseEventStream's mixin making (and registering) an item builder for each item kind."""

    __slots__ = ()

    # -- item builders ------------------------------------------------------------------------------
    def _add(self, cls: type[OutputItemBuilder], item: dict[str, Any]) -> Any:
        if self._terminal is not None:
            raise self._refuse(
                "response.output_item.added", f"nothing may follow the terminal event {self._terminal}"
            )
        builder = cls(self, None, item)
        self._items.append(builder)
        return builder

    def add_output_item_message(self, *, role: str = "assistant", **fields: Any) -> MessageItemBuilder:
        item = {
            "id": new_id("message"),
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": role,
        }
        return self._add(MessageItemBuilder, {**item, **_plain(fields)})

    def add_output_item_function_call(
        self, name: str, call_id: str, **fields: Any
    ) -> FunctionCallItemBuilder:
        item = {
            "id": new_id("function_call"),
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": call_id,
            "name": name,
        }
        return self._add(FunctionCallItemBuilder, {**item, **_plain(fields)})

    def add_output_item_function_call_output(
        self, call_id: str, output: Any, **fields: Any
    ) -> GenericItemBuilder:
        item = {
            "id": new_id("function_call_output"),
            "type": "function_call_output",
            "call_id": call_id,
            "output": _plain(output),
            "status": "completed",
        }
        return self._add(GenericItemBuilder, {**item, **_plain(fields)})

    def add_output_item_reasoning_item(self, **fields: Any) -> ReasoningItemBuilder:
        item = {"id": new_id("reasoning"), "type": "reasoning", "summary": [], "status": "in_progress"}
        return self._add(ReasoningItemBuilder, {**item, **_plain(fields)})

    def add_output_item_file_search_call(
        self, queries: Sequence[str] = (), **fields: Any
    ) -> FileSearchCallItemBuilder:
        item = {
            "id": new_id("file_search_call"),
            "type": "file_search_call",
            "status": "in_progress",
            "queries": list(queries),
            "results": None,
        }
        return self._add(FileSearchCallItemBuilder, {**item, **_plain(fields)})

    def add_output_item_web_search_call(self, action: Any = None, **fields: Any) -> WebSearchCallItemBuilder:
        item = {
            "id": new_id("web_search_call"),
            "type": "web_search_call",
            "status": "in_progress",
            "action": _plain(action) if action is not None else {"type": "search", "query": ""},
        }
        return self._add(WebSearchCallItemBuilder, {**item, **_plain(fields)})

    def add_output_item_code_interpreter_call(
        self, container_id: str = "", **fields: Any
    ) -> CodeInterpreterCallItemBuilder:
        item = {
            "id": new_id("code_interpreter_call"),
            "type": "code_interpreter_call",
            "status": "in_progress",
            "container_id": container_id,
            "code": "",
            "outputs": None,
        }
        return self._add(CodeInterpreterCallItemBuilder, {**item, **_plain(fields)})

    def add_output_item_image_gen_call(self, **fields: Any) -> ImageGenCallItemBuilder:
        item = {
            "id": new_id("image_generation_call"),
            "type": "image_generation_call",
            "status": "in_progress",
            "result": None,
        }
        return self._add(ImageGenCallItemBuilder, {**item, **_plain(fields)})

    def add_output_item_mcp_call(self, server_label: str, name: str, **fields: Any) -> McpCallItemBuilder:
        item = {
            "id": new_id("mcp_call"),
            "type": "mcp_call",
            "status": "in_progress",
            "server_label": server_label,
            "name": name,
            "arguments": "",
            "output": None,
            "error": None,
        }
        return self._add(McpCallItemBuilder, {**item, **_plain(fields)})

    def add_output_item_mcp_list_tools(
        self, server_label: str, tools: Sequence[Any] = (), **fields: Any
    ) -> McpListToolsItemBuilder:
        item = {
            "id": new_id("mcp_list_tools"),
            "type": "mcp_list_tools",
            "server_label": server_label,
            "tools": _plain(list(tools)),
            "error": None,
        }
        return self._add(McpListToolsItemBuilder, {**item, **_plain(fields)})

    def add_output_item_custom_tool_call(
        self, name: str, call_id: str, **fields: Any
    ) -> CustomToolCallItemBuilder:
        item = {
            "id": new_id("custom_tool_call"),
            "type": "custom_tool_call",
            "call_id": call_id,
            "name": name,
            "input": "",
        }
        return self._add(CustomToolCallItemBuilder, {**item, **_plain(fields)})

    def add_output_item_shell_call(self, call_id: str, action: Any, **fields: Any) -> ShellCallItemBuilder:
        item = {
            "id": new_id("shell_call"),
            "type": "shell_call",
            "call_id": call_id,
            "action": _plain(action),
            "status": "in_progress",
            "environment": None,
        }
        return self._add(ShellCallItemBuilder, {**item, **_plain(fields)})

    def add_output_item_shell_call_output(self, call_id: str, **fields: Any) -> ShellCallOutputItemBuilder:
        item = {
            "id": new_id("shell_call_output"),
            "type": "shell_call_output",
            "call_id": call_id,
            "status": "in_progress",
            "output": [],
            "max_output_length": None,
        }
        return self._add(ShellCallOutputItemBuilder, {**item, **_plain(fields)})

    def add_output_item_compaction(self, encrypted_content: str = "", **fields: Any) -> CompactionItemBuilder:
        item = {"id": new_id("compaction"), "type": "compaction", "encrypted_content": encrypted_content}
        return self._add(CompactionItemBuilder, {**item, **_plain(fields)})

    def add_output_item_structured_outputs(self, output: Any) -> GenericItemBuilder:
        return self._add(
            GenericItemBuilder,
            {"id": new_id("structured_outputs"), "type": "structured_outputs", "output": _plain(output)},
        )

    def add_output_item(self, item: Mapping[str, Any] | Any) -> GenericItemBuilder:
        """Any item kind, given whole (an id is assigned when it has none)."""
        data = _plain(item)
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise TypeError("add_output_item() needs an item with a string `type`")
        data.setdefault("id", new_id(data["type"]))
        return self._add(GenericItemBuilder, data)
