"""Observers: what the runtime tells code that watches responses (telemetry, a live console).

The host keeps its observers in ``host.observers`` (an :class:`Observers`). While it is empty the
runtime pays one falsy check per response and per event. Once one is registered, each new
response gets an :class:`Observation`: the run's view of the observers registered when it started,
which calls each of them and never lets an observer's failure reach the response.

An observer sees a response start (:meth:`ResponseObserver.response_started`), each event the run
emits (:meth:`~ResponseObserver.event_emitted`) and its terminal snapshot
(:meth:`~ResponseObserver.response_finished`). Two optional scopes let it wrap work: the
handler's task (:meth:`~ResponseObserver.handler_scope`, e.g. a tracing span made current there)
and requests about an existing response (:meth:`~ResponseObserver.request_scope`: a replay, a
cancel).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.datastructures import Headers

if TYPE_CHECKING:
    from responsekit.server.create import NewResponse

logger = logging.getLogger("responsekit")

T = TypeVar("T")

#: The four modes of a create request, as observers see them.
MODES = ("default", "stream", "background", "background_stream")


def mode_of(*, stream: bool, background: bool) -> str:
    if background:
        return "background_stream" if stream else "background"
    return "stream" if stream else "default"


@dataclass(eq=False)
class ResponseRun:
    """One response as observers see it."""

    response_id: str
    mode: str  # "default" | "stream" | "background" | "background_stream"
    model: str | None
    #: The isolation user key, raw: an observer that shows it hashes it first.
    user_key: str | None
    #: ``time.time()`` when the create request arrived.
    started_at: float
    #: The request's headers (e.g. ``traceparent`` / ``tracestate``); empty for a recovered run.
    headers: Mapping[str, str]
    #: False for ``store=false`` (the response cannot be retrieved or replayed).
    stored: bool = True
    #: How many times the response was re-entered after its process died (0: its first run).
    recovery_attempt: int = 0
    #: The conversation the response belongs to, if it names one.
    conversation_id: str | None = None
    #: Per-run state of the observers, each under a key of its own (e.g. a tracing span).
    state: dict[Any, Any] = field(default_factory=dict, repr=False)


class ResponseObserver:
    """No-op base: subclasses override what they need. Calls come from the server's event loop;
    they must be quick and must not block (hand slow work to a task or a thread)."""

    def response_started(self, run: ResponseRun) -> None:
        """A response was created (its record exists; its handler is about to run)."""

    def event_emitted(self, run: ResponseRun, event: Mapping[str, Any]) -> None:
        """The run emitted one event (logged for its readers). ``event`` is an :class:`EventView`."""

    def response_finished(self, run: ResponseRun, response: Mapping[str, Any]) -> None:
        """The run ended; ``response`` is the terminal snapshot (``in_progress`` for a resilient
        response left for recovery)."""

    def handler_scope(self, run: ResponseRun) -> AbstractContextManager[Any] | None:
        """A context entered in the handler's task around the handler (None: nothing to enter)."""
        return None

    def request_scope(
        self, operation: str, response_id: str, headers: Mapping[str, str]
    ) -> AbstractContextManager[Any] | None:
        """A context around a request about an existing response: ``operation`` is ``"replay"``
        (``GET ?stream=true``, until its stream ends) or ``"cancel"``. None: nothing to enter."""
        return None


class EventView(Mapping[str, Any]):
    """A read-only view of one emitted event: ``type`` and ``sequence_number`` at once, the payload
    parsed only when an observer reads it."""

    __slots__ = ("_event",)

    def __init__(self, event: Any) -> None:
        self._event = event

    @property
    def type(self) -> str:
        return self._event.type

    @property
    def sequence_number(self) -> int:
        return self._event.sequence_number

    @property
    def json(self) -> bytes:
        """The event's payload as sent (JSON bytes)."""
        return self._event.json

    def __getitem__(self, key: str) -> Any:
        return self._event.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._event.data)

    def __len__(self) -> int:
        return len(self._event.data)


def _report(observer: ResponseObserver, what: str) -> None:
    logger.warning("observer %r failed in %s; the response is not affected", observer, what, exc_info=True)


