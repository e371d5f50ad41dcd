"""The four modes, every handler form, TextResponse, and the one-terminal-event guarantee (in-process).

Decisions these tests pin down:
- a cancelled response ends with ``response.failed`` whose ``response.status`` is ``"cancelled"``
  (the protocol has no ``response.cancelled`` event);
- a handler exception, a handler that ends without a terminal event, and shutdown all end the
  response ``failed`` with ``error.code == "server_error"`` and a fixed message that leaks nothing;
- SSE streams end with ``data: [DONE]`` after the terminal event.
"""

from __future__ import annotations

import asyncio

import pytest
from http_helpers import asgi, check_complete_stream, create, parse_sse, wait_status
from support.hosts import (
    Probe,
    echo_handler,
    failing_handler,
    function_call_handler,
    host_with,
    reasoning_message_handler,
    slow_handler,
    stopping_early_handler,
)

from responsekit import ResponseEventStream, TextResponse
from responsekit.server.runner import FAILURE_MESSAGES

pytestmark = pytest.mark.anyio

FAST = {"shutdown_grace_period_seconds": 0.5}


def _message_text(response: dict) -> str:
    return "".join(
        part["text"]
        for item in response["output"]
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )


# -- the four modes -------------------------------------------------------------------------------------
async def test_default_mode_runs_to_completion_and_returns_the_final_response(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        reply = await create(client, input="hi there")
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("application/json")
        body = reply.json()
        assert body["object"] == "response" and body["status"] == "completed"
        assert body["id"].startswith("resp_")
        assert _message_text(body) == "Echo: hi there"
        assert body["background"] is False and body["store"] is True
        again = (await client.get(f"/responses/{body['id']}")).json()
        assert again == body


async def test_stream_mode_sends_sse_frames_with_contiguous_sequence_numbers_then_done(store_kind):
    async with asgi(host_with(store_kind, echo_handler(), **FAST)) as client:
        reply = await create(client, input="abc", stream=True)
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        sse = parse_sse(reply.content)
        terminal = check_complete_stream(sse)
        assert sse.types == [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
        assert terminal.data["response"]["status"] == "completed"
        assert _message_text(terminal.data["response"]) == "Echo: abc"
        rid = sse.frames[0].data["response"]["id"]
        assert (await client.get(f"/responses/{rid}")).json() == terminal.data["response"]


async def test_background_mode_returns_at_once_queued_and_the_handler_keeps_running(store_kind):
    probe = Probe()
    host = host_with(store_kind, slow_handler(deltas=3, delay=0.01, probe=probe), **FAST)
    async with asgi(host) as client:
        reply = await create(client, background=True)
        assert reply.status_code == 200
        body = reply.json()
        assert body["status"] in ("queued", "in_progress")
        assert body["background"] is True and body["output"] == []
        final = await wait_status(client, body["id"])
        assert final["status"] == "completed"
        assert _message_text(final) == "d0 d1 d2 "
        assert final["created_at"] == body["created_at"]
        assert probe.is_set("finished")


async def test_stream_and_background_mode_streams_and_stays_replayable(store_kind):
    async with asgi(host_with(store_kind, reasoning_message_handler(), **FAST)) as client:
        reply = await create(client, stream=True, background=True)
        sse = parse_sse(reply.content)
        terminal = check_complete_stream(sse)
        assert sse.frames[0].data["response"]["background"] is True
        rid = terminal.data["response"]["id"]
        replay = await client.get(f"/responses/{rid}", params={"stream": "true"})
        assert replay.content == reply.content


# -- handler forms --------------------------------------------------------------------------------------
async def _async_gen(request, context, signal):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    for event in stream.output_item_message("form"):
        yield event
    yield stream.emit_completed()


def _sync_gen(request, context, signal):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    yield from stream.output_item_message("form")
    yield stream.emit_completed()


async def _async_fn_returning_async_gen(request, context, signal):
    return _async_gen(request, context, signal)


async def _async_fn_returning_sync_gen(request, context, signal):
    return _sync_gen(request, context, signal)


def _sync_fn_returning_text(request, context, signal):
    return TextResponse(context, request, text="form")


async def _async_fn_returning_text_response(request, context, signal):
    return TextResponse(context, request, text="form")


@pytest.mark.parametrize(
    "handler",
    [
        _async_fn_returning_text_response,
        _async_gen,
        _sync_gen,
        _async_fn_returning_async_gen,
        _async_fn_returning_sync_gen,
        _sync_fn_returning_text,
    ],
    ids=lambda h: h.__name__.strip("_"),
)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_every_handler_form_produces_the_same_response(store_kind, handler, stream):
    async with asgi(host_with(store_kind, handler, **FAST)) as client:
        reply = await create(client, stream=stream)
        assert reply.status_code == 200
        body = check_complete_stream(parse_sse(reply.content)).data["response"] if stream else reply.json()
        assert body["status"] == "completed"
        assert _message_text(body) == "form"


async def test_text_response_with_an_async_iterable_sends_one_delta_per_chunk(store_kind):
    async def tokens():
        for token in ["Hello", ", ", "world!"]:
            await asyncio.sleep(0)
            yield token

    async def handler(request, context, signal):
        return TextResponse(context, request, text=tokens())

    async with asgi(host_with(store_kind, handler, **FAST)) as client:
        sse = parse_sse((await create(client, stream=True)).content)
        check_complete_stream(sse)
        deltas = [f.data["delta"] for f in sse.frames if f.event == "response.output_text.delta"]
        assert deltas == ["Hello", ", ", "world!"]
        done = next(f for f in sse.frames if f.event == "response.output_text.done")
        assert done.data["text"] == "Hello, world!"


async def test_text_response_with_a_string_sends_one_delta(store_kind):
    async with asgi(host_with(store_kind, _sync_fn_returning_text, **FAST)) as client:
        sse = parse_sse((await create(client, stream=True)).content)
        assert [f.data["delta"] for f in sse.frames if f.event == "response.output_text.delta"] == ["form"]


async def test_function_call_handler_output_is_a_completed_function_call(store_kind):
    async with asgi(host_with(store_kind, function_call_handler(), **FAST)) as client:
        body = (await create(client)).json()
        (item,) = body["output"]
        assert item["type"] == "function_call" and item["name"] == "get_weather"
        assert item["call_id"] == "call_001" and item["status"] == "completed"
        assert '"Seattle"' in item["arguments"]


# -- one terminal event whatever the handler does ------------------------------------------------------------
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_handler_exception_fails_with_server_error_and_leaks_nothing(store_kind, stream, caplog):
    async with asgi(host_with(store_kind, failing_handler(after_deltas=2), **FAST)) as client:
        reply = await create(client, stream=stream)
        assert reply.status_code == 200  # the response started; its failure is the response's state
        if stream:
            assert "SECRET" not in reply.text
            response = check_complete_stream(parse_sse(reply.content)).data["response"]
        else:
            response = reply.json()
        assert response["status"] == "failed"
        assert response["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["exception"]}
        assert "SECRET" not in reply.text and "hunter2" not in reply.text
        (message,) = response["output"]
        assert message["status"] == "incomplete"  # the open item was closed, partial text kept
        assert message["content"][0]["text"] == "partial0 partial1 "
        assert (await client.get(f"/responses/{response['id']}")).json() == response
    assert any(
        "SECRET-INTERNAL-DETAIL" in r.getMessage() or (r.exc_info and "SECRET" in str(r.exc_info[1]))
        for r in caplog.records
    ), "the traceback goes to the log"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_handler_that_stops_early_is_closed_by_the_runtime_and_logged(store_kind, stream, caplog):
    async with asgi(host_with(store_kind, stopping_early_handler(), **FAST)) as client:
        reply = await create(client, stream=stream)
        if stream:
            sse = parse_sse(reply.content)
            response = check_complete_stream(sse).data["response"]
            tail = sse.types[-4:]
            assert tail == [
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.failed",
            ]
        else:
            response = reply.json()
        assert response["status"] == "failed"
        assert response["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["incomplete"]}
        assert response["output"][0]["status"] == "incomplete"
        assert response["output"][0]["content"][0]["text"] == "half an answ"
    assert any("handler incomplete" in r.getMessage() for r in caplog.records)


async def test_handler_that_yields_nothing_still_gets_created_and_a_terminal_event(store_kind):
    async def silent(request, context, signal):
        return None

    async with asgi(host_with(store_kind, silent, **FAST)) as client:
        sse = parse_sse((await create(client, stream=True)).content)
        check_complete_stream(sse)
        assert sse.types == ["response.created", "response.failed"]
        assert sse.terminal.data["response"]["error"]["code"] == "server_error"


async def test_out_of_order_events_are_rejected_at_the_source_and_the_response_fails_cleanly(store_kind):
    def skips_an_event(request, context, signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        stream.emit_in_progress()  # emitted, never yielded: the next event arrives out of sequence
        yield from stream.output_item_message("x")
        yield stream.emit_completed()

    def yields_junk(request, context, signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield {"type": "response.completed"}

    def foreign_stream(request, context, signal):
        yield ResponseEventStream(request=request).emit_created()

    for handler in (skips_an_event, yields_junk, foreign_stream):
        async with asgi(host_with(store_kind, handler, **FAST)) as client:
            sse = parse_sse((await create(client, stream=True)).content)
            terminal = check_complete_stream(sse)
            assert terminal.event == "response.failed", handler.__name__
            assert terminal.data["response"]["status"] == "failed"
            assert terminal.data["response"]["error"]["code"] == "server_error"


async def test_handler_emitting_an_ordering_violation_fails_cleanly(store_kind):
    def emits_delta_before_in_progress(request, context, signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        message = stream.add_output_item_message()
        yield message.emit_added()  # refused by the stream: items come after in_progress

    async with asgi(host_with(store_kind, emits_delta_before_in_progress, **FAST)) as client:
        response = (await create(client)).json()
        assert response["status"] == "failed"
        assert response["error"]["code"] == "server_error"
        assert "in_progress" not in response["error"]["message"]  # the message is the fixed one


async def test_handler_emitting_incomplete_is_terminal_incomplete(store_kind):
    def incomplete(request, context, signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        yield from stream.output_item_message("cut")
        yield stream.emit_incomplete(reason="max_output_tokens")

    async with asgi(host_with(store_kind, incomplete, **FAST)) as client:
        sse = parse_sse((await create(client, stream=True)).content)
        terminal = check_complete_stream(sse)
        assert terminal.event == "response.incomplete"
        assert terminal.data["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
