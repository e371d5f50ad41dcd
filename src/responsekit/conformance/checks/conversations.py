"""The Conversations API (optional: skipped when POST /conversations answers 404 or 405).

The checks that change a conversation make their own, so their verdicts do not depend on the order
they run in.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from responsekit.conformance import capabilities, schemas
from responsekit.conformance.checks.input_items import WORDS, _consistent, _ids, _text, walk_after
from responsekit.conformance.client import Reply
from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, SHOULD, Failed, check

ISOLATION_HEADER = "x-agent-user-isolation-key"
SHAPE = "A conversation is {id, object: 'conversation', created_at (unix seconds), metadata}."


def _json_object(reply: Reply, what: str) -> dict[str, Any]:
    if reply.status != 200 or reply.content_type != "application/json" or not isinstance(reply.json, dict):
        raise Failed(
            f"{what} answered {reply.status} {reply.content_type!r}, expected 200 with a JSON object",
            **reply.summary(),
        )
    return reply.json


def _shape_problem(data: dict[str, Any], kind: str) -> str | None:
    expected = {"conversation": "conversation", "conversation_deleted": "conversation.deleted"}.get(
        kind, "list"
    )
    if data.get("object") != expected:
        return f"object is {data.get('object')!r}, expected {expected!r}"
    if kind == "conversation" and type(data.get("created_at")) is not int:
        return f"created_at is {data.get('created_at')!r}, expected an integer"
    problem = schemas.resource_errors(kind, data)
    return f"the answer does not validate: {problem}" if problem else None


def _object(reply: Reply, what: str, kind: str = "conversation") -> dict[str, Any]:
    """A 200 JSON answer holding a ``kind`` object both model sets accept; else Failed."""
    data = _json_object(reply, what)
    problem = _shape_problem(data, kind)
    if problem:
        raise Failed(f"{what}: {problem}", **reply.summary())
    return data


def _read(ctx: Context, reply: Reply, what: str, kind: str, judged_by: str) -> dict[str, Any]:
    """A 200 JSON object read leniently: its shape is ``judged_by``'s rule, so a problem is noted."""
    data = _json_object(reply, what)
    problem = _shape_problem(data, kind)
    if problem:
        ctx.note("schema_note", f"{what}: {problem} (judged by {judged_by})")
    return data


def _id_of(reply: Reply, what: str) -> str:
    """The id of a conversation just created (only the status and the id are judged here)."""
    data = reply.json if isinstance(reply.json, dict) else {}
    if reply.status != 200 or not isinstance(data.get("id"), str) or not data["id"]:
        raise Failed(
            f"{what} answered {reply.status}, expected 200 with the conversation's id", **reply.summary()
        )
    return data["id"]


def _new(ctx: Context, headers: Mapping[str, str] | None = None, **body: Any) -> str:
    capabilities.require(ctx, "conversations")
    reply = ctx.http.request("POST", "/conversations", json_body=body, headers=headers)
    return _id_of(reply, "POST /conversations")


def _created(ctx: Context) -> tuple[dict[str, Any], Reply]:
    """The body the probe sent and its answer (the conversation every read-only check judges)."""
    reply = capabilities.require(ctx, "conversations")
    return capabilities.conversation_body(ctx), reply


@check(
    "conversations.create",
    "POST /conversations answers a conversation object carrying the given metadata",
    level=MUST,
    fact="POST /conversations (items up to 20, metadata) creates a conversation. " + SHAPE,
)
def create(ctx: Context) -> None:
    body, reply = _created(ctx)
    data = _object(reply, "POST /conversations")
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise Failed(f"id is {data.get('id')!r}, expected a non-empty string", **reply.summary())
    if data.get("metadata") != body["metadata"]:
        raise Failed(
            f"metadata is {data.get('metadata')!r}, expected the metadata sent: {body['metadata']!r}",
            **reply.summary(),
        )


@check(
    "conversations.retrieve",
    "GET /conversations/{id} returns the conversation as created",
    level=MUST,
    fact="A conversation is retrievable by id, with the id, created_at and metadata it was created "
    "with. " + SHAPE,
)
def retrieve(ctx: Context) -> None:
    body, reply = _created(ctx)
    cid = _id_of(reply, "POST /conversations")
    data = _object(ctx.http.request("GET", f"/conversations/{cid}"), f"GET /conversations/{cid}")
    created_at = reply.json.get("created_at")
    expected = {"id": cid, "created_at": created_at, "metadata": body["metadata"]}
    seen = {key: data.get(key) for key in expected}
    if seen != expected:
        raise Failed(
            f"GET /conversations/{cid} differs from the conversation created", expected=expected, seen=seen
        )


@check(
    "conversations.update",
    "POST /conversations/{id} sets the metadata; the answer and later reads carry the new value",
    level=MUST,
    fact="Updating a conversation replaces its metadata and returns the conversation. " + SHAPE,
)
def update(ctx: Context) -> None:
    before = {"suite": "responsekit-conformance", "step": "created"}
    after = {"suite": "responsekit-conformance", "step": "updated"}
    cid = _new(ctx, metadata=before)
    path = f"/conversations/{cid}"
    data = _object(ctx.http.request("POST", path, json_body={"metadata": after}), f"POST {path}")
    if data.get("id") != cid or data.get("metadata") != after:
        raise Failed(
            f"POST {path} answered id {data.get('id')!r} with metadata {data.get('metadata')!r}, "
            f"expected {cid!r} with {after!r}"
        )
    read = _read(
        ctx,
        ctx.http.request("GET", path),
        f"GET {path} after the update",
        "conversation",
        "conversations.retrieve",
    )
    if read.get("metadata") != after:
        raise Failed(f"GET {path} after the update has metadata {read.get('metadata')!r}, expected {after!r}")


