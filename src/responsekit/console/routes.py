"""The console's HTTP surface under ``{prefix}/_console``: the page, its static files (shipped in
this package, no CDN) and the JSON the page polls. Each request from a non-loopback client gets 403
unless remote access is allowed (the bind is also checked at startup, see ``loopback``).

The page finds everything through URLs relative to itself, so it works under any route prefix and
inside a mounted app. It replays stored responses through the protocol's own replay endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from responsekit.console.loopback import client_is_loopback
from responsekit.console.recorder import ConsoleRecorder
from responsekit.server.errors import ApiError
from responsekit.server.observers import Observers
from responsekit.streaming.events import encode_json

#: The files the page is made of, with their content types: nothing else is served.
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}
# The page loads only its own files and talks only to this server.
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


def _static(name: str) -> bytes:
    return resources.files("responsekit.console").joinpath("static", name).read_bytes()


class ConsoleRoutes:
    """The console's routes for one host."""

    def __init__(self, recorder: ConsoleRecorder, *, allow_remote: bool) -> None:
        self.recorder = recorder
        self.allow_remote = allow_remote

    def routes(self, prefix: str) -> list[Route]:
        base = f"{prefix}/_console"
        guard = self._guarded
        return [
            Route(base, guard(self._page), methods=["GET"]),
            Route(f"{base}/static/{{name}}", guard(self._file), methods=["GET"]),
            Route(f"{base}/api/responses", guard(self._list), methods=["GET"]),
            Route(f"{base}/api/responses/{{response_id}}", guard(self._detail), methods=["GET"]),
        ]

    def _guarded(self, method: Callable[[Request], Awaitable[Response]]) -> Callable:
        async def endpoint(request: Request) -> Response:
            if not self.allow_remote and not client_is_loopback(request.scope):
                return ApiError(
                    403,
                    "The event console answers only loopback clients (set console_allow_remote=True to "
                    "serve it to others).",
                    code="console_loopback_only",
                ).response()
            try:
                return await method(request)
            except ApiError as exc:
                return exc.response()

        endpoint.__name__ = method.__name__
        return endpoint

    async def _page(self, request: Request) -> Response:
        return self._asset("index.html")

    async def _file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            raise ApiError(404, f"No console file named '{name}'.", code="not_found")
        return self._asset(name)

    def _asset(self, name: str) -> Response:
        return Response(_static(name), media_type=STATIC_FILES[name], headers=_HEADERS)

    async def _list(self, request: Request) -> Response:
        data = [entry.summary() for entry in self.recorder.recent()]
        body = {"object": "list", "data": data, "capacity": self.recorder.max_responses}
        return _json(body)

    async def _detail(self, request: Request) -> Response:
        response_id = request.path_params["response_id"]
        entry = self.recorder.get(response_id)
        if entry is None:
            raise ApiError(
                404,
                f"The console has no response '{response_id}' (it keeps this process's most recent "
                f"{self.recorder.max_responses}).",
                param="response_id",
                code="not_found",
            )
        return _json(entry.detail())


def _json(data: object) -> Response:
    return Response(encode_json(data), media_type="application/json", headers={"Cache-Control": "no-store"})


def console_routes(observers: Observers, prefix: str, *, allow_remote: bool) -> list[Route]:
    """The console's routes under ``prefix``, its recorder registered with the host's ``observers``."""
    recorder = ConsoleRecorder()
    observers.add(recorder)
    return ConsoleRoutes(recorder, allow_remote=allow_remote).routes(prefix)
