"""Round-trips through the ``openai`` client (strict response validation, no retries) on a real server.

The SDK is the independent oracle: its models must accept every object and event we send, and its
stream and pagination helpers must work unchanged against us.
"""

from __future__ import annotations

import json

import anyio
import openai
import pytest
from support.hosts import (
    WAIT,
    Probe,
    echo_handler,
    function_call_handler,
    gated_handler,
    host_with,
    reasoning_message_handler,
    stalling_handler,
)
from support.polling import poll
from support.servers import serve_in_thread

TERMINAL = {"completed", "failed", "incomplete", "cancelled"}


class Routed:
    """One server, several behaviours: the input text picks the handler."""

    def __init__(self) -> None:
        self.gate = Probe()
        self.stall = Probe()
        self.handlers = {
            "slow": gated_handler(self.gate, before=1, after=2),
            "stall": stalling_handler(self.stall),
            "fc": function_call_handler(),
            "think": reasoning_message_handler(),
        }

    async def __call__(self, request, context, signal):
        text = await context.get_input_text()
        first = text.split("\n")[-1]
        handler = self.handlers.get(first, echo_handler())
        result = handler(request, context, signal)
        if hasattr(result, "__aiter__"):
            async for event in result:
                yield event
        elif hasattr(result, "__await__"):
            async for event in await result:
                yield event
        else:
            for event in result:
                yield event


@pytest.fixture
def routed():
    return Routed()


@pytest.fixture
def server(store_kind, routed):
    with serve_in_thread(host_with(store_kind, routed, shutdown_grace_period_seconds=0.3)) as running:
        yield running


@pytest.fixture
def client(server):
    with openai.OpenAI(
        base_url=server.url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
    ) as sdk:
        yield sdk


def _wait_terminal(client: openai.OpenAI, rid: str):
    last = []

    def terminal():
        last[:] = [client.responses.retrieve(rid)]
        return last[0] if last[0].status in TERMINAL else None

    return poll(terminal, what=lambda: f"{rid} still {last[0].status}")


def _check_events(events) -> None:
    assert [e.sequence_number for e in events] == list(
        range(events[0].sequence_number, events[0].sequence_number + len(events))
    )
    terminals = [
        e for e in events if e.type in ("response.completed", "response.failed", "response.incomplete")
    ]
    assert terminals == [events[-1]]


def test_create_default_mode(client):
    response = client.responses.create(model="m", input="hello")
    assert response.status == "completed" and response.output_text == "Echo: hello"
    assert response.object == "response" and response.id.startswith("resp_")


def test_create_stream_mode(client):
    events = list(client.responses.create(model="m", input="think", stream=True))
    _check_events(events)
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    final = events[-1].response
    assert [item.type for item in final.output] == ["reasoning", "message"]
    assert final.output_text == "Here is my answer."


def test_create_background_mode(client, routed):
    response = client.responses.create(model="m", input="slow", background=True)
    assert response.status in ("queued", "in_progress") and response.background is True
    routed.gate.wait("waiting")
    assert client.responses.retrieve(response.id).status == "in_progress"
    routed.gate.set("release")
    final = _wait_terminal(client, response.id)
    assert final.status == "completed" and final.output_text == "before0 after0 after1 "


def test_create_stream_and_background_mode_then_resume(client):
    events = list(client.responses.create(model="m", input="think", stream=True, background=True))
    _check_events(events)
    rid = events[0].response.id
    resumed = list(client.responses.retrieve(rid, stream=True, starting_after=3))
    assert [e.sequence_number for e in resumed] == [e.sequence_number for e in events[4:]]
    assert [e.model_dump() for e in resumed] == [e.model_dump() for e in events[4:]]


def test_stream_helper_and_get_final_response(client):
    with client.responses.stream(model="m", input="streamed words") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "Echo: streamed words"
    assert final.status == "completed" and final.output_text == "Echo: streamed words"


def test_retrieve_json_and_replay(client):
    created = client.responses.create(model="m", input="think")
    assert client.responses.retrieve(created.id) == created
    replay = list(client.responses.retrieve(created.id, stream=True))
    _check_events(replay)
    assert replay[-1].response == created


