"""GET, replay, cancel, delete, input_items, store=false, chaining, include, echo and isolation (in-process).

Cancellation decision pinned here: a cancelled response's terminal event is ``response.failed``
whose ``response.status`` is ``"cancelled"`` (the protocol has no ``response.cancelled`` event); the
output produced so far is kept and open items are closed ``incomplete``.
"""

from __future__ import annotations

import json

import anyio
import pytest
from http_helpers import asgi, check_complete_stream, check_envelope, create, parse_sse, wait_status
from support.hosts import (
    Probe,
    echo_handler,
    failing_handler,
    host_with,
    reasoning_message_handler,
    stalling_handler,
)

from responsekit import TextResponse
from responsekit.models import Response as ProtocolResponse
from responsekit.streaming.snapshot import RESPONSE_FIELDS

pytestmark = pytest.mark.anyio

FAST = {"shutdown_grace_period_seconds": 0.5}
USER_A = {"x-agent-user-isolation-key": "user-a"}
USER_B = {"x-agent-user-isolation-key": "user-b"}


def _cancelled(response: dict) -> None:
    assert response["status"] == "cancelled"
    (message,) = response["output"]
    assert message["status"] == "incomplete"
    assert message["content"][0]["text"] == "partial"


# -- retrieve and replay ------------------------------------------------------------------------------------
async def test_replay_is_byte_identical_from_every_cursor(store_kind):
    async with asgi(host_with(store_kind, reasoning_message_handler(), **FAST)) as client:
        original = (await create(client, stream=True)).content
        sse = parse_sse(original)
        check_complete_stream(sse)
        rid = sse.frames[0].data["response"]["id"]
        full = await client.get(f"/responses/{rid}", params={"stream": "true"})
        assert full.headers["content-type"].startswith("text/event-stream")
        assert full.content == original
        for cursor in range(-1, len(sse.frames)):
            tail = parse_sse(
                (await client.get(f"/responses/{rid}?stream=true&starting_after={cursor}")).content
            )
            assert tail.raw_events == b"".join(f.raw for f in sse.frames[cursor + 1 :]), cursor
            assert tail.done
            by_header = await client.get(
                f"/responses/{rid}?stream=true", headers={"last-event-id": str(cursor)}
            )
            assert parse_sse(by_header.content).raw_events == tail.raw_events
        # a cursor past the end: nothing left but [DONE]
        past = parse_sse((await client.get(f"/responses/{rid}?stream=true&starting_after=999")).content)
        assert past.frames == [] and past.done


async def test_replay_of_a_default_mode_response_has_the_same_events_as_a_stream(store_kind):
    async with asgi(host_with(store_kind, reasoning_message_handler(), **FAST)) as client:
        body = (await create(client)).json()
        replay = parse_sse((await client.get(f"/responses/{body['id']}?stream=true")).content)
        assert check_complete_stream(replay).data["response"] == body


async def test_get_shows_an_in_flight_background_response_and_replay_tails_it_to_the_end(store_kind):
    probe = Probe()
    async with asgi(host_with(store_kind, stalling_handler(probe), **FAST)) as client:
        rid = (await create(client, background=True)).json()["id"]
        await probe.await_("started")
        assert (await client.get(f"/responses/{rid}")).json()["status"] == "in_progress"
        async with anyio.create_task_group() as tg:
            replies: list = []

            async def replay() -> None:
                replies.append(await client.get(f"/responses/{rid}?stream=true&starting_after=1"))

            tg.start_soon(replay)
            await anyio.sleep(0)
            cancel = await client.post(f"/responses/{rid}/cancel")
            assert cancel.status_code == 200
        sse = parse_sse(replies[0].content)
        terminal = check_complete_stream(sse, first_seq=2)
        assert terminal.event == "response.failed"
        _cancelled(terminal.data["response"])


