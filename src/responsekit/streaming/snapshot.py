"""The response snapshot: the `Response` object as it stands, echoing the request's settings."""

from __future__ import annotations

import copy
import time
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from responsekit.models._generated_constants import NAMESPACE_TOOL_DEFAULTS, TOOL_DEFAULTS

if TYPE_CHECKING:
    from pydantic import BaseModel

    from responsekit.models import Response

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


def _response_fields() -> tuple[str, ...]:
    """Every field of the response object, in order (``RESPONSE_FIELDS``; read off the generated
    model on first use, so that importing this module does not load the models)."""
    from responsekit.models import Response

    return tuple(dict.fromkeys([*_LEADING, *(f for f in Response.model_fields if f not in _NOT_ON_WIRE)]))


def __getattr__(name: str) -> Any:
    if name == "RESPONSE_FIELDS":  # PEP 562: made on first use (see _response_fields), then kept
        globals()[name] = value = _response_fields()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


_ECHOED = frozenset(ECHOED_REQUEST_FIELDS)


def request_as_dict(request: Any) -> dict[str, Any]:
    """The request's echoed settings (never its input, which may be large) as plain data."""
    if request is None:
        return {}
    from pydantic import BaseModel  # deferred: pydantic loads with the models (see responsekit/models)

    if isinstance(request, BaseModel):
        out: dict[str, Any] = {}
        # The few fields a request sets, not every echoed field (a request sets two or three of ~30).
        values = request.__dict__  # not getattr: deprecated fields would warn on read
        extra = request.model_extra
        setting = [(key, values[key]) for key in request.model_fields_set if key in _ECHOED]
        if extra:
            setting += [(key, value) for key, value in extra.items() if key in _ECHOED]
        for key, value in setting:
            if isinstance(value, BaseModel):
                value = dump_as_sent(value)
            elif isinstance(value, list):
                value = [dump_as_sent(v) if isinstance(v, BaseModel) else v for v in value]
            out[key] = value
        if isinstance(out.get("prompt"), dict):
            _default_image_detail(out["prompt"])
        return out
    if isinstance(request, Mapping):
        return dict(request)
    raise TypeError(f"request must be a CreateResponse or a mapping, not {type(request).__name__}")


def dump_as_sent(model: BaseModel) -> Any:
    """A model (a request's, or one a handler built) as plain JSON data by wire name, as it was
    given: fields left unset stay out, but every constant the model holds is stated, however deep
    (see :func:`_state_constants`)."""
    data = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    _state_constants(model, data)
    return data


