"""Request-handling options: unknown top-level fields are ignored unless the server rejects them."""

from __future__ import annotations

import asyncio

import httpx

from responsekit import ResponsesAgentServerHost, ResponsesServerOptions, TextResponse


def _host(**options: object) -> ResponsesAgentServerHost:
    host = ResponsesAgentServerHost(options=ResponsesServerOptions(**options))

    @host.response_handler
    async def echo(request, context, cancellation_signal):
        return TextResponse(context, request, text="ok")

    return host


def _post(host: ResponsesAgentServerHost, body: dict) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=host)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/responses", json=body)

    return asyncio.run(go())


def test_unknown_top_level_fields_are_ignored_by_default() -> None:
    reply = _post(_host(), {"input": "hi", "a_field_from_the_future": {"x": 1}})
    assert reply.status_code == 200
    assert reply.json()["status"] == "completed"
    assert "a_field_from_the_future" not in reply.json()


def test_reject_unknown_fields_answers_400_naming_the_field() -> None:
    reply = _post(_host(reject_unknown_fields=True), {"input": "hi", "temprature": 0.5})
    assert reply.status_code == 400
    assert reply.json() == {
        "error": {
            "message": "Unrecognized request argument supplied: temprature.",
            "type": "invalid_request_error",
            "param": "temprature",
            "code": "unknown_parameter",
        }
    }


def test_reject_unknown_fields_still_accepts_every_protocol_field() -> None:
    body = {
        "input": "hi",
        "model": "m",
        "metadata": {"k": "v"},
        "temperature": 0.2,
        "store": True,
        "instructions": "be brief",
        "parallel_tool_calls": False,
        "max_output_tokens": 64,
    }
    assert _post(_host(reject_unknown_fields=True), body).status_code == 200


def test_the_handler_reads_the_request_as_a_model_and_as_its_json_object() -> None:
    # The peer package hands handlers a plain dict; code written for it reads request["model"].
    seen: dict = {}
    host = ResponsesAgentServerHost()

    @host.response_handler
    async def handler(request, context, cancellation_signal):
        seen["model"] = request["model"]
        seen["metadata"] = request.get("metadata")
        seen["missing"] = request.get("instructions", "none given")
        seen["has_tools"] = "tools" in request
        seen["future_field"] = request["a_field_from_the_future"]
        seen["input_type"] = type(request.input).__name__  # attribute access stays typed
        return TextResponse(context, request, text="ok")

    body = {"model": "m-1", "input": "hi", "metadata": {"k": "v"}, "a_field_from_the_future": 7}
    assert _post(host, body).status_code == 200
    assert seen == {
        "model": "m-1",
        "metadata": {"k": "v"},
        "missing": "none given",
        "has_tools": False,
        "future_field": 7,
        "input_type": "str",
    }
