# GENERATED FILE: DO NOT EDIT. Typed emit_* methods, one per stream event type.
# Source: spec/openapi.json (sha256 d24a43b340c1f4b9d5ae16728182dd36869d0b95b8f47dcfb3bedcd33d92db74), by `make codegen` (codegen/generate.py).
# To change it, edit spec/overlay.yaml, codegen/builders.yaml or codegen/templates/, then
# run `make codegen`.
"""Typed emit_* methods, one per stream event type, as mixins for the hand-written builders.

Each method checks the ordering rules through its builder's ``_pre_<role>`` hook (which raises
before anything is emitted), builds the event's payload in schema order, commits it to the stream
(sequence number + serialization, once) and then updates the builder's state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from responsekit.models._generated_constants import EVENT_TYPES
from responsekit.streaming.events import StreamEvent, _plain

if TYPE_CHECKING:  # the models only annotate here (they load on first use: see responsekit/models)
    from responsekit.models import _generated as models
    from responsekit.models._generated import ResponseUsage

__all__ = [
    "_ResponseEventStreamEvents",
    "_OutputItemBuilderEvents",
    "_ContentPartBuilderEvents",
    "_TextContentBuilderEvents",
    "_RefusalContentBuilderEvents",
    "_ReasoningTextContentBuilderEvents",
    "_ReasoningSummaryPartBuilderEvents",
    "_FunctionCallItemBuilderEvents",
    "_FileSearchCallItemBuilderEvents",
    "_WebSearchCallItemBuilderEvents",
    "_CodeInterpreterCallItemBuilderEvents",
    "_ImageGenCallItemBuilderEvents",
    "_McpCallItemBuilderEvents",
    "_McpListToolsItemBuilderEvents",
    "_CustomToolCallItemBuilderEvents",
    "_ShellCallItemBuilderEvents",
    "_ShellCallOutputItemBuilderEvents",
    "_CompactionItemBuilderEvents",
    "EVENT_TYPES",
]

#: Every stream event type of the spec (EVENT_TYPES) has exactly one emit_* method below:
#: 59 event types.

# Silence "unused" for names only some methods use.
_ = (Literal, Sequence)


class _ResponseEventStreamEvents:
    """Response-level events."""

    __slots__ = ()

    def emit_error(self, message: str, *, code: str | None = None, param: str | None = None) -> StreamEvent:
        """Emit ``error`` (schema ``ResponseErrorEvent``)."""
        self._pre_notice("error")
        payload = {
            "type": "error",
            "code": code,
            "message": message,
            "param": param,
            "sequence_number": self._stream._seq,
        }
        payload["error"] = {k: payload[k] for k in ("code", "message", "param") if k in payload}
        event = self._stream._commit(payload)
        return event

    def emit_audio_delta(self, delta: str) -> StreamEvent:
        """Emit ``response.audio.delta`` (schema ``ResponseAudioDeltaEvent``)."""
        self._pre_notice("response.audio.delta")
        payload = {
            "type": "response.audio.delta",
            "sequence_number": self._stream._seq,
            "delta": delta,
        }
        event = self._stream._commit(payload)
        return event

    def emit_audio_done(self) -> StreamEvent:
        """Emit ``response.audio.done`` (schema ``ResponseAudioDoneEvent``)."""
        self._pre_notice("response.audio.done")
        payload = {
            "type": "response.audio.done",
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        return event

    def emit_audio_transcript_delta(self, delta: str) -> StreamEvent:
        """Emit ``response.audio.transcript.delta`` (schema ``ResponseAudioTranscriptDeltaEvent``)."""
        self._pre_notice("response.audio.transcript.delta")
        payload = {
            "type": "response.audio.transcript.delta",
            "delta": delta,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        return event

    def emit_audio_transcript_done(self) -> StreamEvent:
        """Emit ``response.audio.transcript.done`` (schema ``ResponseAudioTranscriptDoneEvent``)."""
        self._pre_notice("response.audio.transcript.done")
        payload = {
            "type": "response.audio.transcript.done",
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        return event

    def emit_completed(self, usage: ResponseUsage | Mapping[str, Any] | None = None) -> StreamEvent:
        """Emit ``response.completed`` (schema ``ResponseCompletedEvent``)."""
        response = self._pre_terminal("response.completed", "completed", usage=usage)
        payload = {
            "type": "response.completed",
            "response": response,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_terminal("response.completed")
        return event

    def emit_created(self) -> StreamEvent:
        """Emit ``response.created`` (schema ``ResponseCreatedEvent``)."""
        response = self._pre_lifecycle("response.created", "in_progress")
        payload = {
            "type": "response.created",
            "response": response,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_lifecycle("response.created")
        return event

    def emit_failed(
        self,
        code: str = "server_error",
        message: str = "The response failed.",
        usage: ResponseUsage | Mapping[str, Any] | None = None,
    ) -> StreamEvent:
        """Emit ``response.failed`` (schema ``ResponseFailedEvent``)."""
        response = self._pre_terminal("response.failed", "failed", code=code, message=message, usage=usage)
        payload = {
            "type": "response.failed",
            "sequence_number": self._stream._seq,
            "response": response,
        }
        event = self._stream._commit(payload)
        self._post_terminal("response.failed")
        return event

    def emit_in_progress(self) -> StreamEvent:
        """Emit ``response.in_progress`` (schema ``ResponseInProgressEvent``)."""
        response = self._pre_lifecycle("response.in_progress", "in_progress")
        payload = {
            "type": "response.in_progress",
            "response": response,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_lifecycle("response.in_progress")
        return event

    def emit_incomplete(
        self, reason: str = "max_output_tokens", usage: ResponseUsage | Mapping[str, Any] | None = None
    ) -> StreamEvent:
        """Emit ``response.incomplete`` (schema ``ResponseIncompleteEvent``)."""
        response = self._pre_terminal("response.incomplete", "incomplete", reason=reason, usage=usage)
        payload = {
            "type": "response.incomplete",
            "response": response,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_terminal("response.incomplete")
        return event

    def emit_queued(self) -> StreamEvent:
        """Emit ``response.queued`` (schema ``ResponseQueuedEvent``)."""
        response = self._pre_lifecycle("response.queued", "queued")
        payload = {
            "type": "response.queued",
            "response": response,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_lifecycle("response.queued")
        return event


class _OutputItemBuilderEvents:
    """Events every output item has."""

    __slots__ = ()

    def emit_added(self) -> StreamEvent:
        """Emit ``response.output_item.added`` (schema ``ResponseOutputItemAddedEvent``)."""
        item = self._pre_item_open("response.output_item.added")
        payload = {
            "type": "response.output_item.added",
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
            "item": item,
        }
        event = self._stream._commit(payload)
        self._post_item_open("response.output_item.added")
        return event

    def emit_done(self) -> StreamEvent:
        """Emit ``response.output_item.done`` (schema ``ResponseOutputItemDoneEvent``)."""
        item = self._pre_item_close("response.output_item.done")
        payload = {
            "type": "response.output_item.done",
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
            "item": item,
        }
        event = self._stream._commit(payload)
        self._post_item_close(item)
        return event


class _ContentPartBuilderEvents:
    """Events every content part has."""

    __slots__ = ()

    def emit_added(self) -> StreamEvent:
        """Emit ``response.content_part.added`` (schema ``ResponseContentPartAddedEvent``)."""
        part = self._pre_part_open("response.content_part.added")
        payload = {
            "type": "response.content_part.added",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "content_index": self._content_index,
            "part": part,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_part_open("response.content_part.added")
        return event

    def emit_done(self) -> StreamEvent:
        """Emit ``response.content_part.done`` (schema ``ResponseContentPartDoneEvent``)."""
        part = self._pre_part_close("response.content_part.done")
        payload = {
            "type": "response.content_part.done",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "content_index": self._content_index,
            "sequence_number": self._stream._seq,
            "part": part,
        }
        event = self._stream._commit(payload)
        self._post_part_close(part)
        return event


class _TextContentBuilderEvents:
    """An output_text content part of a message."""

    __slots__ = ()

    def emit_annotation_added(self, annotation: models.Annotation | Mapping[str, Any] | None) -> StreamEvent:
        """Emit ``response.output_text.annotation.added`` (schema ``ResponseOutputTextAnnotationAddedEvent``)."""
        annotation_index = self._pre_annotation("response.output_text.annotation.added")
        payload = {
            "type": "response.output_text.annotation.added",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "content_index": self._content_index,
            "annotation_index": annotation_index,
            "sequence_number": self._stream._seq,
            "annotation": _plain(annotation),
        }
        event = self._stream._commit(payload)
        self._post_annotation(payload["annotation"])
        return event

    def emit_delta(
        self, delta: str, *, logprobs: Sequence[models.ResponseLogProb | Mapping[str, Any]] | None = None
    ) -> StreamEvent:
        """Emit ``response.output_text.delta`` (schema ``ResponseTextDeltaEvent``)."""
        self._pre_part_delta("response.output_text.delta", delta)
        payload = {
            "type": "response.output_text.delta",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "content_index": self._content_index,
            "delta": delta,
            "sequence_number": self._stream._seq,
            "logprobs": [] if logprobs is None else _plain(logprobs),
        }
        event = self._stream._commit(payload)
        self._post_part_delta(delta)
        return event

    def emit_text_done(
        self, *, logprobs: Sequence[models.ResponseLogProb | Mapping[str, Any]] | None = None
    ) -> StreamEvent:
        """Emit ``response.output_text.done`` (schema ``ResponseTextDoneEvent``)."""
        value = self._pre_part_final("response.output_text.done")
        payload = {
            "type": "response.output_text.done",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "content_index": self._content_index,
            "text": value,
            "sequence_number": self._stream._seq,
            "logprobs": [] if logprobs is None else _plain(logprobs),
        }
        event = self._stream._commit(payload)
        self._post_part_final(value)
        return event


class _RefusalContentBuilderEvents:
    """A refusal content part of a message."""

    __slots__ = ()

    def emit_delta(self, delta: str) -> StreamEvent:
        """Emit ``response.refusal.delta`` (schema ``ResponseRefusalDeltaEvent``)."""
        self._pre_part_delta("response.refusal.delta", delta)
        payload = {
            "type": "response.refusal.delta",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "content_index": self._content_index,
            "delta": delta,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_part_delta(delta)
        return event

    def emit_refusal_done(self) -> StreamEvent:
        """Emit ``response.refusal.done`` (schema ``ResponseRefusalDoneEvent``)."""
        value = self._pre_part_final("response.refusal.done")
        payload = {
            "type": "response.refusal.done",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "content_index": self._content_index,
            "refusal": value,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_part_final(value)
        return event


class _ReasoningTextContentBuilderEvents:
    """A reasoning_text content part of a reasoning item."""

    __slots__ = ()

    def emit_delta(self, delta: str) -> StreamEvent:
        """Emit ``response.reasoning_text.delta`` (schema ``ResponseReasoningTextDeltaEvent``)."""
        self._pre_part_delta("response.reasoning_text.delta", delta)
        payload = {
            "type": "response.reasoning_text.delta",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "content_index": self._content_index,
            "delta": delta,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_part_delta(delta)
        return event

    def emit_text_done(self) -> StreamEvent:
        """Emit ``response.reasoning_text.done`` (schema ``ResponseReasoningTextDoneEvent``)."""
        value = self._pre_part_final("response.reasoning_text.done")
        payload = {
            "type": "response.reasoning_text.done",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "content_index": self._content_index,
            "text": value,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_part_final(value)
        return event


class _ReasoningSummaryPartBuilderEvents:
    """A summary part of a reasoning item."""

    __slots__ = ()

    def emit_added(self) -> StreamEvent:
        """Emit ``response.reasoning_summary_part.added`` (schema ``ResponseReasoningSummaryPartAddedEvent``)."""
        part = self._pre_part_open("response.reasoning_summary_part.added")
        payload = {
            "type": "response.reasoning_summary_part.added",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "summary_index": self._summary_index,
            "sequence_number": self._stream._seq,
            "part": part,
        }
        event = self._stream._commit(payload)
        self._post_part_open("response.reasoning_summary_part.added")
        return event

    def emit_done(self, *, status: Literal["incomplete"] | None = None) -> StreamEvent:
        """Emit ``response.reasoning_summary_part.done`` (schema ``ResponseReasoningSummaryPartDoneEvent``)."""
        part = self._pre_part_close("response.reasoning_summary_part.done")
        payload = {
            "type": "response.reasoning_summary_part.done",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "summary_index": self._summary_index,
            "sequence_number": self._stream._seq,
            "part": part,
        }
        if status is not None:
            payload["status"] = status
        event = self._stream._commit(payload)
        self._post_part_close(part)
        return event

    def emit_text_delta(self, delta: str) -> StreamEvent:
        """Emit ``response.reasoning_summary_text.delta`` (schema ``ResponseReasoningSummaryTextDeltaEvent``)."""
        self._pre_part_delta("response.reasoning_summary_text.delta", delta)
        payload = {
            "type": "response.reasoning_summary_text.delta",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "summary_index": self._summary_index,
            "delta": delta,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_part_delta(delta)
        return event

    def emit_text_done(self) -> StreamEvent:
        """Emit ``response.reasoning_summary_text.done`` (schema ``ResponseReasoningSummaryTextDoneEvent``)."""
        value = self._pre_part_final("response.reasoning_summary_text.done")
        payload = {
            "type": "response.reasoning_summary_text.done",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "summary_index": self._summary_index,
            "text": value,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_part_final(value)
        return event


class _FunctionCallItemBuilderEvents:
    """A function_call output item."""

    __slots__ = ()

    def emit_arguments_delta(self, delta: str) -> StreamEvent:
        """Emit ``response.function_call_arguments.delta`` (schema ``ResponseFunctionCallArgumentsDeltaEvent``)."""
        self._pre_item_delta("response.function_call_arguments.delta", delta)
        payload = {
            "type": "response.function_call_arguments.delta",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
            "delta": delta,
        }
        event = self._stream._commit(payload)
        self._post_item_delta(delta)
        return event

    def emit_arguments_done(self) -> StreamEvent:
        """Emit ``response.function_call_arguments.done`` (schema ``ResponseFunctionCallArgumentsDoneEvent``)."""
        value = self._pre_item_final("response.function_call_arguments.done")
        payload = {
            "type": "response.function_call_arguments.done",
            "item_id": self._item_id,
            "name": self._item["name"],
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
            "arguments": value,
        }
        event = self._stream._commit(payload)
        self._post_item_final(value)
        return event


class _FileSearchCallItemBuilderEvents:
    """A file_search_call output item."""

    __slots__ = ()

    def emit_completed(self) -> StreamEvent:
        """Emit ``response.file_search_call.completed`` (schema ``ResponseFileSearchCallCompletedEvent``)."""
        self._pre_item_progress("response.file_search_call.completed")
        payload = {
            "type": "response.file_search_call.completed",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("completed")
        return event

    def emit_in_progress(self) -> StreamEvent:
        """Emit ``response.file_search_call.in_progress`` (schema ``ResponseFileSearchCallInProgressEvent``)."""
        self._pre_item_progress("response.file_search_call.in_progress")
        payload = {
            "type": "response.file_search_call.in_progress",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("in_progress")
        return event

    def emit_searching(self) -> StreamEvent:
        """Emit ``response.file_search_call.searching`` (schema ``ResponseFileSearchCallSearchingEvent``)."""
        self._pre_item_progress("response.file_search_call.searching")
        payload = {
            "type": "response.file_search_call.searching",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("searching")
        return event


class _WebSearchCallItemBuilderEvents:
    """A web_search_call output item."""

    __slots__ = ()

    def emit_completed(self) -> StreamEvent:
        """Emit ``response.web_search_call.completed`` (schema ``ResponseWebSearchCallCompletedEvent``)."""
        self._pre_item_progress("response.web_search_call.completed")
        payload = {
            "type": "response.web_search_call.completed",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("completed")
        return event

    def emit_in_progress(self) -> StreamEvent:
        """Emit ``response.web_search_call.in_progress`` (schema ``ResponseWebSearchCallInProgressEvent``)."""
        self._pre_item_progress("response.web_search_call.in_progress")
        payload = {
            "type": "response.web_search_call.in_progress",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("in_progress")
        return event

    def emit_searching(self) -> StreamEvent:
        """Emit ``response.web_search_call.searching`` (schema ``ResponseWebSearchCallSearchingEvent``)."""
        self._pre_item_progress("response.web_search_call.searching")
        payload = {
            "type": "response.web_search_call.searching",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("searching")
        return event


class _CodeInterpreterCallItemBuilderEvents:
    """A code_interpreter_call output item."""

    __slots__ = ()

    def emit_completed(self) -> StreamEvent:
        """Emit ``response.code_interpreter_call.completed`` (schema ``ResponseCodeInterpreterCallCompletedEvent``)."""
        self._pre_item_progress("response.code_interpreter_call.completed")
        payload = {
            "type": "response.code_interpreter_call.completed",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("completed")
        return event

    def emit_in_progress(self) -> StreamEvent:
        """Emit ``response.code_interpreter_call.in_progress`` (schema ``ResponseCodeInterpreterCallInProgressEvent``)."""
        self._pre_item_progress("response.code_interpreter_call.in_progress")
        payload = {
            "type": "response.code_interpreter_call.in_progress",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("in_progress")
        return event

    def emit_interpreting(self) -> StreamEvent:
        """Emit ``response.code_interpreter_call.interpreting`` (schema ``ResponseCodeInterpreterCallInterpretingEvent``)."""
        self._pre_item_progress("response.code_interpreter_call.interpreting")
        payload = {
            "type": "response.code_interpreter_call.interpreting",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("interpreting")
        return event

    def emit_code_delta(self, delta: str) -> StreamEvent:
        """Emit ``response.code_interpreter_call_code.delta`` (schema ``ResponseCodeInterpreterCallCodeDeltaEvent``)."""
        self._pre_item_delta("response.code_interpreter_call_code.delta", delta)
        payload = {
            "type": "response.code_interpreter_call_code.delta",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "delta": delta,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_delta(delta)
        return event

    def emit_code_done(self) -> StreamEvent:
        """Emit ``response.code_interpreter_call_code.done`` (schema ``ResponseCodeInterpreterCallCodeDoneEvent``)."""
        value = self._pre_item_final("response.code_interpreter_call_code.done")
        payload = {
            "type": "response.code_interpreter_call_code.done",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "code": value,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_final(value)
        return event


class _ImageGenCallItemBuilderEvents:
    """An image_generation_call output item."""

    __slots__ = ()

    def emit_completed(self) -> StreamEvent:
        """Emit ``response.image_generation_call.completed`` (schema ``ResponseImageGenCallCompletedEvent``)."""
        self._pre_item_progress("response.image_generation_call.completed")
        payload = {
            "type": "response.image_generation_call.completed",
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
            "item_id": self._item_id,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("completed")
        return event

    def emit_generating(self) -> StreamEvent:
        """Emit ``response.image_generation_call.generating`` (schema ``ResponseImageGenCallGeneratingEvent``)."""
        self._pre_item_progress("response.image_generation_call.generating")
        payload = {
            "type": "response.image_generation_call.generating",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("generating")
        return event

    def emit_in_progress(self) -> StreamEvent:
        """Emit ``response.image_generation_call.in_progress`` (schema ``ResponseImageGenCallInProgressEvent``)."""
        self._pre_item_progress("response.image_generation_call.in_progress")
        payload = {
            "type": "response.image_generation_call.in_progress",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("in_progress")
        return event

    def emit_partial_image(
        self,
        partial_image_b64: str,
        *,
        size: str | None = None,
        quality: str | None = None,
        background: str | None = None,
        output_format: str | None = None,
    ) -> StreamEvent:
        """Emit ``response.image_generation_call.partial_image`` (schema ``ResponseImageGenCallPartialImageEvent``)."""
        self._pre_item_progress("response.image_generation_call.partial_image")
        payload = {
            "type": "response.image_generation_call.partial_image",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "sequence_number": self._stream._seq,
            "partial_image_index": self._counter,
            "partial_image_b64": partial_image_b64,
        }
        if size is not None:
            payload["size"] = size
        if quality is not None:
            payload["quality"] = quality
        if background is not None:
            payload["background"] = background
        if output_format is not None:
            payload["output_format"] = output_format
        event = self._stream._commit(payload)
        self._counter += 1
        return event


class _McpCallItemBuilderEvents:
    """An mcp_call output item."""

    __slots__ = ()

    def emit_completed(self) -> StreamEvent:
        """Emit ``response.mcp_call.completed`` (schema ``ResponseMCPCallCompletedEvent``)."""
        self._pre_item_progress("response.mcp_call.completed")
        payload = {
            "type": "response.mcp_call.completed",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("completed")
        return event

    def emit_failed(self) -> StreamEvent:
        """Emit ``response.mcp_call.failed`` (schema ``ResponseMCPCallFailedEvent``)."""
        self._pre_item_progress("response.mcp_call.failed")
        payload = {
            "type": "response.mcp_call.failed",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("failed")
        return event

    def emit_in_progress(self) -> StreamEvent:
        """Emit ``response.mcp_call.in_progress`` (schema ``ResponseMCPCallInProgressEvent``)."""
        self._pre_item_progress("response.mcp_call.in_progress")
        payload = {
            "type": "response.mcp_call.in_progress",
            "sequence_number": self._stream._seq,
            "output_index": self._output_index,
            "item_id": self._item_id,
        }
        event = self._stream._commit(payload)
        self._post_item_progress("in_progress")
        return event

    def emit_arguments_delta(self, delta: str) -> StreamEvent:
        """Emit ``response.mcp_call_arguments.delta`` (schema ``ResponseMCPCallArgumentsDeltaEvent``)."""
        self._pre_item_delta("response.mcp_call_arguments.delta", delta)
        payload = {
            "type": "response.mcp_call_arguments.delta",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "delta": delta,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_delta(delta)
        return event

    def emit_arguments_done(self) -> StreamEvent:
        """Emit ``response.mcp_call_arguments.done`` (schema ``ResponseMCPCallArgumentsDoneEvent``)."""
        value = self._pre_item_final("response.mcp_call_arguments.done")
        payload = {
            "type": "response.mcp_call_arguments.done",
            "output_index": self._output_index,
            "item_id": self._item_id,
            "arguments": value,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        self._post_item_final(value)
        return event


class _McpListToolsItemBuilderEvents:
    """An mcp_list_tools output item."""

    __slots__ = ()

    def emit_completed(self) -> StreamEvent:
        """Emit ``response.mcp_list_tools.completed`` (schema ``ResponseMCPListToolsCompletedEvent``)."""
        self._pre_item_progress("response.mcp_list_tools.completed")
        payload = {
            "type": "response.mcp_list_tools.completed",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        return event

    def emit_failed(self) -> StreamEvent:
        """Emit ``response.mcp_list_tools.failed`` (schema ``ResponseMCPListToolsFailedEvent``)."""
        self._pre_item_progress("response.mcp_list_tools.failed")
        payload = {
            "type": "response.mcp_list_tools.failed",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        return event

    def emit_in_progress(self) -> StreamEvent:
        """Emit ``response.mcp_list_tools.in_progress`` (schema ``ResponseMCPListToolsInProgressEvent``)."""
        self._pre_item_progress("response.mcp_list_tools.in_progress")
        payload = {
            "type": "response.mcp_list_tools.in_progress",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        return event


class _CustomToolCallItemBuilderEvents:
    """A custom_tool_call output item."""

    __slots__ = ()

    def emit_input_delta(self, delta: str) -> StreamEvent:
        """Emit ``response.custom_tool_call_input.delta`` (schema ``ResponseCustomToolCallInputDeltaEvent``)."""
        self._pre_item_delta("response.custom_tool_call_input.delta", delta)
        payload = {
            "type": "response.custom_tool_call_input.delta",
            "sequence_number": self._stream._seq,
            "output_index": self._output_index,
            "item_id": self._item_id,
            "delta": delta,
        }
        event = self._stream._commit(payload)
        self._post_item_delta(delta)
        return event

    def emit_input_done(self) -> StreamEvent:
        """Emit ``response.custom_tool_call_input.done`` (schema ``ResponseCustomToolCallInputDoneEvent``)."""
        value = self._pre_item_final("response.custom_tool_call_input.done")
        payload = {
            "type": "response.custom_tool_call_input.done",
            "sequence_number": self._stream._seq,
            "output_index": self._output_index,
            "item_id": self._item_id,
            "input": value,
        }
        event = self._stream._commit(payload)
        self._post_item_final(value)
        return event


class _ShellCallItemBuilderEvents:
    """A shell_call output item."""

    __slots__ = ()

    def emit_command_added(self, command_index: int, command: str) -> StreamEvent:
        """Emit ``response.shell_call_command.added`` (schema ``ResponseShellCallCommandAddedStreamingEvent``)."""
        self._pre_item_progress("response.shell_call_command.added")
        payload = {
            "type": "response.shell_call_command.added",
            "sequence_number": self._stream._seq,
            "output_index": self._output_index,
            "command_index": command_index,
            "command": command,
        }
        event = self._stream._commit(payload)
        return event

    def emit_command_delta(
        self, command_index: int, delta: str, *, obfuscation: str | None = None
    ) -> StreamEvent:
        """Emit ``response.shell_call_command.delta`` (schema ``ResponseShellCallCommandDeltaStreamingEvent``)."""
        self._pre_item_progress("response.shell_call_command.delta")
        payload = {
            "type": "response.shell_call_command.delta",
            "sequence_number": self._stream._seq,
            "output_index": self._output_index,
            "command_index": command_index,
            "delta": delta,
        }
        if obfuscation is not None:
            payload["obfuscation"] = obfuscation
        event = self._stream._commit(payload)
        return event

    def emit_command_done(self, command_index: int, command: str) -> StreamEvent:
        """Emit ``response.shell_call_command.done`` (schema ``ResponseShellCallCommandDoneStreamingEvent``)."""
        self._pre_item_progress("response.shell_call_command.done")
        payload = {
            "type": "response.shell_call_command.done",
            "sequence_number": self._stream._seq,
            "output_index": self._output_index,
            "command_index": command_index,
            "command": command,
        }
        event = self._stream._commit(payload)
        return event


class _ShellCallOutputItemBuilderEvents:
    """A shell_call_output output item."""

    __slots__ = ()

    def emit_output_delta(
        self, command_index: int, delta: models.ShellCallOutputDelta | Mapping[str, Any]
    ) -> StreamEvent:
        """Emit ``response.shell_call_output_content.delta`` (schema ``ResponseShellCallOutputContentDeltaStreamingEvent``)."""
        self._pre_item_progress("response.shell_call_output_content.delta")
        payload = {
            "type": "response.shell_call_output_content.delta",
            "sequence_number": self._stream._seq,
            "item_id": self._item_id,
            "output_index": self._output_index,
            "command_index": command_index,
            "delta": _plain(delta),
        }
        event = self._stream._commit(payload)
        return event

    def emit_output_done(
        self, command_index: int, output: Sequence[models.FunctionShellCallOutputContent | Mapping[str, Any]]
    ) -> StreamEvent:
        """Emit ``response.shell_call_output_content.done`` (schema ``ResponseShellCallOutputContentDoneStreamingEvent``)."""
        self._pre_item_progress("response.shell_call_output_content.done")
        payload = {
            "type": "response.shell_call_output_content.done",
            "sequence_number": self._stream._seq,
            "item_id": self._item_id,
            "output_index": self._output_index,
            "command_index": command_index,
            "output": _plain(output),
        }
        event = self._stream._commit(payload)
        return event


class _CompactionItemBuilderEvents:
    """A compaction output item."""

    __slots__ = ()

    def emit_compacting(self) -> StreamEvent:
        """Emit ``response.compaction.compacting`` (schema ``ResponseCompactionCompactingEvent``)."""
        self._pre_item_progress("response.compaction.compacting")
        payload = {
            "type": "response.compaction.compacting",
            "item_id": self._item_id,
            "output_index": self._output_index,
            "sequence_number": self._stream._seq,
        }
        event = self._stream._commit(payload)
        return event
