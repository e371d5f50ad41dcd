"""WebSocket mode: ``GET {prefix}/responses`` upgraded, one ``response.create`` message per turn.

A connection is two tasks. The reader takes every client message as it arrives and queues it, so a
close is noticed at once, even mid-turn (the running response is then cancelled as an SSE
disconnect cancels it). The worker runs the queued turns one at a time, in order. A turn is the
HTTP create path: the same validation, ``create_response``, run and event log; the events sent are
the log's SSE frames, each as the JSON of its ``data:`` line, one text message per event.

The connection keeps its most recent response's window (the history it was given, its input items
and its output items, at most ``default_fetch_history_count`` of them: all a handler can read) so
that ``store=false`` turns continue on the same socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams

from responsekit._logs import about
from responsekit.server.context import IsolationContext
from responsekit.server.errors import ApiError, bad_request, internal_error, unavailable
from responsekit.server.validation import KNOWN_REQUEST_FIELDS, parse_create_request, parse_json_object
from responsekit.store.protocols import StoreUnavailable
from responsekit.streaming.events import encode_json

if TYPE_CHECKING:
    from responsekit.models.request import CreateResponse
    from responsekit.server.create import NewResponse
    from responsekit.server.host import ResponsesAgentServerHost
    from responsekit.server.options import ResponsesServerOptions

logger = logging.getLogger("responsekit")

#: Most messages waiting behind the running turn; one more is refused with an error (status 429).
MAX_QUEUED_MESSAGES = 8
#: uvicorn's ``ws_max_size`` is the body limit plus this, so a message just over the limit gets the
#: protocol's 413 error; a larger one is closed by the WebSocket layer (1009, message too big).
WS_MAX_SIZE_MARGIN = 1024 * 1024
#: After the host's drain, how long ``run_async`` waits for the sockets to close (their close frame
#: sent, then the client's echo) before uvicorn drops what is left.
CLOSE_WAIT_SECONDS = 5.0
#: Fields of an HTTP create that have no meaning on a socket (every turn streams on it).
HTTP_ONLY_FIELDS = ("stream", "stream_options", "background")

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL_ERROR = 1011
#: An ASGI extension WEBSOCKET_PROTOCOL offers in the scope: a message ``{"type": SEND_TEXTS,
#: "texts": [payload, ...]}`` sends each payload (UTF-8 JSON) as a text message of its own, in order.
SEND_TEXTS = "responsekit.websocket.send_texts"
#: The uvicorn ``ws`` setting ``run_async`` uses (an import string, so a reloading server can pass it on).
WEBSOCKET_PROTOCOL = "responsekit.server._websocket_protocol:WebSocketProtocol"
#: Where the classes of uvicorn's WebSocket connections live (its own, and WEBSOCKET_PROTOCOL's).
_WEBSOCKET_MODULES = ("uvicorn.protocols.websockets", "responsekit.server._websocket_protocol")
_BOM = b"\xef\xbb\xbf"
_DATA_PREFIX = len(b"\ndata: ")
_BLANK_LINES = itertools.repeat(b"\n\n")  # for map(): a frame's end, as often as asked


def error_message(error: ApiError) -> dict[str, Any]:
    """The socket's error event: ``{"type": "error", "status", "error": {...}}``."""
    return {"type": "error", "status": error.status, **error.envelope()}


def connection_limit_reached(max_age: float) -> ApiError:
    return bad_request(
        f"The WebSocket connection reached its age limit of {max_age:g} seconds; open a new connection "
        "(continue with previous_response_id if the response was stored).",
        code="websocket_connection_limit_reached",
    )


def uvicorn_websocket_options(options: ResponsesServerOptions) -> dict[str, Any]:
    """uvicorn settings for the socket (``run_async`` uses them unless the caller gives its own)."""
    return {
        # uvicorn's sans-I/O implementation (less work per message than the legacy one), with the
        # writes of a loop's turn coalesced and text frames built directly (_websocket_protocol).
        "ws": WEBSOCKET_PROTOCOL,
        "ws_max_size": options.max_request_body_bytes + WS_MAX_SIZE_MARGIN,
        "ws_ping_interval": options.websocket_ping_interval_seconds,
        # Events are small JSON messages sent as they come: compressing each costs more CPU than
        # it saves on a LAN, and SSE is not compressed either. Pass ws_per_message_deflate=True to opt in.
        "ws_per_message_deflate": False,
    }


