"""GET /responses/{id}: the stored snapshot."""

from __future__ import annotations

from typing import Any

from responsekit.conformance import ordering, schemas
from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, Failed, check


def _same(ctx: Context, expected: dict[str, Any], what: str) -> None:
    rid = expected["id"]
    got = ctx.read_response(ctx.get(rid), f"GET /responses/{rid}", judged_by="retrieve.body", needs=("id",))
    diff = ordering.first_difference(expected, got)
    if diff is not None:
        raise Failed(f"GET /responses/{rid} differs from {what} at {diff}", expected=expected, seen=got)


@check(
    "retrieve.body",
    "GET /responses/{id} answers a Response the openai client accepts",
    level=MUST,
    fact="GET /responses/{id} of a stored response answers 200 application/json with the Response object.",
)
def body(ctx: Context) -> str | None:
    rid = ctx.hello_response()["id"]
    data = ctx.expect_response_json(ctx.get(rid), f"GET /responses/{rid}")
    extensions = schemas.extension_types(data)
    if extensions:  # the strict client rejects what it has no model for; the spec models judged it
        return f"openai client not used: extension item types {extensions}"
    try:  # the oracle: the strict openai client must accept the same answer
        ctx.openai().responses.retrieve(rid)
    except Exception as exc:  # noqa: BLE001 - any rejection is the finding
        cause = f" ({str(exc.__cause__)[:300]})" if exc.__cause__ else ""
        raise Failed(
            f"the openai client rejected GET /responses/{rid}: {type(exc).__name__}: {exc}{cause}"
        ) from None
    return None


@check(
    "retrieve.after_create",
    "GET after a default-mode create returns the same Response",
    level=MUST,
    fact="A stored response is retrievable by id and equals the Response the create returned.",
)
def after_create(ctx: Context) -> None:
    _same(ctx, ctx.hello_response(), "the Response POST /responses returned")


@check(
    "retrieve.after_stream",
    "GET after a streamed create returns the terminal event's Response",
    level=MUST,
    fact="The stored snapshot of a streamed response equals the response of its terminal event.",
)
def after_stream(ctx: Context) -> None:
    with ctx.precondition("create.stream"):
        events = ctx.expect_stream(ctx.hello_stream(), "POST /responses stream=true")
    terminal = [e for e in events if e.get("type") in ordering.TERMINAL_TYPES]
    with ctx.precondition("stream.terminal"):
        if not terminal or not isinstance(terminal[-1].get("response"), dict):
            raise Failed("the stream has no terminal event carrying a response to compare with")
    _same(ctx, terminal[-1]["response"], f"the stream's {terminal[-1]['type']} response")


@check(
    "retrieve.unknown_404",
    "GET of an unknown id is 404 with the error envelope",
    level=MUST,
    fact="An id that names no response is not found: 404 and {error: {message, type, param, code}}.",
)
def unknown_404(ctx: Context) -> None:
    rid = ctx.unknown_id()
    ctx.expect_error(ctx.get(rid), f"GET /responses/{rid}", (404,))
