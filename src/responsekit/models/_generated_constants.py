# GENERATED FILE: DO NOT EDIT. Protocol constants (event, item and content types, enums).
# Source: spec/openapi.json (sha256 d24a43b340c1f4b9d5ae16728182dd36869d0b95b8f47dcfb3bedcd33d92db74), by `make codegen` (codegen/generate.py).
# To change it, edit spec/overlay.yaml, codegen/builders.yaml or codegen/templates/, then
# run `make codegen`.
"""Protocol facts read off the spec's schemas (codegen/spec_facts.py), as plain constants.

The runtime checks requests and events against these; tests/unit/test_schema_constants.py
checks they equal what reflection over the generated models gives.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CREATE_RESPONSE_FIELDS",
    "ERROR_CODES",
    "EVENT_TYPES",
    "INCLUDE_VALUES",
    "INCOMPLETE_REASONS",
    "INPUT_CONTENT_TYPES",
    "INPUT_ITEM_TYPES",
    "NAMESPACE_TOOL_DEFAULTS",
    "OUTPUT_MESSAGE_CONTENT_TYPES",
    "TOOL_DEFAULTS",
]

#: Every stream event type of the spec (members of ``ResponseStreamEvent``).
EVENT_TYPES: frozenset[str] = frozenset(
    {
        "error",
        "response.audio.delta",
        "response.audio.done",
        "response.audio.transcript.delta",
        "response.audio.transcript.done",
        "response.code_interpreter_call.completed",
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.compaction.compacting",
        "response.completed",
        "response.content_part.added",
        "response.content_part.done",
        "response.created",
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "response.failed",
        "response.file_search_call.completed",
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.image_generation_call.completed",
        "response.image_generation_call.generating",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.partial_image",
        "response.in_progress",
        "response.incomplete",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "response.mcp_call.in_progress",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_list_tools.completed",
        "response.mcp_list_tools.failed",
        "response.mcp_list_tools.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.output_text.annotation.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.queued",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "response.refusal.delta",
        "response.refusal.done",
        "response.shell_call_command.added",
        "response.shell_call_command.delta",
        "response.shell_call_command.done",
        "response.shell_call_output_content.delta",
        "response.shell_call_output_content.done",
        "response.web_search_call.completed",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
    }
)

#: The `type` values of the ``InputItem`` union (what a request's input may hold).
INPUT_ITEM_TYPES: frozenset[str] = frozenset(
    {
        "additional_tools",
        "apply_patch_call",
        "apply_patch_call_output",
        "code_interpreter_call",
        "compaction",
        "compaction_trigger",
        "computer_call",
        "computer_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "file_search_call",
        "function_call",
        "function_call_output",
        "image_generation_call",
        "item_reference",
        "local_shell_call",
        "local_shell_call_output",
        "mcp_approval_request",
        "mcp_approval_response",
        "mcp_call",
        "mcp_list_tools",
        "message",
        "program",
        "program_output",
        "reasoning",
        "shell_call",
        "shell_call_output",
        "tool_search_call",
        "tool_search_output",
        "web_search_call",
    }
)

#: The `type` values of the ``InputContent`` union.
INPUT_CONTENT_TYPES: frozenset[str] = frozenset(
    {
        "input_file",
        "input_image",
        "input_text",
    }
)

#: The `type` values of the ``OutputMessageContent`` union.
OUTPUT_MESSAGE_CONTENT_TYPES: frozenset[str] = frozenset(
    {
        "output_text",
        "refusal",
    }
)

#: The fields of ``CreateResponse`` (a create request's known fields).
CREATE_RESPONSE_FIELDS: frozenset[str] = frozenset(
    {
        "agent_reference",
        "background",
        "context_management",
        "conversation",
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "model",
        "moderation",
        "parallel_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
    }
)

#: The values of ``IncludeEnum`` (the `include` query and request field).
INCLUDE_VALUES: frozenset[str] = frozenset(
    {
        "code_interpreter_call.outputs",
        "computer_call_output.output.image_url",
        "file_search_call.results",
        "message.input_image.image_url",
        "message.output_text.logprobs",
        "reasoning.encrypted_content",
        "web_search_call.action.sources",
        "web_search_call.results",
    }
)

#: The values of ``ResponseErrorCode`` (a failed response's ``error.code``).
ERROR_CODES: frozenset[str] = frozenset(
    {
        "bio_policy",
        "data_residency_mismatch",
        "empty_image_file",
        "failed_to_download_image",
        "image_content_policy_violation",
        "image_file_not_found",
        "image_file_too_large",
        "image_parse_error",
        "image_too_large",
        "image_too_small",
        "invalid_base64_image",
        "invalid_image",
        "invalid_image_format",
        "invalid_image_mode",
        "invalid_image_url",
        "invalid_prompt",
        "rate_limit_exceeded",
        "server_error",
        "unsupported_image_media_type",
        "vector_store_timeout",
    }
)

#: The values of ``Response.incomplete_details.reason``.
INCOMPLETE_REASONS: frozenset[str] = frozenset(
    {
        "content_filter",
        "max_output_tokens",
    }
)

#: Tool type -> the defaults of its ``Tool`` member (an echoed tool states them).
TOOL_DEFAULTS: dict[str, dict[str, Any]] = {
    "function": {"description": None, "parameters": None, "strict": True},
    "image_generation": {
        "background": "auto",
        "model": "gpt-image-1",
        "moderation": "auto",
        "output_compression": 100,
        "output_format": "png",
        "partial_images": 0,
        "quality": "auto",
        "size": "auto",
    },
    "mcp": {"require_approval": "always"},
    "web_search": {"external_web_access": True, "search_context_size": "medium"},
    "web_search_2025_08_26": {"external_web_access": True, "search_context_size": "medium"},
}

#: The same for the tools inside a ``namespace`` tool.
NAMESPACE_TOOL_DEFAULTS: dict[str, dict[str, Any]] = {"function": {"strict": True}}
