"""The names telemetry uses (spans, attributes) and the attributes of one response.

GenAI semantic-convention names where one exists (``gen_ai.*``, ``error.type``); the rest are
responsekit's own, under ``responsekit.``. No OpenTelemetry import: the create span hook uses
these without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from responsekit.server.observers import ResponseRun

#: The span of one response, from its create request to its terminal event (the peer package's
#: create span hook gets the same name).
CREATE_SPAN = "create_response"
#: The handler's work, a child of the response's span.
HANDLER_SPAN = "response_handler"
#: Requests about an existing response, each linked to the response's span.
REQUEST_SPANS = {"replay": "replay_response", "cancel": "cancel_response"}

RESPONSE_ID = "gen_ai.response.id"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
OPERATION = "gen_ai.operation.name"
CONVERSATION_ID = "gen_ai.conversation.id"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
ERROR_TYPE = "error.type"
REQUEST_ID = "request.id"
MODE = "responsekit.response.mode"
STATUS = "responsekit.response.status"
ERROR_CODE = "responsekit.response.error.code"
OUTPUT_ITEMS = "responsekit.response.output_items"
STORED = "responsekit.response.stored"
RECOVERY_ATTEMPT = "responsekit.response.recovery_attempt"

#: The ``X-Request-Id`` header's value is cut to this many characters (as the peer package does).
_MAX_REQUEST_ID = 256


def start_attributes(run: ResponseRun) -> dict[str, Any]:
    """What is known of a response when it starts."""
    attributes: dict[str, Any] = {
        OPERATION: "invoke_agent",
        RESPONSE_ID: run.response_id,
        REQUEST_MODEL: run.model or "",
        MODE: run.mode,
        STORED: run.stored,
    }
    if run.conversation_id:
        attributes[CONVERSATION_ID] = run.conversation_id
    if run.recovery_attempt:
        attributes[RECOVERY_ATTEMPT] = run.recovery_attempt
    request_id = run.headers.get("x-request-id")
    if request_id:
        attributes[REQUEST_ID] = request_id[:_MAX_REQUEST_ID]
    return attributes


def end_attributes(response: Mapping[str, Any]) -> dict[str, Any]:
    """What the terminal snapshot tells: status, error code, output item count, usage tokens."""
    attributes: dict[str, Any] = {STATUS: response.get("status") or "unknown"}
    if response.get("model"):
        attributes[RESPONSE_MODEL] = response["model"]
    output = response.get("output")
    if isinstance(output, list):
        attributes[OUTPUT_ITEMS] = len(output)
    code = error_code(response)
    if code is not None:
        attributes[ERROR_CODE] = code
        attributes[ERROR_TYPE] = code
    usage = response.get("usage")
    if isinstance(usage, Mapping):  # only when the handler reported it
        for key, name in (("input_tokens", INPUT_TOKENS), ("output_tokens", OUTPUT_TOKENS)):
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                attributes[name] = value
    return attributes


def error_code(response: Mapping[str, Any]) -> str | None:
    """The error code of a failed response (``server_error`` when it names none); else None."""
    if response.get("status") != "failed":
        return None
    error = response.get("error")
    code = error.get("code") if isinstance(error, Mapping) else None
    return str(code) if code else "server_error"


def error_message(response: Mapping[str, Any]) -> str:
    error = response.get("error")
    message = error.get("message") if isinstance(error, Mapping) else None
    return str(message) if message else "the response failed"
