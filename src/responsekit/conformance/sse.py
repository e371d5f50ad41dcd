"""The suite's own SSE parser: `text/event-stream` bytes in, in any chunking, dispatched frames out.

It follows the WHATWG rules leniently (CR, LF or CRLF line ends, a leading BOM, comments counted as
keep-alives, unknown fields noted as anomalies) so the suite sees exactly what the server sent.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["SSEFrame", "SSEParser"]


@dataclass(frozen=True)
class SSEFrame:
    """One dispatched SSE event: its `event:` name (None when the frame had none) and joined data."""

    event: str | None
    data: str
    id: str | None = None


class SSEParser:
    """An incremental parser of `text/event-stream` (the WHATWG rules).

    Feed it bytes as they arrive, in any chunking: a frame, a line, a CRLF pair or a UTF-8 character
    may be split across chunks. Comment lines (keep-alives) are counted, never dispatched.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._first = True
        self._event: str | None = None
        self._data: list[str] = []
        self._id: str | None = None
        self._pending = False  # fields seen since the last dispatch (for truncation reports)
        self.comments = 0
        self.anomalies: list[str] = []

    def feed(self, chunk: bytes) -> list[SSEFrame]:
        text = self._decoder.decode(chunk)
        if self._first and text:
            text = text.removeprefix("\ufeff")
            self._first = False
        self._buffer += text
        return self._drain(final=False)

    def close(self) -> list[SSEFrame]:
        """End of stream: parse what is left; a frame without its blank line is dropped (and noted)."""
        self._buffer += self._decoder.decode(b"", final=True)
        frames = self._drain(final=True)
        if self._buffer:
            self._line(self._buffer, frames)
            self._buffer = ""
        if self._pending:
            self.anomalies.append("the stream ended inside a frame (no blank line after its last field)")
        return frames

    def _drain(self, *, final: bool) -> list[SSEFrame]:
        frames: list[SSEFrame] = []
        buf = self._buffer
        start = 0
        while True:
            cr = buf.find("\r", start)
            lf = buf.find("\n", start)
            if cr < 0 and lf < 0:
                break
            if cr >= 0 and (lf < 0 or cr < lf):
                # A lone CR ends a line, but CR LF is one line end: if the CR is the last character,
                # wait for the next chunk to know which it is.
                if cr + 1 == len(buf) and not final:
                    break
                end, nxt = cr, cr + 2 if buf.startswith("\n", cr + 1) else cr + 1
            else:
                end, nxt = lf, lf + 1
            self._line(buf[start:end], frames)
            start = nxt
        self._buffer = buf[start:]
        return frames

    def _line(self, line: str, frames: list[SSEFrame]) -> None:
        if not line:
            if self._data:
                frames.append(SSEFrame(self._event, "\n".join(self._data), self._id))
            self._event, self._data, self._pending = None, [], False
            return
        if line.startswith(":"):
            self.comments += 1
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        self._pending = True
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            self._id = value
        elif name != "retry":
            self.anomalies.append(f"unknown SSE field {name!r}")
