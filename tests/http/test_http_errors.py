"""Bad input: every rejected request gets the error envelope with the right status, never a 500.

Unknown *top-level* request fields are accepted (the protocol grows; a server must not break old
SDKs talking to new ones), but unknown item/content types, wrong JSON types (validation is strict:
"yes" is not a boolean, "1" is not a number), invalid enum values and out-of-range numbers are 400
with ``param`` naming the field. Pre-stream errors are JSON even when ``stream=true``.
"""

from __future__ import annotations

import json

import pytest
from http_helpers import asgi, check_envelope, create
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hosts import echo_handler, host_with

pytestmark = pytest.mark.anyio

FAST = {"shutdown_grace_period_seconds": 0.5}
MISSING_ID = "resp_" + "0" * 48

BAD_BODIES = [
    # wrong JSON types (strict)
    ({"stream": "yes"}, "stream"),
    ({"background": 1}, "background"),
    ({"temperature": "1"}, "temperature"),
    ({"max_output_tokens": "100"}, "max_output_tokens"),
    ({"input": 5}, "input"),
    ({"metadata": []}, "metadata"),
    ({"metadata": {"k": 1}}, "metadata.k"),
    ({"instructions": ["a"]}, "instructions"),
    ({"previous_response_id": 5}, "previous_response_id"),
    ({"conversation": {"id": 3}}, "conversation.id"),
    (
        {"input": [{"role": "user", "content": [{"type": "input_text", "text": 5}]}]},
        "input[0].content[0].text",
    ),
    # missing required fields of items
    ({"input": [{"role": "user", "content": [{"type": "input_text"}]}]}, "input[0].content[0].text"),
    ({"input": [{"type": "function_call", "call_id": "c", "name": "n"}]}, "input[0].arguments"),
    ({"tools": [{"type": "function"}]}, "tools[0].name"),
    # unknown item / content / format types
    ({"input": [{"type": "bogus"}]}, "input[0].type"),
    (
        {"input": [{"role": "user", "content": [{"type": "bogus_part", "text": "x"}]}]},
        "input[0].content[0].type",
    ),
    (
        {"input": ["hello", {"type": "message", "role": "user", "content": [{"type": "img"}]}]},
        "input[1].content[0].type",
    ),
    ({"text": {"format": {"type": "yaml"}}}, "text.format.type"),
    # invalid enum values
    ({"truncation": "sometimes"}, "truncation"),
    ({"service_tier": "gold"}, "service_tier"),
    ({"tool_choice": "maybe"}, "tool_choice"),
    ({"input": [{"role": "wizard", "content": "x"}]}, "input[0].role"),
    ({"reasoning": {"effort": "extreme"}}, "reasoning.effort"),
    ({"include": ["nope"]}, "include[0]"),
    ({"prompt_cache_retention": "forever"}, "prompt_cache_retention"),
    # out-of-range numbers
    ({"temperature": 3}, "temperature"),
    ({"temperature": -0.1}, "temperature"),
    ({"top_p": 1.5}, "top_p"),
    ({"top_logprobs": 30}, "top_logprobs"),
    ({"max_output_tokens": 1}, "max_output_tokens"),
    # the runtime's own rules
    ({"previous_response_id": MISSING_ID, "conversation": "conv_1"}, "previous_response_id"),
    ({"background": True, "store": False}, "background"),
]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream-still-json"])
@pytest.mark.parametrize(("body", "param"), BAD_BODIES, ids=[p for _, p in BAD_BODIES])
async def test_invalid_create_request_is_400_with_param(store_kind, body, param, stream):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        reply = await client.post(
            "/responses",
            json={"model": "m", "stream": stream, **body}
            if stream and "stream" not in body
            else {"model": "m", **body},
        )
        error = check_envelope(reply, 400, param=param)
        assert error["type"] == "invalid_request_error"
        assert param in error["message"]


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{", "application/json"),
        (b"", "application/json"),
        (b"\xff\xfe{}", "application/json"),
        (b"[]", "application/json"),
        (b'"text"', "application/json"),
        (b"null", "application/json"),
        (b"42", "application/json"),
        (b"model=x", "application/x-www-form-urlencoded"),
        (b"[" * 100_000, "application/json"),
        (b'{"metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}", "application/json"),
    ],
    ids=[
        "truncated",
        "empty",
        "not-utf8",
        "array",
        "string",
        "null",
        "number",
        "form",
        "deep-array",
        "deep-field",
    ],
)
async def test_malformed_or_non_object_body_is_400(store_kind, raw, content_type):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        reply = await client.post("/responses", content=raw, headers={"content-type": content_type})
        check_envelope(reply, 400, param=None, code="invalid_json")


