"""file_inputs: files by base64 data, URL and file id, each reported back."""

import base64
import json

from sample_support import run_readme, stream_events

SAMPLE = "file_inputs"


def test_three_kinds_reported(client):
    pdf = b"%PDF-1.4\n" + bytes(range(256))
    content = [
        {"type": "input_text", "text": "read"},
        {
            "type": "input_file",
            "filename": "a.pdf",
            "file_data": "data:application/pdf;base64," + base64.b64encode(pdf).decode(),
        },
        {
            "type": "input_file",
            "filename": "todo.md",
            "file_data": "data:text/markdown;base64," + base64.b64encode(b"# Todo\n- test\n").decode(),
        },
        {"type": "input_file", "file_url": "https://example.com/x.csv"},
        {"type": "input_file", "file_id": "file-42"},
    ]
    response = client.responses.create(model="reader", input=[{"role": "user", "content": content}])
    assert response.output_text.splitlines() == [
        f"File 1: a.pdf (application/pdf, {len(pdf)} bytes)",
        "File 2: todo.md (text/markdown, 14 bytes), first line: '# Todo'",
        "File 3: URL https://example.com/x.csv",
        "File 4: file id file-42",
    ]


def test_streaming_and_no_files(client):
    events = stream_events(client, model="reader", input="nothing attached")
    assert events[-1].response.output_text == "No files received."


def test_readme_commands(base_url):
    plain, _ = run_readme(SAMPLE, base_url)
    assert json.loads(plain)["output"][0]["content"][0]["text"].splitlines()[1:] == [
        "File 2: URL https://example.com/report.pdf",
        "File 3: file id file-abc123",
    ]
