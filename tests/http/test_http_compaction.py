"""``POST /responses/compact`` and compaction items, on a real server, through the strict ``openai`` client.

The default compaction is lossless: the window (history + input) becomes one sealed ``compaction``
item, and when the client sends it back as ``input`` the handler reads the original items. A sealed
item opens only on a server with the same key, for the same user; anything else is a 400.
"""

from __future__ import annotations

import contextlib
import json
import logging
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

from responsekit import ResponseEventStream, TextResponse

ALICE = {"x-agent-user-isolation-key": "alice"}
BOB = {"x-agent-user-isolation-key": "bob"}
SECRET = "SECRET-internal-detail"


def _plain(item: Any) -> dict[str, Any]:
    return item.model_dump(mode="json", exclude_none=True) if hasattr(item, "model_dump") else dict(item)


def _text(item: dict[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def _summary(item: Any) -> dict[str, Any]:
    """What a test needs to know of an item a handler saw: id, type, role, text, call fields."""
    data = _plain(item)
    kept = {k: data[k] for k in ("id", "type", "role", "call_id", "name", "arguments", "output") if k in data}
    if data.get("type") == "message":
        kept["text"] = _text(data)
    if data.get("type") == "compaction":
        kept["encrypted_content"] = data.get("encrypted_content")
    return kept


async def reporter(request, context, cancellation_signal):
    """Echoes the last input line. ``report`` answers with what the handler saw, as JSON;
    ``stream compaction`` emits a compaction item with its ``response.compaction.compacting`` event."""
    last = (await context.get_input_text()).split("\n")[-1]
    if last == "stream compaction":
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        compaction = stream.add_output_item_compaction("opaque-upstream-summary")
        yield compaction.emit_added()
        yield compaction.emit_compacting()
        yield compaction.emit_done()
        for event in stream.output_item_message("compacted"):
            yield event
        yield stream.emit_completed()
        return
    if last == "compact yourself":  # context_management: the handler compacts its own input
        sealed = context.seal(await context.get_input_items())
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        for event in stream.output_item_compaction(sealed["encrypted_content"]):
            yield event
        yield stream.emit_completed()
        return
    if last == "report":
        seen = {
            "input": [_summary(i) for i in await context.get_input_items()],
            "history": [_summary(i) for i in await context.get_history()],
        }
        reply = json.dumps(seen)
    else:
        reply = f"Echo: {last}"
    async for event in TextResponse(context, request, text=reply):
        yield event


async def custom_compaction(request, context):
    """By model: ``summary`` keeps a summary plus the sealed input; ``boom`` raises; ``garbage`` returns
    something that is not a list of items; ``window`` reports what it was given (unsealed)."""
    if request.model == "boom":
        raise RuntimeError(SECRET)
    if request.model == "garbage":
        return 42
    if request.model == "window":
        summary = json.dumps(
            {
                "history": [_summary(i) for i in await context.get_history()],
                "input": [_summary(i) for i in await context.get_input_items()],
                "window": [_summary(i) for i in context.window],
                "user": context.isolation.user_key,
            }
        )
    else:
        summary = f"summary of {len(context.history)} history items"
    message = {
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": summary, "annotations": [], "logprobs": []}],
    }
    return {
        "output": [message, context.seal(context.input_items)],
        "usage": {"input_tokens": 10, "output_tokens": 3},
    }


@dataclass
class Served:
    url: str
    sdk: openai.OpenAI
    http: httpx.Client

    def report(self, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
        """What the handler saw for a create with ``body`` (whose last input line must be ``report``)."""
        reply = self.http.post("/responses", json={"model": "m", **body}, headers=headers)
        assert reply.status_code == 200, reply.text[:500]
        return json.loads(reply.json()["output"][0]["content"][0]["text"])

    def compact(self, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
        reply = self.http.post("/responses/compact", json={"model": "m", **body}, headers=headers)
        assert reply.status_code == 200, reply.text[:500]
        return reply.json()


@contextlib.contextmanager
def serving(store_kind: str, *, compact=None, **options: Any) -> Iterator[Served]:
    host = make_host(store_kind, **options)
    host.response_handler(reporter)
    if compact is not None:
        host.compact_handler(compact)
    with (
        serve_in_thread(host) as server,
        openai.OpenAI(
            base_url=server.url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
        ) as sdk,
        httpx.Client(base_url=server.url, timeout=WAIT) as http,
    ):
        yield Served(server.url, sdk, http)


@pytest.fixture(scope="module", params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        require_redis()
    return request.param


@pytest.fixture(scope="module")
def plain(store: str) -> Iterator[Served]:
    """A server without a compact handler: the default, lossless compaction."""
    with serving(store) as served:
        yield served


@pytest.fixture(scope="module")
def custom(store: str) -> Iterator[Served]:
    with serving(store, compact=custom_compaction) as served:
        yield served


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


CONVERSATION = [
    {
        "id": "msg_user_one",
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "one"}],
    },
    {
        "id": "msg_assistant_one",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "answer one", "annotations": [], "logprobs": []}],
    },
    {
        "id": "fc_call_one",
        "type": "function_call",
        "call_id": "call_1",
        "name": "lookup",
        "arguments": '{"q": 1}',
    },
    {"type": "function_call_output", "call_id": "call_1", "output": "looked up"},
]


# -- shape ------------------------------------------------------------------------------------------------
def test_compact_returns_one_sealed_compaction_item(plain):
    compacted = plain.sdk.responses.compact(model="gpt-5.1", input="hello there")
    assert compacted.object == "response.compaction"
    assert compacted.id.startswith("resp_") and isinstance(compacted.created_at, int)
    assert [item.type for item in compacted.output] == ["compaction"]
    item = compacted.output[0]
    assert item.id.startswith("cmp_") and item.encrypted_content
    assert "hello there" not in item.encrypted_content
    assert compacted.usage.total_tokens == 0 and compacted.usage.input_tokens_details.cached_tokens == 0
    raw = plain.compact(input="hello there")
    assert set(raw) == {"id", "object", "created_at", "output", "usage"}
    assert set(raw["output"][0]) == {"id", "type", "encrypted_content"}


@pytest.mark.parametrize("body", [{}, {"model": None}, {"model": ""}])
def test_compact_without_a_model_is_400_naming_model(plain, body):
    reply = plain.http.post("/responses/compact", json={"input": "x", **body})
    check_envelope(reply, 400, param="model", code="missing_required_parameter")
    with pytest.raises(openai.BadRequestError) as caught:
        plain.sdk.post("/responses/compact", body={"input": "x"}, cast_to=object)
    assert caught.value.param == "model"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": 5, "input": "x"}, "model"),
        ({"model": "m", "input": 5}, "input"),
        ({"model": "m", "input": [{"type": "nonsense"}]}, "input[0].type"),
        ({"model": "m", "input": [{"type": "compaction"}]}, "input[0].encrypted_content"),
        (
            {"model": "m", "input": [{"type": "compaction", "encrypted_content": 7}]},
            "input[0].encrypted_content",
        ),
        ({"model": "m", "instructions": ["x"]}, "instructions"),
        ({"model": "m", "previous_response_id": 3}, "previous_response_id"),
        ({"model": "m", "service_tier": "warp"}, "service_tier"),
    ],
)
def test_compact_bad_fields_are_400_naming_them(plain, body, param):
    check_envelope(plain.http.post("/responses/compact", json=body), 400, param=param)


