"""Render the typed emit_* methods (one per stream event type) from the spec's event schemas.

The mapping from event type to builder, method name and role lives in codegen/builders.yaml; the
method bodies come from codegen/templates/builders.py.jinja. Every member of the spec's
``ResponseStreamEvent`` union must be mapped, or generation fails naming the missing type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import yaml

from codegen.spec_facts import event_types

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "builders.yaml"
TEMPLATES = HERE / "templates"

# Identity fields a builder always fills from its own position in the stream.
ID_FIELDS = {
    "item_id": "self._item_id",
    "output_index": "self._output_index",
    "content_index": "self._content_index",
    "summary_index": "self._summary_index",
}
# What each role fills itself: field name -> expression (names bound by the role's _pre_ call).
ROLE_FILLS = {
    "lifecycle": {"response": "response"},
    "terminal": {"response": "response"},
    "item_open": {"item": "item"},
    "item_close": {"item": "item"},
    "part_open": {"part": "part"},
    "part_close": {"part": "part"},
    "annotation": {"annotation_index": "annotation_index"},
}
ROLES = {
    "lifecycle",
    "terminal",
    "notice",
    "item_open",
    "item_close",
    "item_progress",
    "item_delta",
    "item_final",
    "part_open",
    "part_close",
    "part_delta",
    "part_final",
    "annotation",
}


class BuilderConfigError(Exception):
    pass


@dataclass
class Param:
    name: str
    annotation: str
    required: bool
    default: str | None = None  # Python expression used when the caller passes None
    plain: bool = False  # the value may be a pydantic model and needs _plain()

    @property
    def signature(self) -> str:
        if self.required and self.default is None:
            return f"{self.name}: {self.annotation}"
        nullable = self.annotation if self.annotation.endswith("| None") else f"{self.annotation} | None"
        return f"{self.name}: {nullable} = None"


@dataclass
class Method:
    event_type: str
    name: str
    role: str
    schema_name: str
    fields: list[tuple[str, str]]  # (json key, expression), in schema order
    params: list[Param]
    optional: list[Param]  # omitted from the payload when None
    extra: dict[str, str] = field(default_factory=dict)
    status: str | None = None
    accumulate: str | None = None  # the parameter holding streamed text
    final_field: str | None = None
    counter: str | None = None
    nested_error: bool = False

    @property
    def signature(self) -> str:
        positional = [p.signature for p in self.params if p.required and p.default is None]
        keyword = [p.signature for p in self.params if not (p.required and p.default is None)]
        keyword += [p.signature for p in self.optional]
        # The hand-specified lifecycle parameters (code, message, reason, usage) may also be passed
        # positionally, as the peer package's emit_failed(code, message) / emit_incomplete(reason) are.
        extra = [f"{name}: {decl}" for name, decl in self.extra.items()]
        parts = ["self", *positional, *extra]
        if keyword:
            parts += ["*", *keyword]
        return ", ".join(parts)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def annotation_for(schema: dict, schemas: dict) -> tuple[str, bool]:
    """A Python annotation for a property schema, and whether values may need _plain()."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        target = schemas[name]
        if target.get("type") in ("string", "integer", "number", "boolean") and "enum" not in target:
            return annotation_for(target, schemas)
        return f"models.{name} | Mapping[str, Any]", True
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            nullable = len(options) != len(schema[key])
            rendered = [annotation_for(o, schemas) for o in options]
            text = " | ".join(dict.fromkeys(r[0] for r in rendered)) or "Any"
            return (f"{text} | None" if nullable else text), any(r[1] for r in rendered)
    if "enum" in schema:
        return "Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]", False
    kind = schema.get("type")
    if kind == "string":
        return "str", False
    if kind == "integer":
        return "int", False
    if kind == "number":
        return "float", False
    if kind == "boolean":
        return "bool", False
    if kind == "array":
        inner, plain = annotation_for(schema.get("items", {}), schemas)
        return f"Sequence[{inner}]", True
    if kind == "object":
        return "Mapping[str, Any]", True
    return "Any", True


def event_schemas(spec: dict) -> dict[str, str]:
    """event type -> schema name, for every member of the ResponseStreamEvent union."""
    try:
        return event_types(spec, strict=True)
    except ValueError as exc:
        raise BuilderConfigError(str(exc)) from None


