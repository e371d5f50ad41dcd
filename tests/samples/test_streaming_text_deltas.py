"""streaming_text_deltas: one delta per chunk of the async iterable, and the configure callback."""

from sample_support import run_readme, sse_events, stream_events

SAMPLE = "streaming_text_deltas"


def test_one_delta_per_word(client):
    events = stream_events(client, model="words", input="one two three")
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["You", " said:", " one", " two", " three"]
    final = events[-1].response
    assert final.output_text == "".join(deltas)
    assert final.metadata == {"streamed": "word-by-word"}


def test_default_mode_and_request_metadata_kept(client):
    response = client.responses.create(model="words", input="hello", metadata={"user": "ada"})
    assert response.output_text == "You said: hello"
    assert response.metadata == {"user": "ada", "streamed": "word-by-word"}


def test_readme_commands(base_url):
    streamed, _ = run_readme(SAMPLE, base_url)
    deltas = [e["delta"] for e in sse_events(streamed) if e["type"] == "response.output_text.delta"]
    assert deltas == ["You", " said:", " streaming", " is", " fun"]
