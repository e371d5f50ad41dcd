"""Stored items and echoed settings take the form clients read, whatever form the request used.

A request's input items are stored once (server/inputs.py ``normalize_items``) in their read form:
what ``GET /responses/{id}/input_items`` lists, the handler reads and a conversation keeps. A
request model dumped with ``exclude_unset`` loses the constants its models fill in (a nested
object's defaulted ``type``); ``dump_as_sent`` (streaming/snapshot.py) states them again, for the
echoed settings of a response and for stored items. The strict ``openai`` models are the oracle.
"""

from __future__ import annotations

import copy
import json

import openai.types.conversations as oc
import openai.types.responses as oa
import pytest
from pydantic import TypeAdapter

from responsekit.models import _generated as models
from responsekit.server.conversations import conversation_items
from responsekit.server.inputs import normalize_input, normalize_items, readable_item
from responsekit.server.validation import parse_create_request
from responsekit.streaming.snapshot import ResponseSnapshot, _shape, dump_as_sent, new_response

RESPONSE_ITEM = TypeAdapter(oa.ResponseItem)
CONVERSATION_ITEM = TypeAdapter(oc.ConversationItem)
IMAGE = {"type": "input_image", "image_url": "https://example.com/cat.png"}
#: Nested objects a request may give without their ``type``: the schema's one value is the default.
UNTYPED = [
    ({"type": "web_search_preview", "user_location": {"city": "Paris"}}, "user_location", "approximate"),
    ({"type": "code_interpreter", "container": {}}, "container", "auto"),
    ({"type": "shell", "environment": {}}, "environment", "container_auto"),
]


def request(**body):
    """A request as the server validates it (the message shorthand typed, ...)."""
    return parse_create_request(json.dumps({"model": "m", **body}).encode())


def stored(*items):
    return normalize_input(request(input=copy.deepcopy(list(items))))


# -- dump_as_sent ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("tool", "nested", "kind"), UNTYPED, ids=[t[1] for t in UNTYPED])
def test_a_nested_constant_left_out_is_stated(tool, nested, kind):
    (model,) = request(input="hi", tools=[tool]).tools
    assert model.model_dump(mode="json", exclude_unset=True)[nested].get("type") is None  # the bug
    assert dump_as_sent(model) == {**tool, nested: {**tool[nested], "type": kind}}


def test_only_constants_are_stated_and_what_was_sent_stays():
    tools = [
        {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}},
        {"type": "web_search_preview"},
        {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.com/sse"},
    ]
    dumped = [dump_as_sent(tool) for tool in request(input="hi", tools=tools).tools]
    # Unset fields with a default that is not a constant (strict, search_context_size,
    # require_approval) stay out; plain data (a function's JSON schema) is kept as sent.
    assert dumped == tools
    # What was set is dumped as set, even a null where the constant could be.
    location = {"type": None, "city": "Paris"}
    assert dump_as_sent(models.WebSearchApproximateLocation1.model_validate(location)) == location


def test_plain_data_fields_are_not_walked():
    _, constants, nested = _shape(models.FunctionTool)
    assert constants == (("type", "function"),)
    assert "parameters" not in {name for name, _ in nested}
    assert "content" in {name for name, _ in _shape(models.EasyInputMessage)[2]}


def test_the_echoed_response_states_nested_types():
    tools = [tool for tool, _, _ in UNTYPED]
    snapshot = new_response("resp_1", request(input="hi", tools=tools), created_at=1)
    assert [
        tool[nested]["type"] for tool, (_, nested, _) in zip(snapshot["tools"], UNTYPED, strict=True)
    ] == [kind for _, _, kind in UNTYPED]
    oa.Response.model_validate({**snapshot, "status": "completed"})


