"""Deletion, store=false, and previous_response_id chaining."""

from __future__ import annotations

from typing import Any

from responsekit.conformance.client import Reply
from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, Failed, Skipped, check


def _to_delete(ctx: Context) -> str:
    """The id of a response made for the deletion checks (its create is create.default's rule)."""
    with ctx.precondition("create.default"):
        reply = ctx.memo("to_delete", lambda: ctx.create(ctx.body()))
        return ctx.read_response(reply, "POST /responses", judged_by="create.default")["id"]


def _delete(ctx: Context, rid: str) -> Reply:
    return ctx.memo("deleted", lambda: ctx.http.request("DELETE", f"/responses/{rid}"))


@check(
    "delete.body",
    "DELETE /responses/{id} answers 200 {id, object: response, deleted: true}",
    level=MUST,
    fact="Deleting a stored response answers 200 application/json with {id, object: 'response', "
    "deleted: true}.",
)
def delete_body(ctx: Context) -> None:
    rid = _to_delete(ctx)
    reply = _delete(ctx, rid)
    body = reply.json if isinstance(reply.json, dict) else {}
    expected = {"id": rid, "object": "response", "deleted": True}
    if (
        reply.status != 200
        or reply.content_type != "application/json"
        or {k: body.get(k) for k in expected} != expected
    ):
        raise Failed(
            f"DELETE /responses/{rid} answered {reply.status} {reply.content_type!r}, expected 200 "
            f"with {expected}",
            **reply.summary(),
        )


@check(
    "delete.then_404",
    "A deleted response is gone: every endpoint of it is 404",
    level=MUST,
    fact="A deleted response is gone: GET, input_items, cancel and a second DELETE answer 404.",
)
def delete_then_404(ctx: Context) -> None:
    rid = _to_delete(ctx)
    reply = _delete(ctx, rid)
    if not 200 <= reply.status < 300:
        raise Skipped(f"precondition: DELETE /responses/{rid} answered {reply.status} (see delete.body)")
    for method, path in (
        ("GET", f"/responses/{rid}"),
        ("GET", f"/responses/{rid}/input_items"),
        ("POST", f"/responses/{rid}/cancel"),
        ("DELETE", f"/responses/{rid}"),
    ):
        ctx.expect_error(ctx.http.request(method, path), f"{method} {path} after the delete", (404,))


def _unstored(ctx: Context) -> dict[str, Any]:
    reply = ctx.memo("store_false_json", lambda: ctx.create(ctx.body(store=False)))
    return ctx.read_response(reply, "POST /responses store=false", judged_by="create.default")


@check(
    "store.false_not_retrievable",
    "A response created with store=false cannot be retrieved (404)",
    level=MUST,
    fact="store=false means the response is not kept: GET by its id is not found.",
)
def store_false(ctx: Context) -> None:
    rid = _unstored(ctx)["id"]
    ctx.expect_error(ctx.get(rid), f"GET /responses/{rid} of a store=false response", (404,))


@check(
    "chain.previous_response",
    "previous_response_id to a stored response is accepted and echoed",
    level=MUST,
    fact="previous_response_id continues from a stored response (its input and output become "
    "context); the new Response names its parent.",
)
def chain(ctx: Context) -> None:
    parent = ctx.hello_response()
    child = ctx.read_response(
        ctx.create(ctx.body("And again.", previous_response_id=parent["id"])),
        "POST /responses with previous_response_id",
        judged_by="create.default",
    )
    if child.get("previous_response_id") != parent["id"]:
        raise Failed(
            f"the new Response has previous_response_id {child.get('previous_response_id')!r}, "
            f"expected {parent['id']!r}"
        )


@check(
    "chain.unknown_parent",
    "previous_response_id naming no response is rejected with 4xx and the envelope",
    level=MUST,
    fact="A previous_response_id must name a stored response; otherwise the request is rejected "
    "before anything starts.",
)
def unknown_parent(ctx: Context) -> None:
    reply = ctx.create(ctx.body(previous_response_id=ctx.unknown_id()))
    ctx.expect_error(reply, "POST /responses with an unknown previous_response_id", (400, 404))


@check(
    "chain.unstored_parent",
    "previous_response_id naming a store=false response is rejected with 4xx",
    level=MUST,
    fact="A response created with store=false cannot be continued.",
)
def unstored_parent(ctx: Context) -> None:
    with ctx.precondition("store.false_not_retrievable"):
        parent = _unstored(ctx)
    reply = ctx.create(ctx.body(previous_response_id=parent["id"]))
    ctx.expect_error(reply, "POST /responses continuing a store=false response", (400, 404))


@check(
    "chain.with_conversation",
    "previous_response_id together with conversation is 400",
    level=MUST,
    fact="previous_response_id and conversation are mutually exclusive.",
)
def with_conversation(ctx: Context) -> None:
    parent = ctx.hello_response()
    reply = ctx.create(ctx.body(previous_response_id=parent["id"], conversation=ctx.unknown_id("conv_")))
    ctx.expect_error(reply, "POST /responses with previous_response_id and conversation", (400,))
