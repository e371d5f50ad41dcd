"""function_calling: turn 1 returns a function_call; turn 2 with its output returns the answer."""

import json

import pytest
from sample_support import run_readme, stream_events

SAMPLE = "function_calling"
VARIANTS = [{}, {"variant": "builder"}]


@pytest.mark.parametrize("metadata", VARIANTS, ids=["convenience", "builder"])
def test_two_turns_with_previous_response_id(client, metadata):
    first = client.responses.create(model="weather", input="What's the weather in Oslo?", metadata=metadata)
    assert [item.type for item in first.output] == ["function_call"]
    call = first.output[0]
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"location": "Oslo", "unit": "fahrenheit"}
    assert call.call_id.startswith("call_")

    second = client.responses.create(
        model="weather",
        previous_response_id=first.id,
        metadata=metadata,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "-3C and snowing"}],
    )
    assert [item.type for item in second.output] == ["message"]
    assert second.output_text == "Here is the weather: -3C and snowing"


@pytest.mark.parametrize("metadata", VARIANTS, ids=["convenience", "builder"])
def test_streaming_turns(client, metadata):
    events = stream_events(client, model="weather", input="What's the weather in Lima?", metadata=metadata)
    deltas = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(deltas) == json.loads(done.arguments) == {"location": "Lima", "unit": "fahrenheit"}
    if metadata:  # the builder variant streams the arguments in pieces
        assert sum(e.type == "response.function_call_arguments.delta" for e in events) > 1
    call = events[-1].response.output[0]

    # Turn 2 without previous_response_id: the client sends the conversation itself.
    events = stream_events(
        client,
        model="weather",
        metadata=metadata,
        input=[
            {"role": "user", "content": "What's the weather in Lima?"},
            call.model_dump(exclude_none=True),
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
        ],
    )
    assert events[-1].response.output_text == "Here is the weather: sunny"


def test_readme_commands(base_url):
    turn1, turn2, _ = run_readme(SAMPLE, base_url)
    call = json.loads(turn1)["output"][0]
    assert call["type"] == "function_call" and json.loads(call["arguments"])["location"] == "Paris"
    assert json.loads(turn2)["output"][0]["content"][0]["text"] == "Here is the weather: 64F and cloudy"
