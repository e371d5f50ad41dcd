"""full_control: convenience, async streaming and builder produce the same events (modulo ids)."""

from typing import Any

import pytest
from sample_support import run_readme, sse_events, stream_events

SAMPLE = "full_control"
WAYS = ["convenience", "streaming", "builder"]
VARYING = {"id", "item_id", "created_at", "completed_at", "metadata"}


def normalized(value: Any) -> Any:
    """The event with what differs between two responses (ids, times, the echoed metadata) blanked."""
    if isinstance(value, dict):
        return {k: "*" if k in VARYING else normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def test_three_ways_same_event_sequence(client):
    sequences = [
        [
            normalized(e.model_dump(mode="json"))
            for e in stream_events(client, model="greeter", input="hi", metadata={"way": way})
        ]
        for way in WAYS
    ]
    assert sequences[0] == sequences[1] == sequences[2]
    assert sequences[0][-1]["type"] == "response.completed"
    assert len(sequences[0]) == 9


@pytest.mark.parametrize("way", WAYS)
def test_default_mode(client, way):
    response = client.responses.create(model="greeter", input="hi", metadata={"way": way})
    assert response.output_text == "Hello, world!"
    assert response.metadata == {"way": way}


def test_readme_commands(base_url):
    streamed, _ = run_readme(SAMPLE, base_url)
    events = sse_events(streamed)
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "Hello, world!"
