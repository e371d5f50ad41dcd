"""The SSE writer hands the ASGI server bounded chunks; log readers take bounded slices of a log."""

from __future__ import annotations

import asyncio

import pytest

from responsekit.server.sse import DONE_FRAME, MAX_CHUNK_BYTES, EventStreamResponse, chunks
from responsekit.store.frames import MAX_BATCH_FRAMES
from responsekit.store.memory import MemoryEventLog
from responsekit.store.protocols import LogEntry
from responsekit.streaming.events import KEEP_ALIVE_FRAME

LIMIT = MAX_CHUNK_BYTES


def _frame(size: int, fill: bytes = b"x") -> bytes:
    return b"event: e\ndata: " + fill * max(size - 17, 0) + b"\n\n"


@pytest.mark.parametrize(
    "sizes",
    [
        [100],
        [LIMIT],
        [LIMIT + 1],
        [2 * LIMIT],
        [3 * LIMIT + 7],
        [100] * 2000,
        [LIMIT - 10, 20, LIMIT - 10],
        [50, 5 * LIMIT + 3, 50, 50, 2 * LIMIT],
        [3 * 1024 * 1024],
    ],
    ids=lambda sizes: f"{len(sizes)}-frames-{sum(sizes)}-bytes",
)
def test_chunks_are_bounded_and_concatenate_to_the_frames(sizes):
    frames = [_frame(size, bytes([65 + i % 26])) for i, size in enumerate(sizes)]
    pieces = list(chunks(frames))
    assert b"".join(pieces) == b"".join(frames)
    assert all(0 < len(piece) <= LIMIT for piece in pieces), [len(p) for p in pieces]
    # Small frames are joined: no more pieces than the bytes need, give or take a split per frame.
    assert len(pieces) <= sum(sizes) // LIMIT + len(frames) + 1


#: A terminal event's frame: a stream whose log ends with one ends with [DONE].
TERMINAL = b'event: response.completed\ndata: {"type":"response.completed"}\n\n'


def _replay(frames: list[bytes], extra_batches: list[list[bytes]] | None = None) -> list[dict]:
    async def batches():
        log = MemoryEventLog(60)
        await log.open("r")
        await log.append("r", [LogEntry(i, f) for i, f in enumerate(frames)], close=True)
        async for batch in await log.read("r", -1, None):
            yield batch
        for batch in extra_batches or []:
            yield batch

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        await asyncio.Event().wait()  # the client never disconnects
        return {}

    asyncio.run(EventStreamResponse(batches())({"type": "http"}, receive, send))
    return sent


def test_a_multi_megabyte_replay_reaches_send_in_chunks_of_at_most_64_kib():
    frames = [_frame(300 + i % 700) for i in range(20_000)] + [_frame(2 * 1024 * 1024)] * 3 + [TERMINAL]
    assert sum(map(len, frames)) > 10 * 1024 * 1024
    sent = _replay(frames, extra_batches=[[]])
    assert sent[0]["type"] == "http.response.start"
    bodies = [message["body"] for message in sent[1:]]
    assert all(message["type"] == "http.response.body" for message in sent[1:])
    assert max(map(len, bodies)) <= LIMIT
    assert b"".join(bodies) == b"".join(frames) + KEEP_ALIVE_FRAME + DONE_FRAME
    assert sent[-1]["more_body"] is False and all(m["more_body"] for m in sent[1:-1])


def test_a_client_gone_mid_replay_stops_the_backlog_at_once():
    frames = [_frame(1000)] * 10_000  # ~10 MB: about 150 chunks
    sent: list[dict] = []
    disconnects: list[bool] = []

    async def main() -> None:
        gone = asyncio.Event()

        async def batches():
            log = MemoryEventLog(60)
            await log.open("r")
            await log.append("r", [LogEntry(i, f) for i, f in enumerate(frames)], close=True)
            async for batch in await log.read("r", -1, None):
                yield batch

        async def send(message: dict) -> None:
            # As uvicorn's: once the client is gone, send returns at once without suspending.
            sent.append(message)
            if len(sent) == 3:
                gone.set()

        async def receive() -> dict:
            await gone.wait()
            return {"type": "http.disconnect"}

        response = EventStreamResponse(batches(), on_disconnect=lambda: disconnects.append(True))
        await response({"type": "http"}, receive, send)

    asyncio.run(main())
    assert disconnects == [True]
    assert len(sent) < 10, f"{len(sent)} sends: the backlog went on after the disconnect"


def test_a_log_reader_takes_bounded_slices_of_a_long_log():
    async def main() -> list[list[bytes]]:
        log = MemoryEventLog(60)
        await log.open("r")
        await log.append("r", [LogEntry(i, b"f%d\n\n" % i) for i in range(10_000)], close=True)
        return [batch async for batch in await log.read("r", 99, None)]

    batches = asyncio.run(main())
    assert 0 < MAX_BATCH_FRAMES <= 1024
    assert all(0 < len(batch) <= MAX_BATCH_FRAMES for batch in batches)
    assert [frame for batch in batches for frame in batch] == [b"f%d\n\n" % i for i in range(100, 10_000)]


@pytest.mark.parametrize("joined", [False, True], ids=["frame-per-item", "frames-joined"])
def test_done_follows_only_a_log_that_ended_with_its_terminal_event(joined: bool):
    """A log that stops short of its terminal event (a resilient response left for recovery) ends
    the stream without [DONE]: the client resumes later with Last-Event-ID."""
    unfinished = [_frame(100), _frame(200)]
    finished = [*unfinished, TERMINAL]
    pieces = [TERMINAL[:40], TERMINAL[40:50], TERMINAL[50:]]  # a large frame replayed in pieces
    for frames, done in ((unfinished, False), (finished, True), ([], True), ([*unfinished, *pieces], True)):
        batch = [b"".join(frames)] if joined and frames else frames
        sent = _replay(batch)
        body = b"".join(message["body"] for message in sent[1:])
        assert body == b"".join(frames) + (DONE_FRAME if done else b"")
