"""The tests' one SSE parser: strict, incremental, for every test package.

It is deliberately strict about framing: the runtime promises ``event: <type>`` then
``data: <json>`` then a blank line for every event, ``: ...`` comments for keep-alives and one
``data: [DONE]`` after the terminal event, so anything else is a failure, not something to tolerate.
(The conformance suite's own, lenient parser is product code: responsekit.conformance.sse.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from support.polling import WAIT, poll

TERMINAL_TYPES = {"response.completed", "response.failed", "response.incomplete"}


@dataclass
class Frame:
    event: str
    data: dict[str, Any]
    raw: bytes  # the frame's exact bytes, blank line included

    @property
    def seq(self) -> int:
        return self.data["sequence_number"]


@dataclass
class SSE:
    frames: list[Frame] = field(default_factory=list)
    comments: int = 0
    done: bool = False

    @property
    def types(self) -> list[str]:
        return [f.event for f in self.frames]

    @property
    def seqs(self) -> list[int]:
        return [f.seq for f in self.frames]

    @property
    def events(self) -> list[dict[str, Any]]:
        """The frames' JSON payloads, in order."""
        return [f.data for f in self.frames]

    @property
    def terminal(self) -> Frame:
        return self.frames[-1]

    @property
    def raw_events(self) -> bytes:
        return b"".join(f.raw for f in self.frames)


class SSEReader:
    """Incremental strict reader: feed bytes in any chunking, get frames as they complete."""

    def __init__(self) -> None:
        self.buffer = b""
        self.sse = SSE()

    def feed(self, chunk: bytes) -> list[Frame]:
        self.buffer += chunk
        new: list[Frame] = []
        while b"\n\n" in self.buffer:
            block, self.buffer = self.buffer.split(b"\n\n", 1)
            assert not self.sse.done, f"bytes after data: [DONE]: {block!r}"
            if block.startswith(b":"):
                self.sse.comments += 1
                continue
            if block == b"data: [DONE]":
                self.sse.done = True
                continue
            lines = block.split(b"\n")
            assert len(lines) == 2 and lines[0].startswith(b"event: ") and lines[1].startswith(b"data: "), (
                f"not an 'event:' + 'data:' frame: {block!r}"
            )
            event = lines[0][len(b"event: ") :].decode()
            data = json.loads(lines[1][len(b"data: ") :])
            assert data["type"] == event, f"event line {event!r} disagrees with data type {data['type']!r}"
            frame = Frame(event, data, block + b"\n\n")
            self.sse.frames.append(frame)
            new.append(frame)
        return new

    def close(self) -> SSE:
        assert self.buffer == b"", f"the stream ended inside a frame: {self.buffer!r}"
        return self.sse


def parse_sse(body: bytes | str) -> SSE:
    """A whole SSE body (bytes, or text as curl prints it), parsed strictly."""
    reader = SSEReader()
    reader.feed(body.encode() if isinstance(body, str) else body)
    return reader.close()


def parse_frame(raw: bytes) -> Frame:
    """Exactly one event frame (``event:`` + ``data:`` + blank line), nothing else."""
    sse = parse_sse(raw)
    assert len(sse.frames) == 1 and not sse.comments and not sse.done, raw
    return sse.frames[0]


def check_complete_stream(sse: SSE, *, first_seq: int = 0) -> Frame:
    """A finished stream: contiguous sequence numbers, exactly one terminal event, last, then [DONE]."""
    assert sse.frames, "no events"
    assert sse.seqs == list(range(first_seq, first_seq + len(sse.frames))), sse.seqs
    terminals = [f for f in sse.frames if f.event in TERMINAL_TYPES]
    assert len(terminals) == 1, f"terminal events: {[f.event for f in terminals]}"
    assert sse.frames[-1] is terminals[0], "the terminal event is not last"
    assert sse.done, "no data: [DONE] after the terminal event"
    return terminals[0]


class LiveSSE:
    """Reads a real streamed response incrementally (every read bounded by the client's timeout)."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        self.response = response
        self.reader = SSEReader()
        self._chunks = response.iter_raw()
        self.raw = b""

    @property
    def sse(self) -> SSE:
        return self.reader.sse

    def _read(self, chunk: bytes) -> None:
        self.raw += chunk
        self.reader.feed(chunk)

    def until(self, predicate, what: str = "frames", timeout: float = WAIT) -> SSE:
        """Read until ``predicate(sse)`` holds (each read blocks; no sleeping between them)."""

        def reached() -> bool:
            if predicate(self.reader.sse):
                return True
            self._read(next(self._chunks))
            return False

        poll(reached, timeout=timeout, interval=0, what=f"{what} received")
        return self.reader.sse

    def until_type(self, event_type: str, timeout: float = WAIT) -> Frame:
        self.until(lambda sse: event_type in sse.types, event_type, timeout)
        return next(f for f in self.sse.frames if f.event == event_type)

    def to_end(self) -> SSE:
        for chunk in self._chunks:
            self._read(chunk)
        return self.reader.close()
