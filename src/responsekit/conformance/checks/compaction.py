"""POST /responses/compact (optional: skipped when the server answers 404 or 405)."""

from __future__ import annotations

from typing import Any

from responsekit.conformance import capabilities, schemas
from responsekit.conformance.client import Reply
from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, Failed, check

PATH = "/responses/compact"


def _compaction(ctx: Context) -> Reply:
    """The probe's compaction of a two-message window (made once per run)."""
    return capabilities.require(ctx, "compaction")


def _json_object(reply: Reply, what: str) -> dict[str, Any]:
    if reply.status != 200 or reply.content_type != "application/json" or not isinstance(reply.json, dict):
        raise Failed(
            f"{what} answered {reply.status} {reply.content_type!r}, expected 200 with a JSON object",
            **reply.summary(),
        )
    return reply.json


@check(
    "compaction.shape",
    "POST /responses/compact answers {id, object: response.compaction, created_at, output, usage}",
    level=MUST,
    fact="Compaction returns the compacted window, not a response: {id, object: "
    "'response.compaction', created_at (unix seconds), output (a list of items), usage}.",
)
def shape(ctx: Context) -> None:
    reply = _compaction(ctx)
    data = _json_object(reply, f"POST {PATH}")
    if data.get("object") != "response.compaction":
        raise Failed(f"object is {data.get('object')!r}, expected 'response.compaction'", **reply.summary())
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise Failed(f"id is {data.get('id')!r}, expected a non-empty string", **reply.summary())
    if type(data.get("created_at")) is not int:
        raise Failed(
            f"created_at is {data.get('created_at')!r}, expected an integer (unix seconds)", **reply.summary()
        )
    if not isinstance(data.get("output"), list) or not data["output"]:
        raise Failed(
            f"output is {data.get('output')!r}, expected a non-empty list of items", **reply.summary()
        )
    if not isinstance(data.get("usage"), dict):
        raise Failed(f"usage is {data.get('usage')!r}, expected a usage object", **reply.summary())
    problem = schemas.resource_errors("compaction", data)
    if problem:
        raise Failed(f"the compaction does not validate: {problem}", **reply.summary())


@check(
    "compaction.model_required",
    "POST /responses/compact without `model` is 400 with the envelope naming `model`",
    level=MUST,
    fact="model is required by compaction; a request without it is rejected with 400 and the error "
    "envelope, which names the field.",
)
def model_required(ctx: Context) -> None:
    _compaction(ctx)
    body = capabilities.compact_body(ctx)
    del body["model"]
    err = ctx.expect_error(
        ctx.http.request("POST", PATH, json_body=body), f"POST {PATH} without model", (400,)
    )
    param = err.get("param") or ""
    if not (param == "model" or param.endswith(".model") or "model" in (err.get("message") or "")):
        raise Failed(
            f"the error names neither param 'model' nor model in its message (param {err.get('param')!r})",
            error=err,
        )


@check(
    "compaction.new_chain",
    "The compacted output, sent back as input without previous_response_id, starts a new response",
    level=MUST,
    fact="The compacted window is the base input of a new response: the client sends it as input "
    "(plus its next items) with no previous_response_id, and the response runs as usual.",
)
def new_chain(ctx: Context) -> None:
    reply = _compaction(ctx)
    output = _json_object(reply, f"POST {PATH}").get("output")
    if not isinstance(output, list) or not output:
        raise Failed(f"the compaction's output is {output!r}, expected a non-empty list", **reply.summary())
    items = [*output, {"type": "message", "role": "user", "content": "And again."}]
    what = "POST /responses with the compacted output as input"
    data = ctx.read_response(ctx.create(ctx.body(items)), what, judged_by="create.default")
    if data.get("status") in ("failed", "cancelled"):
        raise Failed(f"{what}: the response ended {data.get('status')!r}", error=data.get("error"))
    if data.get("previous_response_id") is not None:
        raise Failed(
            f"{what}: the new Response names previous_response_id {data.get('previous_response_id')!r}; "
            "it starts a new chain"
        )
