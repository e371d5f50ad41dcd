"""Helpers of the HTTP runtime tests: an in-process client, a strict SSE reader, stream invariants.

The SSE reader is deliberately strict about framing: the runtime promises ``event: <type>`` then
``data: <json>`` then a blank line for every event, ``: ...`` comments for keep-alives and one
``data: [DONE]`` after the terminal event, so anything else is a failure, not something to tolerate.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
from support.hosts import WAIT

from responsekit import ResponsesAgentServerHost

TERMINAL_TYPES = {"response.completed", "response.failed", "response.incomplete"}
TERMINAL_STATUSES = {"completed", "failed", "incomplete", "cancelled"}
ENVELOPE_KEYS = {"message", "type", "param", "code"}


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


def parse_sse(body: bytes) -> SSE:
    reader = SSEReader()
    reader.feed(body)
    return reader.close()


def check_complete_stream(sse: SSE, *, first_seq: int = 0) -> Frame:
    """A finished stream: contiguous sequence numbers, exactly one terminal event, last, then [DONE]."""
    assert sse.frames, "no events"
    assert sse.seqs == list(range(first_seq, first_seq + len(sse.frames))), sse.seqs
    terminals = [f for f in sse.frames if f.event in TERMINAL_TYPES]
    assert len(terminals) == 1, f"terminal events: {[f.event for f in terminals]}"
    assert sse.frames[-1] is terminals[0], "the terminal event is not last"
    assert sse.done, "no data: [DONE] after the terminal event"
    return terminals[0]


def check_envelope(response: httpx.Response, status: int, *, param: Any = ..., code: Any = ...) -> dict:
    """The error envelope: JSON, the status, all four keys; optionally the param and code."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers["content-type"]
    error = response.json()["error"]
    assert set(error) == ENVELOPE_KEYS, error
    assert isinstance(error["message"], str) and error["message"]
    if param is not ...:
        assert error["param"] == param, error
    if code is not ...:
        assert error["code"] == code, error
    return error


@contextlib.asynccontextmanager
async def asgi(
    host: ResponsesAgentServerHost, *, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of ``host`` (whole responses are buffered: JSON and finite SSE only).

    On exit the host shuts down, so no handler outlives the test (bounded by the grace period).
    """
    transport = httpx.ASGITransport(app=host)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers, timeout=WAIT
        ) as client:
            yield client
    finally:
        with anyio.fail_after(WAIT):
            await host.shutdown()


async def create(
    client: httpx.AsyncClient, *, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    body.setdefault("input", "hello")
    body.setdefault("model", "test-model")
    return await client.post("/responses", json=body, headers=headers)


async def wait_status(
    client: httpx.AsyncClient,
    response_id: str,
    statuses: Iterable[str] = TERMINAL_STATUSES,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = WAIT,
) -> dict[str, Any]:
    """Poll GET until the response's status is one of ``statuses``; fail after ``timeout``."""
    wanted = set(statuses)
    deadline = time.monotonic() + timeout
    while True:
        reply = await client.get(f"/responses/{response_id}", headers=headers)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        if body["status"] in wanted:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{response_id} still {body['status']!r} after {timeout}s")
        await anyio.sleep(0.005)


def poll(predicate, *, timeout: float = WAIT, what: str = "condition") -> Any:
    """Blocking poll with a deadline (for tests whose server runs in another thread or process)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.01)


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

    def until(self, predicate, what: str = "frames") -> SSE:
        deadline = time.monotonic() + WAIT
        while not predicate(self.reader.sse):
            assert time.monotonic() < deadline, f"{what} not received within {WAIT}s"
            chunk = next(self._chunks)
            self.raw += chunk
            self.reader.feed(chunk)
        return self.reader.sse

    def until_type(self, event_type: str) -> Frame:
        self.until(lambda sse: event_type in sse.types, event_type)
        return next(f for f in self.sse.frames if f.event == event_type)

    def to_end(self) -> SSE:
        for chunk in self._chunks:
            self.raw += chunk
            self.reader.feed(chunk)
        return self.reader.close()
