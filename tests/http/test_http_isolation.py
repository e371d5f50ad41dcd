"""Isolation matrix: whoever is not the owner sees nothing of a response or a conversation.

users (another user, no key, the key in another case, the key with inner whitespace)
x endpoints (GET, GET ?stream=true, input_items, cancel, DELETE, previous_response_id, conversation)
x states (running background, completed, cancelled)
x stores (memory, Redis), on a real uvicorn server.

The same users (and other chat keys) x every Conversations API endpoint on a conversation of
alice's: each is 404, and the owner's conversation is unchanged.

Every cross-user access is 404 (400 ``previous_response_not_found`` for chaining, a separate and
empty conversation for ``conversation``), its body is the error envelope and holds none of the
owner's content, and it changes nothing: afterwards the owner sees the same response as before.
(Leading and trailing whitespace is not part of an HTTP header value, so ``" alice"`` *is* alice.)
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import httpx
import pytest
from http_helpers import ENVELOPE_KEYS, parse_sse, poll
from support.hosts import WAIT, make_host
from support.servers import serve_in_thread
from support.services import require_redis

from responsekit import TextResponse

OWNER = "alice"
STRANGERS = {"another user": "bob", "no key": None, "other case": "ALICE", "inner whitespace": "al ice"}
STATES = ("running", "completed", "cancelled")
SECRET = "SECRET-of-alice"


def _headers(user: str | None) -> dict[str, str]:
    return {"x-agent-user-isolation-key": user} if user is not None else {}


async def _handler(request, context, cancellation_signal):
    """ "hold ..." waits until cancelled; anything else answers with the history it was given."""
    text = await context.get_input_text()
    if text.startswith("hold"):
        await cancellation_signal.wait()
        return TextResponse(context, request, text="stopped")
    history = await context.get_history()
    seen = [
        json.dumps(item.model_dump(mode="json") if hasattr(item, "model_dump") else item) for item in history
    ]
    return TextResponse(context, request, text=json.dumps({"history": seen}))


@pytest.fixture(scope="module", params=["memory", "sqlite", "redis"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    if request.param == "redis":
        require_redis()
    host = make_host(request.param, cancellation_grace_period_seconds=0.05)
    host.response_handler(_handler)
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as http:
        yield http


def _make(client: httpx.Client, state: str) -> str:
    """A background response of alice's in ``state``; returns its id."""
    owner = _headers(OWNER)
    body = {"model": "m", "background": True, "input": ("hold " if state != "completed" else "") + SECRET}
    rid = client.post("/responses", json=body, headers=owner).json()["id"]
    if state == "cancelled":
        assert client.post(f"/responses/{rid}/cancel", headers=owner).json()["status"] == "cancelled"
    else:
        # a handler that emits nothing yet leaves the response queued: it runs all the same
        wanted = {"queued", "in_progress"} if state == "running" else {"completed"}
        poll(lambda: client.get(f"/responses/{rid}", headers=owner).json()["status"] in wanted, what=state)
    return rid


def _owner_view(client: httpx.Client, rid: str) -> tuple[dict, dict]:
    owner = _headers(OWNER)
    snapshot = client.get(f"/responses/{rid}", headers=owner)
    items = client.get(f"/responses/{rid}/input_items", headers=owner)
    assert snapshot.status_code == 200 and items.status_code == 200
    return snapshot.json(), items.json()


def _refused(reply: httpx.Response, status: int = 404) -> None:
    assert reply.status_code == status, (reply.status_code, reply.text[:300])
    assert reply.headers["content-type"].startswith("application/json")
    assert set(reply.json()["error"]) == ENVELOPE_KEYS
    assert SECRET not in reply.text


ENDPOINTS = ("get", "get_stream", "input_items", "cancel", "delete", "previous_response_id")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("stranger", sorted(STRANGERS))
def test_a_stranger_reaches_nothing_of_a_response(client, state, stranger):
    rid = _make(client, state)
    before = _owner_view(client, rid)
    headers = _headers(STRANGERS[stranger])
    for endpoint in ENDPOINTS:
        if endpoint == "get":
            _refused(client.get(f"/responses/{rid}", headers=headers))
        elif endpoint == "get_stream":
            _refused(client.get(f"/responses/{rid}", params={"stream": "true"}, headers=headers))
        elif endpoint == "input_items":
            _refused(client.get(f"/responses/{rid}/input_items", headers=headers))
        elif endpoint == "cancel":
            _refused(client.post(f"/responses/{rid}/cancel", headers=headers))
        elif endpoint == "delete":
            _refused(client.delete(f"/responses/{rid}", headers=headers))
        else:
            reply = client.post(
                "/responses", json={"model": "m", "input": "x", "previous_response_id": rid}, headers=headers
            )
            _refused(reply, 400)
            assert reply.json()["error"]["code"] == "previous_response_not_found"
    # nothing changed for the owner: still there, same state, same items (a running one still runs)
    after = _owner_view(client, rid)
    assert after[0]["status"] == before[0]["status"]
    assert (
        after[0]["status"] == state if state != "running" else after[0]["status"] in ("queued", "in_progress")
    )
    assert after[1] == before[1]
    replay = (
        parse_sse(client.get(f"/responses/{rid}", params={"stream": "true"}, headers=_headers(OWNER)).content)
        if state != "running"
        else None
    )
    if replay is not None:
        assert replay.done and replay.frames
    # the owner can still do everything
    if state == "completed":
        chained = client.post(
            "/responses",
            json={"model": "m", "input": "next", "previous_response_id": rid},
            headers=_headers(OWNER),
        )
        assert chained.status_code == 200 and SECRET in chained.text  # the history is alice's
    if state == "running":
        assert (
            client.post(f"/responses/{rid}/cancel", headers=_headers(OWNER)).json()["status"] == "cancelled"
        )
    assert client.delete(f"/responses/{rid}", headers=_headers(OWNER)).status_code == 200


