"""Validation of wire payloads against two independent sets of models.

"spec" is responsekit's models generated from the protocol description; "openai" is the `openai`
package's models (the independent oracle). A payload conforms when both accept it; each function
returns a short description of the first problems, or None.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

__all__ = ["response_errors", "event_errors", "item_list_errors", "envelope_errors", "input_item_errors"]


def _first(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(x) for x in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('msg')}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _check(adapters: list[tuple[str, TypeAdapter]], payload: Any) -> str | None:
    problems = []
    for name, adapter in adapters:
        try:
            adapter.validate_python(payload)
        except ValidationError as exc:
            problems.append(f"{name} models: {_first(exc)}")
    return " | ".join(problems) or None


@cache
def _response() -> list[tuple[str, TypeAdapter]]:
    import openai.types.responses as oa

    from responsekit import models

    return [("spec", TypeAdapter(models.Response)), ("openai", TypeAdapter(oa.Response))]


@cache
def _event() -> list[tuple[str, TypeAdapter]]:
    import openai.types.responses as oa

    from responsekit import models

    return [
        ("spec", TypeAdapter(models.ResponseStreamEvent)),
        ("openai", TypeAdapter(oa.ResponseStreamEvent)),
    ]


@cache
def _item_list() -> list[tuple[str, TypeAdapter]]:
    import openai.types.responses as oa

    from responsekit import models

    return [("spec", TypeAdapter(models.ResponseItemList)), ("openai", TypeAdapter(oa.ResponseItemList))]


@cache
def _input_item() -> list[tuple[str, TypeAdapter]]:
    import openai.types.responses as oa

    from responsekit import models

    return [("spec", TypeAdapter(models.ItemResource)), ("openai", TypeAdapter(oa.ResponseItem))]


def response_errors(payload: Any) -> str | None:
    """Problems of a `Response` object, or None."""
    if not isinstance(payload, dict):
        return f"not a JSON object: {type(payload).__name__}"
    return _check(_response(), payload)


def event_errors(payload: Any) -> str | None:
    """Problems of one stream event payload, or None."""
    if not isinstance(payload, dict) or not payload:
        return "the data is not a JSON object"
    return _check(_event(), payload)


def item_list_errors(payload: Any) -> str | None:
    return _check(_item_list(), payload)


def input_item_errors(payload: Any) -> str | None:
    return _check(_input_item(), payload)


ENVELOPE_KEYS = ("message", "type", "param", "code")


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
