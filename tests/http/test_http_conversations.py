"""The Conversations API on a real server, driven by the strict ``openai`` client, on every store.

CRUD and the protocol's limits, item pagination, item get/delete, responses that name a
conversation (their input and output items appended once they complete, ``get_history()`` reading
the conversation), create-on-first-use vs ``conversations_must_exist``, and bad input: always the
error envelope, never a 5xx. Isolation across users and chat keys is in test_http_isolation.py.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import httpx
import openai
import pytest
from http_helpers import check_envelope
from support.hosts import WAIT, make_host
from support.servers import serve_in_thread
from support.services import require_redis

from responsekit import ResponseEventStream, TextResponse

STORES = ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)]


def _text_of(item) -> str:
    data = item.model_dump(mode="json") if hasattr(item, "model_dump") else item
    return "".join(part.get("text", "") for part in data.get("content") or [] if isinstance(part, dict))


async def _handler(request, context, cancellation_signal):
    """Answers with the texts of its history; "fail" raises after some output, "hold" waits for a
    cancel, "cut" ends incomplete."""
    text = await context.get_input_text()
    if text == "hold":
        await cancellation_signal.wait()
        return TextResponse(context, request, text="stopped")
    if text in ("fail", "cut"):
        return _partial(request, context, fail=text == "fail")
    history = [_text_of(item) for item in await context.get_history()]
    return TextResponse(context, request, text=json.dumps({"input": text, "history": history}))


async def _partial(request, context, *, fail: bool):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    message = stream.add_output_item_message()
    yield message.emit_added()
    text = message.add_text_content()
    yield text.emit_added()
    yield text.emit_delta("partial answer")
    if fail:
        raise RuntimeError("the model went away")
    yield text.emit_text_done()
    yield text.emit_done()
    yield message.emit_done()
    yield stream.emit_incomplete()


@contextlib.contextmanager
def _serving(store_kind: str, **options) -> Iterator[str]:
    """A server on ``store_kind`` with these options; yields its URL."""
    if store_kind == "redis":
        require_redis()
    host = make_host(store_kind, cancellation_grace_period_seconds=0.05, **options)
    host.response_handler(_handler)
    with serve_in_thread(host) as server:
        yield server.url


@pytest.fixture(scope="module", params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def url(store_kind: str) -> Iterator[str]:
    with _serving(store_kind) as running:
        yield running


def _sdk(base_url: str, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url,
        api_key="x",
        max_retries=0,
        timeout=WAIT,
        _strict_response_validation=True,
        default_headers=headers or None,
    )


@pytest.fixture
def client(url: str) -> Iterator[openai.OpenAI]:
    with _sdk(url) as sdk:
        yield sdk


@pytest.fixture
def http(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=WAIT) as raw:
        yield raw


def _message(text: str, role: str = "user") -> dict:
    return {"type": "message", "role": role, "content": text}


def _all_items(client: openai.OpenAI, conversation_id: str) -> list:
    return list(client.conversations.items.list(conversation_id, order="asc", limit=100))


def _answer(response) -> dict:
    return json.loads(response.output_text)


# -- conversations ---------------------------------------------------------------------------------------
def test_create_retrieve_update_delete(client):
    made = client.conversations.create(items=[_message("hello")], metadata={"topic": "demo"})
    assert made.object == "conversation" and made.id.startswith("conv_")
    assert made.metadata == {"topic": "demo"} and made.created_at > 0
    assert client.conversations.retrieve(made.id) == made
    updated = client.conversations.update(made.id, metadata={"topic": "other", "n": "2"})
    assert updated.metadata == {"topic": "other", "n": "2"} and updated.created_at == made.created_at
    assert client.conversations.retrieve(made.id).metadata == {"topic": "other", "n": "2"}
    deleted = client.conversations.delete(made.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (made.id, "conversation.deleted", True)
    for call in (
        lambda: client.conversations.retrieve(made.id),
        lambda: client.conversations.update(made.id, metadata={}),
        lambda: client.conversations.delete(made.id),
        lambda: client.conversations.items.list(made.id),
    ):
        with pytest.raises(openai.NotFoundError) as caught:
            call()
        assert caught.value.param == "conversation_id" and caught.value.code == "not_found"


def test_create_with_nothing_is_an_empty_conversation(client, http):
    made = client.conversations.create()
    assert made.metadata == {} and _all_items(client, made.id) == []
    # no body at all is the same as {}
    reply = http.post("/conversations")
    assert reply.status_code == 200 and reply.json()["metadata"] == {}
    assert reply.json()["id"] != made.id


def test_update_with_null_metadata_clears_it(client, http):
    made = client.conversations.create(metadata={"a": "b"})
    reply = http.post(f"/conversations/{made.id}", json={"metadata": None})
    assert reply.status_code == 200 and reply.json()["metadata"] == {}


def test_metadata_limits(client, http):
    at_limits = {f"k{i:02d}".ljust(64, "x"): "v" * 512 for i in range(16)}
    made = client.conversations.create(metadata=at_limits)
    assert made.metadata == at_limits
    assert client.conversations.update(made.id, metadata=at_limits).metadata == at_limits
    too_many = {f"k{i}": "v" for i in range(17)}
    for bad, param in (
        (too_many, "metadata"),
        ({"k" * 65: "v"}, "metadata." + "k" * 65),
        ({"k": "v" * 513}, "metadata.k"),
        ({"k": 1}, "metadata.k"),
        ("text", "metadata"),
    ):
        check_envelope(http.post("/conversations", json={"metadata": bad}), 400, param=param)
        check_envelope(http.post(f"/conversations/{made.id}", json={"metadata": bad}), 400, param=param)
    assert client.conversations.retrieve(made.id).metadata == at_limits  # nothing changed


def test_at_most_twenty_items_a_request(client, http):
    twenty = [_message(f"m{i}") for i in range(20)]
    made = client.conversations.create(items=twenty)
    assert len(_all_items(client, made.id)) == 20
    assert len(client.conversations.items.create(made.id, items=twenty).data) == 20
    assert len(_all_items(client, made.id)) == 40
    over = [*twenty, _message("one too many")]
    check_envelope(http.post("/conversations", json={"items": over}), 400, param="items")
    check_envelope(http.post(f"/conversations/{made.id}/items", json={"items": over}), 400, param="items")
    check_envelope(http.post(f"/conversations/{made.id}/items", json={"items": []}), 400, param="items")
    assert len(_all_items(client, made.id)) == 40


# -- items ----------------------------------------------------------------------------------------------
def test_items_are_stored_as_a_create_input_is(client):
    made = client.conversations.create(
        items=[
            _message("question"),
            _message("earlier answer", role="assistant"),
            {"type": "function_call_output", "call_id": "call_1", "output": "21C"},
        ]
    )
    items = _all_items(client, made.id)
    assert [item.type for item in items] == ["message", "message", "function_call_output"]
    user, assistant, output = items
    assert user.role == "user" and user.status == "completed" and user.id.startswith("msg_")
    assert [part.type for part in user.content] == ["input_text"] and user.content[0].text == "question"
    assert [part.type for part in assistant.content] == ["output_text"]
    assert output.call_id == "call_1" and output.id


def test_added_items_come_back_as_a_list_and_keep_given_ids(client):
    made = client.conversations.create()
    added = client.conversations.items.create(
        made.id,
        items=[{"id": "msg_given_1", **_message("one")}, _message("two")],
        include=["message.input_image.image_url"],
    )
    assert added.object == "list" and added.has_more is False
    assert added.first_id == "msg_given_1" == added.data[0].id and added.last_id == added.data[1].id
    # adding an item whose id the conversation holds does not add it again
    client.conversations.items.create(made.id, items=[{"id": "msg_given_1", **_message("again")}])
    assert [_text_of(item) for item in _all_items(client, made.id)] == ["one", "two"]


def test_list_pages_with_after_limit_and_order(client, http):
    made = client.conversations.create(items=[_message(f"m{i}") for i in range(20)])
    client.conversations.items.create(made.id, items=[_message(f"m{i}") for i in range(20, 25)])
    ids = [item.id for item in _all_items(client, made.id)]
    assert len(ids) == 25 and len(set(ids)) == 25
    # the default: newest first, 20 at a time
    first = client.conversations.items.list(made.id)
    assert [item.id for item in first.data] == ids[::-1][:20] and first.has_more is True
    raw = http.get(f"/conversations/{made.id}/items").json()
    assert raw["object"] == "list" and raw["first_id"] == ids[-1] and raw["last_id"] == ids[5]
    # the client's auto-pagination follows last_id
    assert [item.id for item in client.conversations.items.list(made.id, limit=7)] == ids[::-1]
    page = client.conversations.items.list(made.id, order="asc", limit=10, after=ids[9])
    assert [item.id for item in page.data] == ids[10:20] and page.has_more is True
    page = client.conversations.items.list(made.id, order="asc", limit=10, after=ids[14])
    assert [item.id for item in page.data] == ids[15:] and page.has_more is False
    last = http.get(f"/conversations/{made.id}/items", params={"order": "asc", "after": ids[-1]}).json()
    assert last == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    for params, param in (
        ({"after": "msg_unknown"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"order": "sideways"}, "order"),
        ({"include": "everything"}, "include"),
    ):
        check_envelope(http.get(f"/conversations/{made.id}/items", params=params), 400, param=param)


def test_an_item_can_be_read_and_deleted(client, http):
    made = client.conversations.create(items=[_message("keep"), _message("drop")])
    keep, drop = _all_items(client, made.id)
    assert client.conversations.items.retrieve(drop.id, conversation_id=made.id) == drop
    assert client.conversations.items.retrieve(keep.id, conversation_id=made.id, include=[]) == keep
    after = client.conversations.items.delete(drop.id, conversation_id=made.id)
    assert after.id == made.id and after.object == "conversation"
    assert _all_items(client, made.id) == [keep]
    for call in (
        lambda: client.conversations.items.retrieve(drop.id, conversation_id=made.id),
        lambda: client.conversations.items.delete(drop.id, conversation_id=made.id),
    ):
        with pytest.raises(openai.NotFoundError) as caught:
            call()
        assert caught.value.param == "item_id"
    check_envelope(http.get(f"/conversations/conv_unknown/items/{keep.id}"), 404, param="conversation_id")
    check_envelope(http.delete(f"/conversations/conv_unknown/items/{keep.id}"), 404, param="conversation_id")
    check_envelope(http.post("/conversations/conv_unknown/items", json={"items": [_message("x")]}), 404)
    check_envelope(
        http.get(f"/conversations/{made.id}/items/{keep.id}", params={"include": "nope"}),
        400,
        param="include",
    )
    reply = http.post(f"/conversations/{made.id}/items?include=nope", json={"items": [_message("x")]})
    check_envelope(reply, 400, param="include")
    assert _all_items(client, made.id) == [keep]


# -- responses in a conversation -------------------------------------------------------------------------
def test_a_response_appends_its_input_then_its_output(client):
    made = client.conversations.create(items=[_message("context")])
    response = client.responses.create(model="m", input="hello", conversation=made.id)
    assert response.conversation.id == made.id
    assert _answer(response) == {"input": "hello", "history": ["context"]}
    items = _all_items(client, made.id)
    assert [_text_of(item) for item in items] == ["context", "hello", response.output_text]
    input_ids = [item.id for item in client.responses.input_items.list(response.id)]
    assert [item.id for item in items[1:]] == [*input_ids, response.output[0].id]
    # the next response reads the conversation as its history
    second = client.responses.create(model="m", input="again", conversation={"id": made.id})
    assert _answer(second)["history"] == ["context", "hello", response.output_text]


@pytest.mark.parametrize("mode", ["stream", "background"])
def test_the_items_are_there_once_the_terminal_event_is(client, mode):
    made = client.conversations.create()
    if mode == "stream":
        with client.responses.create(
            model="m", input="streamed", conversation=made.id, stream=True
        ) as events:
            for event in events:
                if event.type == "response.completed":
                    break  # nothing waited for: the items were appended before this event was logged
        output_id = event.response.output[0].id
    else:
        # The terminal event is the moment to go by: on a shared store a GET may see the status a
        # moment before the items (the terminal state is set, then the items appended, then the event).
        queued = client.responses.create(model="m", input="streamed", conversation=made.id, background=True)
        with client.responses.retrieve(queued.id, stream=True) as events:
            for event in events:
                if event.type == "response.completed":
                    break
        output_id = event.response.output[0].id
    items = _all_items(client, made.id)
    assert [_text_of(item) for item in items][0] == "streamed" and items[-1].id == output_id


def test_a_failed_or_cancelled_response_adds_nothing(client):
    made = client.conversations.create(items=[_message("before")])
    failed = client.responses.create(model="m", input="fail", conversation=made.id)
    assert failed.status == "failed"
    held = client.responses.create(model="m", input="hold", conversation=made.id, background=True)
    assert client.responses.cancel(held.id).status == "cancelled"
    assert [_text_of(item) for item in _all_items(client, made.id)] == ["before"]
    # an incomplete response is kept: its partial answer is what the model said
    cut = client.responses.create(model="m", input="cut", conversation=made.id)
    assert cut.status == "incomplete"
    assert [_text_of(item) for item in _all_items(client, made.id)] == ["before", "cut", "partial answer"]


def test_a_conversation_named_first_by_a_create_is_made_on_first_use(client):
    name = "conv_gateway_owned_1234"
    first = client.responses.create(model="m", input="one", conversation=name)
    assert _answer(first)["history"] == []
    made = client.conversations.retrieve(name)
    assert made.id == name and made.metadata == {}
    assert [_text_of(item) for item in _all_items(client, name)] == ["one", first.output_text]
    client.conversations.delete(name)  # deleted: the next create starts it afresh
    assert _answer(client.responses.create(model="m", input="two", conversation=name))["history"] == []


def test_conversations_must_exist_refuses_an_unknown_one(store_kind):
    with _serving(store_kind, conversations_must_exist=True) as url, _sdk(url) as client:
        with pytest.raises(openai.NotFoundError) as caught:
            client.responses.create(model="m", input="x", conversation="conv_never_made_1234")
        assert caught.value.param == "conversation" and caught.value.code == "not_found"
        with pytest.raises(openai.NotFoundError):
            client.conversations.retrieve("conv_never_made_1234")  # and it was not made
        made = client.conversations.create()
        response = client.responses.create(model="m", input="x", conversation=made.id)
        assert response.status == "completed" and len(_all_items(client, made.id)) == 2
        # another user naming it names a conversation of their own, which does not exist
        with _sdk(url, **{"x-agent-user-isolation-key": "bob"}) as bob:
            with pytest.raises(openai.NotFoundError) as caught:
                bob.responses.create(model="m", input="x", conversation=made.id)
            assert caught.value.param == "conversation"
        assert len(_all_items(client, made.id)) == 2


def test_under_a_route_prefix(store_kind):
    with _serving(store_kind, route_prefix="/v1") as url:
        with _sdk(url + "/v1") as client:
            made = client.conversations.create(items=[_message("prefixed")])
            assert [_text_of(item) for item in _all_items(client, made.id)] == ["prefixed"]
        assert httpx.get(f"{url}/conversations/{made.id}").status_code == 404


# -- bad input -------------------------------------------------------------------------------------------
#: Refused by every endpoint that takes a body, before its fields are looked at.
UNREADABLE = [
    b"{",
    b"[]",
    b'"text"',
    b"\xff\xfe{}",
    b'{"metadata": NaN}',
    b'{"items": ' + b"[" * 5000 + b"]" * 5000 + b"}",
]

#: Items refused by POST /conversations and POST /conversations/{id}/items, naming the place (None:
#: whatever a create names for the same items as its ``input``).
BAD_ITEMS = [
    (b"3", "items"),
    (b"[3]", "items[0]"),
    (b'[{"type": "bogus"}]', "items[0].type"),
    (b'[{"type": 7}]', "items[0].type"),
    (b'[{"role": "user", "content": [{"type": "nope"}]}]', "items[0].content[0].type"),
    (
        b'[{"type": "message", "role": "user", "content": [{"type": "input_text"}]}]',
        "items[0].content[0].text",
    ),
    (b'[{"role": "user", "content": 5}]', None),
    (b'[{"role": "user"}]', None),
    (b'[{"id": 5, "role": "user", "content": "x"}]', "items[0].id"),
    (
        b'[{"id": "a", "role": "user", "content": "x"}, {"id": "a", "role": "user", "content": "y"}]',
        "items[1].id",
    ),
    (b'[{"role": "user", "content": "x", "n": 1' + b"0" * 5000 + b"}]", "items[0].n"),
]

#: Metadata refused by POST /conversations and POST /conversations/{id}.
BAD_METADATA = [
    (b'{"metadata": {"k": 1e999}}', "metadata.k"),
    (b'{"metadata": {"k": ["v"]}}', "metadata.k"),
    (b'{"metadata": [1]}', "metadata"),
]


@pytest.fixture
def conversation_id(client) -> str:
    return client.conversations.create().id


@pytest.mark.parametrize("body", UNREADABLE, ids=range(len(UNREADABLE)))
def test_unreadable_bodies_are_400_everywhere(client, http, conversation_id, body):
    for path in (
        "/conversations",
        f"/conversations/{conversation_id}",
        f"/conversations/{conversation_id}/items",
    ):
        check_envelope(http.post(path, content=body, headers={"content-type": "application/json"}), 400)
    assert client.conversations.retrieve(conversation_id).metadata == {}


@pytest.mark.parametrize(("items", "param"), BAD_ITEMS, ids=range(len(BAD_ITEMS)))
def test_bad_items_are_400_naming_the_place_as_a_create_does(client, http, conversation_id, items, param):
    as_input = check_envelope(
        http.post("/responses", content=b'{"model": "m", "input": ' + items + b"}"), 400
    )
    assert as_input["param"].startswith("input")
    expected = "items" + as_input["param"].removeprefix("input")
    assert param in (None, expected)
    for path in ("/conversations", f"/conversations/{conversation_id}/items"):
        reply = http.post(
            path, content=b'{"items": ' + items + b"}", headers={"content-type": "application/json"}
        )
        error = check_envelope(reply, 400, param=expected, code=as_input["code"])
        if "[" in expected:  # an item's error (the field itself differs: input may also be a string)
            assert error["message"] == as_input["message"].replace("input[", "items[")
    reference = b'[{"type": "item_reference", "id": "msg_elsewhere"}]'  # fine in a create, not here
    reply = http.post(f"/conversations/{conversation_id}/items", content=b'{"items": ' + reference + b"}")
    check_envelope(reply, 400, param="items[0].type")
    assert _all_items(client, conversation_id) == []


@pytest.mark.parametrize(("body", "param"), BAD_METADATA, ids=[param for _, param in BAD_METADATA])
def test_bad_metadata_is_400_naming_the_place(client, http, conversation_id, body, param):
    for path in ("/conversations", f"/conversations/{conversation_id}"):
        reply = http.post(path, content=body, headers={"content-type": "application/json"})
        check_envelope(reply, 400, param=param)
    assert client.conversations.retrieve(conversation_id).metadata == {}


def test_missing_fields_and_a_byte_order_mark(client, http):
    made = client.conversations.create()
    check_envelope(http.post(f"/conversations/{made.id}", json={}), 400, param="metadata")
    check_envelope(http.post(f"/conversations/{made.id}/items", json={}), 400, param="items")
    check_envelope(http.post(f"/conversations/{made.id}/items", content=b""), 400)
    with_bom = b"\xef\xbb\xbf" + json.dumps({"metadata": {"bom": "ok"}}).encode()
    assert http.post(f"/conversations/{made.id}", content=with_bom).json()["metadata"] == {"bom": "ok"}


def test_a_body_over_the_limit_is_413(store_kind):
    with _serving(store_kind, max_request_body_bytes=1000) as url:
        with httpx.Client(base_url=url, timeout=WAIT) as http:
            big = {"items": [_message("x" * 2000)]}
            check_envelope(http.post("/conversations", json=big), 413, code="request_too_large")


def test_unknown_fields_are_ignored_or_refused_as_configured(store_kind, http):
    assert http.post("/conversations", json={"metadata": {}, "newer_field": 1}).status_code == 200
    with _serving(store_kind, reject_unknown_fields=True) as url:
        with httpx.Client(base_url=url, timeout=WAIT) as strict:
            reply = strict.post("/conversations", json={"metadata": {}, "newer_field": 1})
            check_envelope(reply, 400, param="newer_field", code="unknown_parameter")


def test_methods_not_served_are_405(http):
    made = http.post("/conversations").json()
    for method, path in (
        ("PUT", "/conversations"),
        ("GET", "/conversations"),
        ("PATCH", f"/conversations/{made['id']}"),
        ("PUT", f"/conversations/{made['id']}/items"),
        ("POST", f"/conversations/{made['id']}/items/msg_1"),
    ):
        check_envelope(http.request(method, path), 405)