async def test_unknown_top_level_fields_are_accepted_for_protocol_growth(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        reply = await create(client, a_future_field={"nested": [1, 2]}, another=True)
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == "completed"


async def test_reject_unknown_fields_option_turns_them_into_400(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), reject_unknown_fields=True, **FAST)) as client:
        check_envelope(await create(client, a_future_field=1), 400, param="a_future_field")
        assert (await create(client)).status_code == 200


async def test_valid_item_shapes_are_accepted(store_kind):
    items = [
        {"role": "user", "content": "plain"},
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "dev"}]},
        {
            "type": "message",
            "role": "assistant",
            "id": "msg_0123456789",
            "status": "completed",
            "content": [{"type": "output_text", "text": "a", "annotations": [], "logprobs": []}],
        },
        {"role": "assistant", "content": "an earlier answer"},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
        {"type": "item_reference", "id": "msg_0123456789"},
    ]
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        reply = await create(client, input=items)
        assert reply.status_code == 200, reply.text


# -- body size -----------------------------------------------------------------------------------------
async def test_declared_body_over_the_limit_is_413(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), max_request_body_bytes=1024, **FAST)) as client:
        reply = await client.post("/responses", content=json.dumps({"input": "x" * 2000}).encode())
        check_envelope(reply, 413, code="request_too_large")
        ok = await client.post("/responses", content=json.dumps({"input": "x" * 900}).encode())
        assert ok.status_code == 200


async def test_chunked_body_over_the_limit_is_413_and_is_not_read_to_the_end(store_kind):
    pulled = []

    async def chunks():
        for i in range(1000):
            pulled.append(i)
            yield b" " * 512

    async with asgi(host_with(store_kind, echo_handler(), max_request_body_bytes=4096, **FAST)) as client:
        reply = await client.post("/responses", content=chunks())
        check_envelope(reply, 413, code="request_too_large")
    assert len(pulled) < 20, f"the server read {len(pulled)} chunks of a body it had already refused"


async def test_a_body_in_pieces_is_read_whole_and_a_client_leaving_mid_body_runs_nothing(store_kind):
    """The body is taken from the ASGI messages as they come: pieces are joined; a client that
    leaves before the last piece gets the envelope (if anyone still reads it) and no response runs."""
    calls = []

    async def handler(request, context, cancellation_signal):
        calls.append(await context.get_input_text())
        return await echo_handler()(request, context, cancellation_signal)

    host = host_with(store_kind, handler, **FAST)
    body = json.dumps({"model": "m", "input": "in three pieces"}).encode()

    async def post(messages: list[dict]) -> tuple[int, dict]:
        inbox = list(messages)
        sent: list[dict] = []

        async def receive() -> dict:
            return inbox.pop(0)

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/responses", "raw_path": b"/responses", "query_string": b"",
            "root_path": "", "headers": [(b"content-type", b"application/json")],
            "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8),
        }  # fmt: skip
        await host(scope, receive, send)
        payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return sent[0]["status"], json.loads(payload)

    async with asgi(host):  # started (its store open)
        pieces = [body[:10], body[10:20], body[20:]]
        status, answer = await post(
            [{"type": "http.request", "body": piece, "more_body": i < 2} for i, piece in enumerate(pieces)]
        )
        assert status == 200 and answer["status"] == "completed", answer
        assert calls == ["in three pieces"]
        status, answer = await post(
            [{"type": "http.request", "body": body[:10], "more_body": True}, {"type": "http.disconnect"}]
        )
        assert status == 400 and set(answer["error"]) == {"message", "type", "param", "code"}, answer
        assert "closed the connection" in answer["error"]["message"]
        assert calls == ["in three pieces"]


