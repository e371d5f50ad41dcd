"""`make spec-check`: what an upstream file has that spec/ lacks."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import spec_check
from codegen.extract import DEFAULT_UPSTREAM, load_upstream

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "spec" / "openapi.json"


@pytest.fixture(scope="module")
def upstream() -> dict:
    return load_upstream(DEFAULT_UPSTREAM)


def write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps(doc))
    return path


def test_the_pinned_upstream_is_covered(capsys):
    assert spec_check.main(["--upstream", str(DEFAULT_UPSTREAM)]) == 0
    out = capsys.readouterr().out
    assert f"spec/ covers {DEFAULT_UPSTREAM}" in out
    assert "note:" not in out  # it is the pinned file


def test_reports_each_kind_of_addition(tmp_path, upstream, capsys):
    doc = copy.deepcopy(upstream)
    schemas = doc["components"]["schemas"]
    schemas["ResponseShinyEvent"] = {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["response.shiny"]},
            "extra": {"$ref": "#/components/schemas/Shiny"},
        },
    }
    schemas["Shiny"] = {"type": "object", "properties": {"x": {"type": "string"}}}
    schemas["ResponseStreamEvent"]["anyOf"].append({"$ref": "#/components/schemas/ResponseShinyEvent"})
    schemas["ResponseTextDeltaEvent"]["properties"]["obfuscation_v2"] = {"type": "string"}
    doc["paths"]["/responses/{response_id}"]["patch"] = {"responses": {"200": {"description": "ok"}}}
    doc["paths"]["/responses/{response_id}/fork"] = {"post": {"responses": {"200": {"description": "ok"}}}}
    doc["paths"]["/responses/{response_id}/fork?beta=true"] = {"post": {"responses": {}}}  # not GA: ignored
    schemas["Unreachable"] = {"type": "object"}  # not reachable from /responses*: ignored

    lacking = spec_check.missing(doc, json.loads(SPEC_PATH.read_text()))
    assert lacking == {
        "operations": ["PATCH /responses/{response_id}", "POST /responses/{response_id}/fork"],
        "components": ["schemas/ResponseShinyEvent", "schemas/Shiny"],
        "event types": ["response.shiny"],
        "properties": ["schemas/ResponseTextDeltaEvent/properties/obfuscation_v2"],
    }
    assert spec_check.main(["--upstream", str(write(tmp_path, doc))]) == 1
    err = capsys.readouterr().err
    assert "spec/ lacks 6 thing(s)" in err
    assert "response.shiny" in err and "note:" in err  # not the pinned file


def test_reports_conversation_additions(tmp_path, upstream):
    doc = copy.deepcopy(upstream)
    schemas = doc["components"]["schemas"]
    schemas["ConversationResource"]["properties"]["title"] = {"type": "string"}
    schemas["ConversationItemList"]["properties"]["next"] = {
        "$ref": "#/components/schemas/ConversationCursor"
    }
    schemas["ConversationCursor"] = {"type": "object", "properties": {"after": {"type": "string"}}}
    doc["paths"]["/conversations"]["get"] = {"responses": {"200": {"description": "ok"}}}
    doc["paths"]["/conversations/{conversation_id}/fork"] = {"post": {"responses": {}}}
    lacking = spec_check.missing(doc, json.loads(SPEC_PATH.read_text()))
    assert lacking == {
        "operations": ["GET /conversations", "POST /conversations/{conversation_id}/fork"],
        "components": ["schemas/ConversationCursor"],
        "event types": [],
        "properties": [
            "schemas/ConversationItemList/properties/next",
            "schemas/ConversationResource/properties/title",
        ],
    }


def test_reports_conversation_operations_the_spec_lacks(upstream):
    spec = json.loads(SPEC_PATH.read_text())
    del spec["paths"]["/conversations/{conversation_id}/items/{item_id}"]
    del spec["components"]["schemas"]["DeletedConversationResource"]
    lacking = spec_check.missing(upstream, spec)
    assert lacking["operations"] == [
        "DELETE /conversations/{conversation_id}/items/{item_id}",
        "GET /conversations/{conversation_id}/items/{item_id}",
    ]
    assert lacking["components"] == ["schemas/DeletedConversationResource"]


def test_a_smaller_upstream_is_covered(tmp_path, upstream, capsys):
    doc = copy.deepcopy(upstream)
    del doc["paths"]["/responses/compact"]
    del doc["paths"]["/conversations/{conversation_id}/items"]
    assert spec_check.main(["--upstream", str(write(tmp_path, doc))]) == 0
    assert "spec/ covers" in capsys.readouterr().out


def test_event_types_read_const_and_inline_members():
    doc = {
        "components": {
            "schemas": {
                "A": {"properties": {"type": {"const": "a"}}},
                "ResponseStreamEvent": {
                    "oneOf": [{"$ref": "#/components/schemas/A"}, {"properties": {"type": {"enum": ["b"]}}}]
                },
            }
        }
    }
    assert spec_check.event_types(doc) == {"a": "A", "b": "#1"}


def test_make_target_runs_it():
    proc = subprocess.run(
        [sys.executable, "-m", "codegen.spec_check", "--upstream", str(DEFAULT_UPSTREAM)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "spec/ covers" in proc.stdout
