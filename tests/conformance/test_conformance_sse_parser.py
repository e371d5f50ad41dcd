"""The suite's SSE parser: any chunking, any line ending, comments, [DONE], truncation."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from responsekit.conformance.client import SSEFrame, SSEParser


def parse(chunks: list[bytes]) -> tuple[list[SSEFrame], SSEParser]:
    parser = SSEParser()
    frames = []
    for chunk in chunks:
        frames += parser.feed(chunk)
    frames += parser.close()
    return frames, parser


STREAM = (
    b": keep-alive\n\n"
    b'event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n'
    b": keep-alive\n\n"
    b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"caf\xc3\xa9 \xe2\x9c\x93"}\n\n'
    b"data: [DONE]\n\n"
)


def test_whole_stream() -> None:
    frames, parser = parse([STREAM])
    assert [f.event for f in frames] == ["response.created", "response.output_text.delta", None]
    assert json.loads(frames[1].data)["delta"] == "café ✓"
    assert frames[2].data == "[DONE]"
    assert parser.comments == 2
    assert parser.anomalies == []


def test_every_split_point_gives_the_same_frames() -> None:
    # Frames, lines and multi-byte characters split across network chunks at every position.
    expected, _ = parse([STREAM])
    for cut in range(1, len(STREAM)):
        assert parse([STREAM[:cut], STREAM[cut:]])[0] == expected, cut


def test_one_byte_chunks() -> None:
    assert parse([bytes([b]) for b in STREAM])[0] == parse([STREAM])[0]


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), max_size=12))
def test_any_chunking(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert parse(chunks)[0] == parse([STREAM])[0]


def test_crlf_and_cr_line_endings_split_between_cr_and_lf() -> None:
    crlf = STREAM.replace(b"\n", b"\r\n")
    cr = STREAM.replace(b"\n", b"\r")
    expected = parse([STREAM])[0]
    assert parse([crlf])[0] == expected
    assert parse([cr])[0] == expected
    for cut in range(1, len(crlf)):
        assert parse([crlf[:cut], crlf[cut:]])[0] == expected, cut


def test_multiline_data_id_retry_and_bom() -> None:
    frames, parser = parse([b"\xef\xbb\xbfid: 7\nretry: 100\nevent:x\ndata: a\ndata:b\n\n"])
    assert frames == [SSEFrame("x", "a\nb", "7")]
    assert parser.anomalies == []


def test_frame_without_data_is_not_dispatched() -> None:
    frames, _ = parse([b"event: lonely\n\nevent: real\ndata: {}\n\n"])
    assert frames == [SSEFrame("real", "{}")]


def test_truncated_final_frame_is_dropped_and_noted() -> None:
    frames, parser = parse([b'event: a\ndata: {}\n\nevent: b\ndata: {"x":1}'])
    assert [f.event for f in frames] == ["a"]
    assert "ended inside a frame" in parser.anomalies[0]


def test_unknown_field_is_noted() -> None:
    _, parser = parse([b"bogus: 1\ndata: {}\n\n"])
    assert parser.anomalies == ["unknown SSE field 'bogus'"]
