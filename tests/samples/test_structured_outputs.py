"""structured_outputs: JSON data in a `structured_outputs` item.

The item type is a protocol extension the `openai` package's types do not know, so the strict
client cannot parse these responses: the tests read the raw JSON and SSE through the strict
client's raw-response API, and check that every other part of the response validates.
"""

import json

import openai
import pytest
from openai.types.responses import Response
from sample_support import run_readme, sse_events

SAMPLE = "structured_outputs"
EXPECTED = {"text": "Is this a question?", "word_count": 4, "longest_word": "question?", "is_question": True}


def test_default_mode_item(client):
    raw = client.responses.with_raw_response.create(model="stats", input="Is this a question?")
    body = json.loads(raw.text)
    assert body["status"] == "completed"
    [item] = body["output"]
    assert item["type"] == "structured_outputs" and item["id"]
    assert item["output"] == EXPECTED
    # Everything but the extension item is a valid Response.
    Response.model_validate({**body, "output": []}, strict=False)
    with pytest.raises(openai.APIResponseValidationError):
        raw.parse()


def test_streaming_events(client):
    raw = client.responses.with_raw_response.create(model="stats", input="Is this a question?", stream=True)
    events = sse_events(raw.http_response.read().decode())
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[3]["item"]["output"] == EXPECTED
    assert events[-1]["response"]["output"] == [events[3]["item"]]


def test_readme_commands(base_url):
    plain, _ = run_readme(SAMPLE, base_url, strict=False)  # the strict client rejects the extension item
    assert json.loads(plain)["output"][0]["output"]["longest_word"] == "longest"
