"""Facts read off the spec's schemas: event types, the `type` values of unions, enums.

The runtime needs a few sets of protocol values (which item and content types a request may
hold, which `include` values exist, which error codes a failed response may carry...). They are
generated into ``src/responsekit/models/_generated_constants.py`` from here, so nothing re-derives
them by reflecting over the models at import. ``event_types`` is also what ``codegen.builders``
(one emit_* method per event type) and ``codegen.spec_check`` (what an upstream adds) read.
"""

from __future__ import annotations

import json
from typing import Any

from codegen.extract import resolve_pointer

#: Generated constant -> the union schema whose members' `type` values it holds.
UNION_TYPES = {
    "INPUT_ITEM_TYPES": "InputItem",
    "INPUT_CONTENT_TYPES": "InputContent",
    "OUTPUT_MESSAGE_CONTENT_TYPES": "OutputMessageContent",
}
#: Generated constant -> (schema, property path) of a string enum.
ENUMS = {
    "INCLUDE_VALUES": ("IncludeEnum", ()),
    "ERROR_CODES": ("ResponseErrorCode", ()),
    "INCOMPLETE_REASONS": ("Response", ("incomplete_details", "reason")),
}
_DOCS = {
    "EVENT_TYPES": "Every stream event type of the spec (members of ``ResponseStreamEvent``).",
    "INPUT_ITEM_TYPES": "The `type` values of the ``InputItem`` union (what a request's input may hold).",
    "INPUT_CONTENT_TYPES": "The `type` values of the ``InputContent`` union.",
    "OUTPUT_MESSAGE_CONTENT_TYPES": "The `type` values of the ``OutputMessageContent`` union.",
    "INCLUDE_VALUES": "The values of ``IncludeEnum`` (the `include` query and request field).",
    "ERROR_CODES": "The values of ``ResponseErrorCode`` (a failed response's ``error.code``).",
    "INCOMPLETE_REASONS": "The values of ``Response.incomplete_details.reason``.",
}


def _schemas(spec: dict) -> dict[str, Any]:
    return spec.get("components", {}).get("schemas", {})


def resolve(spec: dict, schema: dict) -> tuple[str | None, dict]:
    """A schema with its ``$ref`` followed: (the component's name or None, the schema)."""
    name = None
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = resolve_pointer(spec, schema["$ref"])
    return name, schema


def _single_type(schema: dict) -> str | None:
    type_schema = schema.get("properties", {}).get("type", {})
    if "const" in type_schema:
        return type_schema["const"]
    enum = type_schema.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else None


def event_types(spec: dict, *, strict: bool = False) -> dict[str, str]:
    """event type -> schema name (``#n`` for an inline member) of every member of the spec's
    ``ResponseStreamEvent`` union. ``strict``: every member must be a named schema with exactly one
    `type` value (what the builders need), else ValueError naming the member."""
    union = _schemas(spec).get("ResponseStreamEvent", {})
    members = union.get("anyOf") or union.get("oneOf") or []
    out: dict[str, str] = {}
    for i, member in enumerate(members):
        name, schema = resolve(spec, member)
        event_type = _single_type(schema)
        if strict and (name is None or event_type is None):
            raise ValueError(
                f"ResponseStreamEvent member {name or f'#{i}'} is not a named schema with one type"
            )
        if event_type is not None:
            out[event_type] = name or f"#{i}"
    return out


def union_type_values(spec: dict, schema_name: str) -> set[str]:
    """Every `type` value among the members of a (possibly nested) union, with each type field's
    default: the values a discriminated union of the generated models accepts."""
    found: set[str] = set()
    pending = [{"$ref": f"#/components/schemas/{schema_name}"}]
    while pending:
        _, schema = resolve(spec, pending.pop())
        type_schema = schema.get("properties", {}).get("type")
        if type_schema is not None:
            found.update(v for v in _strings(type_schema))
        for key in ("anyOf", "oneOf", "allOf"):
            pending.extend(schema.get(key, []))
    return found


def _strings(type_schema: dict) -> list[str]:
    values = [*type_schema.get("enum", []), *([type_schema["const"]] if "const" in type_schema else [])]
    if isinstance(type_schema.get("default"), str):
        values.append(type_schema["default"])
    for key in ("anyOf", "oneOf"):
        for option in type_schema.get(key, []):
            values += _strings(option)
    return [v for v in values if isinstance(v, str)]


def enum_values(spec: dict, schema_name: str, path: tuple[str, ...] = ()) -> list[str]:
    """The string enum of a schema, or of the property at ``path`` inside it (through ``allOf``
    parts and nullable ``anyOf`` / ``oneOf`` options)."""
    _, schema = resolve(spec, {"$ref": f"#/components/schemas/{schema_name}"})
    for step in path:
        schema = _property(spec, schema, step)
        if schema is None:
            raise KeyError(f"{schema_name}: no property {'.'.join(path)}")
    values = _enum(spec, schema)
    if values is None:
        raise KeyError(f"{schema_name} {'.'.join(path)} is not a string enum")
    return values


def _property(spec: dict, schema: dict, name: str) -> dict | None:
    _, schema = resolve(spec, schema)
    if name in schema.get("properties", {}):
        return schema["properties"][name]
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            found = _property(spec, part, name)
            if found is not None:
                return found
    return None


def _enum(spec: dict, schema: dict) -> list[str] | None:
    _, schema = resolve(spec, schema)
    if "enum" in schema:
        return [v for v in schema["enum"] if isinstance(v, str)]
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            values = _enum(spec, option)
            if values is not None:
                return values
    return None


def constants(spec: dict) -> dict[str, list[str]]:
    """Each generated constant's values, sorted."""
    out = {"EVENT_TYPES": sorted(event_types(spec, strict=True))}
    for constant, union in UNION_TYPES.items():
        out[constant] = sorted(union_type_values(spec, union))
    for constant, (schema, path) in ENUMS.items():
        out[constant] = sorted(set(enum_values(spec, schema, path)))
    return out


def render_constants(spec_bytes: bytes) -> str:
    """The source of the generated constants module (before formatting and header)."""
    lines = [
        '"""Protocol facts read off the spec\'s schemas (codegen/spec_facts.py), as plain constants.',
        "",
        "The runtime checks requests and events against these; tests/unit/test_schema_constants.py",
        "checks they equal what reflection over the generated models gives.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    values = constants(json.loads(spec_bytes))
    lines.append("__all__ = [" + ", ".join(json.dumps(name) for name in sorted(values)) + "]")
    for name, items in values.items():
        lines += ["", f"#: {_DOCS[name]}", f"{name}: frozenset[str] = frozenset(", "    {"]
        lines += [f"        {json.dumps(item)}," for item in items]
        lines += ["    }", ")"]
    return "\n".join(lines) + "\n"