@pytest.mark.parametrize("raw", [b"{", b"[]", b"\xff", b'{"model": "m", "input": NaN}'])
def test_compact_bad_json_is_400(plain, raw):
    reply = plain.http.post("/responses/compact", content=raw, headers={"content-type": "application/json"})
    check_envelope(reply, 400, code="invalid_json")


def test_compact_unknown_or_foreign_previous_response_is_400(plain):
    check_envelope(
        plain.http.post(
            "/responses/compact", json={"model": "m", "previous_response_id": "resp_missing00000"}
        ),
        400,
        param="previous_response_id",
        code="previous_response_not_found",
    )
    alices = plain.http.post("/responses", json={"model": "m", "input": "mine"}, headers=ALICE).json()["id"]
    for headers in (BOB, None):
        reply = plain.http.post(
            "/responses/compact", json={"model": "m", "previous_response_id": alices}, headers=headers
        )
        check_envelope(reply, 400, param="previous_response_id", code="previous_response_not_found")
        assert "mine" not in reply.text


def test_get_on_the_compact_path_is_not_a_compaction(plain):
    assert plain.http.get("/responses/compact").status_code == 404


# -- lossless round trip ----------------------------------------------------------------------------------
def test_the_compacted_window_comes_back_as_the_original_items(plain):
    compacted = plain.sdk.responses.compact(model="m", input=CONVERSATION)
    window = [item.model_dump(exclude_none=True) for item in compacted.output]
    seen = plain.report(input=[*window, _user("report")])
    assert seen["history"] == []
    originals = seen["input"][:-1]
    assert [i.get("id") for i in originals[:3]] == ["msg_user_one", "msg_assistant_one", "fc_call_one"]
    assert originals[3]["id"]  # the server gave the call output an id when it was compacted
    assert [(i["type"], i.get("text"), i.get("call_id")) for i in originals] == [
        ("message", "one", None),
        ("message", "answer one", None),
        ("function_call", None, "call_1"),
        ("function_call_output", None, "call_1"),
    ]
    assert seen["input"][-1]["text"] == "report"


