"""Helpers of the HTTP runtime tests: an in-process client, error envelopes, waiting on a status.

The strict SSE reader and the polling helper are shared by every test package (support/sse.py,
support/polling.py); they are re-exported here so the HTTP tests import them from one place.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

import anyio
import httpx
from support.hosts import WAIT
from support.polling import apoll, poll
from support.sse import (
    SSE,
    TERMINAL_TYPES,
    Frame,
    LiveSSE,
    SSEReader,
    check_complete_stream,
    parse_frame,
    parse_sse,
)

from responsekit import ResponsesAgentServerHost

__all__ = [
    "ENVELOPE_KEYS",
    "SSE",
    "TERMINAL_STATUSES",
    "TERMINAL_TYPES",
    "Frame",
    "LiveSSE",
    "SSEReader",
    "apoll",
    "asgi",
    "check_complete_stream",
    "check_envelope",
    "create",
    "parse_frame",
    "parse_sse",
    "poll",
    "wait_status",
]

TERMINAL_STATUSES = {"completed", "failed", "incomplete", "cancelled"}
ENVELOPE_KEYS = {"message", "type", "param", "code"}


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
    last: dict[str, str] = {}

    async def reached() -> dict[str, Any] | None:
        reply = await client.get(f"/responses/{response_id}", headers=headers)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        last["status"] = body["status"]
        return body if body["status"] in wanted else None

    return await apoll(
        reached, timeout=timeout, interval=0.005, what=lambda: f"{response_id} still {last['status']!r}"
    )
