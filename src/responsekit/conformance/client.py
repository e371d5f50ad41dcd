"""HTTP access to the server under test: plain requests, SSE streams, and an oversized upload.

The suite reads the wire itself (httpx plus its own SSE parser) rather than through an SDK, so it
sees exactly what the server sent: the `event:` lines, comments, `[DONE]`, byte-exact payloads.
Every call is bounded: httpx timeouts per operation, plus a deadline and an event cap per stream.
"""

from __future__ import annotations

import codecs
import json
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["SSEFrame", "SSEParser", "Reply", "StreamCapture", "LiveStream", "HttpClient", "MAX_EVENTS"]

#: No stream the suite reads may carry more events than this (a runaway server must not hang it).
MAX_EVENTS = 100_000


#: A pooled connection idle for over a second is not reused: servers close idle connections after
#: a few seconds (uvicorn: 5), and a request sent on one the server is closing fails through no
#: fault of the server under test.
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=1.0)


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


@dataclass
class Reply:
    """A complete (non-streamed) HTTP answer."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    text: str

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def json(self) -> Any:
        """The parsed body, or None when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def summary(self) -> dict[str, Any]:
        return {
            "request": f"{self.method} {self.url}",
            "status": self.status,
            "content_type": self.content_type,
            "body": self.text[:600],
        }


