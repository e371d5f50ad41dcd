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
#: Generated constant -> the object schema whose property names (with its ``allOf`` parts') it holds.
PROPERTY_NAMES = {"CREATE_RESPONSE_FIELDS": "CreateResponse"}
#: Generated constant -> (schema, property path) of a string enum.
ENUMS = {
    "INCLUDE_VALUES": ("IncludeEnum", ()),
    "ERROR_CODES": ("ResponseErrorCode", ()),
    "INCOMPLETE_REASONS": ("Response", ("incomplete_details", "reason")),
}
#: Generated constant -> (schema, property path) of a union of typed objects: the constant maps each
#: member's `type` value to the defaults the schema gives its other properties (what the response
#: states for a setting the request left out).
UNION_DEFAULTS = {
    "TOOL_DEFAULTS": ("Tool", ()),
    "NAMESPACE_TOOL_DEFAULTS": ("NamespaceToolParam", ("tools", "items")),
}
_DOCS = {
    "EVENT_TYPES": "Every stream event type of the spec (members of ``ResponseStreamEvent``).",
    "INPUT_ITEM_TYPES": "The `type` values of the ``InputItem`` union (what a request's input may hold).",
    "INPUT_CONTENT_TYPES": "The `type` values of the ``InputContent`` union.",
    "OUTPUT_MESSAGE_CONTENT_TYPES": "The `type` values of the ``OutputMessageContent`` union.",
    "CREATE_RESPONSE_FIELDS": "The fields of ``CreateResponse`` (a create request's known fields).",
    "INCLUDE_VALUES": "The values of ``IncludeEnum`` (the `include` query and request field).",
    "ERROR_CODES": "The values of ``ResponseErrorCode`` (a failed response's ``error.code``).",
    "INCOMPLETE_REASONS": "The values of ``Response.incomplete_details.reason``.",
    "TOOL_DEFAULTS": "Tool type -> the defaults of its ``Tool`` member (an echoed tool states them).",
    "NAMESPACE_TOOL_DEFAULTS": "The same for the tools inside a ``namespace`` tool.",
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


def property_names(spec: dict, schema_name: str) -> set[str]:
    """The property names of an object schema, with those of its ``allOf`` parts (the fields of the
    generated model, by wire name)."""
    found: set[str] = set()
    pending = [{"$ref": f"#/components/schemas/{schema_name}"}]
    while pending:
        _, schema = resolve(spec, pending.pop())
        found.update(schema.get("properties", {}))
        pending.extend(schema.get("allOf", []))
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


_NO_DEFAULT = object()


def _default(spec: dict, schema: dict) -> Any:
    """The default a property's schema gives: its own, its ``$ref`` target's, or that of one of its
    ``anyOf`` / ``oneOf`` options (``{"anyOf": [{"type": "boolean", "default": true}, {"type": "null"}]}``);
    never one of a nested property's. ``_NO_DEFAULT`` when there is none."""
    if "default" in schema:
        return schema["default"]
    if "$ref" in schema:
        return _default(spec, resolve(spec, schema)[1])
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            value = _default(spec, option)
            if value is not _NO_DEFAULT:
                return value
    return _NO_DEFAULT


def union_defaults(spec: dict, schema_name: str, path: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """`type` value -> {property: default} for each member of the union at ``path`` inside the schema
    (``items`` steps into an array's items): the defaults the schema gives each member's properties
    other than `type`. Members without any are left out."""
    _, schema = resolve(spec, {"$ref": f"#/components/schemas/{schema_name}"})
    for step in path:
        schema = schema["items"] if step == "items" else _property(spec, schema, step)
        if schema is None:
            raise KeyError(f"{schema_name}: no property {'.'.join(path)}")
        _, schema = resolve(spec, schema)
    out: dict[str, dict[str, Any]] = {}
    for member in schema.get("anyOf") or schema.get("oneOf") or []:
        _, member = resolve(spec, member)
        properties = member.get("properties", {})
        defaults = {}
        for name, prop in sorted(properties.items()):
            value = _default(spec, prop) if name != "type" else _NO_DEFAULT
            if value is not _NO_DEFAULT:
                defaults[name] = value
        if defaults:
            for type_value in _strings(properties.get("type", {})):
                out[type_value] = defaults
    return dict(sorted(out.items()))


def constants(spec: dict) -> dict[str, Any]:
    """Each generated constant's values: sorted lists of strings, or (``UNION_DEFAULTS``) mappings."""
    out: dict[str, Any] = {"EVENT_TYPES": sorted(event_types(spec, strict=True))}
    for constant, union in UNION_TYPES.items():
        out[constant] = sorted(union_type_values(spec, union))
    for constant, schema_name in PROPERTY_NAMES.items():
        out[constant] = sorted(property_names(spec, schema_name))
    for constant, (schema, path) in ENUMS.items():
        out[constant] = sorted(set(enum_values(spec, schema, path)))
    for constant, (schema, path) in UNION_DEFAULTS.items():
        out[constant] = union_defaults(spec, schema, path)
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
        "from typing import Any",
        "",
    ]
    values = constants(json.loads(spec_bytes))
    lines.append("__all__ = [" + ", ".join(json.dumps(name) for name in sorted(values)) + "]")
    for name, items in values.items():
        lines += ["", f"#: {_DOCS[name]}"]
        if isinstance(items, dict):
            # JSON values as Python literals (the formatter normalises the quotes).
            lines.append(f"{name}: dict[str, dict[str, Any]] = {items!r}")
            continue
        lines += [f"{name}: frozenset[str] = frozenset(", "    {"]
        lines += [f"        {json.dumps(item)}," for item in items]
        lines += ["    }", ")"]
    return "\n".join(lines) + "\n"
