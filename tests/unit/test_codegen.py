"""Code generation: headers, determinism, the event-to-builder mapping and coverage."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import pydantic
import pytest
import yaml

from codegen.builders import CONFIG, BuilderConfigError, render_builders
from codegen.extract import DEFAULT_UPSTREAM, load_upstream
from responsekit.models import _generated as models
from responsekit.streaming import _generated_builders as gen
from responsekit.streaming import builders as hand_builders
from responsekit.streaming import stream as hand_stream

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "spec" / "openapi.json"
GENERATED = [
    ROOT / "src/responsekit/models/_generated.py",
    ROOT / "src/responsekit/streaming/_generated_builders.py",
    ROOT / "src/responsekit/models/_generated_constants.py",
]


def upstream_union_types(union_name: str) -> set[str]:
    """Read off the upstream file itself (not spec/): the `type` values of a union's members."""
    schemas = load_upstream(DEFAULT_UPSTREAM)["components"]["schemas"]

    def type_values(schema: dict) -> set[str]:
        if "$ref" in schema:
            return type_values(schemas[schema["$ref"].rsplit("/", 1)[-1]])
        type_schema = schema.get("properties", {}).get("type")
        if type_schema:
            return set(type_schema.get("enum") or [type_schema.get("const")])
        return set().union(*(type_values(part) for part in schema.get("allOf", [])))

    union = schemas[union_name]
    return set().union(*(type_values(m) for m in union.get("anyOf") or union.get("oneOf")))


