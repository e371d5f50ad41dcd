"""uvicorn's sans-I/O WebSocket protocol, cheaper per message (``app.run`` serves sockets with it).

Two changes, neither visible to a client (one WebSocket frame per ``websocket.send``, in order):

- writes are coalesced: the bytes of everything sent during one turn of the event loop go to the
  socket in one write (flushed at the end of the turn, or at once past ``FLUSH_BYTES``), instead of
  one ``send`` system call per message;
- a text message on an open connection without extensions is framed here (a two-to-ten byte header
  before the payload, as the server side sends it: unmasked, one final frame), not through the
  websockets state machine. With an extension (per-message-deflate) negotiated, or outside the
  open state, messages take uvicorn's own path.

And one addition, an ASGI extension: the scope's ``extensions`` hold ``SEND_TEXTS``, and a message
``{"type": SEND_TEXTS, "texts": [payload, ...]}`` sends each payload (UTF-8 bytes) as a text
message of its own, in order: what as many ``websocket.send`` messages would send, with one await
and one write for them all. (Like any ASGI extension, a middleware that rewrites ``websocket.send``
messages must take it out of the scope, or see the events pass it by.)
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import OPEN

from responsekit.server.websocket import SEND_TEXTS

#: Pending bytes past which they are written at once rather than at the end of the loop's turn.
FLUSH_BYTES = 64 * 1024  # asyncio's default high-water mark


#: The header of a final, unmasked text frame of each payload length below this (a table look-up
#: instead of building it per message: most events are a few hundred bytes).
_HEADERS = [
    b"\x81" + bytes((length,)) if length < 126 else b"\x81\x7e" + struct.pack("!H", length)
    for length in range(2048)
]


def text_header(length: int) -> bytes:
    """The header of a final, unmasked text frame (the server's) of a ``length``-byte payload."""
    if length < 2048:
        return _HEADERS[length]
    if length < 65536:
        return b"\x81\x7e" + struct.pack("!H", length)
    return b"\x81\x7f" + struct.pack("!Q", length)


def text_frames(payloads: list[bytes]) -> bytes:
    """The text frames carrying ``payloads`` (UTF-8), one each, end to end."""
    parts: list[bytes] = []
    add = parts.append
    headers = _HEADERS
    for payload in payloads:
        length = len(payload)
        add(headers[length] if length < 2048 else text_header(length))
        add(payload)
    return b"".join(parts)


class CoalescingTransport:
    """Stands in for the connection's transport: writes wait for the end of the loop's turn and go
    out as one; everything else is the transport's own (a close writes what is pending first)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0
        self._scheduled = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def write(self, data: bytes) -> None:
        if not data:
            return
        self._pending.append(data)
        self._size += len(data)
        if self._size >= FLUSH_BYTES:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush_soon)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush_soon(self) -> None:
        self._scheduled = False
        self.flush()

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        self._pending = []
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._size = 0
        self._transport.abort()


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """``ws="responsekit.server._websocket_protocol:WebSocketProtocol"`` in uvicorn's settings."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(CoalescingTransport(transport, self.loop))

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # set once the handshake is accepted (the app not yet run)
        if scope is not None:
            scope["extensions"][SEND_TEXTS] = {}

    def _framing_here(self) -> bool:
        """Whether a text message can be framed here: the connection open, no extension on it."""
        try:
            conn = self.conn
            return (
                self.handshake_complete
                and not self.close_sent
                and self.initial_response is None
                and conn.state is OPEN
                and not conn.extensions
                and not conn.expect_continuation_frame
            )
        except AttributeError:  # a uvicorn whose protocol keeps its state otherwise: its own path
            return False

    async def _send_texts(self, texts: list[bytes]) -> None:
        if self._framing_here():
            if not self.writable.is_set():
                await self.writable.wait()
            if self.disconnected:
                raise ClientDisconnected()
            if self._framing_here():  # unchanged while waiting for room
                transport = self.transport
                transport.write(text_frames(texts))
                transport.flush()  # a batch is written at once: the client starts on it sooner
                return
        for text in texts:  # uvicorn's path, message by message (its checks, its extensions)
            await super().send({"type": "websocket.send", "text": bytes(text).decode()})

    async def send(self, message: Any) -> None:
        kind = message["type"]
        if kind == SEND_TEXTS:
            await self._send_texts(message["texts"])
            return
        if kind == "websocket.send":
            text = message.get("text")
            if text is not None and message.get("bytes") is None and self._framing_here():
                if not self.writable.is_set():
                    await self.writable.wait()
                if self.disconnected:
                    raise ClientDisconnected()
                if self._framing_here():  # unchanged while waiting for room
                    payload = text.encode()
                    self.transport.write(text_header(len(payload)) + payload)
                    return
        await super().send(message)


__all__ = [
    "FLUSH_BYTES",
    "SEND_TEXTS",
    "CoalescingTransport",
    "WebSocketProtocol",
    "text_frames",
    "text_header",
]
