"""``POST /responses/input_tokens`` on a real server, through the strict ``openai`` client.

The default count is an estimate over the resolved window (history included, compaction items
opened), the instructions and the tools: 4 + ceil(chars / 4) per item, and so on (see
``responsekit.server.input_tokens.estimate_tokens``). A registered counter replaces it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
from http_helpers import check_envelope
from support.hosts import WAIT, make_host
from support.servers import serve_in_thread
from support.services import require_redis

from responsekit import TextResponse
from responsekit.server.input_tokens import estimate_tokens

ALICE = {"x-agent-user-isolation-key": "alice"}
BOB = {"x-agent-user-isolation-key": "bob"}
SECRET = "SECRET-internal-detail"


async def echo(request, context, cancellation_signal):
    return TextResponse(context, request, text=f"Echo: {await context.get_input_text()}")


@dataclass
class Served:
    sdk: openai.OpenAI
    http: httpx.Client

    def count(self, headers: dict[str, str] | None = None, **body: Any) -> int:
        reply = self.http.post("/responses/input_tokens", json=body, headers=headers)
        assert reply.status_code == 200, reply.text[:500]
        assert reply.json()["object"] == "response.input_tokens"
        return reply.json()["input_tokens"]


@contextlib.contextmanager
def serving(store_kind: str, *, counter=None, **options: Any) -> Iterator[Served]:
    host = make_host(store_kind, **options)
    host.response_handler(echo)
    if counter is not None:
        host.input_tokens_counter(counter)
    with (
        serve_in_thread(host) as server,
        openai.OpenAI(
            base_url=server.url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
        ) as sdk,
        httpx.Client(base_url=server.url, timeout=WAIT) as http,
    ):
        yield Served(sdk, http)


@pytest.fixture(scope="module", params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        require_redis()
    return request.param


@pytest.fixture(scope="module")
def served(store: str) -> Iterator[Served]:
    with serving(store) as running:
        yield running


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


# -- shape and the estimate ---------------------------------------------------------------------------
def test_the_strict_client_reads_the_count(served):
    counted = served.sdk.responses.input_tokens.count(model="gpt-5", input="Tell me a joke.")
    assert counted.object == "response.input_tokens"
    assert counted.input_tokens == 4 + math.ceil(len("Tell me a joke.") / 4)
    raw = served.http.post("/responses/input_tokens", json={"input": "Tell me a joke."}).json()
    assert raw == {"object": "response.input_tokens", "input_tokens": counted.input_tokens}


def test_model_and_input_are_optional(served):
    assert served.count() == 0
    assert served.count(model="m", input=[]) == 0
    assert served.count(instructions="Be brief.") == 4 + math.ceil(len("Be brief.") / 4)


def test_the_count_grows_with_the_input(served):
    counts = [served.count(input="word " * n) for n in (1, 10, 100, 1000)]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)
    items = [served.count(input=[_user("same")] * n) for n in (1, 2, 5)]
    assert items == sorted(items) and len(set(items)) == 3


def test_instructions_tools_and_schema_count(served):
    base = served.count(input="hi")
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}
    schema = {"format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}}}
    assert served.count(input="hi", instructions="You are a helpful assistant.") > base
    assert served.count(input="hi", tools=[tool]) > base
    assert served.count(input="hi", tools=[tool, {**tool, "name": "other"}]) > served.count(
        input="hi", tools=[tool]
    )
    assert served.count(input="hi", text=schema) > base
    assert served.count(input="hi", text={"format": {"type": "text"}}) == base
    assert served.count(input="hi", reasoning={"effort": "low"}, model="o3") == base


def test_the_endpoint_reports_the_documented_formula(served):
    tool = {"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": True}
    items = [
        _user("What is the weather?"),
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "and"},
                {"type": "input_image", "image_url": "https://x/y.png"},
            ],
        },
    ]
    expected = estimate_tokens(
        [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "What is the weather?"}],
            },
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "and"},
                    {"type": "input_image", "image_url": "https://x/y.png"},
                ],
            },
        ],
        instructions="Be brief.",
        tools=[tool],
    )
    assert served.count(input=items, instructions="Be brief.", tools=[tool]) == expected
    # by hand: 4 + ceil(20/4) ; the calls' JSON ; 4 + ceil(3/4) + 85 ; instructions ; the tool's JSON
    assert expected == (
        (4 + 5)
        + (4 + math.ceil(len('{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"}') / 4))
        + (4 + math.ceil(len('{"type":"function_call_output","call_id":"c1","output":"sunny"}') / 4))
        + (4 + 1 + 85)
        + (4 + math.ceil(len("Be brief.") / 4))
        + math.ceil(len('{"type":"function","name":"f","parameters":{"type":"object"},"strict":true}') / 4)
    )


# -- the window: history, conversations, compaction items ----------------------------------------------
def test_the_previous_response_chain_is_counted(served):
    alone = served.count(input="and now?")
    first = served.sdk.responses.create(model="m", input="a fairly long first message " * 10)
    after_one = served.count(input="and now?", previous_response_id=first.id)
    second = served.sdk.responses.create(model="m", input="second", previous_response_id=first.id)
    after_two = served.count(input="and now?", previous_response_id=second.id)
    assert alone < after_one < after_two
    history_one = 2 * (4 + math.ceil(len("a fairly long first message " * 10) / 4)) + math.ceil(
        len("Echo: ") / 4
    )
    assert after_one - alone in range(history_one - 2, history_one + 3)  # "Echo: " joins the text


def test_an_unknown_or_foreign_previous_response_is_400(served):
    check_envelope(
        served.http.post("/responses/input_tokens", json={"previous_response_id": "resp_unknown000000"}),
        400,
        param="previous_response_id",
        code="previous_response_not_found",
    )
    alices = served.http.post("/responses", json={"model": "m", "input": "mine"}, headers=ALICE).json()["id"]
    reply = served.http.post("/responses/input_tokens", json={"previous_response_id": alices}, headers=BOB)
    check_envelope(reply, 400, param="previous_response_id", code="previous_response_not_found")
    assert served.count(previous_response_id=alices, headers=ALICE) > 0


def test_a_conversations_items_are_counted(served):
    probe = served.http.post("/conversations", json={"items": [_user("a remembered message " * 5)]})
    if probe.status_code in (404, 405):
        pytest.skip("this build has no Conversations API")
    conversation = probe.json()["id"]
    alone = served.count(input="next")
    with_history = served.count(input="next", conversation=conversation)
    assert with_history == alone + 4 + math.ceil(len("a remembered message " * 5) / 4)
    assert served.count(input="next", conversation={"id": conversation}) == with_history
    # another user's conversation of the same id is another (empty) conversation
    assert served.count(input="next", conversation=conversation, headers=BOB) == alone


def test_a_compaction_item_counts_as_the_items_it_holds(served):
    text = "the long history we compacted " * 20
    compacted = served.http.post("/responses/compact", json={"model": "m", "input": [_user(text)]}).json()
    assert served.count(input=[*compacted["output"], _user("next")]) == served.count(
        input=[_user(text), _user("next")]
    )


def test_a_tampered_compaction_item_is_400(served):
    item = served.http.post("/responses/compact", json={"model": "m", "input": "x"}).json()["output"][0]
    item["encrypted_content"] = item["encrypted_content"][:-2] + (
        "AA" if item["encrypted_content"][-2:] != "AA" else "BB"
    )
    reply = served.http.post("/responses/input_tokens", json={"input": [_user("hi"), item]})
    check_envelope(reply, 400, param="input[1].encrypted_content", code="invalid_encrypted_content")


# -- bad input --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": 5}, "input"),
        ({"model": 5}, "model"),
        ({"tools": {"type": "function"}}, "tools"),
        ({"tools": [{"type": "teleport"}]}, "tools[0]"),  # as create names it
        ({"instructions": 1}, "instructions"),
        ({"parallel_tool_calls": "yes"}, "parallel_tool_calls"),
        ({"input": [{"type": "nonsense"}]}, "input[0].type"),
        ({"previous_response_id": "resp_x00000000", "conversation": "conv_x"}, "previous_response_id"),
    ],
)
def test_bad_fields_are_400_naming_them(served, body, param):
    check_envelope(served.http.post("/responses/input_tokens", json=body), 400, param=param)


@pytest.mark.parametrize("raw", [b"", b"{", b"null", b"\xff\xfe"])
def test_bad_json_is_400(served, raw):
    reply = served.http.post(
        "/responses/input_tokens", content=raw, headers={"content-type": "application/json"}
    )
    check_envelope(reply, 400, code="invalid_json")


def test_unknown_fields_are_ignored_unless_the_server_rejects_them():
    with serving("memory") as lenient, serving("memory", reject_unknown_fields=True) as strict:
        assert lenient.count(input="x", something_new=1) == lenient.count(input="x")
        check_envelope(
            strict.http.post("/responses/input_tokens", json={"input": "x", "something_new": 1}),
            400,
            param="something_new",
            code="unknown_parameter",
        )


# -- a registered counter -----------------------------------------------------------------------------
def test_a_registered_counter_counts():
    seen: list[Any] = []

    async def counter(request, context):
        history = await context.get_history()
        seen.append(
            (request.model, [i["type"] for i in context.window], len(history), context.isolation.user_key)
        )
        return 1000 + len(context.window)

    with serving("memory", counter=counter) as running:
        first = running.sdk.responses.create(model="m", input="earlier", extra_headers=ALICE)
        counted = running.sdk.responses.input_tokens.count(
            model="mine", input="now", previous_response_id=first.id, extra_headers=ALICE
        )
        assert counted.input_tokens == 1003
        assert seen == [("mine", ["message", "message", "message"], 2, "alice")]


def test_a_sync_counter_can_use_the_default_estimate():
    def counter(request, context):
        return 2 * context.estimate()

    with serving("memory") as plain, serving("memory", counter=counter) as doubled:
        assert doubled.count(input="some words here") == 2 * plain.count(input="some words here")


@pytest.mark.parametrize("result", [RuntimeError(SECRET), -1, "12", 1.5, True, None])
def test_a_failing_counter_is_a_500_envelope(result):
    def counter(request, context):
        if isinstance(result, Exception):
            raise result
        return result

    with serving("memory", counter=counter) as running:
        reply = running.http.post("/responses/input_tokens", json={"input": "x"})
        check_envelope(reply, 500, code="server_error")
        assert SECRET not in reply.text
        assert running.http.get("/liveness").status_code == 200
