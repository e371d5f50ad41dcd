"""One way to build a host for the runtime tests, whatever the store, plus reusable test handlers.

``make_host(store_kind, **option_overrides)`` is the only place a test suite builds a
``ResponsesAgentServerHost``: the ``store_kind`` fixture (tests/conftest.py) runs every runtime test
once per store, so each store keeps one behaviour.

The handlers cover what the lifecycle has to survive: finishing (echo, function call, reasoning +
message), streaming slowly while honouring ``cancellation_signal``, raising, stalling until
cancelled, and stopping before the terminal event. Each takes an optional :class:`Probe`, which
records what the handler saw in a thread-safe way (handlers may run in a uvicorn thread or process).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from typing import Any

from responsekit import (
    ResponseEventStream,
    ResponsesAgentServerHost,
    ResponsesServerOptions,
    TextResponse,
)
from support.polling import WAIT, apoll


def make_host(store_kind: str, **option_overrides: Any) -> ResponsesAgentServerHost:
    """A host on the given store, with ``ResponsesServerOptions(**option_overrides)``."""
    if store_kind == "memory":
        overrides = {"store_url": "memory", **option_overrides}
        return ResponsesAgentServerHost(options=ResponsesServerOptions(**overrides))
    if store_kind == "redis":
        # A key prefix of its own per host (tests never see each other's keys), deleted at exit.
        from support.redis_support import redis_test_url

        overrides = {"store_url": redis_test_url(), **option_overrides}
        return ResponsesAgentServerHost(options=ResponsesServerOptions(**overrides))
    if store_kind == "sqlite":  # a file of its own per host, in a directory deleted at exit
        overrides = {"store_url": sqlite_test_url(), **option_overrides}
        return ResponsesAgentServerHost(options=ResponsesServerOptions(**overrides))
    raise ValueError(f"unknown store kind {store_kind!r}")


_sqlite_dirs: list[str] = []


def sqlite_test_url() -> str:
    """A ``sqlite:////absolute/file.db`` URL of a new file, in a temporary directory removed at exit."""
    if not _sqlite_dirs:
        atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in _sqlite_dirs])
    directory = tempfile.mkdtemp(prefix="rktest-sqlite-")
    _sqlite_dirs.append(directory)
    return f"sqlite:///{os.path.join(directory, 'store.db')}"


def store_url_for(store_kind: str) -> str:
    """The ``store_url`` a separate server process should use for ``store_kind`` (as make_host does)."""
    if store_kind == "memory":
        return "memory"
    if store_kind == "redis":
        from support.redis_support import redis_test_url

        return redis_test_url()
    if store_kind == "sqlite":
        return sqlite_test_url()
    raise ValueError(f"unknown store kind {store_kind!r}")