def test_cancel_then_cancel_again(client, routed):
    response = client.responses.create(model="m", input="stall", background=True)
    routed.stall.wait("started")
    cancelled = client.responses.cancel(response.id)
    assert cancelled.status == "cancelled"
    assert cancelled.output[0].status == "incomplete"
    assert client.responses.cancel(response.id).status == "cancelled"
    assert routed.stall.is_set("cancelled")


def test_cancel_of_a_completed_response_is_bad_request(client):
    response = client.responses.create(model="m", input="x", background=True)
    _wait_terminal(client, response.id)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.cancel(response.id)
    assert caught.value.code == "not_cancellable"


def test_delete_then_not_found(client):
    response = client.responses.create(model="m", input="x")
    assert client.responses.delete(response.id) is None
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.retrieve(response.id)
    assert caught.value.code == "not_found"
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(response.id)


def test_input_items_auto_paginator_walks_every_page(client):
    items = [{"role": "user", "content": f"message {i}"} for i in range(7)]
    response = client.responses.create(model="m", input=items)
    page = client.responses.input_items.list(response.id, limit=2, order="asc")
    assert len(page.data) == 2 and page.has_more
    walked = [item.content[0].text for item in page]  # iterating a page walks every page
    assert walked == [f"message {i}" for i in range(7)]
    descending = [item.id for item in client.responses.input_items.list(response.id, limit=3)]
    assert (
        descending
        == [item.id for item in client.responses.input_items.list(response.id, limit=100, order="asc")][::-1]
    )


def test_bad_request_carries_param_and_code(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="m", input="x", temperature=5)
    assert caught.value.param == "temperature" and caught.value.code == "invalid_value"
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="m", input="x", stream=True, extra_body={"top_p": 2})
    assert caught.value.param == "top_p"


def test_function_calling_two_turns_and_output_as_input(client):
    first = client.responses.create(
        model="m",
        input="fc",
        tools=[
            {
                "type": "function",
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {}},
                "strict": False,
            }
        ],
    )
    (call,) = first.output
    assert call.type == "function_call" and json.loads(call.arguments)["location"] == "Seattle"
    second = client.responses.create(
        model="m",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "72F"}],
    )
    assert second.previous_response_id == first.id and second.status == "completed"
    # the SDK's own output objects go back in as input
    echo = client.responses.create(model="m", input="one")
    third = client.responses.create(model="m", input=[*echo.output, {"role": "user", "content": "two"}])
    assert (
        third.status == "completed" and third.output_text == "Echo: two"
    )  # assistant text is not input text


def test_async_client_round_trip(server, routed):
    async def run() -> None:
        async with openai.AsyncOpenAI(
            base_url=server.url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
        ) as sdk:
            created = await sdk.responses.create(model="m", input="async hello")
            assert created.output_text == "Echo: async hello"
            events = [
                event async for event in await sdk.responses.create(model="m", input="think", stream=True)
            ]
            _check_events(events)
            async with sdk.responses.stream(model="m", input="s") as stream:
                async for _ in stream:
                    pass
                assert (await stream.get_final_response()).output_text == "Echo: s"
            replay = [
                e async for e in await sdk.responses.retrieve(created.id, stream=True, starting_after=0)
            ]
            assert replay[0].sequence_number == 1
            background = await sdk.responses.create(model="m", input="stall", background=True)
            await routed.stall.await_("started")
            assert (await sdk.responses.cancel(background.id)).status == "cancelled"
            items = [{"role": "user", "content": f"m{i}"} for i in range(5)]
            many = await sdk.responses.create(model="m", input=items)
            walked = [item.id async for item in sdk.responses.input_items.list(many.id, limit=2)]
            assert len(walked) == 5 and len(set(walked)) == 5
            await sdk.responses.delete(many.id)
            with pytest.raises(openai.NotFoundError):
                await sdk.responses.retrieve(many.id)

    anyio.run(run)