# -- ids, routes, methods --------------------------------------------------------------------------------
BAD_IDS = [MISSING_ID, "nope", "resp_short", "resp_" + "x" * 300, "resp_%20space", "msg_" + "0" * 48]


@pytest.mark.parametrize(
    "response_id", BAD_IDS, ids=["unknown", "no-prefix", "short", "long", "space", "other-prefix"]
)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("GET", "?stream=true"), ("DELETE", ""), ("POST", "/cancel"), ("GET", "/input_items")],
    ids=["get", "replay", "delete", "cancel", "input_items"],
)
async def test_unknown_or_malformed_ids_are_404(store_kind, response_id, method, suffix):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        path, _, query = suffix.partition("?")
        reply = await client.request(
            method, f"/responses/{response_id}{path}" + (f"?{query}" if query else "")
        )
        check_envelope(reply, 404, code="not_found")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/responses", "POST"),
        ("GET", "/responses", "POST"),
        ("DELETE", "/responses", "POST"),
        ("PATCH", "/responses/{id}", None),
        ("POST", "/responses/{id}", None),
        ("GET", "/responses/{id}/cancel", "POST"),
        ("DELETE", "/responses/{id}/input_items", "GET"),
        ("POST", "/responses/{id}/input_items", "GET"),
    ],
)
async def test_wrong_method_is_405_with_allow(store_kind, method, path, allow):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        reply = await client.request(method, path.format(id=MISSING_ID))
        check_envelope(reply, 405, code="method_not_allowed")
        allowed = set(reply.headers["allow"].replace(" ", "").split(","))
        assert method not in allowed
        if allow:
            assert allow in allowed


async def test_unknown_route_is_404_envelope(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        check_envelope(await client.get("/nothing/here"), 404)
        check_envelope(await client.get(f"/responses/{MISSING_ID}/unknown"), 404)


# -- query strings -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("order=sideways", "order"),
        ("after=msg_unknown0000", "after"),
        ("before=msg_unknown0000", "before"),
        ("include=bogus", "include"),
        ("include[]=bogus", "include"),
    ],
)
async def test_bad_input_items_query_is_400_with_param(store_kind, query, param):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        rid = (await create(client)).json()["id"]
        check_envelope(await client.get(f"/responses/{rid}/input_items?{query}"), 400, param=param)


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("stream=maybe", "stream"),
        ("stream=true&starting_after=abc", "starting_after"),
        ("stream=true&starting_after=-5", "starting_after"),
        ("include=bogus", "include"),
    ],
)
async def test_bad_retrieve_query_is_400_with_param(store_kind, query, param):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        rid = (await create(client)).json()["id"]
        check_envelope(await client.get(f"/responses/{rid}?{query}"), 400, param=param)


async def test_bad_last_event_id_header_is_400(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        rid = (await create(client)).json()["id"]
        reply = await client.get(f"/responses/{rid}?stream=true", headers={"last-event-id": "x"})
        check_envelope(reply, 400, param="Last-Event-ID")


# -- never a 500 -------------------------------------------------------------------------------------------
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    [
        "input",
        "model",
        "stream",
        "background",
        "store",
        "temperature",
        "top_p",
        "tools",
        "tool_choice",
        "metadata",
        "text",
        "reasoning",
        "conversation",
        "previous_response_id",
        "include",
        "instructions",
        "max_output_tokens",
        "truncation",
        "zzz_unknown",
    ]
)
ITEM = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "function_call", "reasoning", "nope"])},
    optional={
        "role": st.sampled_from(["user", "assistant", "x"]),
        "content": JSON,
        "call_id": JSON,
        "name": JSON,
        "arguments": JSON,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(FIELDS, JSON, max_size=4)
    | st.fixed_dictionaries({"input": st.lists(ITEM, max_size=3)})
)
def test_any_json_body_gets_200_or_an_envelope_never_500(store_kind, body):
    import anyio

    async def run() -> None:
        async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
            reply = await client.post("/responses", json=body)
            if reply.status_code != 200:
                check_envelope(reply, 400)

    anyio.run(run)