@check(
    "conversations.delete",
    "DELETE /conversations/{id} answers {id, object: conversation.deleted, deleted: true}; then it is 404",
    level=MUST,
    fact="A deleted conversation is gone: the delete answers the deleted object, then GET, its items "
    "and a second DELETE answer 404 with the error envelope.",
)
def delete(ctx: Context) -> None:
    cid = _new(ctx, items=[{"type": "message", "role": "user", "content": ctx.config.prompt}])
    path = f"/conversations/{cid}"
    data = _object(ctx.http.request("DELETE", path), f"DELETE {path}", "conversation_deleted")
    if data.get("id") != cid or data.get("deleted") is not True:
        raise Failed(
            f"DELETE {path} answered id {data.get('id')!r}, deleted {data.get('deleted')!r}; "
            f"expected {cid!r} and true"
        )
    for method, sub in (("GET", path), ("GET", f"{path}/items"), ("DELETE", path)):
        ctx.expect_error(ctx.http.request(method, sub), f"{method} {sub} after the delete", (404,))


def _items_page(ctx: Context, cid: str, what: str = "", **params: Any) -> dict[str, Any]:
    path = f"/conversations/{cid}/items"
    shown = f"GET {path}" + (f" {params}" if params else "") + what
    return _object(ctx.http.request("GET", path, params=params or None), shown, "conversation_item_list")


@check(
    "conversations.items_pagination",
    "Conversation items list in order and page with after/limit/order, has_more, first_id/last_id",
    level=MUST,
    fact="GET /conversations/{id}/items is a list object {object: list, data, first_id, last_id, "
    "has_more}; order defaults to desc, asc is the order items were added; limit (1..100) cuts a "
    "page and after=<id> starts the next one; POST .../items appends items.",
)
def items_pagination(ctx: Context) -> None:
    def message(word: str) -> dict[str, Any]:
        return {"type": "message", "role": "user", "content": word}

    cid = _new(ctx, items=[message(w) for w in WORDS[:3]])
    path = f"/conversations/{cid}/items"
    added = _object(
        ctx.http.request("POST", path, json_body={"items": [message(w) for w in WORDS[3:]]}),
        f"POST {path}",
        "conversation_item_list",
    )
    if len(added.get("data") or []) != len(WORDS) - 3:
        raise Failed(f"POST {path} with 2 items answered {len(added.get('data') or [])} item(s)", body=added)
    asc = _items_page(ctx, cid, order="asc", limit=100)
    everything = _ids(asc)
    texts = [_text(item) for item in asc.get("data", [])]
    if texts != list(WORDS) or None in everything or len(set(everything)) != len(everything):
        raise Failed(
            f"order=asc lists the messages {texts} with ids {everything}; expected {list(WORDS)} "
            "with distinct ids",
        )
    _consistent(asc, "order=asc")
    if asc["has_more"]:
        raise Failed("has_more is true though every item fits limit=100")
    default = _ids(_items_page(ctx, cid))
    if default != everything[::-1]:
        raise Failed(
            "the default order is not desc (the reverse of order=asc)", default=default, asc=everything
        )
    walk_after(lambda **params: _items_page(ctx, cid, **params), everything, limit_note="limit=2, ")


@check(
    "conversations.isolation",
    "A conversation made under one isolation key is 404 under another, on every conversation endpoint",
    level=SHOULD,  # a hosted-agent extension the protocol owner's API does not have
    fact="Conversations are scoped by the x-agent-user-isolation-key header (the hosted-agent isolation "
    "extension), like responses: another user's conversation is not found (404) on every endpoint, "
    "and their attempts change nothing.",
)
def isolation(ctx: Context) -> None:
    owner = {ISOLATION_HEADER: "conformance-owner-" + secrets.token_hex(8)}
    other = {ISOLATION_HEADER: "conformance-other-" + secrets.token_hex(8)}
    cid = _new(ctx, owner, items=[{"type": "message", "role": "user", "content": ctx.config.prompt}])
    path = f"/conversations/{cid}"
    own_items = _ids(
        _read(
            ctx,
            ctx.http.request("GET", f"{path}/items", headers=owner),
            f"GET {path}/items",
            "conversation_item_list",
            "conversations.items_pagination",
        )
    )
    if len(own_items) != 1 or not own_items[0]:
        raise Failed(
            f"GET {path}/items lists {own_items}, expected the one item the conversation was made with"
        )
    item = f"{path}/items/{own_items[0]}"
    message = {"type": "message", "role": "user", "content": "intruder"}
    attempts: list[tuple[str, str, Any]] = [
        ("GET", path, None),
        ("POST", path, {"metadata": {"step": "intruder"}}),
        ("GET", f"{path}/items", None),
        ("POST", f"{path}/items", {"items": [message]}),
        ("GET", item, None),
        ("DELETE", item, None),
        ("DELETE", path, None),
    ]
    for method, sub, body in attempts:
        reply = ctx.http.request(method, sub, json_body=body, headers=other)
        ctx.expect_error(reply, f"{method} {sub} under another isolation key", (404,))
    still = ctx.http.request("GET", f"{path}/items", headers=owner)
    what = f"GET {path}/items by its owner afterwards"
    after = _ids(_read(ctx, still, what, "conversation_item_list", "conversations.items_pagination"))
    if after != own_items:
        raise Failed(
            "the other user's attempts changed the conversation's items", before=own_items, after=after
        )