@dataclass
class StreamCapture:
    """Everything observed on one SSE response (or the non-SSE answer that came instead)."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    frames: list[SSEFrame] = field(default_factory=list)
    done: bool = False  # a `data: [DONE]` frame was seen
    comments: int = 0
    anomalies: list[str] = field(default_factory=list)
    error: str | None = None  # transport error, deadline or event cap
    body: str = ""  # the body when the answer was not an event stream

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_sse(self) -> bool:
        return self.content_type == "text/event-stream"

    @property
    def payload_frames(self) -> list[SSEFrame]:
        return [f for f in self.frames if f.data != "[DONE]"]

    @property
    def events(self) -> list[dict[str, Any]]:
        """The JSON payloads, in order (a payload that is not a JSON object becomes {})."""
        out = []
        for frame in self.payload_frames:
            try:
                value = json.loads(frame.data)
            except ValueError:
                value = None
            out.append(value if isinstance(value, dict) else {})
        return out

    def as_reply(self) -> Reply:
        return Reply(self.method, self.url, self.status, self.headers, self.body)

    def summary(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "request": f"{self.method} {self.url}",
            "status": self.status,
            "content_type": self.content_type,
            "events": len(self.payload_frames),
        }
        if self.error:
            info["error"] = self.error
        if not self.is_sse:
            info["body"] = self.body[:600]
        return info


class LiveStream:
    """An open SSE response read event by event (to act while it is still running)."""

    def __init__(self, capture: StreamCapture, response: httpx.Response, deadline: float) -> None:
        self.capture = capture
        self._response = response
        self._deadline = deadline
        self._parser = SSEParser()
        self._chunks = response.iter_bytes() if capture.is_sse else iter(())
        self._queue: list[SSEFrame] = []
        self._ended = not capture.is_sse

    def __iter__(self) -> Iterator[SSEFrame]:
        return self

    def __next__(self) -> SSEFrame:
        while not self._queue:
            if self._ended:
                raise StopIteration
            self._pull()
        frame = self._queue.pop(0)
        cap = self.capture
        cap.frames.append(frame)
        if frame.data == "[DONE]":
            cap.done = True
        if len(cap.frames) >= MAX_EVENTS:
            cap.error = f"more than {MAX_EVENTS} events; stopped reading"
            self._ended = True
        return frame

    def _pull(self) -> None:
        if time.monotonic() > self._deadline:
            self.capture.error = "stream deadline passed before the stream ended"
            self._ended = True
            return
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._queue.extend(self._parser.close())
            self._ended = True
        except httpx.HTTPError as exc:
            self.capture.error = f"{type(exc).__name__}: {exc}"
            self._queue.extend(self._parser.close())
            self._ended = True
        else:
            self._queue.extend(self._parser.feed(chunk))
        self.capture.comments = self._parser.comments
        self.capture.anomalies = self._parser.anomalies

    def read_all(self) -> StreamCapture:
        for _ in self:
            pass
        return self.capture


class HttpClient:
    """The suite's HTTP access to one server: base URL, auth and extra headers, timeouts."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        deadline: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        #: The longest a whole stream or upload may take (a server may keep sending keep-alives forever).
        self.deadline = deadline if deadline is not None else max(timeout, 1.0) * 4
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=self.headers,
            timeout=timeout,
            transport=transport,
            limits=POOL_LIMITS,
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        hdrs = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body).encode()
        if content is not None:
            hdrs.setdefault("content-type", "application/json")
        resp = self._http.request(method, path, content=content, params=params, headers=hdrs)
        return Reply(method, _show(resp.request.url), resp.status_code, resp.headers, resp.text)

    @contextmanager
    def open_stream(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[LiveStream]:
        """Open a request whose answer should be SSE; yields a LiveStream (closed on exit)."""
        hdrs = {"accept": "text/event-stream", **(headers or {})}
        content = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            hdrs.setdefault("content-type", "application/json")
        request = self._http.build_request(method, path, content=content, params=params, headers=hdrs)
        resp = self._http.send(request, stream=True)
        try:
            capture = StreamCapture(method, _show(request.url), resp.status_code, resp.headers)
            if not capture.is_sse:
                capture.body = resp.read().decode("utf-8", "replace")
            yield LiveStream(capture, resp, time.monotonic() + self.deadline)
        finally:
            resp.close()

    def stream(self, method: str, path: str, **kwargs: Any) -> StreamCapture:
        """Read a whole SSE answer (bounded by the deadline and MAX_EVENTS)."""
        with self.open_stream(method, path, **kwargs) as live:
            return live.read_all()

    def post_oversized(
        self, path: str, size: int, prefix: bytes, *, pad: bytes = b"a", suffix: bytes = b'"}'
    ) -> Reply | str:
        """POST a body of ``size`` bytes and return the answer, or a string saying why there was none.

        A server may answer 413 and close while the body is still being sent; an ordinary client
        then fails on the broken pipe and never sees the answer. So this writes the body in chunks
        and stops as soon as the server starts answering.
        """
        url = urlsplit(f"{self.base_url}{path}")
        port = url.port or (443 if url.scheme == "https" else 80)
        deadline = time.monotonic() + self.deadline
        sock = socket.create_connection((url.hostname, port), timeout=self.timeout)
        if url.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=url.hostname)
        try:
            head = [
                f"POST {url.path} HTTP/1.1",
                f"Host: {url.netloc}",
                "Content-Type: application/json",
                f"Content-Length: {size}",
                "Connection: close",
            ]
            head += [f"{k}: {v}" for k, v in self.headers.items()]
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            body_left = size - len(prefix) - len(suffix)
            chunks = _body_chunks(prefix, pad, body_left, suffix)
            received = b""
            sock.settimeout(0.0)
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    if time.monotonic() > deadline:
                        return "deadline passed while sending the body"
                    received += _recv_some(sock)
                    if received:
                        break
                    try:
                        view = view[sock.send(view) :]
                    except (BlockingIOError, ssl.SSLWantWriteError):
                        _wait(sock, deadline)
                    except OSError as exc:
                        received += _recv_some(sock)
                        if not received:
                            return f"connection failed while sending the body ({exc}) and no answer came"
                        break
                if received:
                    break
            sock.settimeout(self.timeout)
            while time.monotonic() < deadline and not _complete(received):
                try:
                    more = sock.recv(65536)
                except OSError:
                    break
                if not more:
                    break
                received += more
            return _parse_http_reply("POST", f"{self.base_url}{path}", received)
        finally:
            sock.close()


def _show(url: httpx.URL) -> str:
    return str(url)


def _body_chunks(prefix: bytes, pad: bytes, count: int, suffix: bytes) -> Iterator[bytes]:
    yield prefix
    block = pad * 65536
    while count > 0:
        n = min(count, len(block))
        yield block[:n]
        count -= n
    yield suffix


def _recv_some(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except (BlockingIOError, ssl.SSLWantReadError):
        return b""
    except OSError:
        return b""


def _wait(sock: socket.socket, deadline: float) -> None:
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        sel.select(timeout=max(0.0, min(0.5, deadline - time.monotonic())))


def _complete(raw: bytes) -> bool:
    """Whether ``raw`` holds a whole HTTP answer with a Content-Length (else read to EOF)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return value.strip().isdigit() and len(body) >= int(value.strip())
    return False


def _parse_http_reply(method: str, url: str, raw: bytes) -> Reply | str:
    if not raw:
        return "the connection closed without an HTTP answer"
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return f"not an HTTP answer: {raw[:80]!r}"
    headers = httpx.Headers(
        [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if ":" in line]
    )
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return Reply(method, url, status, headers, body.decode("utf-8", "replace"))


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out