def test_models_a_handler_gives_the_snapshot_are_dumped_by_wire_name_with_their_constants():
    snapshot = new_response("resp_1", None, agent_reference=models.AgentReference(name="agent"), created_at=1)
    assert snapshot["agent_reference"] == {"type": "agent_reference", "name": "agent"}
    text = models.ResponseTextParam.model_validate(
        {"format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}}}
    )
    ResponseSnapshot(snapshot).text = text
    assert snapshot["text"] == {
        "format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}}
    }


# -- normalize_items ------------------------------------------------------------------------------------
#: Input items that leave out (or null) what their read form requires.
INCOMPLETE = [
    {"role": "user", "content": [IMAGE]},
    {"type": "message", "role": "user", "content": "hi", "status": None},
    {"role": "developer", "content": "brief", "type": None},
    {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}", "status": None},
    {"type": "function_call_output", "call_id": "c", "output": [{**IMAGE, "detail": None}]},
    {"type": "custom_tool_call", "call_id": "c", "name": "f", "input": "x"},
    {"type": "custom_tool_call_output", "call_id": "c", "output": [IMAGE]},
    {
        "type": "computer_call_output",
        "call_id": "c",
        "output": {"type": "computer_screenshot", "image_url": "https://x/y.png"},
    },
    {"type": "tool_search_call", "arguments": {}},
    {"type": "tool_search_output", "tools": [tool for tool, _, _ in UNTYPED]},
    {"type": "additional_tools", "tools": [{"type": "shell", "environment": {}}]},
    {"type": "shell_call", "call_id": "c", "action": {"commands": ["ls"]}},
    {
        "type": "shell_call_output",
        "call_id": "c",
        "output": [{"stdout": "", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}],
    },
]


@pytest.mark.parametrize(
    "item", INCOMPLETE, ids=[f"{i}-{item.get('type')}" for i, item in enumerate(INCOMPLETE)]
)
def test_a_stored_item_is_in_the_form_clients_read(item):
    (listed,) = stored(item)
    assert isinstance(listed["id"], str)
    RESPONSE_ITEM.validate_python(listed)  # as input_items lists it
    CONVERSATION_ITEM.validate_python(listed)  # as a conversation lists it
    assert conversation_items([listed]) == [listed]  # nothing left for the conversation to fill in


def test_what_a_stored_item_is_given():
    message, call, output, search, tools = stored(
        {"role": "user", "content": [IMAGE]},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}", "status": None},
        {"type": "function_call_output", "call_id": "c", "output": [{**IMAGE, "detail": None}]},
        {"type": "tool_search_call", "arguments": {}, "execution": None},
        {"type": "additional_tools", "tools": []},
    )
    assert message["type"] == "message" and message["status"] == "completed"
    assert message["content"][0]["detail"] == output["output"][0]["detail"] == "auto"
    assert call["status"] == output["status"] == search["status"] == "completed"
    assert search["execution"] == "server"
    assert tools["role"] == "developer"


def test_what_a_stored_item_states_itself_is_kept():
    given = [
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}", "status": "in_progress"},
        {"type": "tool_search_call", "arguments": {}, "execution": "client", "status": "incomplete"},
        {"role": "user", "content": [{**IMAGE, "detail": "low"}], "id": "msg_given"},
    ]
    call, search, message = stored(*given)
    assert call["status"] == "in_progress"
    assert (search["execution"], search["status"]) == ("client", "incomplete")
    assert message["content"][0]["detail"] == "low" and message["id"] == "msg_given"


def test_item_references_are_typed_and_compaction_triggers_not_stored():
    items = stored(
        {"id": "msg_1"},
        {"type": None, "id": "msg_2"},
        {"type": "item_reference", "id": "msg_3"},
        {"role": "user", "content": "hi"},
        {"type": "compaction_trigger"},
    )
    assert [(item["type"], item["id"]) for item in items[:3]] == [
        ("item_reference", "msg_1"),
        ("item_reference", "msg_2"),
        ("item_reference", "msg_3"),
    ]
    assert [item["type"] for item in items] == ["item_reference"] * 3 + ["message"]


def test_a_compaction_item_is_kept_as_sent():
    compaction = {"type": "compaction", "id": "cmp_1", "encrypted_content": "sealed"}
    assert stored(compaction) == [compaction]


def test_normalize_items_reads_conversation_items_too():
    body = models.CreateConversationItemsBody.model_validate(
        {"items": [{"type": "tool_search_output", "tools": [{"type": "code_interpreter", "container": {}}]}]}
    )
    (item,) = normalize_items(body.items)
    assert item["tools"][0]["container"] == {"type": "auto"}
    assert (item["status"], item["execution"]) == ("completed", "server")


# -- readable_item, conversation_items -------------------------------------------------------------------
def test_readable_item_does_not_change_the_item_given():
    item = {"type": "function_call_output", "id": "fco_1", "call_id": "c", "output": [dict(IMAGE)]}
    before = copy.deepcopy(item)
    completed = readable_item(item)
    assert item == before
    assert completed["status"] == "completed" and completed["output"][0]["detail"] == "auto"
    assert readable_item(completed) is completed


def test_a_conversation_leaves_references_out_and_completes_output_items():
    output = {"type": "function_call", "id": "fc_1", "call_id": "c", "name": "f", "arguments": "{}"}
    items = [
        {"type": "item_reference", "id": "msg_1"},
        {"id": "msg_2"},  # an item reference stored untyped (by an earlier version)
        {"type": "compaction_trigger", "id": "ct_1"},
        output,
    ]
    before = copy.deepcopy(items)
    assert conversation_items(items) == [{**output, "status": "completed"}]
    assert items == before
