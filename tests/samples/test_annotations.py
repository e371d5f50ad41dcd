"""annotations: file_citation, url_citation and file_path annotations on output text."""

from sample_support import run_readme, sse_events, stream_events

SAMPLE = "annotations"


def test_default_mode_annotations(client):
    response = client.responses.create(model="librarian", input="?")
    part = response.output[0].content[0]
    kinds = {a.type: a for a in part.annotations}
    assert list(kinds) == ["file_citation", "url_citation", "file_path"]
    assert part.text[kinds["file_citation"].index :].startswith("report.pdf")
    assert kinds["file_citation"].filename == "report.pdf"
    url = kinds["url_citation"]
    assert part.text[url.start_index : url.end_index] == "Responses API reference" == url.title
    assert part.text[kinds["file_path"].index :].startswith("chart.png")


def test_streaming_annotation_events(client):
    events = stream_events(client, model="librarian", input="?")
    added = [e for e in events if e.type == "response.output_text.annotation.added"]
    assert [e.annotation_index for e in added] == [0, 1, 2]
    assert [e.annotation.type for e in added] == ["file_citation", "url_citation", "file_path"]
    types = [e.type for e in events]
    assert types.index("response.output_text.delta") < types.index("response.output_text.annotation.added")
    assert types.index("response.output_text.annotation.added") < types.index("response.output_text.done")
    final_part = events[-1].response.output[0].content[0]
    assert [a.model_dump() for a in final_part.annotations] == [e.annotation.model_dump() for e in added]


def test_readme_commands(base_url):
    streamed, _ = run_readme(SAMPLE, base_url)
    added = [e for e in sse_events(streamed) if e["type"] == "response.output_text.annotation.added"]
    assert len(added) == 3
