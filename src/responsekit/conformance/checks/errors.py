"""Bad input: rejected with a 4xx and the full error envelope, never a 5xx, never a stream."""

from __future__ import annotations

import json

from responsekit.conformance.client import Reply
from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, SHOULD, Failed, Skipped, Warned, check

ENVELOPE = "Bad input is a 4xx, never a 5xx, with the envelope {error: {message, type, param, code}}."


def _post_raw(ctx: Context, content: bytes) -> Reply:
    return ctx.http.request(
        "POST", "/responses", content=content, headers={"content-type": "application/json"}
    )


@check("errors.malformed_json", "Malformed JSON is 400 with the error envelope", level=MUST, fact=ENVELOPE)
def malformed_json(ctx: Context) -> None:
    ctx.expect_error(_post_raw(ctx, b'{"input": "hello",'), "POST /responses with malformed JSON", (400,))


@check(
    "errors.not_an_object",
    "A JSON body that is not an object is 400 with the error envelope",
    level=MUST,
    fact=ENVELOPE,
)
def not_an_object(ctx: Context) -> None:
    ctx.expect_error(_post_raw(ctx, b'["hello"]'), "POST /responses with a JSON array body", (400,))


@check(
    "errors.wrong_type",
    "A field of the wrong type is 400 with the envelope, `param` naming it",
    level=MUST,
    fact=ENVELOPE + " param names the offending field.",
)
def wrong_type(ctx: Context) -> None:
    reply = ctx.create(ctx.body(temperature="hot"))
    err = ctx.expect_error(reply, 'POST /responses with temperature "hot"', (400,))
    if not (err.get("param") or "").endswith("temperature"):
        raise Warned(f"param is {err.get('param')!r}; expected it to name temperature", error=err)


@check(
    "errors.unknown_field",
    "An unknown top-level field is ignored (2xx) or rejected with 400 and the envelope, never 5xx",
    level=MUST,
    fact=ENVELOPE + " A newer client may send fields an older server lacks: the server either ignores"
    " them or rejects the request with a complete error envelope; it never fails on them.",
)
def unknown_field(ctx: Context) -> None:
    reply = ctx.create(ctx.body(conformance_no_such_field=1))
    if 200 <= reply.status < 300:
        return  # ignored, as protocol growth needs
    ctx.expect_error(reply, "POST /responses with an unknown field", (400,))


@check(
    "errors.unknown_item_type",
    "An input item of an unknown type is 400 with the error envelope",
    level=MUST,
    fact=ENVELOPE + " Input items are a discriminated union on type.",
)
def unknown_item_type(ctx: Context) -> None:
    reply = ctx.create(ctx.body([{"type": "conformance_no_such_item", "text": "hello"}]))
    ctx.expect_error(reply, "POST /responses with an unknown input item type", (400,))


@check(
    "errors.prestream_json",
    "A request rejected before streaming starts gets JSON, even with stream=true",
    level=MUST,
    fact="Errors found before the stream starts are answered as JSON with a non-2xx status, not as "
    "an event stream.",
)
def prestream_json(ctx: Context) -> None:
    reply = ctx.create(ctx.body(stream=True, temperature="hot"))
    if reply.content_type == "text/event-stream":
        raise Failed(
            f"answered {reply.status} text/event-stream to an invalid stream=true request; "
            "expected a JSON error",
            **reply.summary(),
        )
    ctx.expect_error(reply, 'POST /responses stream=true with temperature "hot"', (400,))


def _oversized(ctx: Context) -> tuple[str, Reply]:
    """The oversized upload, once per run (two rules judge its answer); a missing answer is Failed."""

    def upload() -> tuple[str, Reply | str]:
        size = ctx.config.oversize_bytes
        prefix = json.dumps(ctx.body("")).encode()[:-2]  # ... "input": "  (the pad fills the string)
        what = f"POST /responses with a {size // (1024 * 1024)} MiB body"
        return what, ctx.http.post_oversized("/responses", size, prefix)

    what, reply = ctx.memo("oversized", upload)
    if isinstance(reply, str):  # a dropped connection, a reset: the server never answered
        raise Failed(f"{what}: {reply}")
    if 200 <= reply.status < 300:
        raise Skipped(
            f"{what} was accepted ({reply.status}): the server sets no limit at this size (--oversize-mib)"
        )
    return what, reply


@check(
    "errors.oversized_body",
    "An oversized body is refused with a 4xx and the envelope, not a 5xx or a dropped connection",
    level=MUST,
    fact=ENVELOPE + " A body above the server's limit is refused like any bad input.",
)
def oversized_body(ctx: Context) -> None:
    what, reply = _oversized(ctx)
    ctx.expect_error(reply, what)


@check(
    "errors.oversized_413",
    "The refusal of an oversized body is 413",
    level=SHOULD,
    fact="413 (Content Too Large) is the status that names the cause; another 4xx keeps the MUST rule.",
)
def oversized_413(ctx: Context) -> None:
    what, reply = _oversized(ctx)
    if reply.status != 413:
        raise Failed(f"{what} answered {reply.status}, expected 413", **reply.summary())
