"""ResponsesAgentServerHost: the ASGI app serving the protocol's endpoints for one handler.

This module holds the routing, the endpoints and the host's lifecycle entry points. The create
path's pieces (record, log, context, run) are made by server/create.py, a run by
server/runner.py, and graceful shutdown (signals, draining) lives in server/draining.py. The
Conversations API's endpoints live in server/conversations.py; the host routes them. WebSocket
mode (``GET /responses`` upgraded) lives in server/websocket.py and creates through ``_new_response``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from responsekit._logs import about, install_json_lines
from responsekit._telemetry import install_telemetry
from responsekit.ids import is_well_formed
from responsekit.server.collector import freeze_startup_objects, set_for_serving
from responsekit.server.compaction import compact
from responsekit.server.context import IsolationContext
from responsekit.server.conversations import ConversationEndpoints
from responsekit.server.create import NewResponse, NullLog, create_response, recover_response
from responsekit.server.draining import chain_exit_signals, drain, draining_server
from responsekit.server.errors import ApiError, bad_request, internal_error, not_found, unavailable
from responsekit.server.input_tokens import count_input_tokens
from responsekit.server.observers import Observers, observed_run
from responsekit.server.options import ResponsesServerOptions
from responsekit.server.queries import page_items, parse_input_items_query, parse_retrieve_query
from responsekit.server.runner import ResponseRun
from responsekit.server.sealing import Sealer
from responsekit.server.sse import EventStreamResponse
from responsekit.server.validation import parse_create_request
from responsekit.server.websocket import (
    WebSocketConnection,
    WebSocketEndpoint,
    close_sockets_before_server_shutdown,
    uvicorn_websocket_options,
)
from responsekit.store.memory import MemoryEventLog, MemoryStore
from responsekit.store.protocols import (
    LogNotFound,
    ResponseRecord,
    Store,
    StoreStartupError,
    StoreUnavailable,
)
from responsekit.streaming.events import encode_json

if TYPE_CHECKING:
    from responsekit.models.request import CreateResponse

logger = logging.getLogger("responsekit")

Handler = Callable[..., Any]


class _JSONBody(Response):
    """A JSON body already encoded: its two headers are known, Response's general checks are not needed."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", b"%d" % len(body)), (b"content-type", b"application/json")]


def _json(data: Any, status: int = 200) -> Response:
    return _JSONBody(encode_json(data), status)


def _body_too_large(limit: int) -> ApiError:
    return ApiError(413, f"The request body exceeds the limit of {limit} bytes.", code="request_too_large")


def _endpoint(method: Callable) -> Callable:
    """Every failure becomes the error envelope: ApiError as given, store outages 503, the rest 500."""

    async def endpoint(request: Request) -> Response:
        try:
            return await method(request)
        except ApiError as exc:
            return exc.response()
        except StoreUnavailable as exc:
            logger.warning("store unavailable: %s", exc)
            return unavailable("The response store is unavailable; try again shortly.").response()
        except Exception:
            logger.exception("unexpected error serving %s %s", request.method, request.scope["path"])
            return internal_error().response()

    endpoint.__name__ = method.__name__
    return endpoint


def _logged(task: asyncio.Task, response_id: str) -> None:
    """A background run's task never fails silently ("Task exception was never retrieved")."""
    if not task.cancelled() and task.exception() is not None:
        logger.error(
            "a background run failed unexpectedly", exc_info=task.exception(), extra=about(response_id)
        )


def _version() -> str:
    from responsekit import __version__

    return __version__


