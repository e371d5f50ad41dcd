"""Deletion, store=false, and previous_response_id chaining."""

from __future__ import annotations

from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, Failed, check


@check(
    "delete.then_404",
    "DELETE answers {id, object: response, deleted: true}; then every endpoint is 404",
    level=MUST,
    fact="A deleted response is gone: GET, input_items, cancel and a second DELETE answer 404.",
)
def delete_then_404(ctx: Context) -> None:
    data = ctx.expect_response_json(ctx.create(ctx.body()), "POST /responses")
    rid = data["id"]
    reply = ctx.http.request("DELETE", f"/responses/{rid}")
    body = reply.json if isinstance(reply.json, dict) else {}
    expected = {"id": rid, "object": "response", "deleted": True}
    if reply.status != 200 or {k: body.get(k) for k in expected} != expected:
        raise Failed(
            f"DELETE /responses/{rid} answered {reply.status}, expected 200 with {expected}",
            **reply.summary(),
        )
    for method, path in (
        ("GET", f"/responses/{rid}"),
        ("GET", f"/responses/{rid}/input_items"),
        ("POST", f"/responses/{rid}/cancel"),
        ("DELETE", f"/responses/{rid}"),
    ):
        ctx.expect_error(ctx.http.request(method, path), f"{method} {path} after the delete", (404,))


@check(
    "store.false_not_retrievable",
    "A response created with store=false cannot be retrieved (404)",
    level=MUST,
    fact="store=false means the response is not kept: GET by its id is not found.",
)
def store_false(ctx: Context) -> None:
    data = ctx.expect_response_json(ctx.create(ctx.body(store=False)), "POST /responses store=false")
    ctx.expect_error(ctx.get(data["id"]), f"GET /responses/{data['id']} of a store=false response", (404,))


@check(
    "chain.previous_response",
    "previous_response_id to a stored response is accepted and echoed",
    level=MUST,
    fact="previous_response_id continues from a stored response (its input and output become "
    "context); the new Response names its parent.",
)
def chain(ctx: Context) -> None:
    parent = ctx.expect_response_json(ctx.hello_json(), "POST /responses")
    child = ctx.expect_response_json(
        ctx.create(ctx.body("And again.", previous_response_id=parent["id"])),
        "POST /responses with previous_response_id",
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
    parent = ctx.expect_response_json(ctx.create(ctx.body(store=False)), "POST /responses store=false")
    reply = ctx.create(ctx.body(previous_response_id=parent["id"]))
    ctx.expect_error(reply, "POST /responses continuing a store=false response", (400, 404))


@check(
    "chain.with_conversation",
    "previous_response_id together with conversation is 400",
    level=MUST,
    fact="previous_response_id and conversation are mutually exclusive.",
)
def with_conversation(ctx: Context) -> None:
    parent = ctx.expect_response_json(ctx.hello_json(), "POST /responses")
    reply = ctx.create(ctx.body(previous_response_id=parent["id"], conversation=ctx.unknown_id("conv_")))
    ctx.expect_error(reply, "POST /responses with previous_response_id and conversation", (400,))