def close_sockets_before_server_shutdown(server: Any, host: ResponsesAgentServerHost) -> None:
    """uvicorn's shutdown closes every WebSocket at once (1012). Let the host drain first, so a turn
    running at shutdown gets the grace period and its client its events; then uvicorn goes on."""
    shutdown = server.shutdown

    async def drain_then_shutdown(sockets: Any = None) -> None:
        if host._sockets:
            for listener in getattr(server, "servers", ()):  # no new connections while draining
                listener.close()
            host.begin_shutdown()
            if host._shutdown_task is not None:
                await host._shutdown_task
            loop = asyncio.get_running_loop()
            deadline = loop.time() + CLOSE_WAIT_SECONDS
            closing = [asyncio.ensure_future(socket.closed.wait()) for socket in list(host._sockets)]
            if closing:
                await asyncio.wait(closing, timeout=CLOSE_WAIT_SECONDS)
                for waiter in closing:
                    waiter.cancel()
            # Then the closing handshakes: uvicorn would drop a socket whose client has not echoed
            # the close yet, and a client failing to send its echo may lose the events before it.
            while _open_websockets(server) and loop.time() < deadline:
                await asyncio.sleep(0.01)
        await shutdown(sockets)

    server.shutdown = drain_then_shutdown


def _open_websockets(server: Any) -> bool:
    connections = getattr(getattr(server, "server_state", None), "connections", ())
    return any(type(c).__module__.startswith(_WEBSOCKET_MODULES) for c in list(connections))


class WebSocketEndpoint:
    """The ASGI app of the WebSocket route (a class, so Starlette hands it the raw ASGI calls)."""

    def __init__(self, host: ResponsesAgentServerHost) -> None:
        self.host = host

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        host = self.host
        try:
            # Isolation comes from the handshake and holds for every turn: an ambiguous header is
            # refused here (400) rather than failing each turn later.
            IsolationContext.from_scope(scope)
            host._check_open()
        except ApiError as error:
            await _deny(scope, send, error)
            return
        await send({"type": "websocket.accept"})
        connection = WebSocketConnection(host, scope, receive, send)
        host._sockets.add(connection)
        try:
            await connection.serve()
        except Exception:  # never let it reach Starlette's HTTP exception handlers
            logger.exception("unexpected error serving a WebSocket connection")
            await connection.close(CLOSE_INTERNAL_ERROR, "Internal error.")
        finally:
            host._sockets.discard(connection)
            connection.closed.set()


