"""Request fields a server must accept, bound and echo: include, metadata, truncation, store, text.format."""

from __future__ import annotations

from typing import Any

from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, Failed, check

#: An include value both the OpenAI API and Open Responses list (IncludeEnum in each).
DOCUMENTED_INCLUDE = "reasoning.encrypted_content"
UNKNOWN_INCLUDE = "conformance.no_such_field"

#: The Metadata limits both references state: 16 pairs, keys up to 64 characters, values up to 512.
METADATA_PAIRS, METADATA_KEY_CHARS, METADATA_VALUE_CHARS = 16, 64, 512

#: A strict json_schema format, as a client would send it.
JSON_SCHEMA_FORMAT = {
    "type": "json_schema",
    "name": "conformance_answer",
    "description": "An answer with one string field.",
    "schema": {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": False,
    },
    "strict": True,
}


@check(
    "fields.include",
    "include takes the documented values and refuses an unknown one with 400",
    level=MUST,
    fact="include is an array of IncludeEnum values (reasoning.encrypted_content is in both the OpenAI "
    "and the Open Responses enum); a value outside the enum fails request validation with 400. MUST: "
    "both schemas declare the enum on POST /responses.",
)
def include(ctx: Context) -> None:
    ctx.read_response(
        ctx.create(ctx.body(include=[DOCUMENTED_INCLUDE])),
        f"POST /responses with include=[{DOCUMENTED_INCLUDE!r}]",
        judged_by="create.default",
    )
    ctx.expect_error(
        ctx.create(ctx.body(include=[UNKNOWN_INCLUDE])),
        f"POST /responses with include=[{UNKNOWN_INCLUDE!r}]",
        (400,),
    )


@check(
    "fields.include_query",
    "GET /responses/{id} and its input_items take include both as include= and include[]=",
    level=MUST,
    fact="The read endpoints declare an include query array; clients send it repeated (include=a) or "
    "in bracket form (include[]=a, as the openai SDK does), and both name the same values. MUST where "
    "the read endpoints are part of the protocol (the OpenAI API), SHOULD under Open Responses.",
)
def include_query(ctx: Context) -> None:
    rid = ctx.hello_response()["id"]
    for name in ("include", "include[]"):
        what = f"GET /responses/{rid}?{name}={DOCUMENTED_INCLUDE}"
        data = ctx.read_response(ctx.get(rid, **{name: DOCUMENTED_INCLUDE}), what, judged_by="retrieve.body")
        if data.get("id") != rid:
            raise Failed(f"{what} returned id {data.get('id')!r}")
        path = f"/responses/{rid}/input_items"
        reply = ctx.http.request("GET", path, params={name: DOCUMENTED_INCLUDE})
        if reply.status != 200 or not isinstance(reply.json, dict) or reply.json.get("object") != "list":
            raise Failed(
                f"GET {path}?{name}={DOCUMENTED_INCLUDE} answered {reply.status}, expected 200 with a list",
                **reply.summary(),
            )


def _longest_metadata() -> dict[str, str]:
    return {
        f"k{n:02d}".ljust(METADATA_KEY_CHARS, "x"): chr(ord("a") + n) * METADATA_VALUE_CHARS
        for n in range(METADATA_PAIRS)
    }


