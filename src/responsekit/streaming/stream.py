"""ResponseEventStream: the response-level builder, and the factory of every item builder."""

from __future__ import annotations

import typing
from collections.abc import AsyncIterable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from responsekit.ids import new_id
from responsekit.models import _generated as models
from responsekit.models._generated_constants import ERROR_CODES, INCOMPLETE_REASONS
from responsekit.streaming._generated_builders import _ResponseEventStreamEvents
from responsekit.streaming.builders import (
    DONE,
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
    OutputItemBuilder,
    ReasoningItemBuilder,
    ShellCallItemBuilder,
    ShellCallOutputItemBuilder,
    WebSearchCallItemBuilder,
)
from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.events import StreamEvent, _plain, encode_json
from responsekit.streaming.snapshot import ResponseSnapshot, new_response
from responsekit.streaming.terminal import (
    CANCEL_REASONS,
    FAILURE_MESSAGES,
    TERMINAL_EVENT_TYPES,
    runtime_terminal_snapshot,
    terminal_snapshot,
)

__all__ = ["ERROR_CODES", "INCOMPLETE_REASONS", "TERMINAL_EVENT_TYPES", "ResponseEventStream"]


class ResponseEventStream(_ResponseEventStreamEvents):
    """Builds one response's event stream: sequence numbers, ids, indexes and the snapshot.

    Set properties on ``stream.response`` before ``emit_created()``; emit ``created``, then
    ``in_progress``, then items, then exactly one terminal event. Each emit_* call returns the
    event to yield; a call that breaks an ordering rule raises :class:`StreamOrderError` and emits
    nothing.
    """

    def __init__(
        self,
        response_id: str | None = None,
        request: Any = None,
        *,
        model: str | None = None,
        agent_reference: Any = None,
    ) -> None:
        self.response_id = response_id or new_id("response")
        if agent_reference is None and request is not None:
            # dict first: an ABC isinstance check against a pydantic model is slow on this path
            if isinstance(request, dict):
                agent_reference = request.get("agent_reference")
            else:
                agent_reference = getattr(request, "agent_reference", None)
        self._data = new_response(self.response_id, request, model=model, agent_reference=agent_reference)
        self._own_created_at = self._data["created_at"]  # see adopt()
        self.response = ResponseSnapshot(self._data)
        self._stream = self
        self._seq = 0
        self._created = False
        self._queued = False
        self._in_progress = False
        self._terminal: str | None = None
        self._items: list[OutputItemBuilder] = []
        self._added_items = 0  # output_index of the next item to be added
        self._finished: dict[int, dict[str, Any]] = {}

    # -- state ----------------------------------------------------------------------------------
    @property
    def sequence_number(self) -> int:
        """The sequence number the next event will carry."""
        return self._seq

    @property
    def is_terminal(self) -> bool:
        return self._terminal is not None

    @property
    def terminal_event_type(self) -> str | None:
        return self._terminal

    @property
    def open_items(self) -> list[OutputItemBuilder]:
        return [item for item in self._items if item._state is not DONE]

    def _commit(self, payload: dict[str, Any]) -> StreamEvent:
        seq = self._seq
        event = StreamEvent(payload["type"], seq, encode_json(payload), self)
        self._seq = seq + 1
        return event

    def _refuse(self, event_type: str, rule: str) -> StreamOrderError:
        return StreamOrderError(f"{event_type} refused: {rule} (response {self.response_id})")

    def _check_item_phase(self, event_type: str) -> None:
        if self._terminal is not None:
            raise self._refuse(event_type, f"nothing may follow the terminal event {self._terminal}")
        if not self._in_progress:
            raise self._refuse(event_type, "item events come after emit_in_progress()")

    # -- role hooks used by the generated methods ------------------------------------------------
    def _pre_lifecycle(self, event_type: str, status: str) -> dict[str, Any]:
        if self._terminal is not None:
            raise self._refuse(event_type, f"nothing may follow the terminal event {self._terminal}")
        if event_type == "response.created":
            if self._created:
                raise self._refuse(event_type, "response.created is emitted once, first")
            return self._data
        if not self._created:
            raise self._refuse(event_type, "emit_created() comes first")
        if self._in_progress:
            raise self._refuse(event_type, "the response is already in progress")
        if event_type == "response.queued" and self._queued:
            raise self._refuse(event_type, "response.queued is emitted once")
        self._data["status"] = status
        return self._data

    def _post_lifecycle(self, event_type: str) -> None:
        if event_type == "response.created":
            self._created = True
        elif event_type == "response.queued":
            self._queued = True
        else:
            self._in_progress = True

    def _pre_terminal(
        self,
        event_type: str,
        status: str,
        *,
        usage: Any = None,
        code: str | None = None,
        message: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        if self._terminal is not None:
            raise self._refuse(event_type, f"a response has one terminal event and {self._terminal} was it")
        if not self._created:
            raise self._refuse(event_type, "emit_created() comes first")
        unfinished = [item for item in self._items if item._state is not DONE]
        if unfinished:
            raise self._refuse(
                event_type, f"output items still open: {unfinished}; emit their done events first"
            )
        if code is not None and code not in ERROR_CODES and status == "failed":
            raise self._refuse(
                event_type, f"error code {code!r} is not one of the protocol's codes {sorted(ERROR_CODES)}"
            )
        if reason is not None and reason not in INCOMPLETE_REASONS:
            raise self._refuse(event_type, f"reason {reason!r} is not one of {sorted(INCOMPLETE_REASONS)}")
        if usage is not None:
            usage = _complete_usage(_plain(usage))
            try:  # once per response: a malformed usage object would make clients reject the event
                models.ResponseUsage.model_validate(usage)
            except ValidationError as exc:
                error = exc.errors()[0]
                where = ".".join(map(str, error["loc"]))
                raise self._refuse(
                    event_type, f"usage is not a valid ResponseUsage: {error['msg']} at {where}"
                ) from None
        return terminal_snapshot(
            self._data,
            status,
            output=self._finished_output(),
            usage=usage,
            code=code,
            message=message,
            reason=reason,
            in_place=True,
        )

    def _post_terminal(self, event_type: str) -> None:
        self._terminal = event_type

    def _pre_notice(self, event_type: str) -> None:
        if self._terminal is not None:
            raise self._refuse(event_type, f"nothing may follow the terminal event {self._terminal}")
        if not self._created:
            raise self._refuse(event_type, "emit_created() comes first")

    def _item_finished(self, builder: OutputItemBuilder, item: dict[str, Any]) -> None:
        self._finished[builder._output_index] = item
        self._data["output"] = self._finished_output()

    def _finished_output(self) -> list[dict[str, Any]]:
        return [self._finished[i] for i in sorted(self._finished)]

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

    def emit_cancelled(self) -> StreamEvent:
        """The terminal event of a cancelled response: ``response.failed`` with status ``cancelled``.

        The protocol has no ``response.cancelled`` event; the response object's status says it.
        """
        if self._terminal is not None:
            raise self._refuse(
                "response.failed", f"a response has one terminal event and {self._terminal} was it"
            )
        if not self._created:
            raise self._refuse("response.failed", "emit_created() comes first")
        unfinished = [item for item in self._items if item._state is not DONE]
        if unfinished:
            raise self._refuse("response.failed", f"output items still open: {unfinished}")
        terminal_snapshot(self._data, "cancelled", output=self._finished_output(), in_place=True)
        event = self._commit(
            {"type": "response.failed", "response": self._data, "sequence_number": self._seq}
        )
        self._terminal = "response.failed"
        return event

    # -- runtime support: what a runtime running this stream's response needs from it ---------------
    # The runtime (server/runner.py) uses these, and only these, besides the public state above
    # (sequence_number, is_terminal, open_items, close_open_items, emit_cancelled).
    @property
    def snapshot(self) -> dict[str, Any]:
        """The live response object as plain data (what the next lifecycle event carries)."""
        return self._data

    def continue_at(self, next_sequence_number: int) -> None:
        """Continue numbering at ``next_sequence_number`` (the runtime's count of delivered events:
        events the handler emitted but never delivered are dropped)."""
        self._seq = next_sequence_number

    def adopt(self, initial: Mapping[str, Any], created: StreamEvent | None = None) -> StreamEvent | None:
        """Take the identity the runtime already reported for this response (e.g. to a background
        create) from its initial snapshot ``initial``: its creation time, unless set on
        ``stream.response``, and its model, when neither the request nor the stream names one.

        The runtime calls it with the stream's first delivered event, ``response.created``; it
        returns that event, re-encoded when a field changed (the runtime delivers the returned
        event). Called before anything is emitted, it returns None. (Events a handler emits before
        it yields the first keep the values the stream had then: yield each event as it is emitted.)
        """
        if initial.get("id") != self.response_id:
            raise ValueError(f"adopt(): snapshot {initial.get('id')!r} is not response {self.response_id!r}")
        changes: dict[str, Any] = {}
        created_at = initial.get("created_at")
        if created_at is not None and self._data["created_at"] == self._own_created_at != created_at:
            changes["created_at"] = created_at
        if not self._data.get("model") and initial.get("model"):
            changes["model"] = initial["model"]
        self._data.update(changes)
        if created is None or not changes:
            return created
        payload = created.data
        payload = {**payload, "response": {**payload["response"], **changes}}
        return StreamEvent(created.type, created.sequence_number, encode_json(payload), self)

    def force_terminal(self, reason: str) -> StreamEvent:
        """End the response at once for ``reason``, whatever state the stream is in (even after a
        terminal event that was never delivered): ``cancelled`` for a cancel or a disconnect, else
        ``failed`` with the fixed message of ``FAILURE_MESSAGES[reason]``. Unfinished items are
        dropped from the output. Used when the stream cannot be closed in order."""
        data = runtime_terminal_snapshot(self._data, reason, drop_unfinished=True, in_place=True)
        event = self._commit({"type": "response.failed", "response": data, "sequence_number": self._seq})
        self._terminal = "response.failed"
        return event

    def end_for(self, reason: str) -> list[StreamEvent]:
        """End the response on the runtime's behalf: close the open items as interrupted, then the
        terminal event (``cancelled`` for a cancel or a disconnect, else ``failed`` with the fixed
        message of ``FAILURE_MESSAGES[reason]``). Raises StreamOrderError if the stream cannot be
        closed in order (then see force_terminal)."""
        events = self.close_open_items()
        if reason in CANCEL_REASONS:
            events.append(self.emit_cancelled())
        else:
            events.append(self.emit_failed(code="server_error", message=FAILURE_MESSAGES[reason]))
        return events

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

    # -- one-call generators --------------------------------------------------------------------------
    def output_item_message(self, text: str, *, annotations: Iterable[Any] = ()) -> Iterator[StreamEvent]:
        """A complete assistant message holding ``text`` (one delta), with optional annotations."""
        message = self.add_output_item_message()
        yield message.emit_added()
        part = message.add_text_content()
        yield part.emit_added()
        yield part.emit_delta(text)
        for annotation in annotations:
            yield part.emit_annotation_added(annotation)
        yield part.emit_text_done()
        yield part.emit_done()
        yield message.emit_done()

    async def aoutput_item_message(
        self, chunks: AsyncIterable[str] | Iterable[str], *, annotations: Iterable[Any] = ()
    ) -> typing.AsyncIterator[StreamEvent]:
        """A complete assistant message, one delta per chunk."""
        message = self.add_output_item_message()
        yield message.emit_added()
        part = message.add_text_content()
        yield part.emit_added()
        async for chunk in _aiter(chunks):
            yield part.emit_delta(chunk)
        for annotation in annotations:
            yield part.emit_annotation_added(annotation)
        yield part.emit_text_done()
        yield part.emit_done()
        yield message.emit_done()

    def output_item_refusal(self, refusal: str) -> Iterator[StreamEvent]:
        message = self.add_output_item_message()
        yield message.emit_added()
        part = message.add_refusal_content()
        yield part.emit_added()
        yield part.emit_delta(refusal)
        yield part.emit_refusal_done()
        yield part.emit_done()
        yield message.emit_done()

    def output_item_function_call(self, name: str, call_id: str, arguments: str) -> Iterator[StreamEvent]:
        call = self.add_output_item_function_call(name, call_id)
        yield call.emit_added()
        yield call.emit_arguments_delta(arguments)
        yield call.emit_arguments_done()
        yield call.emit_done()

    async def aoutput_item_function_call(
        self, name: str, call_id: str, chunks: AsyncIterable[str] | Iterable[str]
    ) -> typing.AsyncIterator[StreamEvent]:
        call = self.add_output_item_function_call(name, call_id)
        yield call.emit_added()
        async for chunk in _aiter(chunks):
            yield call.emit_arguments_delta(chunk)
        yield call.emit_arguments_done()
        yield call.emit_done()

    def output_item_function_call_output(self, call_id: str, output: Any) -> Iterator[StreamEvent]:
        item = self.add_output_item_function_call_output(call_id, output)
        yield item.emit_added()
        yield item.emit_done()

    def output_item_reasoning_item(self, summary_text: str) -> Iterator[StreamEvent]:
        reasoning = self.add_output_item_reasoning_item()
        yield reasoning.emit_added()
        part = reasoning.add_summary_part()
        yield part.emit_added()
        yield part.emit_text_delta(summary_text)
        yield part.emit_text_done()
        yield part.emit_done()
        yield reasoning.emit_done()

    async def aoutput_item_reasoning_item(
        self, chunks: AsyncIterable[str] | Iterable[str]
    ) -> typing.AsyncIterator[StreamEvent]:
        reasoning = self.add_output_item_reasoning_item()
        yield reasoning.emit_added()
        part = reasoning.add_summary_part()
        yield part.emit_added()
        async for chunk in _aiter(chunks):
            yield part.emit_text_delta(chunk)
        yield part.emit_text_done()
        yield part.emit_done()
        yield reasoning.emit_done()

    def output_item_image_gen_call(
        self, result_b64: str, *, partial_images: Iterable[str] = (), **partial_options: Any
    ) -> Iterator[StreamEvent]:
        """An image-generation call: in_progress, generating, each partial image, completed, done."""
        call = self.add_output_item_image_gen_call()
        yield call.emit_added()
        yield call.emit_in_progress()
        yield call.emit_generating()
        for partial in partial_images:
            yield call.emit_partial_image(partial, **partial_options)
        call.set_result(result_b64)
        yield call.emit_completed()
        yield call.emit_done()

    def output_item_structured_outputs(self, output: Any) -> Iterator[StreamEvent]:
        item = self.add_output_item_structured_outputs(output)
        yield item.emit_added()
        yield item.emit_done()

    def output_item(self, item: Mapping[str, Any] | Any) -> Iterator[StreamEvent]:
        """Any item kind, given whole: added then done."""
        builder = self.add_output_item(item)
        yield builder.emit_added()
        yield builder.emit_done()

    def _whole_item(self, item_type: str, fields: dict[str, Any]) -> Iterator[StreamEvent]:
        return self.output_item({"type": item_type, **fields})

    def output_item_computer_call(self, call_id: str, action: Any, **fields: Any) -> Iterator[StreamEvent]:
        return self._whole_item(
            "computer_call",
            {
                "call_id": call_id,
                "action": action,
                "pending_safety_checks": [],
                "status": "completed",
                **fields,
            },
        )

    def output_item_computer_call_output(
        self, call_id: str, output: Any, **fields: Any
    ) -> Iterator[StreamEvent]:
        return self._whole_item(
            "computer_call_output", {"call_id": call_id, "output": output, "status": "completed", **fields}
        )

    def output_item_local_shell_call(self, call_id: str, action: Any, **fields: Any) -> Iterator[StreamEvent]:
        return self._whole_item(
            "local_shell_call", {"call_id": call_id, "action": action, "status": "completed", **fields}
        )

    def output_item_local_shell_call_output(
        self, call_id: str, output: str, **fields: Any
    ) -> Iterator[StreamEvent]:
        return self._whole_item(
            "local_shell_call_output", {"call_id": call_id, "output": output, "status": "completed", **fields}
        )

    def output_item_function_shell_call(
        self, call_id: str, action: Any, **fields: Any
    ) -> Iterator[StreamEvent]:
        return self._whole_item(
            "shell_call",
            {"call_id": call_id, "action": action, "status": "completed", "environment": None, **fields},
        )

    def output_item_function_shell_call_output(
        self, call_id: str, output: Sequence[Any], **fields: Any
    ) -> Iterator[StreamEvent]:
        return self._whole_item(
            "shell_call_output",
            {
                "call_id": call_id,
                "output": list(output),
                "status": "completed",
                "max_output_length": None,
                **fields,
            },
        )

    def output_item_apply_patch_call(
        self, call_id: str, operation: Any, **fields: Any
    ) -> Iterator[StreamEvent]:
        return self._whole_item(
            "apply_patch_call", {"call_id": call_id, "operation": operation, "status": "completed", **fields}
        )

    def output_item_apply_patch_call_output(self, call_id: str, **fields: Any) -> Iterator[StreamEvent]:
        return self._whole_item(
            "apply_patch_call_output", {"call_id": call_id, "status": "completed", **fields}
        )

    def output_item_custom_tool_call_output(
        self, call_id: str, output: Any, **fields: Any
    ) -> Iterator[StreamEvent]:
        return self._whole_item(
            "custom_tool_call_output", {"call_id": call_id, "output": output, "status": "completed", **fields}
        )

    def output_item_mcp_approval_request(
        self, server_label: str, name: str, arguments: str, **fields: Any
    ) -> Iterator[StreamEvent]:
        return self._whole_item(
            "mcp_approval_request",
            {"server_label": server_label, "name": name, "arguments": arguments, **fields},
        )

    def output_item_mcp_approval_response(
        self, approval_request_id: str, approve: bool, **fields: Any
    ) -> Iterator[StreamEvent]:
        return self._whole_item(
            "mcp_approval_response",
            {"approval_request_id": approval_request_id, "approve": approve, **fields},
        )

    def output_item_compaction(self, encrypted_content: str, **fields: Any) -> Iterator[StreamEvent]:
        return self._whole_item("compaction", {"encrypted_content": encrypted_content, **fields})


def _complete_usage(usage: Any) -> Any:
    """Fill the detail counters a usage object may leave out (upstreams often do) with zeros."""
    if not isinstance(usage, dict):
        return usage
    usage = dict(usage)
    usage["input_tokens_details"] = {
        "cached_tokens": 0,
        "cache_write_tokens": 0,
        **(usage.get("input_tokens_details") or {}),
    }
    usage["output_tokens_details"] = {"reasoning_tokens": 0, **(usage.get("output_tokens_details") or {})}
    if (
        "total_tokens" not in usage
        and isinstance(usage.get("input_tokens"), int)
        and isinstance(usage.get("output_tokens"), int)
    ):
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    return usage


async def _aiter(chunks: AsyncIterable[str] | Iterable[str]) -> typing.AsyncIterator[str]:
    if isinstance(chunks, AsyncIterable):
        async for chunk in chunks:
            yield chunk
    else:
        for chunk in chunks:
            yield chunk
