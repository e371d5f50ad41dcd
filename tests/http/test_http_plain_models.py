"""The generated models read like the JSON they come from: no RootModel wrappers to unwrap.

A field whose schema only names or constrains a primitive, a list or a map holds that value itself
(``request.model`` is a ``str``, ``request.metadata`` a ``dict``), and a field whose schema is a
union of object schemas holds the member model (``request.input[0]`` is an ``EasyInputMessage``).
The handler sees the same in its request and in ``get_input_items()`` / ``get_history()``.
"""

from __future__ import annotations

import pydantic
import pytest
from http_helpers import asgi
from support.hosts import Probe, host_with

from responsekit import TextResponse
from responsekit.models import _generated as models
from responsekit.server.errors import ApiError
from responsekit.server.validation import parse_create_request

pytestmark = pytest.mark.anyio

BODY = {
    "model": "gpt-test",
    "instructions": "be brief",
    "metadata": {"k": "v"},
    "text": {"format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}}},
    "tools": [
        {"type": "function", "name": "lookup", "parameters": {"type": "object"}},
        {"type": "web_search"},
    ],
    "input": [
        {"role": "user", "content": "plain text"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "in parts"}]},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "found it"},
        {
            "type": "function_call_output",
            "call_id": "call_2",
            "output": [{"type": "input_text", "text": "found in parts"}],
        },
    ],
}


def _no_root_models(value: object) -> None:
    """Nothing reachable from a request is a RootModel (every wrapper is gone, not just some)."""
    assert not isinstance(value, pydantic.RootModel), value
    if isinstance(value, pydantic.BaseModel):
        for name in type(value).model_fields:
            _no_root_models(value.__dict__.get(name))
    elif isinstance(value, (list, tuple)):
        for child in value:
            _no_root_models(child)
    elif isinstance(value, dict):
        for child in value.values():
            _no_root_models(child)


def _assert_plain_input(items: list) -> None:
    easy, message, call, output, parts_output = items[:5]
    assert all(isinstance(item, pydantic.BaseModel) for item in items)
    assert isinstance(easy, (models.EasyInputMessage, models.InputMessage, models.InputMessageResource))
    assert isinstance(easy.content, (str, list))
    if isinstance(easy.content, list):  # the stored form: the string became one input_text part
        assert isinstance(easy.content[0], models.InputTextContent)
        assert easy.content[0].text == "plain text"
    else:
        assert easy.content == "plain text"
    assert isinstance(message.content, list)
    assert isinstance(message.content[0], models.InputTextContent)
    assert message.content[0].type == "input_text" and message.content[0].text == "in parts"
    assert isinstance(call, models.FunctionToolCall)
    assert type(call.call_id) is str and call.call_id == "call_1"
    # The stored form carries a status, so history reads it as the resource (the input as the param).
    assert isinstance(output, (models.FunctionCallOutputItemParam, models.FunctionToolCallOutputResource))
    assert type(output.call_id) is str and output.call_id == "call_1"
    assert type(output.output) is str and output.output == "found it"
    assert isinstance(parts_output.output, list)
    assert isinstance(parts_output.output[0], (models.InputTextContentParam, models.InputTextContent))
    assert parts_output.output[0].text == "found in parts"


def test_request_fields_are_plain_values_and_item_models():
    request = parse_create_request(pydantic.TypeAdapter(dict).dump_json(BODY))
    assert type(request.model) is str and request.model == "gpt-test"
    assert type(request.instructions) is str
    assert type(request.metadata) is dict and request.metadata == {"k": "v"}
    assert isinstance(request.text.format, models.TextResponseFormatJsonSchema)
    assert request.text.format.type == "json_schema"
    assert type(request.tools) is list
    assert [type(t) for t in request.tools] == [models.FunctionTool, models.WebSearchTool]
    assert type(request.input) is list
    assert isinstance(request.input[0], models.EasyInputMessage)
    _assert_plain_input(request.input)
    _no_root_models(request)
    # The peer-compatible reads still answer with the JSON values.
    assert request["model"] == "gpt-test" and request.get("metadata") == {"k": "v"}
    # A string input stays a string.
    assert parse_create_request(b'{"model": "m", "input": "hi"}').input == "hi"


def test_plain_fields_keep_their_schema_constraints():
    with pytest.raises(pydantic.ValidationError):  # metadata: at most 16 keys
        models.CreateResponse.model_validate({"metadata": {f"k{i}": "v" for i in range(17)}})
    with pytest.raises(pydantic.ValidationError):  # metadata values: at most 512 characters
        models.CreateResponse.model_validate({"metadata": {"k": "v" * 513}})
    long_call = {"type": "function_call_output", "call_id": "c" * 65, "output": "x"}
    with pytest.raises(ApiError) as error:  # call_id: at most 64 characters
        parse_create_request(pydantic.TypeAdapter(dict).dump_json({"model": "m", "input": [long_call]}))
    assert error.value.param == "input[0].call_id"
    with pytest.raises(pydantic.ValidationError):  # temperature: between 0 and 2
        models.CreateResponse.model_validate({"temperature": 3})


def test_response_output_items_are_models():
    response = models.Response.model_validate(
        {
            "id": "resp_1",
            "object": "response",
            "created_at": 1,
            "status": "completed",
            "model": "m",
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "metadata": {"k": "v"},
            "parallel_tool_calls": True,
            "temperature": 1,
            "top_p": 1,
            "tools": [],
            "tool_choice": "auto",
            "output": [
                {
                    "type": "message",
                    "id": "msg_1",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": "hi", "annotations": [], "logprobs": []}],
                }
            ],
        }
    )
    assert type(response.model) is str and type(response.metadata) is dict
    assert isinstance(response.output[0], models.OutputMessage)
    assert isinstance(response.output[0].content[0], models.OutputTextContent)
    assert type(response.tool_choice) is str
    _no_root_models(response)


async def test_handler_sees_plain_request_input_items_and_history(store_kind):
    probe = Probe()

    async def handler(request, context, signal):
        probe.note(
            {
                "request": request,
                "items": await context.get_input_items(),
                "history": await context.get_history(),
            }
        )
        return TextResponse(context, request, text="ok")

    async with asgi(host_with(store_kind, handler)) as client:
        first = await client.post("/responses", json=BODY)
        assert first.status_code == 200, first.text
        follow_up = {"model": "gpt-test", "input": "next", "previous_response_id": first.json()["id"]}
        assert (await client.post("/responses", json=follow_up)).status_code == 200

    seen, later = probe.notes
    request = seen["request"]
    assert type(request.model) is str and type(request.metadata) is dict
    assert type(request.instructions) is str and request.text.format.type == "json_schema"
    assert [type(t) for t in request.tools] == [models.FunctionTool, models.WebSearchTool]
    assert isinstance(request.input[0], models.EasyInputMessage)
    _assert_plain_input(request.input)
    _no_root_models(request)

    items = seen["items"]
    assert len(items) == 5 and all(type(i.id) is str for i in items)
    _assert_plain_input(items)
    _no_root_models(items)

    assert type(later["request"].input) is str
    history = later["history"]
    # The first request's input items, then its output: the assistant's message.
    _assert_plain_input(history[:5])
    assert isinstance(history[-1], models.OutputMessage)
    assert isinstance(history[-1].content[0], models.OutputTextContent)
    assert history[-1].content[0].text == "ok"
    _no_root_models(history)
