"""The echoed tools state the defaults the spec gives their type; `context_management` is echoed.

``TOOL_DEFAULTS`` (models/_generated_constants.py) is generated from the spec by codegen/spec_facts.py;
the response snapshot (streaming/snapshot.py) fills each echoed tool with it. The strict ``openai``
models and the Open Responses profile are the oracles of what a client accepts.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import openai.types.responses as oa
import pytest

from codegen import spec_facts
from responsekit.models import CreateResponse
from responsekit.models import _generated as models
from responsekit.models._generated_constants import NAMESPACE_TOOL_DEFAULTS, TOOL_DEFAULTS
from responsekit.streaming.snapshot import new_response

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "spec" / "openapi.json").read_text())
OPEN_RESPONSES = json.loads(
    (ROOT / "spec" / "upstream" / "openresponses-openapi-2026-04-24.json").read_text()
)

#: The smallest valid request tool of each type that has defaults.
MINIMAL_TOOLS = {
    "function": {"type": "function", "name": "get_weather"},
    "image_generation": {"type": "image_generation"},
    "mcp": {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.com/sse"},
    "web_search": {"type": "web_search"},
    "web_search_2025_08_26": {"type": "web_search_2025_08_26"},
}


def echoed(tools: list[dict], **fields) -> dict:
    request = CreateResponse.model_validate({"model": "m", "input": "hi", "tools": tools, **fields})
    snapshot = new_response("resp_1", request, created_at=1)
    return {**snapshot, "status": "completed"}


def test_the_defaults_are_read_off_the_spec():
    assert TOOL_DEFAULTS == spec_facts.union_defaults(SPEC, "Tool")
    assert NAMESPACE_TOOL_DEFAULTS == spec_facts.union_defaults(
        SPEC, "NamespaceToolParam", ("tools", "items")
    )
    assert TOOL_DEFAULTS["function"] == {"description": None, "parameters": None, "strict": True}
    assert TOOL_DEFAULTS["web_search"]["search_context_size"] == "medium"
    assert TOOL_DEFAULTS["mcp"] == {"require_approval": "always"}  # an anyOf option's default
    assert TOOL_DEFAULTS["image_generation"]["model"] == "gpt-image-1"
    assert NAMESPACE_TOOL_DEFAULTS == {"function": {"strict": True}}
    assert set(MINIMAL_TOOLS) == set(TOOL_DEFAULTS), "a tool type gained defaults: add it to MINIMAL_TOOLS"


def test_union_defaults_follow_refs_and_options_but_not_nested_properties():
    doc = {
        "components": {
            "schemas": {
                "Size": {"type": "string", "default": "m"},
                "A": {
                    "properties": {
                        "type": {"enum": ["a", "a2"], "default": "a"},
                        "size": {"$ref": "#/components/schemas/Size"},
                        "flag": {"anyOf": [{"type": "boolean", "default": False}, {"type": "null"}]},
                        "gone": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                        "nested": {"type": "object", "properties": {"x": {"default": 1}}},
                        "plain": {"type": "string"},
                    }
                },
                "B": {"properties": {"type": {"enum": ["b"]}, "plain": {"type": "string"}}},
                "U": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
            }
        }
    }
    expected = {"flag": False, "gone": None, "size": "m"}
    assert spec_facts.union_defaults(doc, "U") == {"a": expected, "a2": expected}


@pytest.mark.parametrize("tool_type", sorted(MINIMAL_TOOLS))
def test_each_tool_type_is_echoed_with_its_defaults(tool_type):
    request_tool = MINIMAL_TOOLS[tool_type]
    body = echoed([copy.deepcopy(request_tool)])
    tool = body["tools"][0]
    assert tool == {**request_tool, **TOOL_DEFAULTS[tool_type]}
    parsed = oa.Response.model_validate(body)  # the openai SDK's models accept it
    for key, value in TOOL_DEFAULTS[tool_type].items():
        assert getattr(parsed.tools[0], key) == value, key
    models.Response.model_validate(body)  # and so do the generated ones


def test_a_function_tool_left_without_strict_is_echoed_strict():
    body = echoed([{"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}])
    assert body["tools"][0]["strict"] is True
    assert body["tools"][0]["parameters"] == {"type": "object", "properties": {}}


def test_what_the_request_states_wins():
    tools = [
        {"type": "function", "name": "f", "strict": False, "description": "d"},
        {"type": "web_search", "search_context_size": "high", "external_web_access": False},
        {
            "type": "mcp",
            "server_label": "s",
            "server_url": "https://x.example/sse",
            "require_approval": "never",
        },
        {"type": "image_generation", "quality": "low", "partial_images": 2},
    ]
    body = echoed(copy.deepcopy(tools))
    for sent, got in zip(tools, body["tools"], strict=True):
        assert {k: got[k] for k in sent} == sent
    assert body["tools"][0]["parameters"] is None
    assert body["tools"][3]["size"] == "auto"


def test_a_null_setting_is_echoed_as_the_default():
    body = echoed([{"type": "function", "name": "f", "strict": None}])
    assert body["tools"][0]["strict"] is True


def test_function_tools_inside_a_namespace_are_strict():
    namespace = {
        "type": "namespace",
        "name": "crm",
        "description": "customer records",
        "tools": [{"type": "function", "name": "lookup"}, {"type": "function", "name": "f", "strict": False}],
    }
    body = echoed([namespace])
    inner = body["tools"][0]["tools"]
    assert [tool["strict"] for tool in inner] == [True, False]


def test_a_mapping_request_is_filled_and_not_changed():
    tool = {"type": "function", "name": "f"}
    request = {"model": "m", "tools": [tool]}
    body = new_response("resp_1", request, created_at=1)
    assert body["tools"][0]["strict"] is True
    assert tool == {"type": "function", "name": "f"}  # the caller's dict is left alone


def test_tools_without_defaults_are_echoed_as_given():
    tools = [
        {"type": "file_search", "vector_store_ids": ["vs_1"]},
        {"type": "custom", "name": "grammar"},
        {"type": "code_interpreter", "container": "cntr_1"},
    ]
    body = echoed(copy.deepcopy(tools))
    assert body["tools"] == tools
    oa.Response.model_validate(body)


def test_the_echoed_function_tool_satisfies_open_responses():
    schemas = OPEN_RESPONSES["components"]["schemas"]
    required = set(schemas["FunctionTool"]["required"])
    body = echoed([{"type": "function", "name": "f"}])
    assert required <= set(body["tools"][0]), required - set(body["tools"][0])


def test_context_management_is_accepted_and_echoed():
    context_management = [{"type": "compaction", "compact_threshold": 2000}]
    request = CreateResponse.model_validate({"model": "m", "context_management": context_management})
    assert request.context_management[0].compact_threshold == 2000
    body = {**new_response("resp_1", request, created_at=1), "status": "completed"}
    assert body["context_management"] == context_management
    assert models.Response.model_validate(body).context_management[0].compact_threshold == 2000
    oa.Response.model_validate(body)
    assert new_response("resp_2", CreateResponse.model_validate({"model": "m"}))["context_management"] is None