def test_the_input_items_endpoint_lists_what_the_client_sent(plain):
    compacted = plain.compact(input=CONVERSATION)
    created = plain.sdk.responses.create(model="m", input=[*compacted["output"], _user("after")])
    assert created.output_text == "Echo: after"  # the handler's input text holds the opened window
    listed = plain.sdk.responses.input_items.list(created.id, order="asc").data
    assert [item.type for item in listed] == ["compaction", "message"]
    assert listed[0].encrypted_content == compacted["output"][0]["encrypted_content"]


def test_a_chain_compacted_from_previous_response_id_keeps_its_history(plain):
    first = plain.sdk.responses.create(model="m", input="one")
    second = plain.sdk.responses.create(model="m", input="two", previous_response_id=first.id)
    compacted = plain.sdk.responses.compact(model="m", previous_response_id=second.id, input="three")
    window = [item.model_dump(exclude_none=True) for item in compacted.output]
    seen = plain.report(input=[*window, _user("report")])  # no previous_response_id: a new chain
    assert [(i["role"], i["text"]) for i in seen["input"]] == [
        ("user", "one"),
        ("assistant", "Echo: one"),
        ("user", "two"),
        ("assistant", "Echo: two"),
        ("user", "three"),
        ("user", "report"),
    ]
    assert seen["input"][1]["id"] == first.output[0].id


def test_a_continuation_after_a_compacted_input_reads_the_opened_history(plain):
    compacted = plain.compact(input=[_user("remember this")])
    created = plain.sdk.responses.create(model="m", input=[*compacted["output"], _user("noted")])
    seen = plain.report(input="report", previous_response_id=created.id)
    assert [i.get("text") for i in seen["history"]] == ["remember this", "noted", "Echo: noted"]
    assert all(i["type"] != "compaction" for i in seen["history"])


def test_compacting_a_compacted_window_stays_flat(plain):
    inner = plain.compact(input=[_user("first")])
    outer = plain.compact(input=[*inner["output"], _user("second")])
    seen = plain.report(input=[*outer["output"], _user("report")])
    assert [(i["type"], i.get("text")) for i in seen["input"]] == [
        ("message", "first"),
        ("message", "second"),
        ("message", "report"),
    ]


# -- tampered and foreign items ------------------------------------------------------------------------
def _tampered(item: dict[str, Any]) -> dict[str, Any]:
    content = item["encrypted_content"]
    middle = len(content) // 2
    changed = "A" if content[middle] != "A" else "B"
    return {**item, "encrypted_content": content[:middle] + changed + content[middle + 1 :]}


@pytest.mark.parametrize("endpoint", ["/responses", "/responses/compact", "/responses/input_tokens"])
def test_a_tampered_compaction_item_is_400(plain, endpoint):
    item = plain.compact(input="secret plans")["output"][0]
    for bad in (
        _tampered(item),
        {**item, "encrypted_content": item["encrypted_content"][:-4]},
        {**item, "encrypted_content": "not-sealed-at-all"},
        {**item, "encrypted_content": ""},
    ):
        reply = plain.http.post(endpoint, json={"model": "m", "input": [_user("hi"), bad]})
        error = check_envelope(
            reply, 400, param="input[1].encrypted_content", code="invalid_encrypted_content"
        )
        assert "secret plans" not in error["message"]


