"""The event-type tables the ordering rules consult: terminal types and their statuses, response-level
types, delta/done pairs and the fields they fill, and the events that must sit inside an open part.

Plain data, no logic: ``ordering`` reads them to judge a stream, and checks read ``TERMINAL_TYPES``.
"""

from __future__ import annotations

TERMINAL_TYPES = frozenset({"response.completed", "response.failed", "response.incomplete"})
# Terminal event type -> the response statuses it may carry (a cancelled response ends with
# response.failed: the protocol has no response.cancelled event).
TERMINAL_STATUS = {
    "response.completed": {"completed"},
    "response.incomplete": {"incomplete"},
    "response.failed": {"failed", "cancelled"},
}
RESPONSE_LEVEL = (
    frozenset({"response.created", "response.queued", "response.in_progress", "error"}) | TERMINAL_TYPES
)

# delta type -> (done type, field of the done event, sub-index field or None)
DELTAS = {
    "response.output_text.delta": ("response.output_text.done", "text", "content_index"),
    "response.refusal.delta": ("response.refusal.done", "refusal", "content_index"),
    "response.reasoning_text.delta": ("response.reasoning_text.done", "text", "content_index"),
    "response.reasoning_summary_text.delta": (
        "response.reasoning_summary_text.done",
        "text",
        "summary_index",
    ),
    "response.function_call_arguments.delta": ("response.function_call_arguments.done", "arguments", None),
    "response.mcp_call_arguments.delta": ("response.mcp_call_arguments.done", "arguments", None),
    "response.custom_tool_call_input.delta": ("response.custom_tool_call_input.done", "input", None),
    "response.code_interpreter_call_code.delta": ("response.code_interpreter_call_code.done", "code", None),
}
DONES = {done: (delta, fld, sub) for delta, (done, fld, sub) in DELTAS.items()}
# Fields of a finished item that hold the value of its item-level (sub-index None) text stream.
ITEM_FIELD = {
    "response.function_call_arguments.done": "arguments",
    "response.mcp_call_arguments.done": "arguments",
    "response.custom_tool_call_input.done": "input",
    "response.code_interpreter_call_code.done": "code",
}
# Part-level events that must fall inside an open content part / summary part.
CONTENT_PART_EVENTS = {
    "response.output_text.delta",
    "response.output_text.done",
    "response.output_text.annotation.added",
    "response.refusal.delta",
    "response.refusal.done",
    "response.reasoning_text.delta",
    "response.reasoning_text.done",
}
SUMMARY_PART_EVENTS = {"response.reasoning_summary_text.delta", "response.reasoning_summary_text.done"}