# -- cancel -----------------------------------------------------------------------------------------------
async def test_cancel_in_flight_background_ends_cancelled_with_partial_output_and_is_idempotent(store_kind):
    probe = Probe()
    async with asgi(host_with(store_kind, stalling_handler(probe), **FAST)) as client:
        rid = (await create(client, background=True)).json()["id"]
        await probe.await_("started")
        first = await client.post(f"/responses/{rid}/cancel")
        assert first.status_code == 200
        _cancelled(first.json())
        assert probe.is_set("cancelled"), "the handler saw the cancellation"
        again = await client.post(f"/responses/{rid}/cancel")
        assert again.status_code == 200 and again.json() == first.json()
        assert (await client.get(f"/responses/{rid}")).json() == first.json()
        replay = parse_sse((await client.get(f"/responses/{rid}?stream=true")).content)
        terminal = check_complete_stream(replay)
        assert terminal.event == "response.failed"  # the protocol has no response.cancelled event
        assert terminal.data["response"]["status"] == "cancelled"
        assert terminal.data["response"]["error"] is None


async def test_cancel_of_a_queued_stream_background_response_also_works(store_kind):
    probe = Probe()
    async with asgi(host_with(store_kind, stalling_handler(probe), **FAST)) as client:
        async with anyio.create_task_group() as tg:
            streamed: list = []

            async def stream() -> None:
                streamed.append(await create(client, stream=True, background=True))

            tg.start_soon(stream)
            await probe.await_("started")
            rid = await _only_response_id(client, probe)
            assert (await client.post(f"/responses/{rid}/cancel")).status_code == 200
        terminal = check_complete_stream(parse_sse(streamed[0].content))
        assert terminal.data["response"]["status"] == "cancelled"


async def _only_response_id(client, probe: Probe) -> str:
    """The id of the response the probe's handler serves (the stalling handler notes nothing, so ask
    the host: it runs exactly one response)."""
    host = client._transport.app  # type: ignore[attr-defined]
    (rid,) = list(host._runs)
    return rid


@pytest.mark.parametrize(
    ("handler", "mode", "status"),
    [
        (echo_handler, {"background": True}, "completed"),
        (failing_handler, {"background": True}, "failed"),
        (echo_handler, {}, "completed"),
        (echo_handler, {"stream": True}, "completed"),
    ],
    ids=["completed-background", "failed-background", "default-mode", "stream-mode"],
)
async def test_cancel_is_400_for_finished_or_non_background_responses(store_kind, handler, mode, status):
    async with asgi(host_with(store_kind, handler(), **FAST)) as client:
        reply = await create(client, **mode)
        rid = (
            parse_sse(reply.content).frames[0].data["response"]["id"]
            if mode.get("stream")
            else reply.json()["id"]
        )
        assert (await wait_status(client, rid))["status"] == status
        check_envelope(await client.post(f"/responses/{rid}/cancel"), 400, code="not_cancellable")


async def test_cancel_is_400_for_an_in_flight_foreground_response(store_kind):
    probe = Probe()
    async with asgi(
        host_with(store_kind, stalling_handler(probe), shutdown_grace_period_seconds=0.1)
    ) as client:
        async with anyio.create_task_group() as tg:
            results: list = []

            async def default_mode() -> None:
                results.append(await create(client))

            tg.start_soon(default_mode)
            await probe.await_("started")
            rid = await _only_response_id(client, probe)
            check_envelope(await client.post(f"/responses/{rid}/cancel"), 400, code="not_cancellable")
            host = client._transport.app  # type: ignore[attr-defined]
            host.begin_shutdown()  # the only way to end a stalled foreground response here
        (reply,) = results
        body = reply.json()
        assert body["status"] == "failed" and body["error"]["code"] == "server_error"


# -- delete -----------------------------------------------------------------------------------------------
async def test_delete_returns_the_deletion_object_and_everything_is_404_afterwards(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        rid = (await create(client)).json()["id"]
        reply = await client.delete(f"/responses/{rid}")
        assert reply.status_code == 200
        assert reply.json() == {"id": rid, "object": "response", "deleted": True}
        for method, path in [
            ("GET", ""),
            ("GET", "?stream=true"),
            ("GET", "/input_items"),
            ("POST", "/cancel"),
            ("DELETE", ""),
        ]:
            check_envelope(await client.request(method, f"/responses/{rid}{path}"), 404)
        check_envelope(
            await create(client, previous_response_id=rid),
            400,
            param="previous_response_id",
            code="previous_response_not_found",
        )


async def test_delete_of_an_in_flight_background_response_cancels_it_first(store_kind):
    probe = Probe()
    async with asgi(host_with(store_kind, stalling_handler(probe), **FAST)) as client:
        rid = (await create(client, background=True)).json()["id"]
        await probe.await_("started")
        assert (await client.delete(f"/responses/{rid}")).json()["deleted"] is True
        assert probe.is_set("cancelled")
        check_envelope(await client.get(f"/responses/{rid}"), 404)


# -- input items --------------------------------------------------------------------------------------------
ITEMS = [
    {"role": "user", "content": "one"},
    {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "two"}],
        "id": "msg_client0002",
    },
    {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "c1", "output": "42"},
    {"role": "developer", "content": "five"},
    {"role": "user", "content": [{"type": "input_text", "text": "six"}]},
    {"role": "assistant", "content": "seven"},
]


