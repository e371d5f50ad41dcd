"""The peer package's current API (azure-ai-agentserver-responses 2.x), so its code ports by the
import line: stream seeding, internal metadata and checkpoints, the aio stream, the new options and
host arguments, the context's recovery attributes, data URLs, model names and the store protocol."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

import responsekit
from responsekit import (
    ResponseEventStream,
    ResponseProviderProtocol,
    ResponsesAgentServerHost,
    ResponsesServerOptions,
    Store,
    TextResponse,
    data_url,
)
from responsekit.store import MemoryStore
from responsekit.streaming.checkpoint import Checkpoint

pytestmark = pytest.mark.anyio

SEED = {
    "id": "resp_seed",
    "object": "response",
    "status": "in_progress",
    "model": "m",
    "metadata": {"k": "v"},
    "output": [
        {
            "id": "msg_kept",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "phase 1", "annotations": []}],
        }
    ],
}


# -- 2. seeding, stream.response, internal_metadata, checkpoint ------------------------------------------
def test_seeded_stream_keeps_the_items_and_their_ids():
    stream = ResponseEventStream(response_id="resp_seed", response=SEED)
    events = [stream.emit_created(), stream.emit_in_progress(), *stream.output_item_message("phase 2")]
    added = [e for e in events if e.type == "response.output_item.added"]
    assert [e.output_index for e in added] == [1]
    final = stream.emit_completed()
    output = final.data["response"]["output"]
    assert [item["id"] for item in output][0] == "msg_kept" and len(output) == 2
    assert final.data["response"]["metadata"] == {"k": "v"}
    assert stream.response.metadata == {"k": "v"}


def test_seeding_takes_the_id_from_the_response_and_refuses_request_too():
    assert ResponseEventStream(response=SEED).response_id == "resp_seed"
    from responsekit.models import Response

    first = ResponseEventStream(response_id="resp_seed")
    first.emit_created()
    first.emit_in_progress()
    item_ids = [
        e.item["id"] for e in first.output_item_message("kept") if e.type == "response.output_item.done"
    ]
    model = Response.model_validate(first.emit_completed().data["response"])  # e.g. persisted_response
    seeded = ResponseEventStream(response_id="resp_seed", response=model)
    assert [item["id"] for item in seeded.snapshot["output"]] == item_ids
    with pytest.raises(ValueError):
        ResponseEventStream(response_id="resp_x", request={"model": "m"}, response=SEED)


def test_internal_metadata_never_reaches_the_wire_and_travels_with_checkpoints():
    stream = ResponseEventStream(response_id="resp_1")
    stream.internal_metadata["phase"] = 2
    created = stream.emit_created()
    assert b"phase" not in created.json
    marker = stream.checkpoint()
    assert isinstance(marker, Checkpoint) and marker.internal_metadata == {"phase": 2}
    stream.internal_metadata["phase"] = 3
    assert marker.internal_metadata == {"phase": 2}  # a copy, taken at the checkpoint
    assert stream.sequence_number == 1  # a checkpoint is not an event


class _SpyRecords:
    """A record store that says it is durable (so checkpoints persist), recording saves."""

    durable = True

    def __init__(self, inner):
        self._inner = inner
        self.saved: list[list[str]] = []

    def __getattr__(self, name):
        return getattr(self._inner, name)

    async def save_snapshot(self, response_id, snapshot):
        self.saved.append([item["id"] for item in snapshot["output"]])
        await self._inner.save_snapshot(response_id, snapshot)


def _checkpointing_handler():
    async def handler(request, context, signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.checkpoint()  # before anything was emitted: ignored
        yield stream.emit_created()
        yield stream.emit_in_progress()
        for event in stream.output_item_message("one"):
            yield event
        stream.internal_metadata["phase"] = 1
        yield stream.checkpoint()
        yield stream.emit_completed()
        yield stream.checkpoint()  # after the terminal event: dropped

    return handler


async def _run(host: ResponsesAgentServerHost, **body):
    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await host.startup()
        try:
            return await client.post("/responses", json={"model": "m", "input": "hi", **body})
        finally:
            await host.shutdown()


async def test_checkpoint_persists_on_a_durable_store_and_is_not_an_event():
    store = MemoryStore()
    spy = _SpyRecords(store.records)
    store.records = spy
    host = ResponsesAgentServerHost(store=store)
    host.response_handler(_checkpointing_handler())
    reply = await _run(host, stream=True)
    body = reply.text
    assert "checkpoint" not in body and body.count("event: ") == 9
    message_id = [ids for ids in spy.saved if ids][0][0]
    # created, in_progress, output_item.done refresh the snapshot as before; the checkpoint once more
    assert spy.saved.count([message_id]) == 2


async def test_checkpoint_is_a_no_op_on_the_memory_store():
    host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory"))
    host.response_handler(_checkpointing_handler())
    reply = await _run(host)
    assert reply.json()["status"] == "completed"


# -- 3. aio -----------------------------------------------------------------------------------------
async def test_aio_stream_generators_are_async_and_take_chunks():
    from responsekit.aio import ResponseEventStream as AsyncStream

    async def chunks():
        for chunk in ("Hel", "lo"):
            yield chunk

    stream = AsyncStream(response_id="resp_a")
    events = [stream.emit_created(), stream.emit_in_progress()]
    async for event in stream.output_item_message(chunks()):
        events.append(event)
    async for event in stream.output_item_reasoning_item("why"):
        events.append(event)
    async for event in stream.output_item_function_call("f", "call_1", chunks()):
        events.append(event)
    async for event in stream.output_item_function_call_output("call_1", "out"):
        events.append(event)
    async for event in stream.output_item_structured_outputs({"a": 1}):
        events.append(event)
    events.append(stream.emit_completed())
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Hel", "lo"]
    output = events[-1].data["response"]["output"]
    assert [item["type"] for item in output][:4] == [
        "message",
        "reasoning",
        "function_call",
        "function_call_output",
    ]
    assert output[2]["arguments"] == "Hello"
    assert isinstance(stream, responsekit.ResponseEventStream)


# -- 4. options and host arguments --------------------------------------------------------------------
def test_new_options_are_accepted_and_checked():
    hook = lambda *args, **kwargs: None  # noqa: E731
    options = ResponsesServerOptions(
        additional_server_version=" my-agent/1.2 ", create_span_hook=hook, resilient_background=False
    )
    assert options.additional_server_version == "my-agent/1.2" and options.create_span_hook is hook
    for bad in (
        {"additional_server_version": 3},
        {"additional_server_version": "a\nb"},
        {"create_span_hook": "nope"},
        {"resilient_background": "yes"},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ResponsesServerOptions(**bad)


async def test_additional_server_version_is_sent_in_x_platform_server():
    host = ResponsesAgentServerHost(options=ResponsesServerOptions(additional_server_version="agent/9"))
    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        reply = await client.get("/readiness")
    assert reply.headers["x-platform-server"] == f"responsekit/{responsekit.__version__} agent/9"
    plain = ResponsesAgentServerHost()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=plain), base_url="http://t") as client:
        assert "x-platform-server" not in (await client.get("/readiness")).headers


async def test_resilient_background_on_the_memory_store_is_a_startup_error():
    host = ResponsesAgentServerHost(
        options=ResponsesServerOptions(resilient_background=True, store_url="memory")
    )
    with pytest.raises(ValueError, match="resilient_background"):
        await host.startup()


def test_log_level_sets_responsekit_logger():
    logger = logging.getLogger("responsekit")
    before = logger.level
    try:
        ResponsesAgentServerHost(log_level="DEBUG")
        assert logger.level == logging.DEBUG
        ResponsesAgentServerHost(log_level=logging.WARNING)
        assert logger.level == logging.WARNING
        with pytest.raises(ValueError, match="log_level"):
            ResponsesAgentServerHost(log_level="LOUD")
    finally:
        logger.setLevel(before)


# -- 5. context ------------------------------------------------------------------------------------
async def test_context_recovery_attributes_and_chain_id():
    seen = {}

    async def handler(request, context, signal):
        seen.update(
            recovery=context.is_recovery,
            persisted=context.persisted_response,
            chain=context.conversation_chain_id,
            rid=context.response_id,
            conversation=context.conversation_id,
        )
        try:
            await context.exit_for_recovery()
        except RuntimeError as exc:
            seen["exit"] = str(exc)
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_completed()

    host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory"))
    host.response_handler(handler)
    reply = await _run(host)
    assert reply.json()["status"] == "completed"
    assert seen["recovery"] is False and seen["persisted"] is None and seen["conversation"] is None
    assert seen["chain"] == seen["rid"] and "resilient" in seen["exit"]
    chains = []
    for user in ("alice", "alice", "bob"):
        host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory"))
        host.response_handler(handler)
        transport = httpx.ASGITransport(app=host)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await host.startup()
            try:
                await client.post(
                    "/responses",
                    json={"model": "m", "input": "hi", "conversation": "conv_1"},
                    headers={"x-agent-user-isolation-key": user},
                )
            finally:
                await host.shutdown()
        chains.append(seen["chain"])
        assert seen["conversation"] == "conv_1"
    assert chains[0] == chains[1] != chains[2] and chains[0].startswith("cchain_")


async def test_exit_for_recovery_uncaught_fails_the_response():
    async def handler(request, context, signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        await context.exit_for_recovery()

    host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory"))
    host.response_handler(handler)
    body = (await _run(host)).json()
    assert body["status"] == "failed" and body["error"]["code"] == "server_error"


# -- 6. data URLs and model names -------------------------------------------------------------------------
def test_data_url_module_and_alias():
    import responsekit._data_url as private

    png = "data:image/png;base64,aGVsbG8="
    for module in (data_url, private):
        assert module.is_data_url(png) and module.is_data_url("DATA:,x") and not module.is_data_url(None)
        assert not module.is_data_url("https://x")
        assert module.get_media_type(png) == "image/png"
        assert module.get_media_type("data:,abc") is None
        assert (
            module.get_media_type("data:text/plain;charset=utf-8;base64,eA==") == "text/plain;charset=utf-8"
        )
        assert module.get_media_type("https://x") is None and module.get_media_type(None) is None
        assert module.try_decode_bytes(png) == b"hello"
        assert module.try_decode_bytes("data:,a%20b") == b"a b"
        assert module.try_decode_bytes("data:image/png;base64,@@@") is None
        assert module.try_decode_bytes("data:no-comma") is None
        assert module.try_decode_bytes(None) is None and module.try_decode_bytes("x") is None
        assert module.decode_bytes(png) == b"hello"
        with pytest.raises(ValueError):
            module.decode_bytes("nope")


def test_models_export_every_generated_model_and_the_peer_names():
    from responsekit import models
    from responsekit.models import _generated

    generated = {
        name
        for name, value in vars(_generated).items()
        if getattr(value, "__module__", None) == _generated.__name__
    }
    assert generated <= set(models.__all__)
    assert models.ItemMessage is _generated.EasyInputMessage  # an input message: role, content
    assert models.MessageContentInputImageContent is _generated.InputImageContent
    assert models.StructuredOutputsOutputItem is _generated.StructuredOutputsItem
    for alias in models.PEER_ALIASES:
        assert alias in models.__all__ and isinstance(getattr(models, alias), type)
    image = models.MessageContentInputImageContent.model_validate(
        {"type": "input_image", "image_url": "data:image/png;base64,aGk=", "detail": "auto"}
    )
    assert data_url.try_decode_bytes(image.image_url) == b"hi"


# -- 7. the store protocol ----------------------------------------------------------------------------
def test_response_provider_protocol_is_the_store_protocol():
    assert ResponseProviderProtocol is Store
    assert isinstance(MemoryStore(), ResponseProviderProtocol)
    assert responsekit.InMemoryResponseProvider is MemoryStore


async def test_handlers_may_be_written_against_the_aio_stream_end_to_end():
    from responsekit.aio import ResponseEventStream as AsyncStream

    async def handler(request, context, signal):
        stream = AsyncStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()

        async def tokens():
            for token in ("a", "b"):
                await asyncio.sleep(0)
                yield token

        async for event in stream.output_item_message(tokens()):
            yield event
        yield stream.emit_completed()

    host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory"))
    host.response_handler(handler)
    body = (await _run(host)).json()
    assert body["output"][0]["content"][0]["text"] == "ab"


def test_models_read_like_their_json_as_the_peers_dict_models_do():
    from responsekit import models

    item = models.ItemMessage.model_validate(
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "look"},
                {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "auto"},
            ],
        }
    )
    assert item.get("type") == "message" and item["role"] == "user" and "content" in item
    assert item.get("missing", 7) == 7 and "status" not in item
    parts = item.get("content")
    assert all(isinstance(part, dict) for part in parts)  # nested values are plain JSON
    assert parts[1]["image_url"] == "https://example.com/a.png"
    assert item.as_dict() == item.to_dict() == {"type": "message", "role": "user", "content": parts}
    assert item.content[0].text == "look"  # attribute access stays typed
    with pytest.raises(KeyError):
        item["missing"]


def test_emit_created_takes_the_peers_status_argument():
    stream = ResponseEventStream(response_id="resp_q", request={"model": "m", "background": False})
    assert stream.emit_created(status="queued").data["response"]["status"] == "queued"
    assert stream.emit_in_progress().data["response"]["status"] == "in_progress"
    with pytest.raises(responsekit.StreamOrderError):
        ResponseEventStream(response_id="resp_q").emit_created(status="completed")
    assert (
        ResponseEventStream(response_id="resp_q").emit_created().data["response"]["status"] == "in_progress"
    )


def test_default_fetch_history_count_minus_one_reads_the_whole_history():
    options = ResponsesServerOptions(default_fetch_history_count=-1, max_recovery_attempts=0)
    assert options.history_limit > 100_000 and options.max_recovery_attempts == 0
    assert ResponsesServerOptions(default_fetch_history_count=7).history_limit == 7
    for bad in ({"default_fetch_history_count": -2}, {"max_recovery_attempts": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ResponsesServerOptions(**bad)


async def test_whole_history_reaches_the_handler_past_the_default_count():
    seen = []

    async def handler(request, context, signal):
        seen.append(len(await context.get_history()))
        return TextResponse(context, request, text="ok")

    host = ResponsesAgentServerHost(options=ResponsesServerOptions(default_fetch_history_count=-1))
    host.response_handler(handler)
    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await host.startup()
        try:
            previous = None
            for _ in range(3):  # 60 input items each, past the default count (100) by the third
                body = {"model": "m", "input": [{"role": "user", "content": "x"}] * 60}
                if previous:
                    body["previous_response_id"] = previous
                previous = (await client.post("/responses", json=body)).json()["id"]
        finally:
            await host.shutdown()
    assert seen == [0, 61, 122]  # each earlier turn's 60 inputs and its one output message


def test_the_live_response_reads_like_a_dict_where_the_peer_code_does():
    stream = ResponseEventStream(response_id="resp_" + "a" * 48, request={"model": "m"})
    assert stream.response.get("model") == "m" and stream.response.get("nope", 1) == 1
    assert "metadata" in stream.response and "nope" not in stream.response