def test_another_users_compaction_item_is_400(plain):
    item = plain.compact(input="alice's notes", headers=ALICE)["output"][0]
    for headers in (BOB, None):
        reply = plain.http.post("/responses", json={"model": "m", "input": [item]}, headers=headers)
        check_envelope(reply, 400, param="input[0].encrypted_content", code="invalid_encrypted_content")
    seen = plain.report(input=[item, _user("report")], headers=ALICE)
    assert seen["input"][0]["text"] == "alice's notes"


def test_a_tampered_item_in_a_streamed_create_is_a_json_400(plain):
    item = _tampered(plain.compact(input="x")["output"][0])
    reply = plain.http.post("/responses", json={"model": "m", "input": [item], "stream": True})
    check_envelope(reply, 400, param="input[0].encrypted_content")


def test_another_servers_item_is_400_and_a_replica_with_the_same_key_opens_it(store):
    with (
        serving(store, compaction_key="alpha-key") as alpha,
        serving(store, compaction_key="beta-key") as beta,
        serving(store) as random_key,
    ):
        window = alpha.compact(input=[_user("made on alpha")])["output"]
        for other in (beta, random_key):
            reply = other.http.post("/responses", json={"model": "m", "input": window})
            check_envelope(reply, 400, param="input[0].encrypted_content", code="invalid_encrypted_content")
        made_on_random = random_key.compact(input="x")["output"]
        reply = alpha.http.post("/responses", json={"model": "m", "input": made_on_random})
        check_envelope(reply, 400, param="input[0].encrypted_content")
    with serving(store, compaction_key="alpha-key") as alpha_again:  # another process, the same key
        seen = alpha_again.report(input=[*window, _user("report")])
        assert seen["input"][0]["text"] == "made on alpha"


def test_replicas_sharing_a_redis_store_and_a_key_compact_each_others_chains():
    require_redis()
    from support.redis_support import redis_test_url

    url = redis_test_url()
    with (
        serving("redis", store_url=url, compaction_key="shared") as one,
        serving("redis", store_url=url, compaction_key="shared") as two,
    ):
        first = one.sdk.responses.create(model="m", input="on replica one")
        compacted = two.sdk.responses.compact(model="m", previous_response_id=first.id, input="then two")
        window = [item.model_dump(exclude_none=True) for item in compacted.output]
        seen = one.report(input=[*window, _user("report")])
        assert [i["text"] for i in seen["input"]] == [
            "on replica one",
            "Echo: on replica one",
            "then two",
            "report",
        ]


# -- custom compaction ------------------------------------------------------------------------------------
def test_a_compact_handler_decides_the_output_and_usage(custom):
    first = custom.sdk.responses.create(model="m", input="before")
    compacted = custom.sdk.responses.compact(model="summary", previous_response_id=first.id, input="keep me")
    assert [item.type for item in compacted.output] == ["message", "compaction"]
    assert compacted.output[0].content[0].text == "summary of 2 history items"
    assert compacted.output[0].id.startswith("msg_")  # an item without an id gets one
    assert (compacted.usage.input_tokens, compacted.usage.output_tokens, compacted.usage.total_tokens) == (
        10,
        3,
        13,
    )
    assert compacted.usage.output_tokens_details.reasoning_tokens == 0
    window = [item.model_dump(exclude_none=True) for item in compacted.output]
    seen = custom.report(input=[*window, _user("report")])
    assert [(i["role"], i["text"]) for i in seen["input"]] == [
        ("assistant", "summary of 2 history items"),
        ("user", "keep me"),
        ("user", "report"),
    ]


def test_a_compact_handler_sees_the_window_and_the_caller(custom):
    first = custom.sdk.responses.create(model="m", input="earlier", extra_headers=ALICE)
    inner = custom.compact(model="summary", input="sealed before", headers=ALICE)["output"][1]
    reply = custom.compact(
        model="window", previous_response_id=first.id, input=[inner, _user("now")], headers=ALICE
    )
    seen = json.loads(reply["output"][0]["content"][0]["text"])
    assert seen["user"] == "alice"
    assert [i["text"] for i in seen["history"]] == ["earlier", "Echo: earlier"]
    assert [i["text"] for i in seen["input"]] == ["sealed before", "now"]  # compaction items opened
    assert [i["text"] for i in seen["window"]] == ["earlier", "Echo: earlier", "sealed before", "now"]


