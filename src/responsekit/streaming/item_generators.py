"""One-call generators: ResponseEventStream's output_item_* methods, yielding a whole item's events."""

from __future__ import annotations

import typing
from collections.abc import AsyncIterable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from responsekit.streaming.events import StreamEvent


class _ItemGenerators:
    """ResponseEventStream's mixin yielding every event of one item, from added to done."""

    __slots__ = ()

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


async def _aiter(chunks: AsyncIterable[str] | Iterable[str]) -> typing.AsyncIterator[str]:
    if isinstance(chunks, AsyncIterable):
        async for chunk in chunks:
            yield chunk
    else:
        for chunk in chunks:
            yield chunk