@check(
    "fields.metadata_limits",
    "metadata at the limits (16 pairs, 64-char keys, 512-char values) is echoed; beyond them is 400",
    level=MUST,
    fact="Metadata is a map of at most 16 string pairs, keys at most 64 characters, values at most "
    "512 (the Metadata schema of both references); the response echoes every pair, and a request over any "
    "limit fails validation. MUST: both schemas state the limits.",
)
def metadata_limits(ctx: Context) -> None:
    largest = _longest_metadata()
    data = ctx.read_response(
        ctx.create(ctx.body(metadata=largest)),
        "POST /responses with metadata at every limit",
        judged_by="create.default",
    )
    # Every pair sent comes back unchanged; a handler may add its own (as a sample does).
    echoed = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    changed = sorted(key for key, value in largest.items() if echoed.get(key) != value)
    if changed:
        raise Failed(
            f"the response does not echo the metadata it was given: {len(changed)} of the "
            f"{METADATA_PAIRS} pairs at the length limits are missing or changed",
            first_changed=changed[0],
            seen=echoed.get(changed[0]),
        )
    over = {
        f"{METADATA_PAIRS + 1} pairs": {**largest, "extra": "x"},
        f"a key of {METADATA_KEY_CHARS + 1} characters": {"k" * (METADATA_KEY_CHARS + 1): "x"},
        f"a value of {METADATA_VALUE_CHARS + 1} characters": {"k": "v" * (METADATA_VALUE_CHARS + 1)},
    }
    for what, metadata in over.items():
        ctx.expect_error(
            ctx.create(ctx.body(metadata=metadata)), f"POST /responses with metadata of {what}", (400,)
        )


@check(
    "fields.truncation",
    "truncation is echoed as sent, 'disabled' by default, and an unknown value is 400",
    level=MUST,
    fact="truncation is 'auto' or 'disabled' (default 'disabled'); the Response reports the strategy "
    "used (Open Responses requires the field), and any other value fails validation. MUST: an enum "
    "of both request schemas.",
)
def truncation(ctx: Context) -> None:
    default = ctx.hello_response().get("truncation", "absent")
    # The OpenAI Response schema does not require the field; when it is there it tells the default.
    allowed = ("disabled",) if ctx.config.profile == "open-responses" else ("disabled", None, "absent")
    if default not in allowed:
        raise Failed(f"without truncation the response reports truncation={default!r}, expected 'disabled'")
    data = ctx.read_response(
        ctx.create(ctx.body(truncation="auto")),
        "POST /responses with truncation='auto'",
        judged_by="create.default",
    )
    if data.get("truncation") != "auto":
        raise Failed(f"truncation='auto' is echoed as {data.get('truncation')!r}")
    ctx.expect_error(
        ctx.create(ctx.body(truncation="sometimes")), "POST /responses with truncation='sometimes'", (400,)
    )


@check(
    "fields.store_default",
    "Without store, a response is stored: it is retrievable and reports store true",
    level=MUST,
    fact="store defaults to true: a response created without it can be retrieved by id, and a Response "
    "that carries store says true. MUST in the OpenAI API (its documented default); SHOULD under Open "
    "Responses, which has no retrieve endpoint.",
)
def store_default(ctx: Context) -> None:
    data = ctx.hello_response()
    if data.get("store", True) is not True:
        raise Failed(f"a response created without store reports store={data.get('store')!r}, expected true")
    rid = data["id"]
    again = ctx.read_response(
        ctx.get(rid), f"GET /responses/{rid} (created without store)", judged_by="retrieve.body"
    )
    if again.get("store", True) is not True:
        raise Failed(f"GET reports store={again.get('store')!r} for a response created without store")


def _differences(sent: dict[str, Any], seen: Any) -> list[str]:
    if not isinstance(seen, dict):
        return [f"text.format is {seen!r}"]
    return [
        f"text.format.{key} is {seen.get(key)!r}, sent {value!r}"
        for key, value in sent.items()
        if seen.get(key) != value
    ]


@check(
    "fields.text_format_echo",
    "A json_schema text.format is echoed unchanged (name, schema, strict, description)",
    level=MUST,
    fact="The Response reports the text configuration that was used: text.format repeats the "
    "json_schema format of the request. MUST: both Response schemas carry text as the configuration "
    "used.",
)
def text_format_echo(ctx: Context) -> None:
    data = ctx.read_response(
        ctx.create(ctx.body(text={"format": JSON_SCHEMA_FORMAT})),
        "POST /responses with text.format json_schema",
        judged_by="create.default",
    )
    text = data.get("text") if isinstance(data.get("text"), dict) else {}
    problems = _differences(JSON_SCHEMA_FORMAT, text.get("format"))
    if problems:
        raise Failed(
            f"the response does not echo text.format: {problems[0]}",
            sent=JSON_SCHEMA_FORMAT,
            seen=text.get("format"),
        )
