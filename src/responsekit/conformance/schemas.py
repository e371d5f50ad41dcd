"""Validation of wire payloads against two independent sets of models.

"spec" is responsekit's models generated from the protocol description (which includes the Azure
hosted-agent extensions); "openai" is the `openai` package's models, the independent oracle.

Unions are resolved by their ``type`` first and each payload is validated against the members of
that type only, so a problem reads "output[0] (message): content: Field required" rather than a
hundred errors from every member of the union. A type the spec defines but the openai package
does not (a protocol extension, e.g. ``structured_outputs``) is judged by the spec models alone.

What fails and what is only noted depends on the client validation of the run
(``--client-validation``), the question being "would the `openai` client accept this body?":

- ``strict``: the client built with ``_strict_response_validation=True``, which validates every
  answer with its models. A rejection by the openai models is a problem (the caller fails).
- ``default``: the client as users run it. It builds its models with ``construct``, which validates
  nothing: only an answer that is not JSON breaks it; missing fields, wrong types and unknown union
  members are kept as they came. A rejection by the openai models is then only a deviation.

In both, a body only the spec models reject (the openai models accept it) is a deviation, not a
problem: the ``models.deviations`` check reports the deviations of the whole run as a WARN naming
the fields. A type neither model set defines is a problem under ``strict`` and a deviation under
``default``; an extension type the spec models reject is a problem under both (no other judge).

The validation is set, and deviations collected, per check by ``observing`` (the runner wraps
every check in it); outside it the validation is ``strict`` and deviations are dropped.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from typing_extensions import TypeAliasType

__all__ = [
    "response_errors",
    "event_errors",
    "item_list_errors",
    "envelope_errors",
    "resource_errors",
    "RESOURCES",
    "extension_types",
    "ENVELOPE_KEYS",
    "STRICT",
    "DEFAULT",
    "CLIENT_VALIDATIONS",
    "DEFAULT_CLIENT_VALIDATION",
    "Deviation",
    "Observation",
    "observing",
    "client_validation",
]

STRICT, DEFAULT = "strict", "default"
CLIENT_VALIDATIONS = (STRICT, DEFAULT)
#: The suite's default: the protocol owner's published models are the contract a server keeps, and
#: a field a lenient client lets through still breaks the user code that reads it.
DEFAULT_CLIENT_VALIDATION = STRICT


@dataclass(frozen=True)
class Deviation:
    """A body (or part of one) a model set rejects while the run's verdicts let it pass."""

    where: str  # "output[0] (message)", "event (response.created)", "response", ...
    models: str  # "spec", "openai", or "spec and openai" (a type neither defines)
    fields: tuple[str, ...]  # the offending fields, dotted paths inside ``where``
    detail: str  # the validator's short explanation

    def __str__(self) -> str:
        return f"{self.where}: {self.models} models: {self.detail}"  # the detail names the fields

    def as_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "models": self.models,
            "fields": list(self.fields),
            "detail": self.detail,
        }


@dataclass
class Observation:
    """What one check's validations saw: how many bodies were judged and their deviations."""

    client_validation: str = STRICT
    judged: int = 0
    deviations: list[Deviation] = field(default_factory=list)


_observation: ContextVar[Observation | None] = ContextVar("conformance_schema_observation", default=None)


@contextmanager
def observing(client_validation: str = DEFAULT_CLIENT_VALIDATION) -> Iterator[Observation]:
    """Validate under ``client_validation`` inside the block; the Observation collects what was seen."""
    if client_validation not in CLIENT_VALIDATIONS:
        raise ValueError(
            f"client validation is one of {', '.join(CLIENT_VALIDATIONS)}, not {client_validation!r}"
        )
    observation = Observation(client_validation)
    token = _observation.set(observation)
    try:
        yield observation
    finally:
        _observation.reset(token)


def client_validation() -> str:
    """The validation in force: that of the enclosing ``observing`` block, else strict."""
    observation = _observation.get()
    return observation.client_validation if observation is not None else STRICT


def _judged() -> None:
    observation = _observation.get()
    if observation is not None:
        observation.judged += 1


def _deviate(deviation: Deviation) -> None:
    observation = _observation.get()
    if observation is not None and deviation not in observation.deviations:
        observation.deviations.append(deviation)


ENVELOPE_KEYS = ("message", "type", "param", "code")


def _members(union: Any) -> list[type[BaseModel]]:
    if isinstance(union, TypeAliasType):  # a named union: `OutputItem = TypeAliasType(...)`
        union = union.__value__
    if isinstance(union, type) and issubclass(union, BaseModel) and "root" in union.model_fields:
        union = union.model_fields["root"].annotation
    if typing.get_origin(union) is typing.Annotated:
        union = typing.get_args(union)[0]
    out = []
    for member in typing.get_args(union) or (union,):
        if isinstance(member, TypeAliasType):  # a named union inside a union: flatten it
            out += _members(member)
        elif isinstance(member, type) and issubclass(member, BaseModel):
            if "root" in member.model_fields:  # a RootModel wrapping a union: flatten it
                out += _members(member)
            else:
                out.append(member)
    return out


