"""streaming_upstream: the upstream's stream re-emitted delta by delta (upstream: fake_upstream.py)."""

import pytest
from fake_upstream import USAGE
from sample_support import run_readme, sse_events, start_sample, stream_events

SAMPLE = "streaming_upstream"


@pytest.fixture(scope="module")
def server(upstream):
    with start_sample(SAMPLE, env={"OPENAI_BASE_URL": upstream.url, "OPENAI_API_KEY": "test-key"}) as running:
        yield running


def test_deltas_are_forwarded_as_they_come(client):
    events = stream_events(client, model="tiny-model", input="hello there")
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Upstream", " tiny-model", " heard:", " hello", " there"]
    final = events[-1].response
    assert final.output_text == "Upstream tiny-model heard: hello there"
    assert final.usage.model_dump(exclude_none=True) == USAGE
    assert final.model == "tiny-model"


def test_default_model_and_instructions(client):
    response = client.responses.create(input="hi", instructions="Be brief")
    assert response.output_text == "[Be brief] Upstream gpt-4o-mini heard: hi"
    assert response.model == "gpt-4o-mini"


def test_structured_input_is_forwarded(client):
    response = client.responses.create(
        model="m",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "part one"},
                    {"type": "input_text", "text": "part two"},
                ],
            },
        ],
    )
    assert response.output_text == "Upstream m heard: part one\npart two"


def test_readme_commands(base_url):
    streamed, printed = run_readme(SAMPLE, base_url)
    deltas = [e["delta"] for e in sse_events(streamed) if e["type"] == "response.output_text.delta"]
    assert "".join(deltas) == "Upstream gpt-4o-mini heard: Tell me a short joke."
    assert printed.splitlines() == [
        "[Be brief.] Upstream gpt-4o-mini heard: Tell me a short joke.",
        f"tokens: {USAGE['total_tokens']}",
    ]
