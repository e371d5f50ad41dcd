"""non_streaming_upstream: one upstream call, its output emitted as items (upstream: fake_upstream.py)."""

import json

import pytest
from fake_upstream import USAGE
from sample_support import run_readme, start_sample, stream_events

SAMPLE = "non_streaming_upstream"
TOOLS = [{"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {}}}]


@pytest.fixture(scope="module")
def server(upstream):
    with start_sample(SAMPLE, env={"OPENAI_BASE_URL": upstream.url, "OPENAI_API_KEY": "test-key"}) as running:
        yield running


def test_message_emitted_whole(client):
    events = stream_events(client, model="tiny-model", input="hello there")
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Upstream tiny-model heard: hello there"]  # one upstream call, one delta
    final = events[-1].response
    assert [item.type for item in final.output] == ["message"]
    assert final.usage.model_dump(exclude_none=True) == USAGE


def test_default_mode_with_instructions(client):
    response = client.responses.create(input="hi", instructions="Be brief")
    assert response.output_text == "[Be brief] Upstream gpt-4o-mini heard: hi"


def test_function_call_forwarded(client):
    response = client.responses.create(model="m", input="look it up", tools=TOOLS)
    [call] = response.output
    assert (call.type, call.name, call.call_id) == ("function_call", "lookup", "call_upstream_1")
    assert json.loads(call.arguments) == {"echo": "look it up"}


def test_readme_commands(base_url):
    plain, printed = run_readme(SAMPLE, base_url)
    assert json.loads(plain)["output"][0]["content"][0]["text"] == (
        "Upstream gpt-4o-mini heard: Name three primary colors."
    )
    assert printed.splitlines() == [
        "Upstream gpt-4o-mini heard: Name three primary colors.",
        'function_call lookup_color {"echo": "Look up teal."}',
    ]
