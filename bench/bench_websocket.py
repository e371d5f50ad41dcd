"""WebSocket mode against SSE: the same server process, the same handler, the same run.

One client connection each, one response at a time (WebSocket mode runs a connection's turns one
after another; SSE gets a keep-alive HTTP/1.1 connection). Both clients are lean hand-rolled
asyncio code in this process (an HTTP/1.1 chunked reader; a WebSocket framer), so what differs is
the server's cost. For each case: rate (wall clock) and the server process's CPU time per event
(from /proc). Printed, never asserted; target for each: WebSocket >= 1.0x SSE.

- echo, sequential turns on one connection: turns per second;
- responses of 10,000 deltas emitted in a burst: events per second (SSE writes a batch of
  frames at once; a WebSocket sends each event as a message of its own);
- responses of 10,000 deltas paced as a model's tokens are (the handler yields to the event loop
  before each one): events per second.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import statistics
import struct
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.bench_http import ECHO_REQUEST, serve

TERMINAL_PREFIXES = tuple(
    f'{{"type":"{t}"'.encode() for t in ("response.completed", "response.failed", "response.incomplete")
)
_TICK = os.sysconf("SC_CLK_TCK")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


class _Client:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    async def __aenter__(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=2**24)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()


class SSEClient(_Client):
    """POST /responses with stream=true on one keep-alive connection; reads the chunked body."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        body = json.dumps({**ECHO_REQUEST, "stream": True}).encode()
        self.request = (
            b"POST /responses HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )

    async def turn(self) -> int:
        """One response; returns its number of events."""
        self.writer.write(self.request)
        reader = self.reader
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.decode(errors="replace"))
        events = 0
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                return events
            events += (await reader.readexactly(size + 2)).count(b"event: ")


class WebSocketClient(_Client):
    """GET /responses upgraded; one masked text frame per turn, the server's frames read as they come."""

    async def __aenter__(self):
        await super().__aenter__()
        key = base64.b64encode(os.urandom(16))
        self.writer.write(
            b"GET /responses HTTP/1.1\r\nhost: bench\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
            b"sec-websocket-version: 13\r\nsec-websocket-key: " + key + b"\r\n\r\n"
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(head.decode(errors="replace"))
        payload = json.dumps({"type": "response.create", **ECHO_REQUEST}).encode()
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        length = (
            bytes([0x80 | len(payload)]) if len(payload) < 126 else b"\xfe" + struct.pack("!H", len(payload))
        )
        self.create = b"\x81" + length + mask + masked
        self.rest = b""  # what arrived after the previous turn's last event
        return self

    async def turn(self) -> int:
        """Reads what has arrived and walks the frames in it, as the SSE client takes a chunk at a
        time: a few awaits per read, not two or three per message, and only the last text message of
        a read looked into (a turn's terminal or error event is its last), so that the client's cost
        per event stays small beside the server's, as the SSE client's does."""
        self.writer.write(self.create)
        read = self.reader.read
        unpack_from = struct.unpack_from
        buffer, position, events = self.rest, 0, 0
        while True:
            end = len(buffer)
            last = -1  # where the last complete text message of this read starts
            while position + 2 <= end:
                size = buffer[position + 1] & 0x7F
                if size < 126:
                    start = position + 2
                elif size == 126:
                    start = position + 4
                    if start > end:
                        break
                    size = buffer[position + 2] << 8 | buffer[position + 3]
                else:
                    start = position + 10
                    if start > end:
                        break
                    size = unpack_from("!Q", buffer, position + 2)[0]
                if start + size > end:
                    break  # the rest of this frame is still on its way
                if buffer[position] == 0x81:  # a whole text message (the server never fragments one)
                    events += 1
                    last = start
                elif buffer[position] & 0x0F == 8:  # a ping is not an event; a close ends it all
                    raise RuntimeError("the server closed the connection")
                position = start + size
            if last >= 0:
                if buffer.startswith(TERMINAL_PREFIXES, last):
                    self.rest = buffer[position:]
                    return events
                if buffer.startswith(b'{"type":"error"', last):
                    raise RuntimeError(buffer[last:position].decode(errors="replace"))
            chunk = await read(2**20)
            if not chunk:
                raise RuntimeError("the server closed the connection")
            buffer = buffer[position:] + chunk if position < end else chunk
            position = 0


class Sample:
    def __init__(self, turns: int, events: int, seconds: float, cpu: float) -> None:
        self.turns_per_second = turns / seconds
        self.events_per_second = events / seconds
        self.cpu_us_per_event = cpu / events * 1e6 if events else 0.0


async def _sample(client: SSEClient | WebSocketClient, seconds: float, pid: int) -> Sample:
    """Sequential turns for ``seconds`` (at least one)."""
    turns = events = 0
    cpu = _cpu_seconds(pid)
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        events += await client.turn()
        turns += 1
        if time.perf_counter() >= deadline:
            break
    return Sample(turns, events, time.perf_counter() - started, _cpu_seconds(pid) - cpu)


async def _compare(url: str, pid: int, seconds: float, rounds: int) -> dict[str, list[Sample]]:
    results: dict[str, list[Sample]] = {"sse": [], "websocket": []}
    async with SSEClient(url) as sse, WebSocketClient(url) as ws:
        clients = {"sse": sse, "websocket": ws}
        for client in clients.values():  # warm up both paths
            await _sample(client, min(seconds, 0.5), pid)
        for _ in range(rounds):  # interleaved, so drifting machine load hits both alike
            for name, client in clients.items():
                results[name].append(await _sample(client, seconds, pid))
    return results


def _report(title: str, results: dict[str, list[Sample]], metric: str, unit: str) -> None:
    print(f"  {title}:")
    med = {}
    for name, samples in results.items():
        values = [getattr(s, metric) for s in samples]
        med[name] = statistics.median(values)
        cpu = statistics.median(s.cpu_us_per_event for s in samples)
        print(
            f"    {name:<10} {med[name]:>10,.0f} {unit}   server CPU {cpu:5.1f} us/event   "
            f"(rounds: {', '.join(f'{v:,.0f}' for v in values)})"
        )
    ratio = med["websocket"] / med["sse"] if med["sse"] else 0.0
    print(f"    ratio websocket / sse = {ratio:.2f}  (target >= 1.00) {_verdict(ratio >= 1.0)}")


def run(quick: bool = False) -> None:
    seconds, rounds = (1.0, 1) if quick else (3.0, 3)
    with serve("responsekit_echo.py") as (url, process):
        results = asyncio.run(_compare(url, process.pid, seconds, rounds))
    _report("echo, sequential turns on one connection", results, "turns_per_second", "turns/s")
    with serve("responsekit_echo.py", DELTAS="10000") as (url, process):
        results = asyncio.run(_compare(url, process.pid, seconds, rounds))
    _report("responses of 10,000 deltas, emitted in a burst", results, "events_per_second", "events/s")
    with serve("responsekit_paced.py", DELTAS="10000") as (url, process):
        results = asyncio.run(_compare(url, process.pid, seconds, rounds))
    _report(
        "responses of 10,000 deltas, paced like a model's tokens", results, "events_per_second", "events/s"
    )


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
