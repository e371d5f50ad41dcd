"""multi_output: a reasoning item, then a message, in one response."""

import json

from sample_support import event_types, run_readme, stream_events

SAMPLE = "multi_output"


def test_default_mode_has_reasoning_then_message(client):
    response = client.responses.create(model="thinker", input="Why?")
    assert [item.type for item in response.output] == ["reasoning", "message"]
    assert response.output[0].summary[0].text == "The user asked 'Why?'. A short answer will do."
    assert response.output_text == "Here is my answer to 'Why?': 42."


def test_streaming_events_in_item_order(client):
    events = stream_events(client, model="thinker", input="Why?")
    added = [(e.output_index, e.item.type) for e in events if e.type == "response.output_item.added"]
    assert added == [(0, "reasoning"), (1, "message")]
    types = event_types(events)
    assert types.index("response.reasoning_summary_text.delta") < types.index("response.output_text.delta")
    assert events[-1].response.output_text == "Here is my answer to 'Why?': 42."


def test_readme_commands(base_url):
    plain, _ = run_readme(SAMPLE, base_url)
    assert [item["type"] for item in json.loads(plain)["output"]] == ["reasoning", "message"]
