"""image_input: images by URL, base64 data URL and file id, each reported back."""

import base64
import json
import struct
import zlib

from sample_support import run_readme, stream_events

SAMPLE = "image_input"


def png_bytes(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x10\x20\x30" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_three_kinds_reported(client):
    image = png_bytes(3, 2)
    data_url = "data:image/png;base64," + base64.b64encode(image).decode()
    content = [
        {"type": "input_text", "text": "look"},
        {"type": "input_image", "image_url": "https://example.com/a%20b.png?size=large", "detail": "low"},
        {"type": "input_image", "image_url": data_url, "detail": "high"},
        {"type": "input_image", "file_id": "file-xyz", "detail": "auto"},
    ]
    response = client.responses.create(model="vision", input=[{"role": "user", "content": content}])
    assert response.output_text.splitlines() == [
        "Image 1: URL https://example.com/a%20b.png?size=large (detail: low)",
        f"Image 2: inline image/png, {len(image)} bytes, 3x2 pixels (detail: high)",
        "Image 3: file id file-xyz (detail: auto)",
    ]
    # What the server stored is what the client sent.
    stored = client.responses.input_items.list(response.id).data[0]
    assert stored.content[2].image_url == data_url


def test_streaming_and_no_images(client):
    events = stream_events(client, model="vision", input="just text")
    assert events[-1].response.output_text == "No images received."


def test_readme_commands(base_url):
    plain, _ = run_readme(SAMPLE, base_url)
    assert json.loads(plain)["output"][0]["content"][0]["text"].splitlines() == [
        "Image 1: URL https://example.com/cat.png (detail: low)",
        "Image 2: inline image/png, 69 bytes, 1x1 pixels (detail: auto)",
        "Image 3: file id file-abc123 (detail: high)",
    ]
