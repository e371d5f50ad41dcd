"""The echoed tools and `context_management`, through the strict ``openai`` client on a real server.

A request that leaves a tool's defaulted settings out gets a ``Response`` stating them (``strict: true``
on a function tool, as the protocol owner's API does), in every mode and after a round trip through
the store; the client (``_strict_response_validation=True``) accepts each one.
"""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from support.hosts import WAIT, echo_handler, host_with
from support.servers import serve_in_thread

from responsekit.models._generated_constants import TOOL_DEFAULTS

OPEN_RESPONSES = json.loads(
    (Path(__file__).resolve().parents[2] / "spec/upstream/openresponses-openapi-2026-04-24.json").read_text()
)
TOOLS = [
    {"type": "function", "name": "get_weather"},
    {
        "type": "function",
        "name": "lookup",
        "parameters": {"type": "object", "properties": {}},
        "strict": False,
    },
    {"type": "web_search"},
    {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.com/sse"},
    {"type": "image_generation", "quality": "high"},
    {"type": "file_search", "vector_store_ids": ["vs_1"]},
]
CONTEXT_MANAGEMENT = [{"type": "compaction", "compact_threshold": 2000}]


@pytest.fixture
def client(store_kind):
    host = host_with(store_kind, echo_handler(), shutdown_grace_period_seconds=0.3)
    with serve_in_thread(host) as running:
        with openai.OpenAI(
            base_url=running.url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
        ) as sdk:
            yield sdk


def check_tools(tools: list) -> None:
    dumped = [tool.model_dump(mode="json", exclude_unset=True) for tool in tools]
    for sent, got in zip(TOOLS, dumped, strict=True):
        assert {key: got[key] for key in sent} == sent  # what the request said wins
        for key, default in TOOL_DEFAULTS.get(sent["type"], {}).items():
            assert got[key] == sent.get(key, default), (sent["type"], key)
    assert dumped[0]["strict"] is True and dumped[1]["strict"] is False
    required = set(OPEN_RESPONSES["components"]["schemas"]["FunctionTool"]["required"])
    assert required <= set(dumped[0]), required - set(dumped[0])


def test_every_mode_echoes_the_tool_defaults_and_context_management(client):
    settings = {"model": "m", "input": "hi", "tools": TOOLS, "context_management": CONTEXT_MANAGEMENT}
    created = client.responses.create(**settings)
    check_tools(created.tools)
    assert created.model_extra["context_management"] == CONTEXT_MANAGEMENT  # not in the SDK's model yet

    with client.responses.stream(**settings) as stream:
        events = list(stream)
    check_tools(events[0].response.tools)
    check_tools(events[-1].response.tools)

    background = client.responses.create(**settings, background=True)
    check_tools(background.tools)
    for rid in (created.id, background.id):
        fetched = client.responses.retrieve(rid)  # from the store
        check_tools(fetched.tools)
        assert fetched.model_extra["context_management"] == CONTEXT_MANAGEMENT


def test_an_invalid_context_management_is_a_400(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(
            model="m", input="hi", context_management=[{"type": "compaction", "compact_threshold": 1}]
        )
    assert info.value.status_code == 400
