"""Codegen seams: the role hooks the generated emit_* methods call, and the one event-type reader."""

from __future__ import annotations

import ast
import copy
import inspect
import json
from pathlib import Path

import pytest

from codegen import builders as codegen_builders
from codegen import spec_check, spec_facts
from codegen.builders import BuilderConfigError, render_builders
from responsekit.streaming import _generated_builders as gen
from responsekit.streaming import item_builders, output_item_builder, part_builders
from responsekit.streaming import stream as hand_stream

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "spec" / "openapi.json"


def hooks_by_mixin(source: str) -> dict[str, set[str]]:
    """mixin class name -> every ``self._pre_<role>`` / ``self._post_<role>`` its methods call."""
    out: dict[str, set[str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            names = out.setdefault(node.name, set())
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id == "self"
                    and sub.attr.startswith(("_pre_", "_post_"))
                ):
                    names.add(sub.attr)
    return out


def concrete_builders() -> list[type]:
    """The hand-written builder classes (the generated mixins are private, named ``_...Events``)."""
    # builders.py re-exports these; the classes are defined in the three modules below
    modules = (output_item_builder, part_builders, item_builders, hand_stream)
    return [
        c
        for mod in modules
        for c in vars(mod).values()
        if inspect.isclass(c) and c.__module__ == mod.__name__ and not c.__name__.startswith("_")
    ]


def test_every_role_hook_the_template_names_exists_on_each_concrete_builder():
    hooks = hooks_by_mixin(render_builders(SPEC_PATH.read_bytes()))
    assert sum(len(names) for names in hooks.values()) > 20  # the parse found the calls
    checked = 0
    for mixin_name, names in hooks.items():
        mixin = getattr(gen, mixin_name)
        users = [c for c in concrete_builders() if issubclass(c, mixin)]
        assert users, f"no hand-written builder uses {mixin_name}"
        for cls in users:
            missing = sorted(name for name in names if not callable(getattr(cls, name, None)))
            assert missing == [], f"{cls.__name__} lacks {missing} (called by {mixin_name})"
            checked += len(names)
    assert checked > 50


def test_the_committed_builders_call_the_same_hooks_as_a_fresh_render():
    committed = hooks_by_mixin(inspect.getsource(gen))
    assert committed == hooks_by_mixin(render_builders(SPEC_PATH.read_bytes()))


def test_builders_and_spec_check_read_event_types_with_one_function():
    spec = json.loads(SPEC_PATH.read_text())
    assert spec_check.event_types is spec_facts.event_types
    assert codegen_builders.event_schemas(spec) == spec_facts.event_types(spec, strict=True)
    assert set(spec_facts.event_types(spec)) == gen.EVENT_TYPES


def test_builders_refuse_an_event_member_without_one_type():
    spec = json.loads(SPEC_PATH.read_text())
    doc = copy.deepcopy(spec)
    doc["components"]["schemas"]["ResponseStreamEvent"]["anyOf"].append(
        {"type": "object", "properties": {"type": {"type": "string"}}}
    )
    assert spec_facts.event_types(doc) == spec_facts.event_types(spec)  # lenient: skipped
    with pytest.raises(BuilderConfigError, match="not a named schema with one type"):
        codegen_builders.event_schemas(doc)
