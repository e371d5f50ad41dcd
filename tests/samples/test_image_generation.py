"""image_generation: partial images and the final result are valid PNGs, in both variants."""

import base64
import struct
import zlib

import pytest
from sample_support import run_readme, sse_events, stream_events

SAMPLE = "image_generation"
VARIANTS = [{}, {"variant": "builder"}]


def decode_png(b64: str) -> tuple[int, int, bytes]:
    """Check a base64 PNG chunk by chunk (signature, CRCs, IHDR, IDAT size); returns (w, h, pixels)."""
    data = base64.b64decode(b64, validate=True)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert [k for k, _ in chunks][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, color, _, _, _ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color) == (8, 2)  # 8-bit RGB
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    assert len(pixels) == height * (1 + 3 * width)
    return width, height, pixels


@pytest.mark.parametrize("metadata", VARIANTS, ids=["convenience", "builder"])
def test_streamed_partials_and_result(client, metadata):
    events = stream_events(client, model="painter", input="Paint a sunset", metadata=metadata)
    types = [e.type for e in events]
    assert types[2:5] == [
        "response.output_item.added",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
    ]
    partials = [e for e in events if e.type == "response.image_generation_call.partial_image"]
    assert [p.partial_image_index for p in partials] == [0, 1]
    images = [decode_png(p.partial_image_b64) for p in partials]
    item = events[-1].response.output[0]
    assert item.type == "image_generation_call" and item.status == "completed"
    final = decode_png(item.result)
    assert all(image[:2] == (64, 64) for image in [*images, final])
    assert len({image[2] for image in [*images, final]}) == 3  # coarse previews differ from the result
    assert types[-3:] == [
        "response.image_generation_call.completed",
        "response.output_item.done",
        "response.completed",
    ]


def test_both_variants_same_image(client):
    results = [
        client.responses.create(model="painter", input="sunset", metadata=m).output[0].result
        for m in VARIANTS
    ]
    assert results[0] == results[1]
    decode_png(results[0])


def test_readme_commands(base_url):
    streamed, _ = run_readme(SAMPLE, base_url)
    partials = [
        e for e in sse_events(streamed) if e["type"] == "response.image_generation_call.partial_image"
    ]
    assert [decode_png(e["partial_image_b64"])[:2] for e in partials] == [(64, 64), (64, 64)]
