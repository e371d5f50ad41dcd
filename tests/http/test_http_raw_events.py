"""Handlers that yield raw event dicts or the ``openai`` package's event objects (the peer's
upstream-relay sample): validated, renumbered, given this response's id and output indexes, held to
the ordering rules and folded into the snapshot, so every mode, GET and replay see the same as for
builder events; a bad raw event fails the response cleanly."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import openai
import pytest
from http_helpers import asgi, check_complete_stream, create, parse_sse, wait_status
from openai.types.responses import ResponseStreamEvent as OpenAIEvent
from pydantic import TypeAdapter
from support.hosts import WAIT, host_with
from support.servers import serve_in_thread

from responsekit.server.runner import FAILURE_MESSAGES

pytestmark = pytest.mark.anyio

UP = "resp_upstream0000"
MSG = {"id": "msg_up1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
TEXT_PART = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
DONE_TEXT = {"type": "output_text", "text": "Hello, world", "annotations": [], "logprobs": []}
RS = {"id": "rs_up1", "type": "reasoning", "summary": []}
FC = {
    "id": "fc_up1",
    "type": "function_call",
    "call_id": "call_1",
    "name": "lookup",
    "arguments": "",
    "status": "in_progress",
}


def _upstream() -> list[dict[str, Any]]:
    """A recorded upstream stream (its own response id, sequence numbers and indexes)."""
    resp = {
        "id": UP,
        "object": "response",
        "created_at": 1,
        "status": "in_progress",
        "model": "up",
        "output": [],
    }
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": resp},
        {"type": "response.in_progress", "response": resp},
        {"type": "response.output_item.added", "output_index": 0, "item": RS},
        {
            "type": "response.reasoning_summary_part.added",
            "item_id": "rs_up1",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_up1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "thinking",
        },
        {
            "type": "response.reasoning_summary_text.done",
            "item_id": "rs_up1",
            "output_index": 0,
            "summary_index": 0,
            "text": "thinking",
        },
        {
            "type": "response.reasoning_summary_part.done",
            "item_id": "rs_up1",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": "thinking"},
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {**RS, "summary": [{"type": "summary_text", "text": "thinking"}]},
        },
        {"type": "response.output_item.added", "output_index": 1, "item": MSG},
        {
            "type": "response.content_part.added",
            "item_id": "msg_up1",
            "output_index": 1,
            "content_index": 0,
            "part": TEXT_PART,
        },
        {
            "type": "response.output_text.delta",
            "item_id": "msg_up1",
            "output_index": 1,
            "content_index": 0,
            "delta": "Hello, ",
            "logprobs": [],
        },
        {
            "type": "response.output_text.delta",
            "item_id": "msg_up1",
            "output_index": 1,
            "content_index": 0,
            "delta": "world",
            "logprobs": [],
        },
        {
            "type": "response.output_text.done",
            "item_id": "msg_up1",
            "output_index": 1,
            "content_index": 0,
            "text": "Hello, world",
            "logprobs": [],
        },
        {
            "type": "response.content_part.done",
            "item_id": "msg_up1",
            "output_index": 1,
            "content_index": 0,
            "part": DONE_TEXT,
        },
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": {**MSG, "status": "completed", "content": [DONE_TEXT]},
        },
        {"type": "response.output_item.added", "output_index": 2, "item": FC},
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_up1",
            "output_index": 2,
            "delta": "{}",
        },
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc_up1",
            "output_index": 2,
            "arguments": "{}",
            "name": "lookup",
        },
        {
            "type": "response.output_item.done",
            "output_index": 2,
            "item": {**FC, "arguments": "{}", "status": "completed"},
        },
        {"type": "response.completed", "response": {**resp, "status": "completed"}},
    ]
    for seq, event in enumerate(events):
        event["sequence_number"] = seq + 40  # the upstream's numbering, not ours
    return events


_OPENAI = TypeAdapter(OpenAIEvent)


def relay_handler(form: str = "dict", upstream: list[dict[str, Any]] | None = None):
    """The peer's sample 10, on a recorded upstream: our own lifecycle, the upstream's content."""

    async def handler(request, context, cancellation_signal):
        snapshot = {
            "id": context.response_id,
            "object": "response",
            "status": "in_progress",
            "model": request.model or "",
            "output": [],
        }
        yield {"type": "response.created", "response": snapshot}
        yield {"type": "response.in_progress", "response": snapshot}
        for raw in upstream if upstream is not None else _upstream():
            if raw["type"] in ("response.created", "response.in_progress"):
                continue
            if raw["type"] == "response.completed":
                break
            event = _OPENAI.validate_python(raw)
            if form == "object":
                yield event
            elif form == "dump":
                yield event.model_dump()  # what sample 10 yields: nulls for absent fields
            else:
                yield raw
        yield {"type": "response.completed", "response": {**snapshot, "status": "completed"}}

    return handler


def _check_relayed(response: dict[str, Any], rid: str) -> None:
    assert response["id"] == rid and response["status"] == "completed"
    assert [item["id"] for item in response["output"]] == ["rs_up1", "msg_up1", "fc_up1"]
    assert response["output"][1]["content"][0]["text"] == "Hello, world"
    assert response["output"][2]["arguments"] == "{}"


@pytest.mark.parametrize("form", ["dict", "object", "dump"])
async def test_relayed_stream_is_renumbered_and_folded(store_kind, form):
    async with asgi(host_with(store_kind, relay_handler(form))) as client:
        reply = await create(client, stream=True)
        sse = parse_sse(reply.content)
        terminal = check_complete_stream(sse)
        rid = terminal.data["response"]["id"]
        assert [e["sequence_number"] for e in sse.events] == list(range(len(sse.events)))
        assert sse.types[0] == "response.created" and sse.types[-1] == "response.completed"
        assert all(e["response"]["id"] == rid for e in sse.events if "response" in e)
        _check_relayed(terminal.data["response"], rid)
        stored = (await client.get(f"/responses/{rid}")).json()
        assert stored == terminal.data["response"]
        replay = parse_sse((await client.get(f"/responses/{rid}", params={"stream": "true"})).content)
        assert replay.events == sse.events


@pytest.mark.parametrize("mode", [{}, {"background": True}, {"background": True, "stream": True}])
async def test_relayed_stream_in_every_mode(store_kind, mode):
    async with asgi(host_with(store_kind, relay_handler("object"))) as client:
        reply = await create(client, **mode)
        assert reply.status_code == 200
        if mode.get("stream"):
            rid = check_complete_stream(parse_sse(reply.content)).data["response"]["id"]
        else:
            rid = reply.json()["id"]
        final = await wait_status(client, rid)
        _check_relayed(final, rid)
        assert final["background"] is bool(mode.get("background"))


def test_relayed_stream_through_the_strict_openai_client(store_kind):
    host = host_with(store_kind, relay_handler("dump"), shutdown_grace_period_seconds=0.3)
    with (
        serve_in_thread(host) as server,
        openai.OpenAI(
            base_url=server.url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
        ) as sdk,
    ):
        events = list(sdk.responses.create(model="m", input="hi", stream=True))
        assert [e.sequence_number for e in events] == list(range(len(events)))
        final = events[-1].response
        assert final.output_text == "Hello, world"
        assert [item.id for item in final.output] == ["rs_up1", "msg_up1", "fc_up1"]
        assert sdk.responses.retrieve(final.id).model_dump() == final.model_dump()
        plain = sdk.responses.create(model="m", input="hi")
        assert plain.status == "completed" and plain.output_text == "Hello, world"


def _bad(mutate):
    events = _upstream()
    mutate(events)
    return events


BAD = {
    "unknown type": lambda ev: ev.insert(4, {"type": "response.bogus.delta", "output_index": 0}),
    "wrong shape": lambda ev: ev[10].update(delta=42),
    "delta before its item": lambda ev: ev.insert(2, ev[10]),
    "item done twice": lambda ev: ev.insert(8, ev[7]),
    "part left open": lambda ev: ev.pop(13),
    "not a mapping": lambda ev: ev.insert(3, ["response.output_item.added"]),
    "bad error code": lambda ev: None,
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_raw_events_fail_the_response_cleanly(store_kind, case, caplog):
    events = _bad(BAD[case])

    async def handler(request, context, signal):
        snapshot = {"id": context.response_id, "status": "in_progress"}
        yield {"type": "response.created", "response": snapshot}
        yield {"type": "response.in_progress", "response": snapshot}
        for raw in events[2:-1]:
            yield raw
        if case == "bad error code":
            yield {"type": "response.failed", "response": {"error": {"code": "oops", "message": "x"}}}
        yield {"type": "response.completed", "response": snapshot}

    caplog.set_level(logging.ERROR, logger="responsekit")
    async with asgi(host_with(store_kind, handler)) as client:
        reply = await create(client, stream=True)
        assert reply.status_code == 200
        sse = parse_sse(reply.content)
        terminal = check_complete_stream(sse)
        response = terminal.data["response"]
        assert response["status"] == "failed"
        assert response["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["exception"]}
        assert [e["sequence_number"] for e in sse.events] == list(range(len(sse.events)))
        assert (await client.get(f"/responses/{response['id']}")).json() == response
    logged = " ".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert "refused" in logged or "yielded list" in logged


async def test_raw_first_event_must_be_created(store_kind):
    async def handler(request, context, signal):
        yield {"type": "response.in_progress", "response": {}}

    async with asgi(host_with(store_kind, handler)) as client:
        body = (await create(client)).json()
        assert body["status"] == "failed" and body["error"]["code"] == "server_error"


async def test_raw_and_builder_events_do_not_mix(store_kind):
    from responsekit import ResponseEventStream

    async def handler(request, context, signal):
        yield {"type": "response.created", "response": {}}
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()

    async with asgi(host_with(store_kind, handler)) as client:
        body = (await create(client)).json()
        assert body["status"] == "failed"


async def test_raw_response_fields_are_merged_but_the_runtime_owns_identity(store_kind):
    async def handler(request, context, signal):
        yield {"type": "response.created", "response": {"id": "resp_other", "metadata": {"k": "v"}}}
        yield {"type": "response.in_progress", "response": {"id": "resp_other"}}
        yield {
            "type": "response.completed",
            "response": {
                "id": "resp_other",
                "status": "completed",
                "output": [{"bogus": 1}],
                "usage": {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
            },
        }

    async with asgi(host_with(store_kind, handler)) as client:
        body = (await create(client)).json()
        assert body["id"].startswith("resp_") and body["id"] != "resp_other"
        assert body["status"] == "completed" and body["output"] == [] and body["metadata"] == {"k": "v"}
        assert body["usage"]["total_tokens"] == 7


async def test_cancel_closes_open_raw_items_and_parts(store_kind):
    reached = asyncio.Event()

    async def handler(request, context, signal):
        yield {"type": "response.created", "response": {}}
        yield {"type": "response.in_progress", "response": {}}
        for raw in _upstream()[8:11]:  # message added, its part added, one delta
            yield raw
        reached.set()
        await asyncio.sleep(WAIT)

    async with asgi(host_with(store_kind, handler, cancellation_grace_period_seconds=0)) as client:
        rid = (await create(client, background=True)).json()["id"]
        await asyncio.wait_for(reached.wait(), WAIT)
        assert (await client.post(f"/responses/{rid}/cancel")).status_code == 200
        final = await wait_status(client, rid)
        assert final["status"] == "cancelled"
        [message] = final["output"]
        assert message["id"] == "msg_up1" and message["status"] == "incomplete"
        assert message["content"][0]["text"] == "Hello, "
        replay = parse_sse((await client.get(f"/responses/{rid}", params={"stream": "true"})).content)
        assert replay.types[-3:] == [
            "response.content_part.done",
            "response.output_item.done",
            "response.failed",
        ]
        assert replay.seqs == list(range(len(replay.seqs)))