@pytest.mark.parametrize("model", ["boom", "garbage"])
def test_a_failing_compact_handler_is_a_500_envelope_and_the_server_keeps_serving(custom, model, caplog):
    reply = custom.http.post("/responses/compact", json={"model": model, "input": "x"})
    check_envelope(reply, 500, code="server_error")
    assert reply.json()["error"]["type"] == "server_error" and SECRET not in reply.text
    failures = [r for r in caplog.records if r.getMessage() == "the compact handler failed"]
    assert failures and failures[-1].exc_info is not None  # the traceback is in the log, not the answer
    assert custom.sdk.responses.compact(model="summary", input="x").object == "response.compaction"


def test_a_sync_compact_handler_runs_too():
    def compact(request, context):
        return [
            context.seal(),
            {
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [
                    {"type": "output_text", "text": request.model, "annotations": [], "logprobs": []}
                ],
            },
        ]

    with serving("memory", compact=compact) as served:
        compacted = served.sdk.responses.compact(model="sync-model", input="hi")
        assert [item.type for item in compacted.output] == ["compaction", "message"]
        assert compacted.output[1].content[0].text == "sync-model"
        seen = served.report(input=[compacted.output[0].model_dump(exclude_none=True), _user("report")])
        assert seen["input"][0]["text"] == "hi"


# -- context_management and the compaction event -------------------------------------------------------
def test_context_management_is_accepted_and_echoed(plain):
    management = [{"type": "compaction", "compact_threshold": 200000}]
    created = plain.sdk.responses.create(model="m", input="x", extra_body={"context_management": management})
    raw = plain.http.get(f"/responses/{created.id}").json()
    assert raw["context_management"] == management
    reply = plain.http.post(
        "/responses",
        json={
            "model": "m",
            "input": "x",
            "context_management": [{"type": "compaction", "compact_threshold": 5}],
        },
    )
    check_envelope(reply, 400, param="context_management[0].compact_threshold")


def test_a_handler_streams_the_compaction_event(plain):
    events = list(plain.sdk.responses.create(model="m", input="stream compaction", stream=True))
    types = [event.type for event in events]
    assert types[:5] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.compaction.compacting",
        "response.output_item.done",
    ]
    compacting = events[3]
    assert compacting.item_id == events[2].item.id and compacting.output_index == 0
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response
    assert final.status == "completed"
    assert [item.type for item in final.output] == ["compaction", "message"]
    assert final.output[0].encrypted_content == "opaque-upstream-summary"
    replay = list(plain.sdk.responses.retrieve(final.id, stream=True))
    assert [e.type for e in replay] == types


def test_a_response_handler_seals_its_own_window_and_reads_it_back(plain):
    compacted = plain.sdk.responses.create(
        model="m", input=[_user("one"), _user("two"), _user("compact yourself")]
    )
    assert [item.type for item in compacted.output] == ["compaction"]
    item = compacted.output[0].model_dump(mode="json", exclude_none=True)
    seen = plain.report(input=[item, _user("report")])
    assert [i.get("text") for i in seen["input"]] == ["one", "two", "compact yourself", "report"]
    # Another user cannot open it.
    reply = plain.http.post("/responses", json={"model": "m", "input": [item]}, headers=BOB)
    check_envelope(reply, 400, param="input[0].encrypted_content")


# -- the host's sealer ---------------------------------------------------------------------------------
def test_the_host_makes_one_sealer_and_says_once_when_its_key_is_random(caplog):
    host = make_host("memory")
    with caplog.at_level(logging.INFO, logger="responsekit"):
        first, second = host.sealer, host.sealer
    assert first is second and first.ephemeral
    assert sum("no compaction key is set" in r.getMessage() for r in caplog.records) == 1
    assert not make_host("memory", compaction_key="k").sealer.ephemeral


def test_the_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RESPONSEKIT_COMPACTION_KEY", "from-the-environment")
    one, two = make_host("memory"), make_host("memory")
    assert not one.sealer.ephemeral
    assert one.options.describe()["compaction_key"] == "***"
    assert two.sealer.open(one.sealer.seal({"items": []}, "alice"), "alice") == {"items": []}
