"""HTTP access to the server under test: plain requests, SSE streams, and an oversized upload.

The suite reads the wire itself (httpx plus its own SSE parser) rather than through an SDK, so it
sees exactly what the server sent: the `event:` lines, comments, `[DONE]`, byte-exact payloads.
Every call is bounded: httpx timeouts per operation, plus a deadline and an event cap per stream.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from responsekit.conformance.replies import Reply, StreamCapture
from responsekit.conformance.sse import SSEFrame, SSEParser
from responsekit.conformance.upload import post_oversized as _post_oversized

__all__ = ["SSEFrame", "SSEParser", "Reply", "StreamCapture", "LiveStream", "HttpClient", "MAX_EVENTS"]

#: No stream the suite reads may carry more events than this (a runaway server must not hang it).
MAX_EVENTS = 100_000


#: A pooled connection idle for over a second is not reused: servers close idle connections after
#: a few seconds (uvicorn: 5), and a request sent on one the server is closing fails through no
#: fault of the server under test.
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=1.0)


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
        return _post_oversized(
            self.base_url,
            path,
            size,
            prefix,
            headers=self.headers,
            timeout=self.timeout,
            max_seconds=self.deadline,
            pad=pad,
            suffix=suffix,
        )


def _show(url: httpx.URL) -> str:
    return str(url)
