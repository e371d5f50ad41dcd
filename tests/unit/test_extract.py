"""The extractor (upstream OpenAPI -> spec/openapi.json) and the overlay machinery."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from codegen import extract as ex
from codegen.overlay import OverlayError, apply_overlay, load_overlay

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "spec" / "openapi.json"
OVERLAY_PATH = ROOT / "spec" / "overlay.yaml"
PINNED_SHA256 = "bbfd19abcde0e7412da99378deb2a959ccdd3a812f97c9e35901921e8e973f9a"
GA_PATHS = {
    "/responses",
    "/responses/{response_id}",
    "/responses/{response_id}/cancel",
    "/responses/{response_id}/input_items",
    "/responses/input_tokens",
    "/responses/compact",
    "/conversations",
    "/conversations/{conversation_id}",
    "/conversations/{conversation_id}/items",
    "/conversations/{conversation_id}/items/{item_id}",
}
OPERATIONS = {
    ("post", "/responses"),
    ("get", "/responses/{response_id}"),
    ("delete", "/responses/{response_id}"),
    ("post", "/responses/{response_id}/cancel"),
    ("get", "/responses/{response_id}/input_items"),
    ("post", "/responses/input_tokens"),
    ("post", "/responses/compact"),
    ("post", "/conversations"),
    ("get", "/conversations/{conversation_id}"),
    ("post", "/conversations/{conversation_id}"),
    ("delete", "/conversations/{conversation_id}"),
    ("post", "/conversations/{conversation_id}/items"),
    ("get", "/conversations/{conversation_id}/items"),
    ("get", "/conversations/{conversation_id}/items/{item_id}"),
    ("delete", "/conversations/{conversation_id}/items/{item_id}"),
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Schemas the overlay adds (everything else in spec/ comes from upstream).
OVERLAY_SCHEMAS = {
    "AgentReference",
    "ConversationInputItems",
    "CreateConversationItemsBody",
    "DeletedResponse",
    "ErrorEventDetails",
    "MetadataMap",
    "ResponseCompactionCompactingEvent",
    "ResponsesWebSocketCreate",
    "ResponsesWebSocketError",
    "StructuredOutputsItem",
}


@pytest.fixture(scope="module")
def upstream() -> dict:
    return ex.load_upstream(ex.DEFAULT_UPSTREAM)


@pytest.fixture(scope="module")
def extracted(upstream) -> dict:
    return ex.extract(copy.deepcopy(upstream))


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(SPEC_PATH.read_text())


def operations_of(doc: dict) -> set[tuple[str, str]]:
    return {(m, p) for p, item in doc["paths"].items() for m in item if m in HTTP_METHODS}


def reachable_schema_names(doc: dict, roots) -> set[str]:
    """An independent walk: every schema reachable by $ref from ``roots`` (through any component)."""
    seen: set[str] = set()
    stack = [roots]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/") and ref not in seen:
                seen.add(ref)
                _, _, section, name = ref.split("/", 3)
                stack.append(doc["components"][section][name])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return {r.split("/")[-1] for r in seen if r.startswith("#/components/schemas/")}


def all_refs(node, found=None) -> set[str]:
    found = set() if found is None else found
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"])
        for v in node.values():
            all_refs(v, found)
    elif isinstance(node, list):
        for v in node:
            all_refs(v, found)
    return found


# ------------------------------------------------------------------------------------------- extraction
def test_keeps_exactly_the_ga_protocol_paths(upstream, extracted, spec):
    assert any("?" in p for p in upstream["paths"] if p.startswith("/responses")), "upstream has beta mirrors"
    assert set(extracted["paths"]) == GA_PATHS
    assert set(spec["paths"]) == GA_PATHS


def test_keeps_the_fifteen_operations(extracted, spec):
    assert len(OPERATIONS) == 15
    assert operations_of(extracted) == OPERATIONS
    assert operations_of(spec) == OPERATIONS


def test_is_protocol_path():
    assert ex.is_protocol_path("/responses")
    assert ex.is_protocol_path("/responses/{response_id}/cancel")
    assert ex.is_protocol_path("/conversations")
    assert ex.is_protocol_path("/conversations/{conversation_id}/items/{item_id}")
    assert not ex.is_protocol_path("/responses?beta=true")
    assert not ex.is_protocol_path("/responsesX")
    assert not ex.is_protocol_path("/conversationsX")
    assert not ex.is_protocol_path("/chat/completions")
    assert not ex.is_protocol_path("/realtime/conversations")


def test_keeps_every_reachable_schema_and_nothing_else(upstream, extracted, spec):
    ga_paths = {p: v for p, v in upstream["paths"].items() if p in GA_PATHS}
    expected = reachable_schema_names(upstream, ga_paths)
    assert len(expected) == 339  # 333 of /responses*, 6 more of /conversations*
    assert set(extracted["components"]["schemas"]) == expected
    assert set(spec["components"]["schemas"]) == expected | OVERLAY_SCHEMAS


def test_the_conversation_schemas_are_kept(extracted):
    schemas = extracted["components"]["schemas"]
    for name in (
        "ConversationResource",
        "CreateConversationBody",
        "UpdateConversationBody",
        "DeletedConversationResource",
        "ConversationItemList",
        "ConversationItem",
        "CompactResponseMethodPublicBody",
        "CompactResource",
        "TokenCountsBody",
        "TokenCountsResource",
    ):
        assert name in schemas, name


def test_every_ref_in_the_spec_resolves(spec):
    for ref in all_refs(spec):
        assert ref.startswith("#/"), ref
        ex.resolve_pointer(spec, ref)  # raises KeyError if dangling


def test_drops_prose_keys_everywhere(spec):
    def walk(node, names_here=False, path=""):
        if isinstance(node, dict):
            for key, value in node.items():
                if not names_here:
                    assert key not in ex.PROSE_KEYS, f"prose key {key!r} kept at {path}"
                walk(value, key in ex.NAME_MAPPINGS and not names_here, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, False, f"{path}/{i}")

    walk(spec)


def test_keeps_properties_named_title_or_description(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["UrlCitationBody"]["properties"]["title"] == {"type": "string"}
    assert "title" in schemas["UrlCitationBody"]["required"]
    assert "description" in schemas["FunctionTool"]["properties"]
    assert "summary" in schemas["ReasoningItem"]["properties"]


def test_strip_prose_on_a_small_document():
    doc = {
        "description": "prose",
        "title": "prose",
        "x-oaiMeta": {"name": "x"},
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "prose", "example": "x"},
            "description": {"type": "string"},
            "properties": {"type": "object", "properties": {"summary": {"type": "string", "title": "T"}}},
        },
        "required": ["title", "description"],
        "items": [{"summary": "prose", "enum": ["description"]}],
    }
    assert ex.strip_prose(doc) == {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "description": {"type": "string"},
            "properties": {"type": "object", "properties": {"summary": {"type": "string"}}},
        },
        "required": ["title", "description"],
        "items": [{"enum": ["description"]}],
    }


def test_extraction_is_deterministic_and_matches_the_committed_spec():
    first = ex.dump(ex.build(ex.DEFAULT_UPSTREAM, OVERLAY_PATH))
    second = ex.dump(ex.build(ex.DEFAULT_UPSTREAM, OVERLAY_PATH))
    assert first == second
    assert first.encode() == SPEC_PATH.read_bytes(), "spec/openapi.json is stale: run `make spec`"


def test_the_cli_writes_the_same_bytes(tmp_path):
    out = tmp_path / "openapi.json"
    assert ex.main(["--upstream", str(ex.DEFAULT_UPSTREAM), "--out", str(out)]) == 0
    assert out.read_bytes() == SPEC_PATH.read_bytes()


def test_upstream_sha256_is_pinned(spec):
    assert ex.sha256_of(ex.DEFAULT_UPSTREAM) == PINNED_SHA256
    assert spec["info"]["x-upstream-sha256"] == PINNED_SHA256
    assert PINNED_SHA256 in (ROOT / "spec" / "README.md").read_text()


# ---------------------------------------------------------------------------------------------- overlay
def base_doc() -> dict:
    return {"a": {"b": {"c": 1, "d": {"e": 2}}, "list": [1, 2, 3]}, "x/y": {"k": 0}}


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ({"target": "/a/b/c", "set": 5}, {"a": {"b": {"c": 5, "d": {"e": 2}}, "list": [1, 2, 3]}}),
        (
            {"target": "/a/b/new", "set": {"z": 1}},
            {"a": {"b": {"c": 1, "d": {"e": 2}, "new": {"z": 1}}, "list": [1, 2, 3]}},
        ),
        ({"target": "/a/list/-", "set": 4}, {"a": {"b": {"c": 1, "d": {"e": 2}}, "list": [1, 2, 3, 4]}}),
        ({"target": "/a/list/0", "set": 9}, {"a": {"b": {"c": 1, "d": {"e": 2}}, "list": [9, 2, 3]}}),
        (
            {"target": "/a/b", "merge": {"d": {"f": 3}, "g": 4}},
            {"a": {"b": {"c": 1, "d": {"e": 2, "f": 3}, "g": 4}, "list": [1, 2, 3]}},
        ),
        (
            {"target": "/a/list", "append": [3, 4, 5]},
            {"a": {"b": {"c": 1, "d": {"e": 2}}, "list": [1, 2, 3, 4, 5]}},
        ),
        ({"target": "/a/b/d", "remove": True}, {"a": {"b": {"c": 1}, "list": [1, 2, 3]}}),
        ({"target": "/a/list/1", "remove": True}, {"a": {"b": {"c": 1, "d": {"e": 2}}, "list": [1, 3]}}),
        ({"target": "/a/list", "remove_items": [1, 3]}, {"a": {"b": {"c": 1, "d": {"e": 2}}, "list": [2]}}),
    ],
    ids=[
        "set-replace",
        "set-create",
        "set-append",
        "set-index",
        "merge",
        "append",
        "remove-key",
        "remove-entry",
        "remove_items",
    ],
)
def test_overlay_operations(action, expected):
    doc = base_doc()
    apply_overlay(doc, [{**action, "why": "test"}])
    assert doc == {**expected, "x/y": {"k": 0}}


def test_overlay_pointer_escapes():
    doc = base_doc()
    apply_overlay(doc, [{"target": "/x~1y/k", "set": 1, "why": "test"}])
    assert doc["x/y"] == {"k": 1}


@pytest.mark.parametrize(
    "action",
    [
        {"target": "/a/missing/c", "set": 1},
        {"target": "/a/missing", "merge": {"x": 1}},
        {"target": "/a/missing", "append": [1]},
        {"target": "/a/missing", "remove": True},
        {"target": "/a/list/7", "remove": True},
        {"target": "/a/missing", "remove_items": [1]},
    ],
    ids=["set", "merge", "append", "remove", "remove-entry", "remove_items"],
)
def test_overlay_missing_target_fails_naming_it(action):
    with pytest.raises(OverlayError, match="does not exist") as info:
        apply_overlay(base_doc(), [{**action, "why": "test"}])
    assert action["target"] in str(info.value)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"target": "/a/list", "merge": {"x": 1}}, "not a mapping"),
        ({"target": "/a/b", "append": [1]}, "not a list"),
        ({"target": "/a/b", "remove_items": [1]}, "not a list"),
        ({"target": "/a/list", "remove_items": [7]}, "not present"),
        ({"target": "a/b", "set": 1}, "not a JSON pointer"),
    ],
)
def test_overlay_wrong_kind_of_target_fails(action, message):
    with pytest.raises(OverlayError, match=message):
        apply_overlay(base_doc(), [{**action, "why": "test"}])


@pytest.mark.parametrize(
    "action",
    [
        {"target": "/a", "set": 1},  # no why
        {"why": "w", "set": 1},  # no target
        {"target": "/a", "why": "w"},  # no operation
        {"target": "/a", "why": "w", "set": 1, "merge": {}},  # two operations
    ],
)
def test_load_overlay_rejects_malformed_actions(tmp_path, action):
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump({"actions": [action]}))
    with pytest.raises(OverlayError, match="needs a target, a why and exactly one"):
        load_overlay(path)


def test_the_project_overlay_loads_and_every_action_says_why():
    actions = load_overlay(OVERLAY_PATH)
    assert len(actions) > 20
    assert all(a["why"].strip() for a in actions)


def test_an_obsolete_overlay_target_fails_the_build(tmp_path, upstream):
    patched = copy.deepcopy(upstream)
    del patched["components"]["schemas"]["CompoundFilter"]["$recursiveAnchor"]  # "fixed upstream"
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps(patched))
    with pytest.raises(OverlayError, match="CompoundFilter/\\$recursiveAnchor"):
        ex.build(path, OVERLAY_PATH)