async def test_input_items_pages_in_both_orders_with_cursors(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        rid = (await create(client, input=ITEMS)).json()["id"]
        everything = (await client.get(f"/responses/{rid}/input_items")).json()
        assert set(everything) == {"object", "data", "first_id", "last_id", "has_more"}
        assert everything["object"] == "list" and everything["has_more"] is False
        data = everything["data"]
        assert len(data) == 7
        ids = [item["id"] for item in data]
        assert len(set(ids)) == 7 and all(ids)
        assert "msg_client0002" in ids  # the client's id is kept, the others are assigned
        asc = (await client.get(f"/responses/{rid}/input_items?order=asc&limit=100")).json()["data"]
        assert asc == data[::-1]  # default order is desc
        assert [i["type"] for i in asc] == [
            "message",
            "message",
            "function_call",
            "function_call_output",
            "message",
            "message",
            "message",
        ]
        assert asc[0]["content"] == [{"type": "input_text", "text": "one"}]
        assert asc[6]["content"][0]["type"] == "output_text"
        for order, expected in (("asc", asc), ("desc", data)):
            walked, after = [], None
            while True:
                query = f"order={order}&limit=3" + (f"&after={after}" if after else "")
                page = (await client.get(f"/responses/{rid}/input_items?{query}")).json()
                walked += page["data"]
                assert page["first_id"] == page["data"][0]["id"] and page["last_id"] == page["data"][-1]["id"]
                if not page["has_more"]:
                    break
                after = page["last_id"]
            assert walked == expected
        before = (
            await client.get(f"/responses/{rid}/input_items?order=asc&before={asc[4]['id']}&limit=2")
        ).json()
        assert [i["id"] for i in before["data"]] == [asc[2]["id"], asc[3]["id"]] and before[
            "has_more"
        ] is True


async def test_input_items_of_a_string_input_is_one_user_message(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        rid = (await create(client, input="just text")).json()["id"]
        page = (await client.get(f"/responses/{rid}/input_items")).json()
        (item,) = page["data"]
        assert item["type"] == "message" and item["role"] == "user" and item["id"].startswith("msg_")
        assert item["content"] == [{"type": "input_text", "text": "just text"}]


@pytest.mark.parametrize(
    "query",
    [
        "include=message.output_text.logprobs",
        "include[]=message.output_text.logprobs",
        "include[]=reasoning.encrypted_content&include=message.output_text.logprobs",
    ],
)
async def test_include_and_include_brackets_query_forms_are_both_accepted(store_kind, query):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        rid = (await create(client)).json()["id"]
        assert (await client.get(f"/responses/{rid}/input_items?{query}")).status_code == 200
        assert (await client.get(f"/responses/{rid}?{query}")).status_code == 200
        assert (await client.get(f"/responses/{rid}?stream=true&{query}")).status_code == 200


# -- store=false, previous_response_id, conversation ------------------------------------------------------------
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_store_false_response_is_not_retrievable_nor_chainable(store_kind, stream):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        reply = await create(client, store=False, stream=stream)
        body = check_complete_stream(parse_sse(reply.content)).data["response"] if stream else reply.json()
        assert body["status"] == "completed" and body["store"] is False
        rid = body["id"]
        for method, path in [
            ("GET", ""),
            ("GET", "?stream=true"),
            ("GET", "/input_items"),
            ("DELETE", ""),
            ("POST", "/cancel"),
        ]:
            check_envelope(await client.request(method, f"/responses/{rid}{path}"), 404)
        chained = await create(client, previous_response_id=rid)
        check_envelope(chained, 400, param="previous_response_id", code="previous_response_not_found")


async def test_previous_response_id_and_conversation_together_is_400(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        rid = (await create(client)).json()["id"]
        check_envelope(
            await create(client, previous_response_id=rid, conversation="conv_1"),
            400,
            param="previous_response_id",
        )
        check_envelope(
            await create(client, previous_response_id=rid, conversation={"id": "conv_1"}, stream=True),
            400,
            param="previous_response_id",
        )


async def test_history_follows_the_previous_response_id_chain_oldest_first(store_kind):
    seen: list = []

    async def handler(request, context, signal):
        history = await context.get_history()
        seen.append(history)
        return TextResponse(context, request, text=f"answer to {await context.get_input_text()}")

    async with asgi(host_with(store_kind, handler, **FAST)) as client:
        first = (await create(client, input="q1")).json()
        second = (await create(client, input="q2", previous_response_id=first["id"])).json()
        third = (await create(client, input="q3", previous_response_id=second["id"])).json()
        assert third["previous_response_id"] == second["id"]
        assert seen[0] == []
        texts = [_item_text(item) for item in seen[2]]
        assert texts == ["q1", "answer to q1", "q2", "answer to q2"]
        assert [item.type for item in seen[2]] == ["message"] * 4  # typed protocol items
        assert seen[2][1].id == first["output"][0]["id"]


async def test_history_of_a_conversation_holds_its_earlier_responses(store_kind):
    seen: list = []

    async def handler(request, context, signal):
        seen.append([_item_text(item) for item in await context.get_history()])
        return TextResponse(context, request, text="ok")

    async with asgi(host_with(store_kind, handler, **FAST)) as client:
        a = (await create(client, input="a1", conversation="conv_alpha")).json()
        await create(client, input="b1", conversation={"id": "conv_beta"})
        await create(client, input="a2", conversation={"id": "conv_alpha"})
        assert a["conversation"] == {"id": "conv_alpha"}
        assert seen == [[], [], ["a1", "ok"]]


def _item_text(item) -> str:
    data = item.model_dump() if hasattr(item, "model_dump") else item
    return "".join(part.get("text", "") for part in data.get("content") or [])


# -- the Response object ----------------------------------------------------------------------------------------
async def test_response_echoes_request_settings_and_carries_every_field(store_kind):
    settings = {
        "model": "gpt-test",
        "instructions": "be brief",
        "temperature": 0.5,
        "top_p": 0.9,
        "tools": [
            {
                "type": "function",
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {}},
                "strict": True,
            }
        ],
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "max_output_tokens": 128,
        "metadata": {"trace": "t-1"},
        "reasoning": {"effort": "low"},
        "text": {
            "format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": True}
        },
        "store": True,
        "background": False,
    }
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        first = (await create(client, **settings)).json()
        for key, value in settings.items():
            if key == "tools":
                assert first["tools"][0]["name"] == "get_weather"
            elif key in ("reasoning", "text"):
                assert {k: v for k, v in first[key].items() if k in value} == value, key
            else:
                assert first[key] == value, key
        chained = (await create(client, previous_response_id=first["id"], background=True)).json()
        assert chained["previous_response_id"] == first["id"] and chained["background"] is True
        for body in (first, chained):
            assert set(RESPONSE_FIELDS) <= set(body)
            ProtocolResponse.model_validate(body)
        # every field is present, null where unset
        assert chained["conversation"] is None and chained["usage"] is None and chained["error"] is None


async def test_model_falls_back_to_default_model(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), default_model="the-default", **FAST)) as client:
        reply = await client.post("/responses", json={"input": "x"})
        assert reply.json()["model"] == "the-default"
        assert (await create(client, model="explicit")).json()["model"] == "explicit"
        sse = parse_sse((await client.post("/responses", json={"input": "x", "stream": True})).content)
        assert {f.data["response"]["model"] for f in sse.frames if "response" in f.data} == {"the-default"}