#: Per model class: whether it is a RootModel, the (key, value) of its constants, fields whose type
#: allows one string only and whose default is that string (a ``type`` discriminator: ``approximate``
#: of a web search's ``user_location``, ``auto`` of a code interpreter's ``container: {}``; an
#: additional tools item's ``role``; an inline skill's ``media_type``...), and the (name, key) of its
#: fields that may hold models (the rest hold plain data, such as a function tool's ``parameters``).
_SHAPES: dict[type, tuple[bool, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {}
#: Values a walk does not look into (the common ones: anything else not a model is passed over too).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _sole_value(annotation: Any) -> Any:
    """The one value ``annotation`` allows besides null (``Literal["x"]``, ``Literal["x"] | None``),
    or None."""
    origin = get_origin(annotation)
    if origin is Literal:
        values = get_args(annotation)
        return values[0] if len(values) == 1 else None
    if origin is Union or origin is types.UnionType:
        members = [member for member in get_args(annotation) if member is not type(None)]
        return _sole_value(members[0]) if len(members) == 1 else None
    return None


def _may_hold_models(annotation: Any, seen: set[int] | None = None) -> bool:
    """Whether a value of ``annotation`` may be or contain a model (when unsure, it may)."""
    from pydantic import BaseModel  # deferred: pydantic loads with the models (see responsekit/models)

    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel)
    if annotation is Any or annotation is None or get_origin(annotation) is Literal:
        return False
    alias_value = getattr(annotation, "__value__", None)  # a TypeAliasType (the generated unions)
    if alias_value is not None:
        seen = set() if seen is None else seen
        if id(annotation) in seen:
            return False  # a recursive alias: its other members say
        seen.add(id(annotation))
        return _may_hold_models(alias_value, seen)
    args = get_args(annotation)
    if not args:
        return True  # a forward reference or an unknown form
    if get_origin(annotation) is Annotated:
        return _may_hold_models(args[0], seen)
    return any(_may_hold_models(arg, seen) for arg in args)


def _shape(cls: type[BaseModel]) -> tuple[bool, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    from pydantic import RootModel  # deferred: pydantic loads with the models (see responsekit/models)

    constants, nested = [], []
    for name, field in cls.model_fields.items():
        key = field.serialization_alias or field.alias or name
        if isinstance(field.default, str) and _sole_value(field.annotation) == field.default:
            constants.append((key, field.default))
        elif _may_hold_models(field.annotation):
            nested.append((name, key))
    shape = _SHAPES[cls] = (issubclass(cls, RootModel), tuple(constants), tuple(nested))
    return shape


def _state_constants(node: Any, data: Any) -> None:
    """Put back into ``data`` (``node`` dumped with ``exclude_unset``) the constants the dump left out.

    A model validated from ``{}`` where its schema gives a constant a default (say a shell tool's
    ``environment: {}``, a ``container_auto``) holds the constant but has it unset, so the dump
    leaves it out, though the object's read form (what clients accept) requires it. Only what was
    dumped and may hold models is walked: fields that were set, and the models, lists and dicts in
    them. (Runs on every request: types are compared, not checked with isinstance, for speed.)
    """
    cls = type(node)
    if cls is list or cls is tuple:
        if type(data) is list and len(data) == len(node):
            for child, dumped in zip(node, data, strict=True):
                if type(child) not in _PLAIN:
                    _state_constants(child, dumped)
        return
    if cls is dict:
        if type(data) is dict:
            for key, child in node.items():
                if type(child) not in _PLAIN and key in data:
                    _state_constants(child, data[key])
        return
    shape = _SHAPES.get(cls)
    if shape is None:
        from pydantic import BaseModel  # deferred: pydantic loads with the models (see responsekit/models)

        if not isinstance(node, BaseModel):
            return
        shape = _shape(cls)
    root, constants, nested = shape
    if root:
        _state_constants(node.root, data)
        return
    if type(data) is not dict:
        return
    for key, value in constants:
        if key not in data:
            data[key] = value
    if nested:
        values = node.__dict__
        fields_set = node.__pydantic_fields_set__
        for name, key in nested:
            if name in fields_set and key in data:
                child = values.get(name)
                if type(child) not in _PLAIN:
                    _state_constants(child, data[key])


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


#: A fresh snapshot's fields in order with their defaults (copied per response: one dict copy
#: instead of a loop over the fields; filled on first use, see _response_fields), and the defaults
#: that are containers (copied again each).
_TEMPLATE: dict[str, Any] = {}
_MUTABLE_DEFAULTS = tuple((k, v) for k, v in RESPONSE_DEFAULTS.items() if isinstance(v, (list, dict)))


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
    if not _TEMPLATE:
        _TEMPLATE.update({**dict.fromkeys(_response_fields()), **RESPONSE_DEFAULTS})
    snapshot: dict[str, Any] = _TEMPLATE.copy()  # every field, in order, with its default
    for key, value in _MUTABLE_DEFAULTS:  # a container of its own for each response
        snapshot[key] = list(value) if isinstance(value, list) else dict(value)
    for key, value in req.items():  # every echoed field has its place in the template already
        if value is not None and key in _ECHOED:
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
            agent_reference if isinstance(agent_reference, Mapping) else dump_as_sent(agent_reference)
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
        from pydantic import BaseModel  # deferred: pydantic loads with the models (see responsekit/models)

        self._data[name] = dump_as_sent(value) if isinstance(value, BaseModel) else value

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.__setattr__(key, value)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        """A field's value, or ``default`` (as on a dict)."""
        return self._data.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        return self._data

    def to_model(self) -> Response:
        """The snapshot as the generated, validated ``Response`` model."""
        from responsekit.models import Response

        return Response.model_validate(self._data)

    def __repr__(self) -> str:
        return f"<ResponseSnapshot {self._data.get('id')} {self._data.get('status')}>"