def _history_of(client: httpx.Client, user: str | None, conversation: str, text: str) -> list[str]:
    reply = client.post(
        "/responses",
        json={"model": "m", "input": text, "conversation": conversation},
        headers=_headers(user),
    )
    assert reply.status_code == 200, reply.text
    return json.loads(reply.json()["output"][0]["content"][0]["text"])["history"]


@pytest.mark.parametrize("stranger", sorted(STRANGERS))
def test_a_stranger_naming_the_same_conversation_gets_a_separate_one(client, stranger):
    conversation = "conv_" + secrets.token_hex(16)
    assert _history_of(client, OWNER, conversation, SECRET) == []
    owner_history = _history_of(client, OWNER, conversation, "second")
    assert any(SECRET in item for item in owner_history)
    # the stranger names alice's conversation id: an empty conversation of their own
    theirs = _history_of(client, STRANGERS[stranger], conversation, "intruder")
    assert theirs == []
    assert all(SECRET not in item for item in theirs)
    assert any("intruder" in item for item in _history_of(client, STRANGERS[stranger], conversation, "again"))
    # and nothing of theirs shows up in alice's
    mine = _history_of(client, OWNER, conversation, "third")
    assert all("intruder" not in item for item in mine)
    assert any(SECRET in item for item in mine)


def test_chat_key_scopes_conversations_too(client):
    conversation = "conv_" + secrets.token_hex(16)

    def history(chat: str, text: str) -> list[str]:
        reply = client.post(
            "/responses",
            json={"model": "m", "input": text, "conversation": conversation},
            headers={**_headers(OWNER), "x-agent-chat-isolation-key": chat},
        )
        return json.loads(reply.json()["output"][0]["content"][0]["text"])["history"]

    assert history("chat-1", SECRET) == []
    assert history("chat-2", "other chat") == []
    assert any(SECRET in item for item in history("chat-1", "again"))


# -- the Conversations API ------------------------------------------------------------------------------
def _conversation_of(client: httpx.Client, headers: dict[str, str]) -> tuple[str, str, dict]:
    """A conversation of alice's holding a secret item; returns its id, the item's id, and the owner's view."""
    body = {"items": [{"role": "user", "content": SECRET}], "metadata": {"secret": SECRET}}
    made = client.post("/conversations", json=body, headers=headers)
    assert made.status_code == 200, made.text
    conversation = made.json()["id"]
    return conversation, _conversation_view(client, conversation, headers)[1]["data"][0]["id"], made.json()


def _conversation_view(client: httpx.Client, conversation: str, headers: dict[str, str]) -> tuple[dict, dict]:
    got = client.get(f"/conversations/{conversation}", headers=headers)
    items = client.get(f"/conversations/{conversation}/items", headers=headers)
    assert got.status_code == 200 and items.status_code == 200
    return got.json(), items.json()


CONVERSATION_ENDPOINTS = (
    ("GET", "", None),
    ("POST", "", {"metadata": {"taken": "yes"}}),
    ("DELETE", "", None),
    ("POST", "/items", {"items": [{"role": "user", "content": "intruder"}]}),
    ("GET", "/items", None),
    ("GET", "/items/{item}", None),
    ("DELETE", "/items/{item}", None),
)


def _refuse_everywhere(client: httpx.Client, conversation: str, item: str, headers: dict[str, str]) -> None:
    for method, path, body in CONVERSATION_ENDPOINTS:
        url = f"/conversations/{conversation}{path.format(item=item)}"
        reply = client.request(method, url, json=body, headers=headers)
        _refused(reply)
        assert reply.json()["error"]["code"] == "not_found", (method, path)


@pytest.mark.parametrize("stranger", sorted(STRANGERS))
def test_a_stranger_reaches_nothing_of_a_conversation(client, stranger):
    owner = _headers(OWNER)
    conversation, item, made = _conversation_of(client, owner)
    before = _conversation_view(client, conversation, owner)
    _refuse_everywhere(client, conversation, item, _headers(STRANGERS[stranger]))
    assert _conversation_view(client, conversation, owner) == before
    assert before[0] == made and SECRET in json.dumps(before[1])
    assert client.delete(f"/conversations/{conversation}", headers=owner).status_code == 200


def test_another_chat_key_reaches_nothing_of_a_conversation(client):
    chat = {**_headers(OWNER), "x-agent-chat-isolation-key": "chat-1"}
    conversation, item, _ = _conversation_of(client, chat)
    before = _conversation_view(client, conversation, chat)
    for other in ({**chat, "x-agent-chat-isolation-key": "chat-2"}, _headers(OWNER)):
        _refuse_everywhere(client, conversation, item, other)
    assert _conversation_view(client, conversation, chat) == before
    # a response in another chat naming it starts a conversation of that chat's own
    assert _history_of(client, OWNER, conversation, "from no chat") == []


def test_a_conversation_made_through_the_api_feeds_only_its_owner(client):
    conversation, _, _ = _conversation_of(client, _headers(OWNER))
    assert any(SECRET in item for item in _history_of(client, OWNER, conversation, "mine"))
    assert _history_of(client, "bob", conversation, "theirs") == []
    items = client.get(f"/conversations/{conversation}/items", headers=_headers(OWNER)).json()["data"]
    assert "theirs" not in json.dumps(items) and "mine" in json.dumps(items)