async def test_response_satisfies_the_open_responses_required_fields(store_kind):
    from pathlib import Path

    spec = json.loads(
        (Path(__file__).parents[2] / "spec/upstream/openresponses-openapi-2026-04-24.json").read_text()
    )
    schemas = spec["components"]["schemas"]
    name = next(n for n in schemas if n.lower() == "responseresource")
    required = set(schemas[name]["required"])
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        body = (await create(client)).json()
        assert required <= set(body), required - set(body)


# -- isolation ----------------------------------------------------------------------------------------------
async def test_isolation_hides_responses_of_other_users_with_404_not_403(store_kind):
    probe = Probe()
    async with asgi(host_with(store_kind, stalling_handler(probe), **FAST)) as client:
        rid = (await create(client, background=True, headers=USER_A)).json()["id"]
        await probe.await_("started")
        for headers in (USER_B, {}, {"x-agent-user-id": "user-b"}):
            for method, path in [
                ("GET", ""),
                ("GET", "?stream=true"),
                ("GET", "/input_items"),
                ("POST", "/cancel"),
                ("DELETE", ""),
            ]:
                reply = await client.request(method, f"/responses/{rid}{path}", headers=headers)
                check_envelope(reply, 404, code="not_found")
            check_envelope(
                await create(client, previous_response_id=rid, headers=headers),
                400,
                param="previous_response_id",
            )
        # the owner sees it, under either header name
        assert (
            await client.get(f"/responses/{rid}", headers={"x-agent-user-id": "user-a"})
        ).status_code == 200
        assert (await client.post(f"/responses/{rid}/cancel", headers=USER_A)).json()["status"] == "cancelled"
        assert (await client.delete(f"/responses/{rid}", headers=USER_A)).status_code == 200


