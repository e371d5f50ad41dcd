"""Hand freed heap pages back to the operating system after large streams end (glibc only).

A replay of a multi-megabyte log passes through many large buffers; once they are freed, glibc's
allocator keeps the pages for reuse, so the process's RSS stays at its high-water mark. One
``malloc_trim(0)`` a moment after large streams end returns them. Elsewhere (musl, macOS) this is a
no-op.
"""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger("responsekit")

#: A stream that took at least this many bytes from its log asks for a trim when it ends.
LARGE_STREAM_BYTES = 256 * 1024
#: Streams that end within this many seconds share one trim.
TRIM_DELAY_SECONDS = 0.25

_trim = None
_looked_up = False
_pending: asyncio.TimerHandle | None = None


def _malloc_trim():
    global _trim, _looked_up
    if not _looked_up:
        _looked_up = True
        import ctypes.util  # here, not at import: only a large stream's end needs it

        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _trim = libc.malloc_trim
            _trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _trim = None
    return _trim


def _run() -> None:
    global _pending
    _pending = None
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def large_stream_ended() -> None:
    """Schedule one trim shortly (streams ending together share it)."""
    global _pending
    if _pending is not None or _malloc_trim() is None:
        return
    try:
        _pending = asyncio.get_running_loop().call_later(TRIM_DELAY_SECONDS, _run)
    except RuntimeError:
        pass