def _by_type(union: Any) -> dict[str, list[type[BaseModel]]]:
    table: dict[str, list[type[BaseModel]]] = {}
    for member in _members(union):
        field = member.model_fields.get("type")
        for value in typing.get_args(field.annotation) if field else ():
            if isinstance(value, str):
                table.setdefault(value, []).append(member)
    return table


@cache
def _tables() -> dict[str, Any]:
    import openai.types.responses as oa

    from responsekit import models

    return {
        "events": (_by_type(models.ResponseStreamEvent), _by_type(oa.ResponseStreamEvent)),
        "output": (_by_type(models.OutputItem), _by_type(oa.ResponseOutputItem)),
        "input": (_by_type(models.ItemResource), _by_type(oa.ResponseItem)),
        "response": ([models.Response], [oa.Response]),
    }


def _loc(err: Any) -> str:
    return ".".join(str(x) for x in err.get("loc", ()))


def _short(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        loc = _loc(err)
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    more = exc.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _fields(exc: ValidationError) -> tuple[str, ...]:
    return tuple(dict.fromkeys(loc for err in exc.errors() if (loc := _loc(err))))


def _against(candidates: list[type[BaseModel]], payload: Any) -> ValidationError | None:
    """None when one of the candidate models accepts the payload, else the fewest-error rejection."""
    best: ValidationError | None = None
    for model in candidates:
        try:
            model.model_validate(payload)
            return None
        except ValidationError as exc:
            if best is None or exc.error_count() < best.error_count():
                best = exc
    return best


def _judge(
    where: str, spec: ValidationError | None, oracle: ValidationError | None, *, spec_alone: bool = False
) -> str | None:
    """The problem the run's client validation fails on, or None; what it lets pass is a deviation.

    ``spec``/``oracle`` are the rejections by each model set (None: accepted, or not judged);
    ``spec_alone`` says the spec models are the only judge (an extension type the openai package
    does not define), so their rejection is a problem whatever the client validation.
    """
    strict = client_validation() == STRICT
    failing: list[tuple[str, ValidationError]] = []
    lenient: list[tuple[str, ValidationError]] = []
    if oracle is not None:
        (failing if strict else lenient).append(("openai", oracle))
    if spec is not None:
        # An extension type has no other judge; beside a failing openai rejection it adds detail.
        (failing if spec_alone or failing else lenient).append(("spec", spec))
    for name, exc in lenient:
        _deviate(Deviation(where, name, _fields(exc), _short(exc)))
    if not failing:
        return None
    order = {"spec": 0, "openai": 1}
    return " | ".join(
        f"{name} models: {_short(exc)}" for name, exc in sorted(failing, key=lambda f: order[f[0]])
    )


def _typed(kind: str, payload: Any, what: str) -> str | None:
    """Validate a payload of a ``type``-discriminated union against both model sets."""
    if not isinstance(payload, dict):
        return f"{what} is not a JSON object"
    spec, oracle = _tables()[kind]
    kind_type = payload.get("type")
    if kind_type not in spec and kind_type not in oracle:
        problem = f"{what} has type {kind_type!r}, which neither the spec nor the openai models define"
        if client_validation() == STRICT:
            return problem
        _deviate(Deviation(what, "spec and openai", ("type",), problem))
        return None
    spec_exc = _against(spec[kind_type], payload) if kind_type in spec else None
    oracle_exc = _against(oracle[kind_type], payload) if kind_type in oracle else None
    problem = _judge(f"{what} ({kind_type})", spec_exc, oracle_exc, spec_alone=kind_type not in oracle)
    return f"{what} ({kind_type}): {problem}" if problem else None


def extension_types(response: Any) -> list[str]:
    """Output item types of ``response`` that the spec defines but the openai package does not."""
    output = response.get("output") if isinstance(response, dict) else None
    known = _tables()["output"][1]
    types = [item.get("type") for item in output or [] if isinstance(item, dict)]
    return sorted({t for t in types if isinstance(t, str) and t not in known})


def response_errors(payload: Any) -> str | None:
    """Problems of a `Response` object, or None."""
    _judged()
    return _response(payload)


def _response(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return f"not a JSON object: {type(payload).__name__}"
    output = payload.get("output")
    if isinstance(output, list):
        for n, item in enumerate(output):
            problem = _typed("output", item, f"output[{n}]")
            if problem:
                return problem
        payload = {**payload, "output": []}  # the items are judged; now the rest of the object
    spec, oracle = _tables()["response"]
    return _judge("response", _against(spec, payload), _against(oracle, payload))


def event_errors(payload: Any) -> str | None:
    """Problems of one stream event payload, or None."""
    _judged()
    if not isinstance(payload, dict) or not payload:
        return "the data is not a JSON object"
    # Judge what the event carries first: its problems explain the event's.
    if isinstance(payload.get("item"), dict):
        problem = _typed("output", payload["item"], "item")
        if problem:
            return problem
    if isinstance(payload.get("response"), dict):
        problem = _response(payload["response"])
        if problem:
            return f"response: {problem}"
    item = payload.get("item")
    if isinstance(item, dict) and item.get("type") not in _tables()["output"][1]:
        # An extension item the openai event models cannot hold: judge the event by the spec alone.
        rejection = _against(_tables()["events"][0].get(payload.get("type"), []), payload)
        return _judge(f"event ({payload.get('type')})", rejection, None, spec_alone=True)
    shown = payload
    if isinstance(payload.get("response"), dict):
        shown = {**payload, "response": {**payload["response"], "output": []}}
    return _typed("events", shown, "event")


def item_list_errors(payload: Any) -> str | None:
    """Problems of an input-items list ``{object: list, data, first_id, last_id, has_more}``, or None."""
    _judged()
    if not isinstance(payload, dict):
        return "not a JSON object"
    data = payload.get("data")
    if not isinstance(data, list):
        return f"data is {type(data).__name__}, not a list"
    for n, item in enumerate(data):
        problem = _typed("input", item, f"data[{n}]")
        if problem:
            return problem
    missing = [k for k in ("object", "data", "first_id", "last_id", "has_more") if k not in payload]
    if missing or payload.get("object") != "list":
        return f"list keys missing {missing} or object is {payload.get('object')!r}, not 'list'"
    return None


def envelope_errors(payload: Any) -> str | None:
    """Problems of an error envelope ``{"error": {"message", "type", "param", "code"}}``, or None.

    All four keys must be present (``param`` and ``code`` may be null); ``message`` and ``type`` are
    strings.
    """
    if not isinstance(payload, dict):
        return "the body is not a JSON object"
    err = payload.get("error")
    if not isinstance(err, dict):
        return f"no `error` object in the body (keys: {sorted(payload)})"
    missing = [k for k in ENVELOPE_KEYS if k not in err]
    if missing:
        return f"error envelope lacks {', '.join(repr(k) for k in missing)} (has {sorted(err)})"
    wrong = [k for k in ("message", "type") if not isinstance(err[k], str)]
    wrong += [k for k in ("param", "code") if err[k] is not None and not isinstance(err[k], str)]
    if wrong:
        return f"error envelope keys of the wrong type: {', '.join(wrong)}"
    return None


#: kind -> (spec model name, openai model path, the key holding a list of items and their union).
RESOURCES: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "compaction": ("CompactResource", "responses.CompactedResponse", ("output", "output")),
    "input_tokens": ("TokenCountsResource", "responses.InputTokenCountResponse", None),
    "conversation": ("ConversationResource", "conversations.Conversation", None),
    "conversation_deleted": (
        "DeletedConversationResource",
        "conversations.ConversationDeletedResource",
        None,
    ),
    "conversation_item_list": (
        "ConversationItemList",
        "conversations.ConversationItemList",
        ("data", "input"),
    ),
}


@cache
def _resource_models(kind: str) -> tuple[list[type[BaseModel]], list[type[BaseModel]]]:
    import importlib

    from responsekit import models

    spec_name, oracle_path, _ = RESOURCES[kind]
    module, name = oracle_path.rsplit(".", 1)
    oracle = getattr(importlib.import_module(f"openai.types.{module}"), name)
    spec = getattr(models, spec_name, None)  # a spec without the model judges by the oracle alone
    return ([spec] if spec is not None else []), [oracle]


def resource_errors(kind: str, payload: Any) -> str | None:
    """Problems of one of the ``RESOURCES`` objects (a compaction, a conversation, ...), or None.

    The object must validate against both model sets; its list of items (a compaction's output, an
    item list's data) is judged item by item first, by item type, like a Response's output.
    """
    _judged()
    if not isinstance(payload, dict):
        return f"not a JSON object: {type(payload).__name__}"
    items = RESOURCES[kind][2]
    if items is not None:
        key, union = items
        if isinstance(payload.get(key), list):
            for n, item in enumerate(payload[key]):
                problem = _typed(union, item, f"{key}[{n}]")
                if problem:
                    return problem
            payload = {**payload, key: []}  # the items are judged; now the rest of the object
    spec, oracle = _resource_models(kind)
    return _judge(kind, _against(spec, payload) if spec else None, _against(oracle, payload))