async def test_responses_without_a_user_key_are_invisible_to_keyed_users(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        rid = (await create(client)).json()["id"]
        check_envelope(await client.get(f"/responses/{rid}", headers=USER_A), 404)
        assert (await client.get(f"/responses/{rid}")).status_code == 200


async def test_waits_on_a_stalled_response_are_bounded_and_shutdown_ends_it(store_kind):
    # a guard for the helpers every test relies on: waiting fails rather than hangs
    probe = Probe()
    host = host_with(store_kind, stalling_handler(probe), **FAST)
    async with asgi(host) as client:
        rid = (await create(client, background=True)).json()["id"]
        with pytest.raises(AssertionError, match="still"):
            await wait_status(client, rid, timeout=0.05)
    record = await host.store.records.get(rid)
    assert record.status == "failed" and record.snapshot["error"]["code"] == "server_error"


async def test_cancel_right_after_create_before_the_handler_ran(store_kind):
    probe = Probe()
    async with asgi(host_with(store_kind, stalling_handler(probe), **FAST)) as client:
        rid = (await create(client, background=True)).json()["id"]
        reply = await client.post(f"/responses/{rid}/cancel")
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["status"] == "cancelled"
        assert all(item["status"] == "incomplete" for item in body["output"])
        replay = parse_sse((await client.get(f"/responses/{rid}?stream=true")).content)
        terminal = check_complete_stream(replay)
        assert terminal.event == "response.failed" and terminal.data["response"] == body


async def test_concurrent_cancels_both_answer_cancelled(store_kind):
    probe = Probe()
    async with asgi(host_with(store_kind, stalling_handler(probe), **FAST)) as client:
        rid = (await create(client, background=True)).json()["id"]
        await probe.await_("started")
        replies = []
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(lambda: _append(replies, client.post(f"/responses/{rid}/cancel")))
        assert [r.status_code for r in replies] == [200, 200, 200]
        assert {r.json()["status"] for r in replies} == {"cancelled"}


async def test_delete_racing_cancel_leaves_a_consistent_404(store_kind):
    probe = Probe()
    async with asgi(host_with(store_kind, stalling_handler(probe), **FAST)) as client:
        rid = (await create(client, background=True)).json()["id"]
        await probe.await_("started")
        replies = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: _append(replies, client.post(f"/responses/{rid}/cancel")))
            tg.start_soon(lambda: _append(replies, client.delete(f"/responses/{rid}")))
        assert all(r.status_code in (200, 404) for r in replies), [r.text for r in replies]
        check_envelope(await client.get(f"/responses/{rid}"), 404)


async def _append(replies: list, awaitable) -> None:
    replies.append(await awaitable)


async def test_cancel_interrupts_a_handler_that_ignores_the_signal(store_kind):
    probe = Probe()
    async with asgi(host_with(store_kind, stalling_handler(probe, honour_signal=False), **FAST)) as client:
        rid = (await create(client, background=True)).json()["id"]
        await probe.await_("started")
        reply = await client.post(f"/responses/{rid}/cancel")
        assert reply.status_code == 200
        _cancelled(reply.json())
        assert probe.is_set("cancelled")
