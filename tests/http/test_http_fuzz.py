"""Property-based fuzzing of the endpoints from spec/openapi.json (schemathesis), on a real server.

Every operation of the spec is fuzzed: the five response endpoints, ``/responses/compact``,
``/responses/input_tokens`` and the eight of the Conversations API. Requests are generated from the
OpenAPI description: positive cases (what the schema allows) and negative ones (what it forbids:
wrong types, missing parts, junk bytes). Whatever comes in, the server answers below 500, every
4xx is the four-key error envelope, and every 2xx validates with the strict ``openai`` model of what
it carries (a Response, as JSON or inside SSE events; a Conversation, its items, a compaction, a
token count), the oracle of what a client accepts.

Request bodies are fuzzed over their declared fields only (the schemas allow any extra field, so
generation would spend most examples on unknown keys, which the server ignores). Ids, in paths and
in bodies (``previous_response_id``, ``conversation``, ``after``), are either generated or ids of
objects the server holds (responses, conversations and their items, a sealed compaction item), so
the 2xx paths are fuzzed too, not only the 404s.

Bounded for CI: a fixed number of derandomized examples per operation, one server per store.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai.types.conversations as oc
import openai.types.responses as oa
import pytest
import schemathesis
from http_helpers import ENVELOPE_KEYS, parse_sse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from schemathesis import GenerationMode
from support.hosts import WAIT, echo_handler, host_with
from support.servers import serve_in_thread

SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.json"
# schemathesis's negative generation draws from `random` (seeded by hypothesis, so still derandomized).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning"
)

#: Words that would mean an error message leaks Python internals.
INTERNALS = (
    "int_parsing",
    "set_int_max_str_digits",
    "Traceback",
    "ValueError",
    "TypeError",
    "KeyError",
    "unhashable",
    "NoneType",
    "pydantic",
    "json_invalid",
    "errors.pydantic.dev",
)
STREAM_EVENT = TypeAdapter(oa.ResponseStreamEvent)
CONVERSATION_ITEM = TypeAdapter(oc.ConversationItem)
#: The request bodies, by operation: each is fuzzed over its declared fields only.
BODIES = {
    ("/responses", "post"): "CreateResponse",
    ("/responses/compact", "post"): "CompactResponseMethodPublicBody",
    ("/responses/input_tokens", "post"): "TokenCountsBody",
    ("/conversations", "post"): "CreateConversationBody",
    ("/conversations/{conversation_id}", "post"): "UpdateConversationBody",
    ("/conversations/{conversation_id}/items", "post"): "CreateConversationItemsBody",
}


def _declared_fields_only(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with each operation of BODIES taking an object of its body's declared fields, no others."""
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    for (path, method), name in BODIES.items():
        properties: dict[str, Any] = {}
        required: list[str] = []
        pending = [schemas[name]]
        while pending:
            schema = pending.pop()
            if "$ref" in schema:
                pending.append(schemas[schema["$ref"].rsplit("/", 1)[-1]])
                continue
            pending.extend(schema.get("allOf", []))
            properties.update(schema.get("properties", {}))
            required.extend(schema.get("required", []))
        body = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            body["required"] = sorted(set(required))
        spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"] = body
    return spec


SCHEMA = schemathesis.openapi.from_dict(_declared_fields_only(json.loads(SPEC.read_text())))
FUZZ = settings(
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure reports its example as found
    report_multiple_bugs=False,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def strategy(path: str, method: str) -> st.SearchStrategy:
    operation = SCHEMA[path][method]
    return st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )


# -- the server ------------------------------------------------------------------------------------------
@dataclass
class Held:
    """A server shared by the module, and the objects it holds (their ids), made before fuzzing."""

    url: str
    #: A client of the server, for the objects the tests make.
    http: httpx.Client
    #: Responses of each mode (input items with ids, background, stored with metadata).
    responses: list[str]
    #: Conversations and the ids of their items (one empty, one given items of several types, one
    #: filled by a response).
    conversations: dict[str, list[str]]
    #: A ``compaction`` item from ``/responses/compact``, sealed for this server.
    compaction: dict[str, Any]


@pytest.fixture(scope="module")
def _servers() -> Iterator[tuple[contextlib.ExitStack, dict[str, Held]]]:
    with contextlib.ExitStack() as stack:
        yield stack, {}