class Probe:
    """What a handler saw, readable from any thread: named flags plus free-form notes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flags: dict[str, threading.Event] = {}
        self.notes: list[Any] = []

    def _flag(self, name: str) -> threading.Event:
        with self._lock:
            return self._flags.setdefault(name, threading.Event())

    def set(self, name: str) -> None:
        self._flag(name).set()

    def is_set(self, name: str) -> bool:
        return self._flag(name).is_set()

    def note(self, value: Any) -> None:
        with self._lock:
            self.notes.append(value)

    def wait(self, name: str, timeout: float = WAIT) -> None:
        """Block (test thread, server elsewhere) until ``name`` is set; fail after ``timeout``."""
        if not self._flag(name).wait(timeout):
            raise AssertionError(f"handler never reached {name!r} within {timeout}s")

    async def await_(self, name: str, timeout: float = WAIT) -> None:
        """Await (server on this loop) until ``name`` is set; a bounded poll."""
        await apoll(
            self._flag(name).is_set, timeout=timeout, interval=0.005, what=f"handler reaching {name!r}"
        )


def _mark(probe: Probe | None, name: str) -> None:
    if probe is not None:
        probe.set(name)


# -- handlers ------------------------------------------------------------------------------------------
def echo_handler(probe: Probe | None = None) -> Callable:
    """async fn returning TextResponse: ``Echo: <input text>``."""

    async def handler(request, context, cancellation_signal):
        _mark(probe, "started")
        text = await context.get_input_text()
        return TextResponse(context, request, text=f"Echo: {text}")

    return handler


def slow_handler(
    deltas: int = 5, delay: float = 0.02, probe: Probe | None = None, observe_shutdown: bool = False
) -> Callable:
    """Async generator: one message of ``deltas`` deltas (``"d0 "``, ``"d1 "``...), ``delay`` apart.

    Honours ``cancellation_signal``: when it is set the handler stops at once (the runtime ends the
    response). With ``observe_shutdown`` it also notices ``context.is_shutdown_requested`` and ends
    the message early, completing cleanly (the graceful path a real handler takes).
    """

    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        _mark(probe, "started")
        for i in range(deltas):
            if observe_shutdown and context.is_shutdown_requested:
                _mark(probe, "shutdown_seen")
                break
            yield text.emit_delta(f"d{i} ")
            if probe is not None:
                probe.note(i)
            try:
                await asyncio.wait_for(cancellation_signal.wait(), delay)
            except asyncio.TimeoutError:
                continue
            except asyncio.CancelledError:
                _mark(probe, "cancelled")
                raise
            _mark(probe, "cancelled")
            return
        yield text.emit_text_done()
        yield text.emit_done()
        yield message.emit_done()
        _mark(probe, "finished")  # before the terminal event: the runtime closes the generator after it
        yield stream.emit_completed()

    return handler


def gated_handler(probe: Probe, *, before: int = 1, after: int = 2, gate: str = "release") -> Callable:
    """Streams ``before`` deltas, sets ``waiting``, waits (bounded) until the test sets ``gate``, then
    streams ``after`` deltas and completes. Lets a test act at a known point of a live response."""

    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        for i in range(before):
            yield text.emit_delta(f"before{i} ")
        probe.note(context.response_id)
        probe.set("waiting")
        try:
            await probe.await_(gate, timeout=3 * WAIT)
        except asyncio.CancelledError:
            probe.set("cancelled")
            raise
        for i in range(after):
            yield text.emit_delta(f"after{i} ")
        yield text.emit_text_done()
        yield text.emit_done()
        yield message.emit_done()
        probe.set("finished")
        yield stream.emit_completed()

    return handler


def failing_handler(after_deltas: int = 1, probe: Probe | None = None) -> Callable:
    """Starts a message, streams ``after_deltas`` deltas, then raises with a secret in the message."""

    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        for i in range(after_deltas):
            yield text.emit_delta(f"partial{i} ")
        _mark(probe, "started")
        raise RuntimeError("SECRET-INTERNAL-DETAIL: database password is hunter2")

    return handler


def stalling_handler(probe: Probe | None = None, *, honour_signal: bool = True) -> Callable:
    """Starts a message, one delta, then waits for ``cancellation_signal`` (never finishes on its own).

    With ``honour_signal`` (the default) it stops at once when the signal is set, leaving the runtime
    to end the response; without it, it ignores the signal and only an interruption by the runtime
    (after the cancellation grace period, or at once on shutdown) stops it. ``cancelled`` is set either way.
    """

    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        yield text.emit_delta("partial")
        _mark(probe, "started")
        try:
            await cancellation_signal.wait()
            if honour_signal:
                _mark(probe, "cancelled")
                return
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            _mark(probe, "cancelled")
            raise

    return handler


def stopping_early_handler(probe: Probe | None = None) -> Callable:
    """Opens a message and a text part, one delta, then returns without closing anything."""

    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        text = message.add_text_content()
        yield text.emit_added()
        yield text.emit_delta("half an answ")
        _mark(probe, "started")

    return handler


def function_call_handler(probe: Probe | None = None) -> Callable:
    """Sync generator: one function call ``get_weather`` with JSON arguments, then completed."""

    def handler(request, context, cancellation_signal):
        _mark(probe, "started")
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        arguments = json.dumps({"location": "Seattle", "unit": "fahrenheit"})
        yield from stream.output_item_function_call("get_weather", "call_001", arguments)
        yield stream.emit_completed()

    return handler


def reasoning_message_handler(probe: Probe | None = None) -> Callable:
    """Sync generator: a reasoning item then a message, then completed."""

    def handler(request, context, cancellation_signal):
        _mark(probe, "started")
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        yield from stream.output_item_reasoning_item("Let me think about this...")
        yield from stream.output_item_message("Here is my answer.")
        yield stream.emit_completed()

    return handler


def host_with(store_kind: str, handler: Callable, **option_overrides: Any) -> ResponsesAgentServerHost:
    """``make_host`` plus ``@response_handler`` in one call."""
    host = make_host(store_kind, **option_overrides)
    host.response_handler(handler)
    return host
