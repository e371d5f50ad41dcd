"""ResponseContext as a handler sees it, and ResponsesServerOptions validation."""

from __future__ import annotations

import math

import pytest
from http_helpers import asgi, create
from support.hosts import Probe, host_with, make_host

from responsekit import ResponsesAgentServerHost, ResponsesServerOptions, TextResponse
from responsekit.models import _generated as models

pytestmark = pytest.mark.anyio


def _capturing(probe: Probe):
    async def handler(request, context, signal):
        probe.note(
            {
                "response_id": context.response_id,
                "user_key": context.isolation.user_key,
                "chat_key": context.isolation.chat_key,
                "client_headers": dict(context.client_headers),
                "query": dict(context.query_parameters),
                "items": await context.get_input_items(),
                "text": await context.get_input_text(),
                "shutdown": context.is_shutdown_requested,
                "signal": signal.is_set(),
            }
        )
        return TextResponse(context, request, text="ok")

    return handler


async def test_context_carries_isolation_client_headers_query_and_input(store_kind):
    probe = Probe()
    headers = {
        "x-agent-user-isolation-key": "u-1",
        "x-agent-chat-isolation-key": "c-1",
        "X-Client-Trace": "abc",
        "x-client-Tenant-ID": "t9",
        "x-other": "no",
        "authorization": "Bearer s",
    }
    items = [
        {"role": "user", "content": "first"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "second"}]},
        {"type": "function_call_output", "call_id": "c1", "output": "tool says hi"},
        {"role": "assistant", "content": "not user text"},
    ]
    async with asgi(host_with(store_kind, _capturing(probe))) as client:
        reply = await client.post(
            "/responses?api-version=2025-01&flag", json={"model": "m", "input": items}, headers=headers
        )
        (seen,) = probe.notes
        assert seen["response_id"] == reply.json()["id"]
        assert (seen["user_key"], seen["chat_key"]) == ("u-1", "c-1")
        assert seen["client_headers"] == {"x-client-trace": "abc", "x-client-tenant-id": "t9"}
        assert seen["query"] == {"api-version": "2025-01", "flag": ""}
        assert seen["text"] == "first\nsecond"
        assert seen["shutdown"] is False and seen["signal"] is False
        typed = seen["items"]
        assert [type(i).__name__ for i in typed][:2] != ["dict", "dict"]
        assert all(not isinstance(i, dict) for i in typed), typed
        assert [i.type for i in typed] == ["message", "message", "function_call_output", "message"]
        page = (
            await client.get(f"/responses/{seen['response_id']}/input_items?order=asc", headers=headers)
        ).json()["data"]
        assert [i.id for i in typed] == [i["id"] for i in page]
        # both halves hold: the item is exactly that model, and its call_id reads "c1" (a plain str, or
        # a RootModel wrapping one while the generated models still wrap constrained strings)
        assert type(typed[2]) is models.FunctionCallOutputItemParam, type(typed[2])
        assert getattr(typed[2].call_id, "root", typed[2].call_id) == "c1", typed[2].call_id


@pytest.mark.parametrize(
    ("headers", "user_key", "chat_key"),
    [
        ({}, None, None),
        ({"x-agent-user-id": "legacy"}, "legacy", None),
        ({"x-agent-user-isolation-key": "same", "x-agent-user-id": "same"}, "same", None),
        ({"x-agent-user-isolation-key": "", "x-agent-chat-isolation-key": ""}, None, None),
        ({"x-agent-chat-isolation-key": "chat"}, None, "chat"),
    ],
)
async def test_isolation_keys_come_from_the_agent_headers(store_kind, headers, user_key, chat_key):
    probe = Probe()
    async with asgi(host_with(store_kind, _capturing(probe))) as client:
        await create(client, headers=headers)
        (seen,) = probe.notes
        assert (seen["user_key"], seen["chat_key"]) == (user_key, chat_key)


# -- options ------------------------------------------------------------------------------------------------
def test_default_options():
    options = ResponsesServerOptions(store_url="memory")
    assert options.sse_keep_alive_interval_seconds == 15.0
    assert options.shutdown_grace_period_seconds == 10.0
    assert options.max_request_body_bytes == 16 * 1024 * 1024
    assert options.default_model is None and options.route_prefix == ""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sse_keep_alive_interval_seconds", 0),
        ("sse_keep_alive_interval_seconds", -1),
        ("sse_keep_alive_interval_seconds", math.inf),
        ("sse_keep_alive_interval_seconds", "15"),
        ("shutdown_grace_period_seconds", -0.5),
        ("shutdown_grace_period_seconds", math.nan),
        ("shutdown_grace_period_seconds", True),
        ("response_retention_seconds", 0),
        ("event_log_retention_seconds", -3),
        ("lease_seconds", 0),
        ("default_fetch_history_count", -2),
        ("default_fetch_history_count", 1.5),
        ("max_stored_responses", 0),
        ("max_stored_responses", "10"),
        ("max_request_body_bytes", 0),
        ("max_request_body_bytes", 2.0),
        ("default_model", 5),
        ("route_prefix", "v1"),
        ("route_prefix", "/v1/"),
        ("route_prefix", 3),
        ("store_url", "postgres://x"),
        ("cancellation_grace_period_seconds", -1),
        ("reject_unknown_fields", "yes"),
    ],
)
def test_invalid_option_fails_at_construction_naming_the_option(name, value):
    with pytest.raises(ValueError, match=name):
        ResponsesServerOptions(**{name: value})


def test_shutdown_grace_zero_is_allowed():
    assert (
        ResponsesServerOptions(
            shutdown_grace_period_seconds=0, store_url="memory"
        ).shutdown_grace_period_seconds
        == 0
    )


def test_invalid_host_prefix_fails_naming_it():
    with pytest.raises(ValueError, match="prefix"):
        ResponsesAgentServerHost(prefix="v1/", options=ResponsesServerOptions(store_url="memory"))


async def test_route_prefix_option_moves_the_protocol_routes(store_kind):
    host = make_host(store_kind, route_prefix="/v1")
    host.response_handler(_capturing(Probe()))
    async with asgi(host) as client:
        reply = await client.post("/v1/responses", json={"input": "x"})
        assert reply.status_code == 200
        rid = reply.json()["id"]
        assert (await client.get(f"/v1/responses/{rid}")).status_code == 200
        assert (await client.post("/responses", json={"input": "x"})).status_code == 404
        assert (await client.get("/readiness")).status_code == 200


async def test_health_probes(store_kind):
    async with asgi(host_with(store_kind, _capturing(Probe()))) as client:
        ready = await client.get("/readiness")
        live = await client.get("/liveness")
        assert ready.status_code == 200 and live.status_code == 200
        assert ready.headers["content-type"].startswith("application/json")


async def test_no_handler_registered_is_an_envelope_not_a_crash(store_kind):
    async with asgi(make_host(store_kind)) as client:
        reply = await create(client)
        assert reply.status_code == 500
        assert set(reply.json()["error"]) == {"message", "type", "param", "code"}