def _post(http: httpx.Client, path: str, body: Any = None) -> Any:
    reply = http.post(path, json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _create(http: httpx.Client, **body: Any) -> str:
    return _post(http, "/responses", {"model": "m", "input": "hi", **body})["id"]


#: Items of several types, as a client adds them (a message in shorthand, one with its own id).
ITEMS = [
    {"role": "user", "content": "question"},
    {"type": "message", "role": "assistant", "content": "answer"},
    {"type": "message", "role": "developer", "content": "be brief", "id": "msg_given"},
    {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "call_1", "output": "21C"},
    {"type": "reasoning", "id": "rs_given", "summary": [{"type": "summary_text", "text": "thought"}]},
]


def _conversation(http: httpx.Client, items: list[Any] | None = None) -> str:
    return _post(http, "/conversations", {"items": items or [], "metadata": {"k": "v"}})["id"]


def _item_ids(http: httpx.Client, conversation_id: str) -> list[str]:
    listed = http.get(f"/conversations/{conversation_id}/items", params={"limit": 100, "order": "asc"})
    return [item["id"] for item in listed.json()["data"]]


@pytest.fixture
def server(store_kind: str, _servers) -> Held:
    """A server on this store, shared by the module, and what it holds (see Held)."""
    stack, started = _servers
    if store_kind not in started:
        host = host_with(store_kind, echo_handler(), shutdown_grace_period_seconds=0.5)
        url = stack.enter_context(serve_in_thread(host)).url
        http = stack.enter_context(httpx.Client(base_url=url, timeout=WAIT))
        items = [{"role": "user", "content": f"m{i}", "id": f"msg_{i}"} for i in range(3)]
        responses = [
            _create(http, input=items),
            _create(http, background=True),
            _create(http, store=True, metadata={"k": "v"}),
        ]
        talked = _conversation(http)
        _create(http, input="hello", conversation=talked)  # its input and output items are appended
        conversations = {
            conversation_id: _item_ids(http, conversation_id)
            for conversation_id in (_conversation(http), _conversation(http, ITEMS), talked)
        }
        compaction = _post(http, "/responses/compact", {"model": "m", "previous_response_id": responses[0]})
        started[store_kind] = Held(url, http, responses, conversations, compaction["output"][0])
    return started[store_kind]


# -- the oracle -------------------------------------------------------------------------------------------
def _check_list(body: dict[str, Any]) -> None:
    """A page of conversation items. An empty page has no first or last id (null, as the client's
    cursor page reads it); otherwise the strict ConversationItemList."""
    if not body.get("data"):
        assert body == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
        return
    page = oc.ConversationItemList.model_validate(body)
    assert (page.first_id, page.last_id) == (page.data[0].id, page.data[-1].id), body


def _check_deleted(body: dict[str, Any]) -> None:
    assert body["deleted"] is True and body["object"] == "response", body


def _check_conversation_deleted(body: dict[str, Any]) -> None:
    assert oc.ConversationDeletedResource.model_validate(body).deleted is True, body


def _check_token_count(body: dict[str, Any]) -> None:
    assert oa.InputTokenCountResponse.model_validate(body).input_tokens >= 0, body


#: How a 2xx JSON body of each kind is checked: with the strict openai model a client reads it with.
ORACLES = {
    "response": oa.Response.model_validate,
    "items": oa.ResponseItemList.model_validate,
    "deleted": _check_deleted,
    "compacted": oa.CompactedResponse.model_validate,
    "input_tokens": _check_token_count,
    "conversation": oc.Conversation.model_validate,
    "conversation_deleted": _check_conversation_deleted,
    "conversation_items": _check_list,
    "conversation_item": CONVERSATION_ITEM.validate_python,
}


def check(response: Any, kind: str) -> None:
    """No 5xx; a 4xx is the envelope; a 2xx validates with the openai models (``kind`` says which)."""
    status = response.status_code
    content_type = response.headers.get("content-type") or [""]  # schemathesis: a list per header
    content_type = content_type if isinstance(content_type, str) else content_type[0]
    assert status < 500, (status, response.content[:500])
    assert not 300 <= status < 400, status
    if 400 <= status < 500:
        assert content_type.startswith("application/json"), content_type
        envelope = json.loads(response.content)
        assert set(envelope) == {"error"} and set(envelope["error"]) == ENVELOPE_KEYS, envelope
        message = envelope["error"]["message"]
        assert isinstance(message, str) and message, envelope
        assert not [w for w in INTERNALS if w in message], message
        return
    if content_type.startswith("text/event-stream"):
        assert kind == "response", kind
        assert response.content.endswith(b"data: [DONE]\n\n"), response.content[-200:]
        sse = parse_sse(response.content)  # strict framing; no events when replaying past the last
        assert sse.done, response.content[-200:]
        for event in sse.events:
            STREAM_EVENT.validate_python(event)
        return
    assert content_type.startswith("application/json"), content_type
    ORACLES[kind](json.loads(response.content))


def call(case: Any, url: str) -> Any:
    return case.call(base_url=url, timeout=WAIT)


def _with_id(data: st.DataObject, case: Any, ids: list[str], name: str = "response_id") -> Any:
    """Half the time, point the case's ``name`` path parameter at one of ``ids`` (objects the server holds)."""
    if data.draw(st.booleans()):
        case.path_parameters = {**(case.path_parameters or {}), name: data.draw(st.sampled_from(ids))}
    return case


def _with_item(data: st.DataObject, case: Any, conversations: dict[str, list[str]]) -> Any:
    """Half the time a held conversation, then half the time one of its items (of any held
    conversation, when the path's conversation is not one): 200s, and 404s of either part."""
    case = _with_id(data, case, list(conversations), "conversation_id")
    if data.draw(st.booleans()):
        held = conversations.get(case.path_parameters["conversation_id"])
        items = held or [item for items in conversations.values() for item in items]
        case.path_parameters = {**case.path_parameters, "item_id": data.draw(st.sampled_from(items))}
    return case


def _with_field(data: st.DataObject, case: Any, name: str, values: list[Any]) -> Any:
    """Half the time, set the body's ``name`` to one of ``values`` (when the body is an object)."""
    if isinstance(case.body, dict) and data.draw(st.booleans()):
        case.body = {**case.body, name: data.draw(st.sampled_from(values))}
    return case


# -- the response operations ------------------------------------------------------------------------------
@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_fuzz_create(server, data: st.DataObject) -> None:
    case = data.draw(strategy("/responses", "POST"))
    # in a held conversation, its input and output items are appended (read back by the list test)
    case = _with_field(data, case, "conversation", list(server.conversations))
    check(call(case, server.url), "response")


@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_fuzz_retrieve(server, data: st.DataObject) -> None:
    case = _with_id(data, data.draw(strategy("/responses/{response_id}", "GET")), server.responses)
    check(call(case, server.url), "response")


@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_fuzz_input_items(server, data: st.DataObject) -> None:
    case = _with_id(
        data, data.draw(strategy("/responses/{response_id}/input_items", "GET")), server.responses
    )
    check(call(case, server.url), "items")


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzz_cancel(server, data: st.DataObject) -> None:
    case = _with_id(data, data.draw(strategy("/responses/{response_id}/cancel", "POST")), server.responses)
    check(call(case, server.url), "response")


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzz_delete(server, data: st.DataObject) -> None:
    fresh = _create(server.http, background=data.draw(st.booleans()))  # the held ones must stay
    case = _with_id(data, data.draw(strategy("/responses/{response_id}", "DELETE")), [fresh])
    check(call(case, server.url), "deleted")


@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_fuzz_compact(server, data: st.DataObject) -> None:
    case = data.draw(strategy("/responses/compact", "POST"))
    case = _with_field(data, case, "previous_response_id", server.responses)
    # a compaction item coming back (opened, and compacted again with the rest of the window)
    case = _with_field(data, case, "input", [[server.compaction], [server.compaction, *ITEMS[:2]]])
    check(call(case, server.url), "compacted")


@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_fuzz_input_tokens(server, data: st.DataObject) -> None:
    case = data.draw(strategy("/responses/input_tokens", "POST"))
    case = _with_field(data, case, "previous_response_id", server.responses)
    case = _with_field(data, case, "conversation", [*server.conversations, {"id": "conv_never_made_1"}])
    case = _with_field(data, case, "input", [[server.compaction], ITEMS])
    check(call(case, server.url), "input_tokens")


# -- the conversation operations --------------------------------------------------------------------------
@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzz_create_conversation(server, data: st.DataObject) -> None:
    check(call(data.draw(strategy("/conversations", "POST")), server.url), "conversation")


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzz_retrieve_conversation(server, data: st.DataObject) -> None:
    case = data.draw(strategy("/conversations/{conversation_id}", "GET"))
    case = _with_id(data, case, list(server.conversations), "conversation_id")
    check(call(case, server.url), "conversation")


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzz_update_conversation(server, data: st.DataObject) -> None:
    case = data.draw(strategy("/conversations/{conversation_id}", "POST"))
    case = _with_id(data, case, list(server.conversations), "conversation_id")
    check(call(case, server.url), "conversation")


@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_fuzz_delete_conversation(server, data: st.DataObject) -> None:
    fresh = _conversation(server.http, ITEMS[:1])  # the held ones must stay
    case = data.draw(strategy("/conversations/{conversation_id}", "DELETE"))
    case = _with_id(data, case, [fresh], "conversation_id")
    check(call(case, server.url), "conversation_deleted")


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzz_add_conversation_items(server, data: st.DataObject) -> None:
    # Added to a conversation of their own: the held ones keep the items listed in Held.
    fresh = _conversation(server.http, ITEMS[:1])
    case = data.draw(strategy("/conversations/{conversation_id}/items", "POST"))
    case = _with_id(data, case, [fresh], "conversation_id")
    check(call(case, server.url), "conversation_items")


@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_fuzz_list_conversation_items(server, data: st.DataObject) -> None:
    case = data.draw(strategy("/conversations/{conversation_id}/items", "GET"))
    case = _with_id(data, case, list(server.conversations), "conversation_id")
    if isinstance(case.query, dict) and data.draw(st.booleans()):
        held = server.conversations.get(case.path_parameters["conversation_id"]) or ["msg_0"]
        case.query = {**case.query, "after": data.draw(st.sampled_from(held))}
    check(call(case, server.url), "conversation_items")


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzz_retrieve_conversation_item(server, data: st.DataObject) -> None:
    case = data.draw(strategy("/conversations/{conversation_id}/items/{item_id}", "GET"))
    check(call(_with_item(data, case, server.conversations), server.url), "conversation_item")


@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_fuzz_delete_conversation_item(server, data: st.DataObject) -> None:
    fresh = _conversation(server.http, ITEMS[:2])  # the held ones must stay
    case = data.draw(strategy("/conversations/{conversation_id}/items/{item_id}", "DELETE"))
    check(call(_with_item(data, case, {fresh: _item_ids(server.http, fresh)}), server.url), "conversation")


# -- found by fuzzing -------------------------------------------------------------------------------------
def test_a_prompt_image_variable_without_detail_is_echoed_with_the_default(server):
    """Found by fuzzing: the request may leave an input image's ``detail`` out; the echoed prompt
    must still satisfy clients, which require it on a response."""
    image = {"type": "input_image", "image_url": "https://example.com/cat.png"}
    body = {"model": "m", "input": "hi", "prompt": {"id": "pmpt_1", "variables": {"picture": image}}}
    reply = server.http.post("/responses", json=body)
    assert reply.status_code == 200, reply.text
    echoed = oa.Response.model_validate(reply.json())
    assert echoed.prompt.variables["picture"].detail == "auto"


IMAGE = {"type": "input_image", "image_url": "https://example.com/cat.png"}


def test_conversation_items_take_the_form_clients_read(server):
    """Found by fuzzing: input items may leave out (or null) what their conversation form requires
    (``status``; ``execution`` of a tool search; an input image's ``detail``), and a create's input
    may hold items a conversation cannot keep (item references, also as a bare ``{"id": ...}``, and
    compaction triggers). A conversation states the defaults and keeps none of the latter."""
    given = [
        {"type": "tool_search_call", "arguments": {"q": "x"}, "status": None},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}", "status": None},
        {"type": "tool_search_output", "tools": []},
        {"type": "function_call_output", "call_id": "c", "output": [{**IMAGE, "detail": None}]},
        {"role": "user", "content": [IMAGE]},
    ]
    conversation_id = _conversation(server.http, given)
    first = _item_ids(server.http, conversation_id)[0]
    references = [{"id": first}, {"type": "item_reference", "id": first}]
    create = [*references, {"type": "compaction_trigger"}, ITEMS[0]]
    _post(server.http, "/responses", {"model": "m", "input": create, "conversation": conversation_id})
    listed = server.http.get(f"/conversations/{conversation_id}/items", params={"order": "asc"}).json()
    page = oc.ConversationItemList.model_validate(listed)
    kinds = ["tool_search_call", "function_call", "tool_search_output", "function_call_output", "message"]
    assert [item.type for item in page.data] == [*kinds, "message", "message"]  # the create's input, output
    assert {page.data[i].status for i in range(4)} == {"completed"}
    assert page.data[0].execution == page.data[2].execution == "server"
    assert page.data[3].output[0].detail == page.data[4].content[0].detail == "auto"
    for item in listed["data"]:
        CONVERSATION_ITEM.validate_python(
            server.http.get(f"/conversations/{conversation_id}/items/{item['id']}").json()
        )
    for refused in [*references, {"type": "compaction_trigger"}]:
        reply = server.http.post(
            f"/conversations/{conversation_id}/items", json={"items": [ITEMS[0], refused]}
        )
        assert reply.status_code == 400 and reply.json()["error"]["param"] == "items[1].type", reply.text
    assert len(_item_ids(server.http, conversation_id)) == 7


