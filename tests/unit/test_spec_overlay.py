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


# ------------------------------------------------------------------------------- conversations
def test_conversation_items_paging_limits(spec):
    params = {
        p["name"]: p for p in spec["paths"]["/conversations/{conversation_id}/items"]["get"]["parameters"]
    }
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert params["order"]["schema"] == {"type": "string", "enum": ["asc", "desc"], "default": "desc"}
    assert params["after"]["schema"] == {"type": "string"}
    assert params["include"]["schema"]["items"] == {"$ref": "#/components/schemas/IncludeEnum"}


def test_conversation_items_body_is_named_and_bounded(spec):
    body = spec["paths"]["/conversations/{conversation_id}/items"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateConversationItemsBody"
    }
    item = {"type": "message", "role": "user", "content": "hi"}
    assert len(models.CreateConversationItemsBody.model_validate({"items": [item] * 20}).items) == 20
    for body in ({"items": [item] * 21}, {}):
        with pytest.raises(pydantic.ValidationError):
            models.CreateConversationItemsBody.model_validate(body)
    assert len(models.CreateConversationBody.model_validate({"items": [item] * 20}).items) == 20
    with pytest.raises(pydantic.ValidationError):
        models.CreateConversationBody.model_validate({"items": [item] * 21})
    assert models.CreateConversationBody.model_validate({}).items is None


def test_conversation_objects_agree_with_the_openai_models():
    from openai.types import conversations as oc

    conversation = {"id": "conv_1", "object": "conversation", "created_at": 1, "metadata": {"k": "v"}}
    deleted = {"id": "conv_1", "object": "conversation.deleted", "deleted": True}
    message = {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
    }
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "c",
        "name": "f",
        "arguments": "{}",
        "status": "completed",
    }
    page = {
        "object": "list",
        "data": [message, call],
        "has_more": False,
        "first_id": "msg_1",
        "last_id": "fc_1",
    }
    for ours, theirs, body in [
        (models.ConversationResource, oc.Conversation, conversation),
        (models.DeletedConversationResource, oc.ConversationDeletedResource, deleted),
        (models.ConversationItemList, oc.ConversationItemList, page),
    ]:
        ours.model_validate(body)
        theirs.model_validate(body)
    items = models.ConversationItemList.model_validate(page).data
    assert [type(item).__name__ for item in items] == ["Message", "FunctionToolCallResource"]
    models.UpdateConversationBody.model_validate({"metadata": {"k": "v"}})
    with pytest.raises(pydantic.ValidationError):
        models.UpdateConversationBody.model_validate({"metadata": {f"k{i}": "v" for i in range(17)}})


def test_compact_and_input_tokens_bodies_and_resources(spec):
    compact = spec["paths"]["/responses/compact"]["post"]
    assert compact["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CompactResponseMethodPublicBody"
    }
    with pytest.raises(pydantic.ValidationError):
        models.CompactResponseMethodPublicBody.model_validate({"input": "hi"})  # model is required
    models.CompactResponseMethodPublicBody.model_validate({"model": "m", "input": "hi"})
    models.CompactResource.model_validate(
        {
            "id": "cmp_1",
            "object": "response.compaction",
            "created_at": 1,
            "output": [{"type": "compaction", "id": "cmp_item_1", "encrypted_content": "x"}],
            "usage": {
                "input_tokens": 1,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": 1,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 2,
            },
        }
    )
    models.TokenCountsBody.model_validate({"input": "hi", "conversation": "conv_1", "tools": []})
    assert models.TokenCountsResource.model_validate({"object": "response.input_tokens", "input_tokens": 3})


# ------------------------------------------------------------------------------- WebSocket messages
def test_the_websocket_create_message_is_the_create_body_with_a_type(spec):
    message = models.ResponsesWebSocketCreate.model_validate(
        {"type": "response.create", "model": "m", "input": "hi", "store": False}
    )
    assert isinstance(message, models.CreateResponse) and message.type == "response.create"
    with pytest.raises(pydantic.ValidationError):
        models.ResponsesWebSocketCreate.model_validate({"type": "response.cancel", "model": "m"})
    # stream, stream_options and background are forbidden by the schema (the server answers them)
    forbidden = spec["components"]["schemas"]["ResponsesWebSocketCreate"]["allOf"][1]["not"]["anyOf"]
    assert {name for option in forbidden for name in option["required"]} == {
        "stream",
        "stream_options",
        "background",
    }


def test_the_websocket_error_message_carries_status_and_the_envelope():
    error = {"type": "invalid_request_error", "code": "x", "message": "m", "param": None}
    parsed = models.ResponsesWebSocketError.model_validate({"type": "error", "status": 400, "error": error})
    assert parsed.status == 400 and parsed.error.message == "m"
    for missing in ("status", "error"):
        body = {"type": "error", "status": 400, "error": error}
        del body[missing]
        with pytest.raises(pydantic.ValidationError):
            models.ResponsesWebSocketError.model_validate(body)
    with pytest.raises(pydantic.ValidationError):  # all four envelope keys
        models.ResponsesWebSocketError.model_validate(
            {"type": "error", "status": 400, "error": {"type": "t", "message": "m"}}
        )


# ------------------------------------------------------------------------------- echoed settings
def test_response_has_context_management(spec):
    props, _ = merged_object(spec, spec["components"]["schemas"]["Response"])
    assert props["context_management"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/ContextManagementParam"
    }
    assert "context_management" in models.Response.model_fields


def test_function_tools_default_to_strict(spec):
    assert spec["components"]["schemas"]["FunctionTool"]["properties"]["strict"]["default"] is True
    assert models.FunctionTool.model_validate({"type": "function", "name": "f"}).strict is True
    assert models.FunctionToolParam.model_validate({"type": "function", "name": "f"}).strict is True