class Observation:
    """One run's observers (those registered when it started), each call shielded from failures."""

    __slots__ = ("run", "_observers")

    def __init__(self, run: ResponseRun, observers: tuple[ResponseObserver, ...]) -> None:
        self.run = run
        self._observers = observers
        for observer in observers:
            try:
                observer.response_started(run)
            except Exception:
                _report(observer, "response_started")

    def event(self, event: Any) -> None:
        view = EventView(event)
        for observer in self._observers:
            try:
                observer.event_emitted(self.run, view)
            except Exception:
                _report(observer, "event_emitted")

    def finished(self, response: Mapping[str, Any]) -> None:
        for observer in self._observers:
            try:
                observer.response_finished(self.run, response)
            except Exception:
                _report(observer, "response_finished")

    async def around_handler(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` (the handler's part of the run, in its own task) inside the observers'
        handler scopes, so e.g. a tracing span is current in the handler."""
        with contextlib.ExitStack() as scopes:
            for observer in self._observers:
                try:
                    scope = observer.handler_scope(self.run)
                    if scope is not None:
                        scopes.enter_context(scope)
                except Exception:
                    _report(observer, "handler_scope")
            return await work


class Observers(list):
    """The observers of one host (``host.observers``), in the order they were added. A list, so the
    runtime's check while it is empty is the cheapest there is (``if host.observers``)."""

    def add(self, observer: ResponseObserver) -> ResponseObserver:
        """Register ``observer`` (once); responses created from now on are shown to it."""
        if not isinstance(observer, ResponseObserver):
            raise TypeError(f"an observer must be a ResponseObserver, got {type(observer).__name__}")
        if not any(o is observer for o in self):
            self.append(observer)
        return observer

    def discard(self, observer: ResponseObserver) -> None:
        """Unregister ``observer`` if it is registered (responses already running still show it
        their end)."""
        self[:] = [o for o in self if o is not observer]

    def observe(self, run: ResponseRun) -> Observation:
        """Tell the observers ``run`` started; the returned Observation carries the rest of it."""
        return Observation(run, tuple(self))

    @contextlib.contextmanager
    def request_scope(self, operation: str, response_id: str, headers: Mapping[str, str]) -> Iterator[None]:
        """The observers' scopes around a request about ``response_id`` (see ResponseObserver)."""
        with contextlib.ExitStack() as scopes:
            for observer in self:
                try:
                    scope = observer.request_scope(operation, response_id, headers)
                    if scope is not None:
                        scopes.enter_context(scope)
                except Exception:
                    _report(observer, "request_scope")
            yield

    def scoped_frames(
        self, operation: str, response_id: str, headers: Mapping[str, str], frames: AsyncIterator[T]
    ) -> AsyncIterator[T]:
        """``frames`` (a replay's SSE frames) inside the observers' request scopes: entered now,
        left when the stream ends (or its reader goes away)."""
        scope = self.request_scope(operation, response_id, headers)
        scope.__enter__()
        return _scoped(scope, frames)


async def _scoped(scope: AbstractContextManager[Any], frames: AsyncIterator[T]) -> AsyncIterator[T]:
    try:
        async for frame in frames:
            yield frame
    except BaseException:
        if not scope.__exit__(*sys.exc_info()):
            raise
    else:
        scope.__exit__(None, None, None)
    finally:
        close = getattr(frames, "aclose", None)
        if close is not None:
            await close()


def observed_run(
    new: NewResponse, started_at: float | None, *, scope: Mapping[str, Any] | None = None
) -> ResponseRun:
    """The observers' view of a response the create path (or a recovery) just made."""
    record = new.record
    recovery = new.run.recovery
    return ResponseRun(
        response_id=record.response_id,
        mode=mode_of(stream=new.stream, background=new.background),
        model=record.snapshot.get("model") or None,
        user_key=record.owner,
        started_at=started_at if started_at is not None else time.time(),
        headers=Headers(scope=scope) if scope is not None and scope.get("headers") is not None else {},
        stored=new.stored,
        recovery_attempt=recovery.attempt if recovery is not None else 0,
        conversation_id=record.conversation_id,
    )


__all__ = [
    "MODES",
    "EventView",
    "Observation",
    "Observers",
    "ResponseObserver",
    "ResponseRun",
    "mode_of",
    "observed_run",
]