def test_compacting_an_item_reference_in_shorthand(server):
    """Found by fuzzing (was a 500): a compacted window may hold an item reference written as a bare
    ``{"id": ...}``; it is sealed as the ``item_reference`` it is."""
    body = {"model": "m", "input": [{"id": "msg_0"}, {"role": "user", "content": "more"}]}
    compacted = oa.CompactedResponse.model_validate(_post(server.http, "/responses/compact", body))
    assert [item.type for item in compacted.output] == ["compaction"]
    again = {"model": "m", "input": [compacted.output[0].model_dump(), {"role": "user", "content": "next"}]}
    assert _post(server.http, "/responses", again)["status"] == "completed"


def test_input_items_take_the_form_clients_read(server):
    """Found by fuzzing: what a conversation fills in (``status``, a tool search's ``execution``, an
    input image's ``detail``) and leaves out (compaction triggers, which have no item form), GET
    /responses/{id}/input_items needs too: strict clients refuse the list otherwise."""
    items = [
        {"role": "user", "content": [IMAGE]},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}", "status": None},
        {"type": "tool_search_call", "arguments": {}},
        {"type": "compaction_trigger"},
    ]
    response_id = _create(server.http, input=items)
    listed = server.http.get(f"/responses/{response_id}/input_items", params={"order": "asc"}).json()
    page = oa.ResponseItemList.model_validate(listed)
    assert [item.type for item in page.data] == ["message", "function_call", "tool_search_call"]
    assert page.data[0].content[0].detail == "auto"
    assert page.data[1].status == page.data[2].status == "completed"
    assert page.data[2].execution == "server"


