"""getting_started: an echo handler with TextResponse, in every mode."""

from sample_support import event_types, run_readme, sse_events, stream_events

SAMPLE = "getting_started"


def test_default_mode_echoes(client):
    response = client.responses.create(model="echo", input="Hello!")
    assert response.status == "completed"
    assert response.output_text == "Echo: Hello!"
    assert client.responses.retrieve(response.id).output_text == "Echo: Hello!"


def test_streaming_mode_echoes(client):
    events = stream_events(client, model="echo", input=[{"role": "user", "content": "Hi there"}])
    assert event_types(events)[0] == "response.created"
    assert event_types(events)[-1] == "response.completed"
    assert events[-1].response.output_text == "Echo: Hi there"


def test_background_mode_completes(client):
    created = client.responses.create(model="echo", input="later", background=True)
    assert created.status in ("queued", "in_progress")
    replay = list(client.responses.retrieve(created.id, stream=True))  # tails until the terminal event
    assert replay[-1].response.output_text == "Echo: later"


def test_readme_commands(base_url):
    plain, streamed, _ = run_readme(SAMPLE, base_url)
    assert '"text":"Echo: Hello!"' in plain
    assert event_types(sse_events(streamed))[-1] == "response.completed"