def build_method(event_type: str, schema_name: str, entry: dict, schemas: dict) -> Method:
    role = entry["role"]
    if role not in ROLES:
        raise BuilderConfigError(f"{event_type}: unknown role {role!r}")
    schema = schemas[schema_name]
    required = set(schema.get("required", []))
    fills = dict(ROLE_FILLS.get(role, {}))
    if role in ("item_final", "part_final"):
        fills[entry["field"]] = "value"
    for name in entry.get("from_item", []):
        fills[name] = f"self._item[{name!r}]"
    if "counter" in entry:
        fills[entry["counter"]] = "self._counter"
    if entry.get("nested_error"):
        fills["error"] = None  # filled after the flat fields, see the template
    defaults = entry.get("defaults", {})
    # The spec may leave a field optional that the emitter should always send (e.g. the flat
    # fields of the `error` event, which the openai SDK requires): `require` makes it a parameter
    # the caller must give, `always` sends it even as null.
    required |= set(entry.get("require", [])) | set(entry.get("always", []))
    for name in entry.get("always", []):
        defaults.setdefault(name, "None")
    fields: list[tuple[str, str]] = []
    params: list[Param] = []
    optional: list[Param] = []
    accumulate = None
    for prop, prop_schema in schema["properties"].items():
        if prop == "type":
            fields.append((prop, json.dumps(event_type)))
        elif prop == "sequence_number":
            fields.append((prop, "self._stream._seq"))
        elif prop in ID_FIELDS:
            fields.append((prop, ID_FIELDS[prop]))
        elif prop in fills:
            if fills[prop] is not None:
                fields.append((prop, fills[prop]))
        else:
            annotation, plain = annotation_for(prop_schema, schemas)
            param = Param(prop, annotation, prop in required, defaults.get(prop), plain)
            if role in ("part_delta", "item_delta") and prop == "delta":
                accumulate = prop
            if prop in required:
                params.append(param)
                value = f"_plain({prop})" if plain else prop
                if param.default not in (None, "None"):
                    value = f"{param.default} if {prop} is None else {value}"
                fields.append((prop, value))
            else:
                optional.append(param)
    if role in ("part_delta", "item_delta") and accumulate is None:
        raise BuilderConfigError(f"{event_type}: role {role} needs a `delta` property")
    return Method(
        event_type=event_type,
        name=entry["method"],
        role=role,
        schema_name=schema_name,
        fields=fields,
        params=params,
        optional=optional,
        extra=entry.get("extra", {}),
        status=entry.get("status"),
        accumulate=accumulate,
        final_field=entry.get("field"),
        counter=entry.get("counter"),
        nested_error=bool(entry.get("nested_error")),
    )


def plan(spec: dict, config: dict) -> dict[str, list[Method]]:
    schemas = spec["components"]["schemas"]
    events = event_schemas(spec)
    mapping = config["events"]
    missing = sorted(set(events) - set(mapping))
    if missing:
        raise BuilderConfigError(
            "stream event types in spec/ that codegen/builders.yaml does not place on a builder: "
            + ", ".join(missing)
        )
    unknown = sorted(set(mapping) - set(events))
    if unknown:
        raise BuilderConfigError(
            "codegen/builders.yaml places event types spec/ lacks: " + ", ".join(unknown)
        )
    by_builder: dict[str, list[Method]] = {name: [] for name in config["builders"]}
    for event_type in sorted(events):
        entry = mapping[event_type]
        if entry["builder"] not in by_builder:
            raise BuilderConfigError(f"{event_type}: unknown builder {entry['builder']!r}")
        by_builder[entry["builder"]].append(build_method(event_type, events[event_type], entry, schemas))
    for builder, methods in by_builder.items():
        names = [m.name for m in methods]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise BuilderConfigError(f"{builder}: two events map to {dupes}")
    return by_builder


def render_builders(spec_bytes: bytes, config_path: Path = CONFIG) -> str:
    spec = json.loads(spec_bytes)
    config = yaml.safe_load(config_path.read_text())
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("builders.py.jinja")
    by_builder = plan(spec, config)
    emitted = sorted(m.event_type for methods in by_builder.values() for m in methods)
    return template.render(builders=config["builders"], methods=by_builder, event_types=emitted)