@pytest.mark.parametrize(
    ("tool", "nested", "kind"),
    [
        ({"type": "web_search_preview", "user_location": {"city": "Paris"}}, "user_location", "approximate"),
        ({"type": "code_interpreter", "container": {}}, "container", "auto"),
        ({"type": "shell", "environment": {}}, "environment", "container_auto"),
    ],
    ids=["web_search_preview.user_location", "code_interpreter.container", "shell.environment"],
)
def test_a_nested_object_left_untyped_is_echoed_with_its_type(server, tool, nested, kind):
    """Found by fuzzing: a request may leave out the ``type`` of a nested object whose schema gives
    it one default (``approximate``, ``auto``, ``container_auto``): the request models fill it in, a
    dump with ``exclude_unset`` dropped it again, and clients require it in the echoed tool (and in
    the tools of a ``tool_search_output`` item, listed by input_items and by a conversation)."""
    created = _post(server.http, "/responses", {"model": "m", "input": "hi", "tools": [tool]})
    assert created["tools"][0][nested]["type"] == kind
    oa.Response.model_validate(created)
    output = {"type": "tool_search_output", "execution": "client", "tools": [tool]}
    response_id = _create(server.http, input=[output])
    listed = server.http.get(f"/responses/{response_id}/input_items").json()
    assert oa.ResponseItemList.model_validate(listed).data[0].tools[0].type == tool["type"]
    assert listed["data"][0]["tools"][0][nested]["type"] == kind
    conversation_id = _conversation(server.http, [output])
    oc.ConversationItemList.model_validate(server.http.get(f"/conversations/{conversation_id}/items").json())
