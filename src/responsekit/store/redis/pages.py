"""Reading a Redis event log in pages: a replay, or a gap behind the shared tailer.

A page is cut inside Redis (``scripts.PAGE``): at most ``page_bytes`` of frames (a frame larger than
that comes alone, in pieces), since one stream entry may carry a whole batch of appends (megabytes).
"""

from __future__ import annotations

from typing import Any

from responsekit.store.redis import scripts
from responsekit.store.redis.batcher import Batcher
from responsekit.store.redis.wire import pairs


class Page:
    """One page of a log read with ``scripts.PAGE``: at most a page of frames (or of one frame)."""

    __slots__ = ("frames", "cursor", "after", "offset", "more", "closed", "seen", "top", "top_closed")

    def __init__(self, reply: list, after: int) -> None:
        cursor, more, closed, seen, last, top, top_closed, offset = reply[:8]
        self.frames: list[bytes] = reply[8:]  # the last may be a piece of a larger frame
        self.cursor: bytes = cursor if isinstance(cursor, bytes) else str(cursor).encode()
        self.after = int(last) if last else after  # the number of its last whole frame
        self.offset: int = offset  # the bytes of the next frame in this page (its last item)
        self.more = more == 1
        self.closed = closed == 1
        self.seen = seen
        self.top: bytes = top  # only when ``seen`` is 0: the log's last entry (b"" if no log)
        self.top_closed = top_closed == 1


class PageReader:
    """Reads pages of logs on the command queue, each at most ``page_bytes`` of frames from at most
    ``read_count`` entries."""

    def __init__(self, io: Batcher, *, page_bytes: int, read_count: int) -> None:
        self._io = io
        self.page_bytes = page_bytes
        self.read_count = read_count

    async def read(self, key: str, cursor: Any, after: int, offset: int) -> Page:
        """The next page of frames after ``after`` from the entries after ``cursor``, starting
        ``offset`` bytes into the first of them."""
        reply = await self._io.call(
            ("EVALSHA", scripts.PAGE, 1, key, cursor, after, offset, self.page_bytes, self.read_count)
        )
        return Page(reply, after)


def parse(entries: list, after: int) -> tuple[list[bytes], int, bool]:
    """Frames with sequence number > ``after`` from stream entries; the new ``after``; closed?"""
    frames: list[bytes] = []
    closed = False
    for _entry_id, fields in entries:
        for name, value in pairs(fields):
            if name == b"c":
                closed = True
            elif name != b"o":
                seq = int(name)
                if seq > after:
                    frames.append(value)
                    after = seq
    return frames, after, closed