class ResponsesAgentServerHost(Starlette):
    """Serves ``POST /responses``, ``GET/DELETE /responses/{id}``, ``POST /responses/{id}/cancel``,
    ``GET /responses/{id}/input_items``, WebSocket mode on ``GET /responses``,
    ``POST /responses/compact``, ``POST /responses/input_tokens`` and the Conversations API (plus
    ``/readiness`` and ``/liveness``) for one handler.

    Register the handler with ``@app.response_handler``; serve with ``app.run()`` or any ASGI server;
    mount it inside another ASGI app if you like (call ``await app.startup()`` / ``shutdown()`` from
    the parent's lifespan when it does not run the mounted app's own).
    """

    def __init__(
        self,
        *,
        prefix: str = "",
        options: ResponsesServerOptions | None = None,
        store: Store | None = None,
        debug: bool = False,
        log_level: str | int | None = None,
    ) -> None:
        self.options = options or ResponsesServerOptions()
        if log_level is not None:  # the level of responsekit's own logger ("DEBUG", "INFO", 10, ...)
            level = logging.getLevelName(log_level.upper()) if isinstance(log_level, str) else log_level
            if not isinstance(level, int) or isinstance(level, bool):
                raise ValueError(f"log_level must be a logging level name or number, got {log_level!r}")
            logging.getLogger("responsekit").setLevel(level)
        if self.options.log_format == "json":
            install_json_lines()
        extra_version = self.options.additional_server_version
        self._server_header: tuple[bytes, bytes] | None = (
            (b"x-platform-server", f"responsekit/{_version()} {extra_version}".encode())
            if extra_version
            else None
        )
        self.prefix = prefix or self.options.route_prefix
        if self.prefix and (not self.prefix.startswith("/") or self.prefix.endswith("/")):
            raise ValueError(f"prefix must start with '/' and not end with '/', got {self.prefix!r}")
        self._store = store
        self._store_started = False
        self._handler: Handler | None = None
        self._compact_handler: Handler | None = None
        self._input_tokens_counter: Handler | None = None
        self._sealer: Sealer | None = None
        self._runs: dict[str, ResponseRun] = {}
        self._cancel_subscriptions: dict[str, Callable[[], None]] = {}
        #: Set by run_async: this process serves this host (the collector is set for serving).
        self._serving_process = False
        self._tasks: set[asyncio.Task] = set()
        # Recoveries of resilient responses asked for by the store, not launched yet.
        self._recoveries: set[asyncio.Task] = set()
        self._streams: set[EventStreamResponse] = set()  # open SSE responses (closed on shutdown)
        self._sockets: set[WebSocketConnection] = set()  # open WebSocket connections (closed on shutdown)
        self._shutting_down = False
        self._shutdown_task: asyncio.Task | None = None
        self._unstored_log = MemoryEventLog(self.options.event_log_retention_seconds)
        self._null_log = NullLog()
        #: Code watching responses (telemetry, a console): ``host.observers.add(observer)``.
        self.observers = Observers()
        p = self.prefix
        conversations = ConversationEndpoints(
            self.options,
            read_body=self._read_body,
            open_store=self._ensure_store,
            check_open=self._check_open,
        )
        routes = [
            Route(f"{p}/responses", _endpoint(self._create), methods=["POST"]),
            WebSocketRoute(f"{p}/responses", WebSocketEndpoint(self)),  # GET upgraded: WebSocket mode
            Route(f"{p}/responses/compact", _endpoint(self._compact), methods=["POST"]),
            Route(f"{p}/responses/input_tokens", _endpoint(self._input_tokens), methods=["POST"]),
            Route(f"{p}/responses/{{response_id}}", _endpoint(self._retrieve), methods=["GET"]),
            Route(f"{p}/responses/{{response_id}}", _endpoint(self._delete), methods=["DELETE"]),
            Route(f"{p}/responses/{{response_id}}/cancel", _endpoint(self._cancel), methods=["POST"]),
            Route(
                f"{p}/responses/{{response_id}}/input_items", _endpoint(self._input_items), methods=["GET"]
            ),
            *conversations.routes(p, _endpoint),
            Route("/readiness", self._readiness, methods=["GET"]),
            Route("/liveness", self._liveness, methods=["GET"]),
        ]
        if self.options.console:  # the opt-in live event console (responsekit/console, docs/console.md)
            from responsekit.console.routes import console_routes

            routes += console_routes(self.observers, p, allow_remote=bool(self.options.console_allow_remote))
        super().__init__(
            debug=debug,
            routes=routes,
            lifespan=self._lifespan,
            exception_handlers={HTTPException: self._http_exception, Exception: self._unexpected},
        )
        # A trailing slash is a 404, never a redirect: Starlette would build its Location from the
        # client's Host header.
        self.router.redirect_slashes = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        header = self._server_header
        if header is None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return

        async def send_with_version(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        await super().__call__(scope, receive, send_with_version)

    # -- registration -------------------------------------------------------------------------------
    def response_handler(self, handler: Handler) -> Handler:
        """Decorator: ``handler(request, context, cancellation_signal)`` produces each response."""
        self._handler = handler
        return handler

    def compact_handler(self, handler: Handler) -> Handler:
        """Decorator: ``handler(request, context)`` (async or sync) serves ``POST /responses/compact``.

        It returns the compacted window: a list of items, or ``{"output": [...], "usage": {...}}``.
        ``context`` holds the resolved window and ``seal(items)`` (see server/compaction.py). Without
        one, the whole window becomes one sealed ``compaction`` item (lossless).
        """
        self._compact_handler = handler
        return handler

    def input_tokens_counter(self, counter: Handler) -> Handler:
        """Decorator: ``counter(request, context) -> int`` (async or sync) serves
        ``POST /responses/input_tokens``; ``context.estimate()`` is the default count (see
        server/input_tokens.py)."""
        self._input_tokens_counter = counter
        return counter

    @property
    def sealer(self) -> Sealer:
        """The key compaction items are sealed with: made once (at startup), used by every request."""
        if self._sealer is None:
            self._sealer = Sealer(self.options.compaction_key)
            if self._sealer.ephemeral:
                shared = self._store is not None and self._store.name != "memory"
                logger.log(
                    logging.WARNING if shared else logging.INFO,
                    "no compaction key is set (ResponsesServerOptions.compaction_key or "
                    "RESPONSEKIT_COMPACTION_KEY): compaction items open only on this process until it "
                    "stops; give every replica the same key",
                )
        return self._sealer

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self._make_store()
        return self._store

    @property
    def is_shutdown_requested(self) -> bool:
        return self._shutting_down

    def _make_store(self) -> Store:
        url = self.options.store_url
        if url in (None, "memory") or url.startswith("memory://"):
            return MemoryStore(
                response_retention_seconds=self.options.response_retention_seconds,
                event_log_retention_seconds=self.options.event_log_retention_seconds,
                max_stored_responses=self.options.max_stored_responses,
                max_stored_bytes=self.options.max_stored_bytes,
                conversation_retention_seconds=self.options.conversation_retention_seconds,
            )
        if url.startswith("sqlite:"):
            from responsekit.store.sqlite import SqliteStore

            return SqliteStore.from_url(url, options=self.options)
        from responsekit.store.redis import RedisStore  # optional dependency

        return RedisStore.from_url(url, options=self.options)

    async def _ensure_store(self) -> Store:
        store = self.store
        if not self._store_started:
            self._check_resilience(store)
            self._store_started = True
            # Before start: a store that finds resilient responses awaiting recovery reports them.
            store.resilient = self.options.resilient_background
            store.on_recoverable = self._on_recoverable
            await store.start()
        return store

    def _check_resilience(self, store: Store) -> None:
        if self.options.resilient_background and store.name == "memory":
            raise ValueError(
                "ResponsesServerOptions.resilient_background=True needs a durable store (SQLite or Redis: "
                "store_url or RESPONSEKIT_STORE); the memory store loses every response with its process"
            )

    # -- lifecycle --------------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Any) -> AsyncIterator[None]:
        await self.startup()
        try:
            yield
        finally:
            await self.shutdown()

    async def startup(self) -> None:
        # The models load, and build their validators, on first use (a fast `import responsekit`):
        # build the request's now, so the first request does not pay for it.
        from responsekit.models.request import CreateResponse

        CreateResponse.model_rebuild()
        install_telemetry(self)  # OpenTelemetry, when on, and the create span hook (docs/observability.md)
        await self._ensure_store()
        # Resilient responses the store found awaiting recovery are running before the first request.
        while self._recoveries:
            await asyncio.gather(*list(self._recoveries), return_exceptions=True)
        self.sealer  # noqa: B018 - the compaction key, made once, before the first request
        # Start draining on SIGTERM/SIGINT itself (see server/draining.py).
        chain_exit_signals(self.begin_shutdown)
        if self._serving_process:  # run_async's process: what startup made lives as long as it
            freeze_startup_objects(self.options.gc_threshold)

    def begin_shutdown(self) -> None:
        """Stop taking requests (503) and give in-flight handlers the grace period, then cancel them."""
        if self._shutting_down:
            return
        self._shutting_down = True
        logger.info(
            "shutting down: %d responses in flight, grace period %.1fs",
            len(self._runs),
            self.options.shutdown_grace_period_seconds,
        )
        with contextlib.suppress(RuntimeError):
            self._shutdown_task = asyncio.get_running_loop().create_task(
                drain(
                    lambda: self._runs.values(),
                    lambda: [*self._streams, *self._sockets],
                    self.options.shutdown_grace_period_seconds,
                )
            )

    async def shutdown(self) -> None:
        """Drain (see begin_shutdown), wait until every response is terminal, release the store."""
        self.begin_shutdown()
        if self._shutdown_task is not None:
            await self._shutdown_task
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._store is not None and self._store_started:
            await self._store.close()
            self._store_started = False

    def _check_open(self) -> None:
        if self._shutting_down:
            raise unavailable("The server is shutting down.")

    def run(
        self, host: str = "0.0.0.0", port: int | None = None, workers: int = 1, **uvicorn_options: Any
    ) -> None:
        """Serve with uvicorn (port: argument, else $PORT, else 8088). Blocks until shutdown.

        ``workers=N`` forks N processes serving one socket, supervised by this one (see
        responsekit/serve.py); more than one needs a store shared by processes (Redis)."""
        if workers != 1:
            from responsekit.serve import run_workers

            code = run_workers(self, host=host, port=port, workers=workers, uvicorn_options=uvicorn_options)
            if code:
                raise SystemExit(code)
            return
        asyncio.run(self.run_async(host=host, port=port, **uvicorn_options))

    async def run_async(
        self,
        host: str = "0.0.0.0",
        port: int | None = None,
        *,
        sockets: list[Any] | None = None,
        **uvicorn_options: Any,
    ) -> None:
        """``app.run()`` on a running loop; ``sockets``: listening sockets to serve instead of
        binding ``host:port`` (a pre-forked worker's inherited socket)."""
        import uvicorn

        port = port if port is not None else int(os.environ.get("PORT", "8088"))
        if self.options.console:  # never serve the console beyond loopback by accident
            from responsekit.console.loopback import bind_problem

            problem = bind_problem(self.options, host, sockets)
            if problem is not None:
                raise SystemExit(f"responsekit: {problem}")
        config = uvicorn.Config(
            self, host=host, port=port, **{**uvicorn_websocket_options(self.options), **uvicorn_options}
        )
        # This process serves this host: the collector is set for serving (server/collector.py).
        self._serving_process = True
        set_for_serving(self.options.gc_threshold)
        try:  # a store that cannot start (e.g. its file is locked or corrupt) ends the program, saying why
            await self._ensure_store()
        except (StoreStartupError, ValueError) as exc:
            raise SystemExit(f"responsekit: {exc}") from None
        server = draining_server(config, self.begin_shutdown)
        close_sockets_before_server_shutdown(server, self)
        await server.serve(sockets=sockets)

    # -- endpoints --------------------------------------------------------------------------------------
    async def _read_body(self, request: Request) -> bytes:
        """The request's body, refused (413) past ``max_request_body_bytes``: at once when its
        Content-Length says so, else as soon as what arrived exceeds it."""
        limit = self.options.max_request_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _body_too_large(limit)
        # ASGI messages straight from receive (what Request.stream() does, without its generator).
        receive = request.receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # http.disconnect: the client left mid-body
                raise ApiError(400, "The client closed the connection before the body ended.")
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise _body_too_large(limit)
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _caller_and_records(self, response_id: str, request: Request) -> tuple[str | None, Any]:
        """The caller's isolation key and the record store, once the id could name a response."""
        owner = IsolationContext.from_scope(request.scope).user_key  # an ambiguous key is a 400 first
        if not is_well_formed(response_id):
            raise not_found(response_id)
        return owner, (await self._ensure_store()).records

    async def _visible(self, response_id: str, request: Request) -> ResponseRecord:
        """The record, if it exists and belongs to the caller's isolation key; else 404."""
        owner, records = await self._caller_and_records(response_id, request)
        record = await records.get(response_id)
        if record is None or record.owner != owner:
            raise not_found(response_id)
        return record

    async def _check_visible(self, response_id: str, request: Request) -> None:
        """``_visible`` without reading the record: a replay needs only its owner, and the record's
        snapshot holds the whole output (megabytes, decoded for every replay request at once)."""
        owner, records = await self._caller_and_records(response_id, request)
        exists, stored_owner = await records.owner_of(response_id)
        if not exists or stored_owner != owner:
            raise not_found(response_id)

    async def _create(self, request: Request) -> Response:
        received_at = time.time() if self.observers else None
        self._check_open()
        self._require_handler()
        body = await self._read_body(request)
        create = parse_create_request(body, reject_unknown_fields=self.options.reject_unknown_fields)
        new = await self._new_response(
            create,
            scope=request.scope,
            query_parameters=dict(request.query_params) if request.scope.get("query_string") else {},
            received_at=received_at,
        )
        response_id, run, stored, log = new.response_id, new.run, new.stored, new.log
        stream, background = new.stream, new.background

        if not stream and not background:  # default mode: run here, answer with the final object
            try:
                final = await run.execute()
            finally:
                self._forget(response_id, stored)
            if run.store_error is not None:
                raise StoreUnavailable(str(run.store_error))
            return _json(final)

        self._launch(new)
        if not stream:  # background: answer at once with the queued response
            return _json(new.snapshot)
        frames = await log.read(response_id, -1, self.options.sse_keep_alive_interval_seconds)
        on_disconnect = None if background else (lambda: run.cancel("disconnected"))
        return EventStreamResponse(
            frames, on_disconnect=on_disconnect, registry=self._streams, response_id=response_id
        )

    async def _compact(self, request: Request) -> Response:
        self._check_open()
        body = await self._read_body(request)
        result = await compact(
            body,
            scope=request.scope,
            store=await self._ensure_store(),
            options=self.options,
            sealer=self.sealer,
            handler=self._compact_handler,
        )
        return _json(result)

    async def _input_tokens(self, request: Request) -> Response:
        self._check_open()
        body = await self._read_body(request)
        result = await count_input_tokens(
            body,
            scope=request.scope,
            store=await self._ensure_store(),
            options=self.options,
            sealer=self.sealer,
            counter=self._input_tokens_counter,
        )
        return _json(result)

    def _require_handler(self) -> Handler:
        if self._handler is None:
            raise ApiError(
                500,
                "No response handler is registered on this server.",
                type="server_error",
                code="no_handler",
            )
        return self._handler

    async def _new_response(
        self,
        create: CreateResponse,
        *,
        scope: dict,
        query_parameters: dict[str, str],
        received_at: float | None = None,
        **create_options: Any,
    ) -> NewResponse:
        """``create_response`` for a validated request (HTTP or WebSocket), its run registered here."""
        store = await self._ensure_store()
        new = await create_response(
            create,
            scope=scope,
            query_parameters=query_parameters,
            store=store,
            options=self.options,
            handler=self._require_handler(),
            unstored_log=self._unstored_log,
            null_log=self._null_log,
            shutdown_requested=lambda: self._shutting_down,
            sealer=self.sealer,
            **create_options,
        )
        response_id, run = new.response_id, new.run
        self._runs[response_id] = run
        if self.observers:
            run.observation = self.observers.observe(observed_run(new, received_at, scope=scope))
        # A cancel (or delete) requested through the store, e.g. on another replica, reaches this run;
        # not in default mode: its id is unknown until its answer, so nobody can ask.
        if new.stored and (new.stream or new.background):
            self._cancel_subscriptions[response_id] = store.cancels.subscribe(
                response_id, lambda: run.cancel("cancelled")
            )
        return new

    def _launch(self, new: NewResponse) -> asyncio.Task:
        """Run a registered response in a task of its own; the host forgets it when it ends."""
        response_id, stored = new.response_id, new.stored
        task = asyncio.get_running_loop().create_task(new.run.execute())
        self._tasks.add(task)
        task.add_done_callback(
            lambda t: (self._tasks.discard(t), self._forget(response_id, stored), _logged(t, response_id))
        )
        return task

    # -- recovery of resilient background responses ------------------------------------------------
    def _on_recoverable(self, response_id: str) -> None:
        """The store found a resilient response awaiting recovery: re-enter it here."""
        if self._shutting_down or response_id in self._runs or self._handler is None:
            return
        task = asyncio.get_running_loop().create_task(self._recover(response_id))
        self._recoveries.add(task)
        task.add_done_callback(lambda t: (self._recoveries.discard(t), _logged(t, response_id)))

    async def _recover(self, response_id: str, end_at_once: str | None = None) -> ResponseRun | None:
        """Claim a resilient response awaiting recovery and launch its run (the handler called again,
        or with ``end_at_once`` the response ended without it); None if another took it, or it is
        not awaiting recovery."""
        store = self.store
        if response_id in self._runs or self._handler is None:
            return None
        try:
            claim = await store.records.claim_recovery(response_id)
        except StoreUnavailable as exc:
            logger.warning(
                "response %s: could not claim it for recovery: %s", response_id, exc, extra=about(response_id)
            )
            return None
        if claim is None:
            return None
        new = recover_response(
            claim,
            store=store,
            options=self.options,
            handler=self._handler,
            shutdown_requested=lambda: self._shutting_down,
            sealer=self.sealer,
            end_at_once=end_at_once,
        )
        run = new.run
        if end_at_once is None and run.recovery is not None and run.recovery.end_at_once is None:
            logger.warning(
                "response %s: re-entering its handler (recovery %d of at most %d)",
                response_id,
                run.recovery.attempt,
                self.options.max_recovery_attempts,
                extra=about(response_id),
            )
        elif end_at_once is None:
            logger.error(
                "response %s: its runs stopped unfinished %d times (max_recovery_attempts=%d); it ends failed",
                response_id,
                claim.record.resumable.attempts if claim.record.resumable else 0,
                self.options.max_recovery_attempts,
                extra=about(response_id),
            )
        self._runs[response_id] = run
        if self.observers:
            run.observation = self.observers.observe(observed_run(new, None))
        self._cancel_subscriptions[response_id] = store.cancels.subscribe(
            response_id, lambda: run.cancel("cancelled")
        )
        self._launch(new)
        return run

    async def _end_awaiting_recovery(self, record: ResponseRecord) -> ResponseRecord | None:
        """Cancel a resilient response no process runs (it awaits recovery) by claiming it and ending
        it here; None if it is not awaiting recovery (it runs elsewhere: cancel it there)."""
        if record.resumable is None:
            return None
        run = await self._recover(record.response_id, end_at_once="cancelled")
        if run is None:
            return None
        await run.done.wait()
        return await self.store.records.get(record.response_id) or record

    def _forget(self, response_id: str, stored: bool) -> None:
        self._runs.pop(response_id, None)
        unsubscribe = self._cancel_subscriptions.pop(response_id, None)
        if unsubscribe is not None:
            unsubscribe()
        if not stored:
            self._unstored_log.discard(response_id)

    async def _retrieve(self, request: Request) -> Response:
        self._check_open()
        response_id = request.path_params["response_id"]
        stream, starting_after = parse_retrieve_query(request)
        if not stream:
            return _json((await self._visible(response_id, request)).snapshot)
        await self._check_visible(response_id, request)
        try:
            frames = await self.store.events.read(
                response_id, starting_after, self.options.sse_keep_alive_interval_seconds
            )
        except LogNotFound:
            raise ApiError(
                404,
                f"The event log of response '{response_id}' has expired; it can no longer be replayed.",
                param="response_id",
                code="not_found",
            ) from None
        if self.observers:  # e.g. a replay span, linked to the response's span
            frames = self.observers.scoped_frames("replay", response_id, request.headers, frames)
        return EventStreamResponse(frames, registry=self._streams, response_id=response_id)

    async def _end_remotely(self, record: ResponseRecord) -> ResponseRecord:
        """Cancel a response whose handler runs in another process, and wait for its terminal state."""
        store = self.store
        await store.cancels.request(record.response_id)
        deadline = time.monotonic() + self.options.lease_seconds + 5.0
        ask_again_at = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            current = await store.records.get(record.response_id)
            if current is None or current.is_terminal:
                return current or record
            if time.monotonic() >= ask_again_at:  # a broadcast cancel can be missed (pub/sub is at most once)
                ask_again_at += 1.0
                await store.cancels.request(record.response_id)
            await asyncio.sleep(0.05)
        raise unavailable("The response did not reach a terminal state in time; try again.")

    async def _cancel(self, request: Request) -> Response:
        if not self.observers:
            return await self._cancel_response(request)
        response_id = request.path_params["response_id"]
        with self.observers.request_scope("cancel", response_id, request.headers):
            return await self._cancel_response(request)

    async def _cancel_response(self, request: Request) -> Response:
        self._check_open()
        response_id = request.path_params["response_id"]
        record = await self._visible(response_id, request)
        if not record.background:
            raise bad_request(
                "Only responses created with background=true can be cancelled.",
                param="response_id",
                code="not_cancellable",
            )
        if record.status == "cancelled":
            return _json(record.snapshot)
        if record.is_terminal:
            raise bad_request(
                f"Cannot cancel a response whose status is '{record.status}'.",
                param="response_id",
                code="not_cancellable",
            )
        run = self._runs.get(response_id)
        if run is not None:
            run.cancel("cancelled")
            await run.done.wait()
            record = await self._visible(response_id, request)
            if not record.is_terminal and record.resumable is not None:  # its run was leaving for recovery
                record = await self._end_awaiting_recovery(record) or record
        else:
            record = await self._end_awaiting_recovery(record) or await self._end_remotely(record)
        if record.status != "cancelled":
            raise bad_request(
                f"The response finished first: its status is '{record.status}'.",
                param="response_id",
                code="not_cancellable",
            )
        return _json(record.snapshot)

    async def _delete(self, request: Request) -> Response:
        self._check_open()
        response_id = request.path_params["response_id"]
        record = await self._visible(response_id, request)
        run = self._runs.get(response_id)
        if run is not None:
            run.cancel("cancelled")
            await run.done.wait()
        elif not record.is_terminal and await self._end_awaiting_recovery(record) is None:
            await self._end_remotely(record)
        store = self.store
        await store.records.delete(response_id)
        await store.events.delete(response_id)
        return _json({"id": response_id, "object": "response", "deleted": True})

    async def _input_items(self, request: Request) -> Response:
        self._check_open()
        response_id = request.path_params["response_id"]
        query = parse_input_items_query(request)
        record = await self._visible(response_id, request)
        return _json(page_items(record.input_items, query))

    async def _readiness(self, request: Request) -> Response:
        if self._shutting_down:
            return _json({"status": "shutting_down"}, 503)
        if not await (await self._ensure_store()).healthy():  # e.g. Redis unreachable: route elsewhere
            return _json({"status": "store_unavailable"}, 503)
        return _json({"status": "ready"})

    async def _liveness(self, request: Request) -> Response:
        return _json({"status": "alive"})

    # -- errors outside the endpoints (routing, unexpected) -------------------------------------------------
    async def _http_exception(self, request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            error = ApiError(
                405,
                f"Method {request.method} is not allowed on {request.scope['path']}.",
                code="method_not_allowed",
                headers=dict(exc.headers or {}),
            )
        elif exc.status_code == 404:
            # scope["path"], not request.url: the URL is built from the Host header, which may not parse
            error = ApiError(404, f"No route for {request.method} {request.scope['path']}.", code="not_found")
        else:
            error = ApiError(exc.status_code, str(exc.detail), code=None)
        return error.response()

    async def _unexpected(self, request: Request, exc: Exception) -> Response:
        logger.exception(
            "unexpected error serving %s %s", request.method, request.scope["path"], exc_info=exc
        )
        return internal_error().response()
