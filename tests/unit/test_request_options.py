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
