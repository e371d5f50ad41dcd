"""POST /responses/input_tokens (optional: skipped when the server answers 404 or 405)."""

from __future__ import annotations

from responsekit.conformance import capabilities, schemas
from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, Failed, check

PATH = "/responses/input_tokens"


@check(
    "input_tokens.shape",
    "POST /responses/input_tokens answers {object: response.input_tokens, input_tokens: <integer>}",
    level=MUST,
    fact="Input-token counting takes the create fields and returns {object: 'response.input_tokens', "
    "input_tokens} where input_tokens is a non-negative integer.",
)
def shape(ctx: Context) -> None:
    reply = capabilities.require(ctx, "input_tokens")
    if reply.status != 200 or reply.content_type != "application/json" or not isinstance(reply.json, dict):
        raise Failed(
            f"POST {PATH} answered {reply.status} {reply.content_type!r}, expected 200 with a JSON object",
            **reply.summary(),
        )
    data = reply.json
    if data.get("object") != "response.input_tokens":
        raise Failed(f"object is {data.get('object')!r}, expected 'response.input_tokens'", **reply.summary())
    count = data.get("input_tokens")
    if type(count) is not int or count < 0:
        raise Failed(f"input_tokens is {count!r}, expected a non-negative integer", **reply.summary())
    problem = schemas.resource_errors("input_tokens", data)
    if problem:
        raise Failed(f"the answer does not validate: {problem}", **reply.summary())
