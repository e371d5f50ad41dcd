"""The overlay's fixes and extensions, as they land in spec/openapi.json and in the generated models."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pydantic
import pytest

from responsekit.models import _generated as models

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads((ROOT / "spec" / "openapi.json").read_text())


def deref(spec: dict, node: dict) -> dict:
    """Follow $ref chains to the node they name."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
        assert seen < 20
    return node


def merged_object(spec: dict, schema: dict) -> tuple[dict, set[str]]:
    """Properties and required names of a schema, through allOf."""
    schema = deref(spec, schema)
    props = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        p, r = merged_object(spec, part)
        props.update(p)
        required |= r
    return props, required


# ------------------------------------------------------------------------------------ upstream defects
def test_compound_filter_recurses_with_a_plain_ref(spec):
    text = json.dumps(spec)
    assert "$recursiveRef" not in text and "$recursiveAnchor" not in text
    options = spec["components"]["schemas"]["CompoundFilter"]["properties"]["filters"]["items"]["oneOf"]
    assert {"$ref": "#/components/schemas/CompoundFilter"} in options
    nested = {"type": "and", "filters": [{"type": "or", "filters": [{"type": "eq", "key": "k", "value": 1}]}]}
    models.CompoundFilter.model_validate(nested)


def test_response_requires_status_and_has_store(spec):
    props, required = merged_object(spec, spec["components"]["schemas"]["Response"])
    assert "status" in required
    assert "store" in props
    assert models.Response.model_fields["status"].is_required()
    assert "store" in models.Response.model_fields


def test_delete_answers_the_deleted_body(spec):
    body = spec["paths"]["/responses/{response_id}"]["delete"]["responses"]["200"]["content"][
        "application/json"
    ]
    schema = deref(spec, body["schema"])
    assert set(schema["required"]) == {"id", "object", "deleted"}
    models.DeletedResponse.model_validate({"id": "resp_1", "object": "response", "deleted": True})
    with pytest.raises(pydantic.ValidationError):
        models.DeletedResponse.model_validate({"id": "resp_1", "object": "response", "deleted": False})


def test_every_operation_declares_the_error_envelope_for_failures(spec):
    envelope = spec["components"]["schemas"]["ErrorResponse"]
    error = deref(spec, envelope["properties"]["error"])
    assert set(error["required"]) == {"message", "type", "param", "code"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "delete"):
                continue
            codes = operation["responses"]
            assert {"400", "500"} <= set(codes), f"{method} {path} lacks 400/500"
            for code, answer in codes.items():
                if code[0] in "45":
                    schema = deref(spec, answer)["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, f"{method} {path} {code}"


def test_get_declares_the_event_stream(spec):
    content = spec["paths"]["/responses/{response_id}"]["get"]["responses"]["200"]["content"]
    assert content["text/event-stream"]["schema"] == {"$ref": "#/components/schemas/ResponseStreamEvent"}
    names = {p.get("name") for p in spec["paths"]["/responses/{response_id}"]["get"]["parameters"]}
    assert {"stream", "starting_after", "Last-Event-ID"} <= names


def test_the_error_event_accepts_flat_and_nested_shapes():
    flat = {"type": "error", "code": "server_error", "message": "m", "param": None, "sequence_number": 3}
    nested = {
        "type": "error",
        "error": {"type": "server_error", "code": "server_error", "message": "m"},
        "sequence_number": 3,
    }
    assert models.ResponseErrorEvent.model_validate(flat).message == "m"
    assert models.ResponseErrorEvent.model_validate(nested).error.message == "m"


def test_the_compaction_event_is_a_stream_event(spec):
    union = spec["components"]["schemas"]["ResponseStreamEvent"]["anyOf"]
    assert {"$ref": "#/components/schemas/ResponseCompactionCompactingEvent"} in union


# --------------------------------------------------------------------------------------- limits
@pytest.mark.parametrize(
    ("metadata", "ok"),
    [
        ({f"k{i}": "v" for i in range(16)}, True),
        ({f"k{i}": "v" for i in range(17)}, False),
        ({"k" * 64: "v"}, True),
        ({"k" * 65: "v"}, False),
        ({"k": "v" * 512}, True),
        ({"k": "v" * 513}, False),
        (None, True),
    ],
    ids=["16-keys", "17-keys", "64-char-key", "65-char-key", "512-char-value", "513-char-value", "null"],
)
@pytest.mark.parametrize("model", [models.CreateResponse, models.Response])
def test_metadata_limits_are_enforced_by_the_generated_model(model, metadata, ok):
    if model is models.CreateResponse:
        body = {"model": "m", "metadata": metadata}
    else:
        body = {
            "id": "resp_1",
            "object": "response",
            "created_at": 1,
            "status": "completed",
            "model": "m",
            "output": [],
            "parallel_tool_calls": True,
            "tools": [],
            "tool_choice": "auto",
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "temperature": 1.0,
            "top_p": 1.0,
            "metadata": metadata,
        }
    if ok:
        model.model_validate(body)
    else:
        with pytest.raises(pydantic.ValidationError):
            model.model_validate(body)


def test_input_items_paging_limits(spec):
    params = {
        p["name"]: p for p in spec["paths"]["/responses/{response_id}/input_items"]["get"]["parameters"]
    }
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert params["order"]["schema"]["default"] == "desc"
    assert "before" in params


# ------------------------------------------------------------------------------- extensions
def test_agent_reference_on_request_and_response():
    ref = {"type": "agent_reference", "name": "my-agent", "version": "1"}
    request = models.CreateResponse.model_validate({"model": "m", "agent_reference": ref})
    assert request.agent_reference.name == "my-agent"
    assert "agent_reference" in models.Response.model_fields


def test_structured_outputs_is_an_output_item():
    item = pydantic.TypeAdapter(models.OutputItem).validate_python(
        {"type": "structured_outputs", "id": "so_1", "output": {"a": [1]}}
    )
    assert isinstance(item, models.StructuredOutputsItem)
    assert item.output == {"a": [1]}


def test_requests_accept_unknown_fields():
    request = models.CreateResponse.model_validate({"model": "m", "a_field_from_the_future": {"x": 1}})
    assert request.model_extra == {"a_field_from_the_future": {"x": 1}}


def test_output_item_union_members_are_models():
    members = typing.get_args(typing.get_args(models.OutputItem.__value__)[0])  # Annotated[A | B, ...]
    assert all(issubclass(m, pydantic.BaseModel) for m in members)
