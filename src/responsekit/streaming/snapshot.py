"""The response snapshot: the `Response` object as it stands, echoing the request's settings."""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from responsekit.models import Response
from responsekit.models._generated_constants import NAMESPACE_TOOL_DEFAULTS, TOOL_DEFAULTS

# Every response field of the protocol is present (null where unset), as the protocol owner's API
# does, so strict clients and strict profiles (Open Responses) accept the object. Leading keys are
# ordered for people reading the JSON; the rest follow the generated model.
_LEADING = (
    "id",
    "object",
    "created_at",
    "status",
    "background",
    "completed_at",
    "error",
    "incomplete_details",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "model",
    "output",
)
# SDK-side conveniences the wire object does not carry.
_NOT_ON_WIRE = {"output_text"}
RESPONSE_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys([*_LEADING, *(f for f in Response.model_fields if f not in _NOT_ON_WIRE)])
)

# The protocol's defaults for settings a request leaves out (what the response then reports).
RESPONSE_DEFAULTS: dict[str, Any] = {
    "object": "response",
    "background": False,
    "output": [],
    "parallel_tool_calls": True,
    "tools": [],
    "tool_choice": "auto",
    "temperature": 1.0,
    "top_p": 1.0,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
    "top_logprobs": 0,
    "truncation": "disabled",
    "text": {"format": {"type": "text"}},
    "service_tier": "default",
    "store": True,
    "metadata": {},
}

# Request fields the response echoes (the rest of the request, e.g. `input`, is not echoed).
ECHOED_REQUEST_FIELDS = (
    "background",
    "conversation",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "metadata",
    "model",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_retention",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "truncation",
    "user",
    "agent_reference",
    "presence_penalty",
    "frequency_penalty",
    "context_management",
)


def request_as_dict(request: Any) -> dict[str, Any]:
    """The request's echoed settings (never its input, which may be large) as plain data."""
    if request is None:
        return {}
    if isinstance(request, BaseModel):
        out: dict[str, Any] = {}
        fields_set = request.model_fields_set
        extra = request.model_extra or {}
        for key in ECHOED_REQUEST_FIELDS:
            if key in fields_set:
                value = request.__dict__[key]  # not getattr: deprecated fields would warn on read
            elif key in extra:
                value = extra[key]
            else:
                continue
            if isinstance(value, BaseModel):
                value = value.model_dump(mode="json", by_alias=True, exclude_unset=True)
            elif isinstance(value, list):
                value = [
                    v.model_dump(mode="json", by_alias=True, exclude_unset=True)
                    if isinstance(v, BaseModel)
                    else v
                    for v in value
                ]
            out[key] = value
        if isinstance(out.get("prompt"), dict):
            _default_image_detail(out["prompt"])
        return out
    if isinstance(request, Mapping):
        return dict(request)
    raise TypeError(f"request must be a CreateResponse or a mapping, not {type(request).__name__}")


def _default_image_detail(prompt: dict[str, Any]) -> None:
    """An input image among a prompt's variables may leave ``detail`` out on a request; the echoed
    response states the default ("auto"), as it does for input items (clients require it there)."""
    variables = prompt.get("variables")
    if isinstance(variables, dict):
        for value in variables.values():
            if isinstance(value, dict) and value.get("type") == "input_image" and value.get("detail") is None:
                value["detail"] = "auto"


def _with_defaults(tool: Any, defaults: Mapping[str, Mapping[str, Any]]) -> Any:
    """An echoed tool with the defaults the spec gives its type filled in where the request left them
    out (or null): a function tool states ``strict: true``, a web search tool its context size...
    (``TOOL_DEFAULTS``, generated from the spec). The request's own dict is not changed."""
    if not isinstance(tool, Mapping):
        return tool
    kind = tool.get("type")
    missing = [key for key in defaults.get(kind, ()) if tool.get(key) is None]
    nested = tool.get("tools") if kind == "namespace" else None
    if not missing and not isinstance(nested, list):
        return tool
    out = dict(tool)
    for key in missing:
        value = defaults[kind][key]
        out[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
    if isinstance(nested, list):
        out["tools"] = [_with_defaults(inner, NAMESPACE_TOOL_DEFAULTS) for inner in nested]
    return out


def new_response(
    response_id: str,
    request: Any = None,
    *,
    model: str | None = None,
    agent_reference: Any = None,
    created_at: int | None = None,
) -> dict[str, Any]:
    """A fresh snapshot for ``response_id``: every field present, request settings echoed."""
    req = request_as_dict(request)
    snapshot: dict[str, Any] = dict.fromkeys(RESPONSE_FIELDS)
    for key, value in RESPONSE_DEFAULTS.items():
        snapshot[key] = (
            list(value) if isinstance(value, list) else (dict(value) if isinstance(value, dict) else value)
        )
    for key in ECHOED_REQUEST_FIELDS:
        value = req.get(key)
        if value is not None:
            snapshot[key] = value
    if isinstance(snapshot["tools"], list):
        snapshot["tools"] = [_with_defaults(tool, TOOL_DEFAULTS) for tool in snapshot["tools"]]
    conversation = req.get("conversation")
    if isinstance(conversation, str):  # the request may name a conversation by id alone
        snapshot["conversation"] = {"id": conversation}
    snapshot["id"] = response_id
    snapshot["created_at"] = int(time.time()) if created_at is None else created_at
    snapshot["status"] = "queued" if req.get("background") else "in_progress"
    snapshot["output"] = []
    if model is not None:
        snapshot["model"] = model
    if snapshot["model"] is None:
        snapshot["model"] = ""
    if agent_reference is not None:
        snapshot["agent_reference"] = (
            agent_reference
            if isinstance(agent_reference, Mapping)
            else (agent_reference.model_dump(mode="json", exclude_unset=True))
        )
    return snapshot


class ResponseSnapshot:
    """Attribute access over the live response dict (``stream.response.metadata = {...}``).

    Only protocol fields can be set, so a typo fails at once instead of vanishing from the wire.
    """

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"the response has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._data:
            raise AttributeError(f"the response has no field {name!r} (fields: {', '.join(self._data)})")
        self._data[name] = (
            value.model_dump(mode="json", exclude_unset=True) if isinstance(value, BaseModel) else value
        )

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.__setattr__(key, value)

    def to_dict(self) -> dict[str, Any]:
        return self._data

    def to_model(self) -> Response:
        """The snapshot as the generated, validated ``Response`` model."""
        return Response.model_validate(self._data)

    def __repr__(self) -> str:
        return f"<ResponseSnapshot {self._data.get('id')} {self._data.get('status')}>"