def literals_in(annotation) -> set[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    return set().union(*(literals_in(a) for a in typing.get_args(annotation)))


def union_members(alias) -> tuple:
    """The models of a generated union (`Name = TypeAliasType("Name", Annotated[A | B, Field(...)])`)."""
    union = alias.__value__
    if typing.get_origin(union) is typing.Annotated:
        union = typing.get_args(union)[0]
    return typing.get_args(union)


def literal_values(model: type[pydantic.BaseModel]) -> set[str]:
    """The values a model's `type` field takes (through Optional, Annotated and unions)."""
    return literals_in(model.model_fields["type"].annotation)


# -------------------------------------------------------------------------------- generated files
@pytest.mark.parametrize("path", GENERATED, ids=lambda p: p.name)
def test_generated_files_start_with_the_header(path):
    lines = path.read_text().splitlines()
    digest = hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest()
    assert lines[0].startswith("# GENERATED FILE: DO NOT EDIT.")
    assert lines[1].startswith(f"# Source: spec/openapi.json (sha256 {digest})")
    assert "make codegen" in lines[1]


def test_codegen_check_passes_on_the_committed_tree():
    proc = subprocess.run(
        [sys.executable, "-m", "codegen.generate", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


RENDER_BUILDERS = (
    "import sys; from pathlib import Path; from codegen.builders import render_builders; "
    "sys.stdout.buffer.write(render_builders(Path(sys.argv[1]).read_bytes()).encode())"
)


def render_builders_in_a_process(hash_seed: str) -> bytes:
    """The builders as a fresh interpreter renders them (its own set/dict iteration order)."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run(
        [sys.executable, "-c", RENDER_BUILDERS, str(SPEC_PATH)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def test_builder_rendering_is_deterministic():
    """Across processes, not only within one: string hashing (set order) differs per interpreter."""
    spec_bytes = SPEC_PATH.read_bytes()
    in_process = render_builders(spec_bytes)
    assert in_process == render_builders(spec_bytes)
    first, second = render_builders_in_a_process("1"), render_builders_in_a_process("2")
    assert first, "the rendering subprocess printed nothing"
    assert first == second, "two interpreters (PYTHONHASHSEED 1 and 2) render different builders"
    assert first.decode() == in_process


# -------------------------------------------------------------------------- the event mapping
def write_config(tmp_path: Path, mutate) -> Path:
    config = yaml.safe_load(CONFIG.read_text())
    mutate(config)
    path = tmp_path / "builders.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_an_unmapped_event_type_fails_rendering_naming_it(tmp_path):
    path = write_config(tmp_path, lambda c: c["events"].pop("response.output_text.delta"))
    with pytest.raises(BuilderConfigError, match=r"does not place.*response\.output_text\.delta"):
        render_builders(SPEC_PATH.read_bytes(), config_path=path)


def test_every_unmapped_event_type_is_named(tmp_path):
    gone = ["response.mcp_call.failed", "response.compaction.compacting"]
    path = write_config(tmp_path, lambda c: [c["events"].pop(t) for t in gone])
    with pytest.raises(BuilderConfigError) as info:
        render_builders(SPEC_PATH.read_bytes(), config_path=path)
    assert all(t in str(info.value) for t in gone)


def test_a_new_event_type_in_the_spec_fails_until_mapped():
    spec = json.loads(SPEC_PATH.read_text())
    schemas = spec["components"]["schemas"]
    schemas["ResponseShinyNewEvent"] = {
        "type": "object",
        "required": ["type", "sequence_number"],
        "properties": {
            "type": {"type": "string", "enum": ["response.shiny.new"]},
            "sequence_number": {"type": "integer"},
        },
    }
    schemas["ResponseStreamEvent"]["anyOf"].append({"$ref": "#/components/schemas/ResponseShinyNewEvent"})
    with pytest.raises(BuilderConfigError, match=r"response\.shiny\.new"):
        render_builders(json.dumps(spec).encode())


def test_a_mapped_type_the_spec_lacks_fails(tmp_path):
    path = write_config(
        tmp_path,
        lambda c: c["events"].__setitem__(
            "response.gone", {"builder": "ResponseEventStream", "method": "emit_gone", "role": "notice"}
        ),
    )
    with pytest.raises(BuilderConfigError, match=r"response\.gone"):
        render_builders(SPEC_PATH.read_bytes(), config_path=path)


def test_two_events_on_one_method_name_fail(tmp_path):
    def clash(c):
        c["events"]["response.refusal.done"]["method"] = "emit_delta"

    with pytest.raises(BuilderConfigError, match="emit_delta"):
        render_builders(SPEC_PATH.read_bytes(), config_path=write_config(tmp_path, clash))


# ------------------------------------------------------------------------------------ coverage
def emit_methods() -> dict[str, list[str]]:
    """event type -> the generated methods that emit it (read off each method's payload)."""
    out: dict[str, list[str]] = {}
    for name in gen.__all__:
        mixin = getattr(gen, name)
        if not inspect.isclass(mixin):
            continue
        for attr, fn in vars(mixin).items():
            if attr.startswith("emit_"):
                event_type = re.search(r'"type": "([^"]+)"', inspect.getsource(fn)).group(1)
                out.setdefault(event_type, []).append(f"{name}.{attr}")
    return out


def test_all_upstream_event_types_plus_compacting_have_models_and_one_emit_method():
    upstream = upstream_union_types("ResponseStreamEvent")
    assert len(upstream) == 58
    expected = upstream | {"response.compaction.compacting"}
    members = typing.get_args(models.ResponseStreamEvent.model_fields["root"].annotation)
    modelled = {t for m in members for t in literal_values(m)}
    assert modelled == expected
    methods = emit_methods()
    assert set(methods) == expected == set(gen.EVENT_TYPES)
    assert {t: m for t, m in methods.items() if len(m) != 1} == {}


def test_every_generated_mixin_is_on_a_public_builder():
    public = [c for mod in (hand_builders, hand_stream) for c in vars(mod).values() if inspect.isclass(c)]
    for name in gen.__all__:
        mixin = getattr(gen, name)
        if inspect.isclass(mixin):
            assert any(issubclass(c, mixin) and c is not mixin for c in public), name


def test_every_output_item_type_has_a_model():
    members = union_members(models.OutputItem)
    modelled = {t for m in members for t in literal_values(m)}
    assert upstream_union_types("OutputItem") | {"structured_outputs"} <= modelled
    assert len(members) == len(set(members))


def test_generated_type_literals_are_the_spec_values():
    """A union discriminating on `type` must use the schema's own values (never the schema name)."""
    schemas = json.loads(SPEC_PATH.read_text())["components"]["schemas"]
    checked = 0
    for name, schema in schemas.items():
        model = getattr(models, name, None)
        enum = schema.get("properties", {}).get("type", {}).get("enum")
        if (
            enum
            and inspect.isclass(model)
            and issubclass(model, pydantic.BaseModel)
            and "type" in model.model_fields
        ):
            values = literal_values(model)
            if values:
                assert values <= set(enum), f"{name}: generated {values}, spec {enum}"
                checked += 1
    assert checked > 200


def test_requests_with_web_search_tools_and_filters_validate():
    request = models.CreateResponse.model_validate(
        {
            "model": "m",
            "tools": [
                {"type": "web_search"},
                {"type": "web_search_preview_2025_03_11"},
                {
                    "type": "file_search",
                    "vector_store_ids": ["vs_1"],
                    "filters": {
                        "type": "and",
                        "filters": [
                            {"type": "eq", "key": "k", "value": "v"},
                            {"type": "or", "filters": [{"type": "gt", "key": "n", "value": 1}]},
                        ],
                    },
                },
            ],
        }
    )
    tools = request.model_dump(mode="json", exclude_unset=True)["tools"]
    assert [t["type"] for t in tools] == ["web_search", "web_search_preview_2025_03_11", "file_search"]
    assert type(request.tools[0]).__name__ == "WebSearchTool"