async def _deny(scope: dict, send: Callable, error: ApiError) -> None:
    """Refuse the handshake with the error envelope as an HTTP response (or a bare close where the
    server lacks the ASGI denial-response extension)."""
    if "websocket.http.response" not in (scope.get("extensions") or {}):
        await send({"type": "websocket.close", "code": 1008, "reason": error.message[:120]})
        return
    body = encode_json(error.envelope())
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (error.headers or {}).items()]
    await send({"type": "websocket.http.response.start", "status": error.status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


class _Window:
    """The connection's most recent response: its id and window (None: read it from the store)."""

    __slots__ = ("response_id", "items")

    def __init__(self, response_id: str, items: list[dict[str, Any]] | None) -> None:
        self.response_id = response_id
        self.items = items


class WebSocketConnection:
    def __init__(
        self, host: ResponsesAgentServerHost, scope: dict, receive: Callable, send: Callable
    ) -> None:
        self.host = host
        self.scope = scope
        self._receive = receive
        self._send = send
        self._query = dict(QueryParams(scope["query_string"])) if scope.get("query_string") else {}
        self._pending: deque[bytes | ApiError] = deque()
        self._wakeup = asyncio.Event()
        self._gone = False  # the client closed the socket (or it broke)
        self._expired = False
        self._stopping = False
        self._close_sent = False
        self._run: Any = None  # the ResponseRun of the turn in flight
        self._latest: _Window | None = None
        #: Set once the connection is over (the host's shutdown waits for it).
        self.closed = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Close once the turn in flight (if any) has sent its events (the host's drain calls this)."""
        self._stopping = True
        self._wakeup.set()

    def _expire(self) -> None:
        self._expired = True
        self._wakeup.set()

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.host.options.websocket_max_age_seconds, self._expire)
        reader = loop.create_task(self._read())
        try:
            ending = await self._work()
        finally:
            timer.cancel()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if ending is not None:
            await self.close(*ending)

    async def close(self, code: int, reason: str) -> None:
        if self._gone or self._close_sent:
            return
        self._close_sent = True
        with contextlib.suppress(Exception):  # the client may be gone already
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def _work(self) -> tuple[int, str] | None:
        """Run the queued turns in order; returns how to close (None: the client is gone)."""
        host = self.host
        while True:
            if self._gone:
                return None
            if self._stopping or host._shutting_down:
                return CLOSE_GOING_AWAY, "The server is shutting down."
            if self._expired:
                await self._send_error(connection_limit_reached(host.options.websocket_max_age_seconds))
                return CLOSE_NORMAL, "Connection age limit reached."
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await self._turn(self._pending.popleft())

    async def _read(self) -> None:
        try:
            await self._take_messages()
        except asyncio.CancelledError:  # the connection is over (serve ends it)
            raise
        except Exception:  # a broken receive counts as the client leaving
            logger.debug("WebSocket receive failed", exc_info=True)
        self._lost()

    def _lost(self) -> None:
        """The client is gone: cancel its running response, as an SSE disconnect does."""
        self._gone = True
        run = self._run
        # On shutdown the drain owns the run (the grace period), as for every other run.
        if run is not None and not self.host._shutting_down:
            run.cancel("disconnected")
        self._wakeup.set()

    async def _take_messages(self) -> None:
        """Queue the client's messages (oversized ones as their error) until it closes the socket."""
        limit = self.host.options.max_request_body_bytes
        while True:
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                return
            if kind != "websocket.receive":
                continue
            text = message.get("text")
            item: bytes | ApiError
            if text is not None:
                item = _too_large(limit) if len(text) > limit else text.encode()
            else:
                item = message.get("bytes") or b""
            if isinstance(item, bytes) and len(item) > limit:
                item = _too_large(limit)
            if len(self._pending) >= MAX_QUEUED_MESSAGES:
                await self._send_error(
                    ApiError(
                        429,
                        f"Too many messages are waiting on this connection (at most {MAX_QUEUED_MESSAGES} "
                        "behind the running response); this one was dropped. Open another connection "
                        "to run responses in parallel.",
                        code="too_many_queued_messages",
                    )
                )
                continue
            self._pending.append(item)
            self._wakeup.set()

    async def _send_error(self, error: ApiError) -> None:
        if self._gone or self._close_sent:
            return
        try:
            await self._send({"type": "websocket.send", "text": encode_json(error_message(error)).decode()})
        except Exception:  # the client left while the error was on its way
            self._lost()

    # -- one turn ----------------------------------------------------------------------------------------
    async def _turn(self, item: bytes | ApiError) -> None:
        if isinstance(item, ApiError):
            await self._send_error(item)
            return
        previous_id: str | None = None
        try:
            data = _message_object(item)
            previous = data.get("previous_response_id")
            previous_id = previous if isinstance(previous, str) and previous else None
            create = self._validate(item, data)
            window, new = await self._begin(create, previous_id)
        except ApiError as error:
            self._forget_previous(previous_id)
            await self._send_error(error)
            return
        except StoreUnavailable as exc:
            logger.warning("store unavailable: %s", exc)
            self._forget_previous(previous_id)
            await self._send_error(unavailable("The response store is unavailable; try again shortly."))
            return
        except Exception:
            logger.exception("unexpected error starting a WebSocket turn")
            self._forget_previous(previous_id)
            await self._send_error(internal_error())
            return
        run = new.run
        self._run = run
        if self._gone:  # the client left while the response was being made
            self._lost()
        try:
            await self._deliver(new)
            if self._gone:
                return
            await run.done.wait()
        except BaseException:  # the connection itself fails: its response has no reader left
            if not self.host._shutting_down:
                run.cancel("disconnected")
            raise
        finally:
            self._run = None
        await self._remember(new, previous_id, window)

    def _validate(self, body: bytes, data: dict[str, Any]) -> CreateResponse:
        """The rest of the message as an HTTP create body: the same checks and messages."""
        kind = data.get("type")
        if kind != "response.create":
            shown = f"'{kind}'" if isinstance(kind, str) else "missing"
            raise bad_request(
                f"Unknown message type ({shown}): a WebSocket turn is a message of type 'response.create'.",
                param="type",
                code="unknown_message_type",
            )
        for name in HTTP_ONLY_FIELDS:
            if name in data:
                raise bad_request(
                    f"'{name}' is not allowed on a WebSocket: every response streams its events on the "
                    "socket (send the create fields without it).",
                    param=name,
                    code="unsupported_parameter",
                )
        if self.host.options.reject_unknown_fields:
            unknown = sorted(set(data) - KNOWN_REQUEST_FIELDS - {"type"})
            if unknown:
                raise bad_request(
                    f"Unrecognized request argument supplied: {unknown[0]}.",
                    param=unknown[0],
                    code="unknown_parameter",
                )
        create = parse_create_request(body)  # 'type' is kept as an unknown field: drop it below
        extra = create.__pydantic_extra__
        if extra:
            extra.pop("type", None)
        create.__pydantic_fields_set__.discard("type")
        return create

    async def _begin(
        self, create: CreateResponse, previous_id: str | None
    ) -> tuple[list[dict[str, Any]] | None, NewResponse]:
        """Make the response and start its run; returns the window it continues (if local) and it."""
        host = self.host
        host._check_open()
        window: list[dict[str, Any]] | None = None
        if previous_id is not None:
            latest = self._latest
            if latest is not None and latest.response_id == previous_id:
                window = latest.items  # None: a response bound to a conversation, read from the store
            elif create.store is False:  # nothing persisted to fall back on
                raise bad_request(
                    f"Previous response with id '{previous_id}' not found.",
                    param="previous_response_id",
                    code="previous_response_not_found",
                )
        new = await host._new_response(
            create,
            scope=self.scope,
            query_parameters=self._query,
            transport="websocket",
            previous_window=window,
        )
        host._launch(new)
        return window, new

    async def _deliver(self, new: NewResponse) -> None:
        """Send the response's events from the start of its log, one text message each (a batch
        the log hands over in one ``SEND_TEXTS`` message where the server offers it)."""
        try:
            frames = await new.log.read(new.response_id, -1, None)
            send = self._send
            batched = SEND_TEXTS in (self.scope.get("extensions") or {})
            partial = b""  # a frame a store hands over in pieces (a Redis page is bounded)
            async for batch in frames:
                if self._gone:
                    return
                texts, partial = _payloads(batch, partial)
                if batched:
                    if texts:
                        await send({"type": SEND_TEXTS, "texts": texts})
                    continue
                for text in texts:
                    await send({"type": "websocket.send", "text": text.decode()})
        except StoreUnavailable as exc:
            logger.warning(
                "store failure while sending events on a WebSocket (%s)", exc, extra=about(new.response_id)
            )
            await self._send_error(unavailable("The response store is unavailable; try again shortly."))
        except Exception:  # the send failed: the client is gone
            logger.debug("WebSocket send failed", exc_info=True, extra=about(new.response_id))
            self._lost()

    # -- connection-local continuation ---------------------------------------------------------------------
    def _forget_previous(self, previous_id: str | None) -> None:
        """A failed continuation evicts the response it continued (a later store=false turn from it
        gets previous_response_not_found)."""
        latest = self._latest
        if previous_id is not None and latest is not None and latest.response_id == previous_id:
            self._latest = None

    async def _remember(
        self, new: NewResponse, previous_id: str | None, window: list[dict[str, Any]] | None
    ) -> None:
        final = new.run.final_snapshot or {}
        if final.get("status", "failed") == "failed" or new.run.store_error is not None:
            self._latest = None  # the most recent response cannot be continued; its previous is evicted
            return
        record = new.record
        limit = self.host.options.history_limit
        base: list[dict[str, Any]] | None
        if record.conversation_id:
            base = None  # its history is the conversation's: continuations read it from the store
        elif window is not None:
            base = window
        elif previous_id is None:
            base = []
        else:  # it continued a stored chain: the history it was given, read once
            try:
                base = await self.host.store.records.history(record, limit)
            except StoreUnavailable:
                base = None
        items = None
        if base is not None:
            items = [*base, *record.input_items, *final.get("output", ())]
            items = items[-limit:] if limit else []
        self._latest = _Window(new.response_id, items)


def _payloads(batch: list[bytes], partial: bytes) -> tuple[list[bytes], bytes]:
    """The JSON text of each SSE frame of ``batch`` that ends in it, and the start of a frame it
    hands over only in part (``partial``: the start of one the previous batch began)."""
    if not partial:
        try:
            whole = all(map(bytes.endswith, batch, _BLANK_LINES))  # the usual batch: whole frames
        except TypeError:  # not bytes
            whole = False
        if whole:
            # "event: <type>\ndata: <json>\n\n": the JSON starts after the first newline.
            return [frame[frame.index(b"\n") + _DATA_PREFIX : -2] for frame in batch], b""
    texts = []
    for frame in batch:
        if partial or not frame.endswith(b"\n\n"):
            partial += frame
            # A frame's only blank line is its end: JSON holds no raw newline.
            if not partial.endswith(b"\n\n"):
                continue
            frame, partial = partial, b""
        texts.append(frame[frame.index(b"\n") + _DATA_PREFIX : -2])
    return texts, partial


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"The message exceeds the limit of {limit} bytes.", code="request_too_large")


def _message_object(body: bytes) -> dict[str, Any]:
    """The message as a JSON object, with the HTTP body's checks (worded for a message)."""
    try:
        return parse_json_object(body.removeprefix(_BOM))
    except ApiError as error:
        error.message = error.message.replace("The request body", "The message", 1)
        error.args = (error.message,)
        raise


__all__ = [
    "MAX_QUEUED_MESSAGES",
    "WebSocketConnection",
    "WebSocketEndpoint",
    "close_sockets_before_server_shutdown",
    "connection_limit_reached",
    "error_message",
    "uvicorn_websocket_options",
]
