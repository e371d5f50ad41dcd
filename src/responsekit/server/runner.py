"""One response's run: the handler's events, checked, numbered, logged, and always ended.

Whatever the mode, a run is the same loop: take the handler's next event, check it came from the
response's stream in sequence, append its frame to the event log, and keep the stored snapshot
current. Readers (live SSE, replay, the default mode's wait) are subscribers of that log.

Exactly one terminal event ends every run. If the handler emits one, the terminal record is
written with a compare-and-set first, so a cancel racing a completion leaves one terminal state.
If the handler fails, stops early, is cancelled or outlives a shutdown, the run closes the open
items (as interrupted) and emits the terminal event itself.

A resilient background response (``resilient``) is the exception: when its handler leaves with
``context.exit_for_recovery()`` or the server shuts down, the run ends without a terminal event
and the store keeps the response for recovery. Its recovery is a run of its own (``recovery``):
the handler is called again, its events continue the same log (a ``response.created`` or
``response.queued`` it emits again is not logged twice), or, past ``max_recovery_attempts`` or
when a cancel finds it awaiting recovery, the run ends it at once without the handler.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from responsekit._logs import about
from responsekit.server.context import ResponseExitForRecovery
from responsekit.server.handler import open_handler
from responsekit.store.protocols import LogEntry, StoreUnavailable
from responsekit.streaming.checkpoint import Checkpoint
from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.events import StreamEvent, encode_json
from responsekit.streaming.raw_events import RawEventStream, is_raw_event
from responsekit.streaming.runtime_interface import offer_initial_snapshot
from responsekit.streaming.stream import ResponseEventStream
from responsekit.streaming.terminal import FAILURE_MESSAGES, TERMINAL_EVENT_TYPES, runtime_terminal_snapshot

if TYPE_CHECKING:
    from responsekit.server.observers import Observation
    from responsekit.store.protocols import EventLog, RecordStore, ResponseRecord

logger = logging.getLogger("responsekit")

# Events after which the stored snapshot is refreshed (so GET shows the response as it stands).
CHECKPOINTS = frozenset(
    {"response.created", "response.queued", "response.in_progress", "response.output_item.done"}
)

# FAILURE_MESSAGES (what a client is told when the runtime ends a response) lives beside the
# terminal snapshot in streaming/terminal.py; it stays importable from here.
__all__ = ["CHECKPOINTS", "FAILURE_MESSAGES", "HandlerProtocolError", "Recovery", "ResponseRun"]

#: Events a recovered run does not log again once its log has events: the response was created
#: (and queued) by the first run; the recovered run's ``response.in_progress`` is its reset point.
_ONCE_PER_RESPONSE = frozenset({"response.created", "response.queued"})

#: Why a resilient run stops without ending its response (it is left for recovery).
_LEFT_FOR_RECOVERY = frozenset({"shutdown", "recovery"})


#: After an interrupt, how long the handler gets to unwind before the run ends without it.
ABANDON_MARGIN_SECONDS = 0.5

#: After this many events in a row, the run lets the event loop turn once (see _accept).
YIELD_EVERY_EVENTS = 256


def _uncancel() -> None:
    """Clear pending cancellation requests of the current task (the run goes on to end itself)."""
    current = asyncio.current_task()
    if current is not None and hasattr(current, "uncancel"):
        while current.cancelling():
            current.uncancel()


async def _nothing_to_consume() -> None:
    """The handler's part of a run that ends a response without it."""


if sys.version_info >= (3, 12):

    def _start_task(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task:
        """The handler's task, started eagerly: it runs at once, up to its first real wait, before
        this returns. A handler that never waits (an echo, a cached answer) ends here, without a
        turn of the event loop; it is still a task of its own (its own context, cancellable,
        ``asyncio.current_task()`` is it), as Python 3.12's eager tasks are."""
        return asyncio.Task(coro, loop=loop, eager_start=True)

else:  # eager tasks are new in Python 3.12

    def _start_task(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task:
        return loop.create_task(coro)


def _retrieve(task: asyncio.Task) -> None:
    """Consume a left-behind handler task's outcome ("Task exception was never retrieved" otherwise)."""
    if not task.cancelled():
        task.exception()


@dataclass(frozen=True, slots=True)
class Recovery:
    """How a run re-enters a resilient response a previous run left unfinished."""

    #: Where the response's event log continues (its last stored event + 1).
    next_sequence_number: int
    #: The recovery runs started so far, this one included.
    attempt: int
    #: End the response at once, without the handler, for this reason (``unrecoverable`` past
    #: ``max_recovery_attempts``; ``cancelled`` when a cancel or delete found it awaiting recovery).
    end_at_once: str | None = None


def _renumbered(event: StreamEvent, sequence_number: int) -> StreamEvent:
    payload = {**event.data, "sequence_number": sequence_number}
    return StreamEvent(event.type, sequence_number, encode_json(payload), event.stream)


class HandlerProtocolError(RuntimeError):
    """The handler yielded something the protocol cannot carry."""


class _StopRun(Exception):
    """Internal: a cancel arrived while an event was being stored; stop at this clean point."""


class ResponseRun:
    def __init__(
        self,
        *,
        handler: Any,
        request: Any,
        context: Any,
        record: ResponseRecord,
        records: RecordStore | None,
        log: EventLog,
        cancellation_signal: asyncio.Event,
        cancellation_grace_seconds: float = 0.0,
        on_terminal: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
        resilient: bool = False,
        recovery: Recovery | None = None,
    ) -> None:
        self.response_id = record.response_id
        self.record = record
        self.request = request
        self.context = context
        self.cancellation_signal = cancellation_signal
        self._handler = handler
        self._records = records
        self._log = log
        self._on_terminal = on_terminal
        # The server's initial snapshot (what a background create already answered): the stream
        # delivering this response adopts its creation time and model (see ResponseEventStream.adopt).
        self._template = dict(record.snapshot)
        # Default mode (not streamed, not background): nobody reads the log or the stored snapshot
        # while it runs (the id is first told in the answer), so its events are held and logged in
        # one write with the terminal event, and no in-progress snapshot is stored.
        self._held: list[LogEntry] | None = [] if not (record.stream or record.background) else None
        self._stream: ResponseEventStream | None = None
        self._next_seq = 0
        #: A resilient background response on a durable store: left for recovery, not failed, when
        #: its handler exits for recovery or the server shuts down; checkpoints are durable.
        self.resilient = resilient and records is not None
        self.recovery = recovery
        # A recovered run: added to the handler's sequence numbers when its stream emitted events
        # ahead of yielding them (see _continue_log).
        self._seq_offset = 0
        if recovery is not None:
            self._next_seq = recovery.next_sequence_number
        self._handler_task: asyncio.Task | None = None
        #: What execute() waits on: done when the handler's task ends, or when the run abandons it.
        self._wait_over: asyncio.Future | None = None
        self._abandon_timer: asyncio.TimerHandle | None = None
        self._left_behind = False
        self._dropped_logged = False
        #: Set when the store failed while the run was being ended (the host answers 503).
        self.store_error: StoreUnavailable | None = None
        self._end_reason: str | None = None
        self._grace = cancellation_grace_seconds
        self._grace_timer: asyncio.TimerHandle | None = None
        self._interrupted = False
        self._delivering = False
        self._unyielded = 0  # events delivered since the run last let the loop turn
        self._finalizing = False
        self._terminal_delivered = False
        self.done = asyncio.Event()
        #: The terminal snapshot (as stored), once the run has ended.
        self.final_snapshot: dict[str, Any] | None = None
        #: The host's observers of this run (server/observers.py); None when there are none.
        self.observation: Observation | None = None

    @property
    def is_finished(self) -> bool:
        return self.done.is_set()

    def cancel(self, reason: str = "cancelled") -> bool:
        """End the run as ``reason`` (cancelled, disconnected, shutdown). False if it is too late.

        The cancellation signal is set at once. A handler that watches it gets the grace period to
        stop at a clean point (its further items are kept as partial output; a terminal event it
        emits is replaced by the cancellation's). After the grace period, or at once on shutdown,
        the handler is interrupted where it awaits.
        """
        if self._finalizing or self._terminal_delivered or self._end_reason is not None:
            return False
        self._end_reason = reason
        self.cancellation_signal.set()
        if reason == "shutdown" or self._grace <= 0:
            self._interrupt()
        else:
            self._grace_timer = asyncio.get_running_loop().call_later(self._grace, self._interrupt)
        return True

    def lose(self) -> None:
        """The store says this run's lease was taken over: another replica declared it lost and
        stored its terminal event. Stop the handler at once and write nothing more."""
        if self._finalizing or self._terminal_delivered:
            return
        self._end_reason = "lost"
        self.cancellation_signal.set()
        self._interrupt()

    def _interrupt(self) -> None:
        if self._finalizing:
            return
        self._interrupted = True
        task = self._handler_task
        # Mid-store, the run stops itself right after the store call (see _accept).
        if task is not None and not task.done() and not self._delivering:
            task.cancel()
            # A handler that swallows the cancellation does not hold the response hostage: after
            # a short margin the run ends without it (whatever it yields later is dropped).
            self._abandon_timer = asyncio.get_running_loop().call_later(ABANDON_MARGIN_SECONDS, self._abandon)

    def _handler_ended(self, _task: asyncio.Task) -> None:
        self._end_wait()

    def _abandon(self) -> None:
        """The handler ignored its interruption: the run ends without it."""
        self._end_wait()

    def _end_wait(self) -> None:
        waiter = self._wait_over
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def execute(self) -> dict[str, Any]:
        """Run the handler to its end; returns the terminal snapshot.

        The handler runs in a task of its own, so that a handler which ignores cancellation can be
        left behind: the response still ends within the grace period plus a short margin.
        """
        loop = asyncio.get_running_loop()
        # A store shared by replicas keeps this run's lease alive until release (memory: no lease).
        records = self._records
        release = records.hold(self.response_id, on_lost=self.lose) if records is not None else None
        if self.recovery is not None and self.recovery.end_at_once is not None:
            self._end_reason = self.recovery.end_at_once
            consume = _nothing_to_consume()
        else:
            consume = self._consume()
            if self.observation is not None:  # e.g. a tracing span current in the handler's task
                consume = self.observation.around_handler(consume)
        # One future ends the wait: the handler's task finishing, or the run abandoning it.
        ended = self._wait_over = loop.create_future()
        handler_task = self._handler_task = _start_task(loop, consume)
        if handler_task.done():  # it ran to its end eagerly: nothing to wait for
            ended.set_result(None)
        else:
            handler_task.add_done_callback(self._handler_ended)
        failure: str | None = None
        try:
            try:
                await ended
            except asyncio.CancelledError:  # this run itself was cancelled (a hard stop): say so
                if self._end_reason is None:
                    self._end_reason = "shutdown"
                self._interrupt()
                _uncancel()
                if ended.cancelled():  # awaiting it cancelled it: wait on a new one
                    ended = self._wait_over = loop.create_future()
                    if handler_task.done():
                        ended.set_result(None)
                await ended
            if handler_task.done():
                failure = handler_task.result()
            else:
                self._left_behind = True
                handler_task.add_done_callback(_retrieve)
                logger.warning(
                    "response %s: the handler ignored its cancellation; the response ended without it "
                    "(the handler keeps running until it returns)",
                    self.response_id,
                    extra=about(self.response_id),
                )
            self._finalizing = True
            for timer in (self._grace_timer, self._abandon_timer):
                if timer is not None:
                    timer.cancel()
            if not self._terminal_delivered:
                if failure is None and self._end_reason is None:
                    failure = "incomplete"
                    logger.warning(
                        "response %s: handler incomplete: it ended without a terminal event; the runtime "
                        "closed the open items and failed the response",
                        self.response_id,
                        extra=about(self.response_id),
                    )
                await self._close(failure)
        except StoreUnavailable as exc:
            self.store_error = exc
            logger.warning(
                "response %s: store failure while ending the response (%s); its terminal state may not "
                "be recorded",
                self.response_id,
                exc,
                extra=about(self.response_id),
            )
        finally:  # even when the store fails: waiters must not hang
            self.done.set()
            if self.observation is not None:
                self.observation.finished(self.final_snapshot or {})
            if release is not None:
                release()
        return self.final_snapshot or {}

    async def _consume(self) -> str | None:
        """Feed the handler's events through ``_accept``; returns the failure reason, if any."""
        events = None
        if self.recovery is None:  # a recovered run's template holds the items it had: not a new stream's
            offer_initial_snapshot(self.response_id, self.request, self._template)
        try:
            try:
                events = await open_handler(
                    self._handler, self.request, self.context, self.cancellation_signal
                )
                async for item in events:
                    if await self._accept(item):
                        break
            finally:
                close = getattr(events, "aclose", None)
                if close is not None:
                    await close()
        except (asyncio.CancelledError, _StopRun):
            if self._end_reason is None:  # cancelled from outside (e.g. a hard stop): say so
                self._end_reason = "shutdown"
            _uncancel()
        except ResponseExitForRecovery:
            if not self.resilient:
                logger.error(
                    "response %s: the handler exited for recovery, but the response is not resilient "
                    "(background=true with resilient_background on a durable store); it fails",
                    self.response_id,
                    extra=about(self.response_id),
                )
                return "exception"
            if self._end_reason is None:
                self._end_reason = "recovery"
            logger.info(
                "response %s: the handler exited for recovery",
                self.response_id,
                extra=about(self.response_id),
            )
        except StoreUnavailable as exc:
            logger.warning(
                "response %s: store failure while recording an event (%s); the response fails",
                self.response_id,
                exc,
                extra=about(self.response_id),
            )
            return "store"
        except Exception:
            if self._left_behind:  # e.g. it emitted on the stream the runtime had already ended
                self._log_dropped()
                return None
            logger.exception(
                "response %s: the handler raised; the response fails with server_error",
                self.response_id,
                extra=about(self.response_id),
            )
            return "exception"
        return None

    def _log_dropped(self) -> None:
        if not self._dropped_logged:
            self._dropped_logged = True
            logger.warning(
                "response %s: the handler went on after it was interrupted; what it emitted since is dropped",
                self.response_id,
                extra=about(self.response_id),
            )

    # -- the loop's body ------------------------------------------------------------------------------
    async def _accept(self, item: Any) -> bool:
        """Check one yielded event and store it; True once the terminal event is in."""
        if self._interrupted or self._left_behind:
            # The handler went on after it was interrupted: the response is ended without it.
            self._log_dropped()
            raise _StopRun
        if isinstance(item, Checkpoint):
            await self._checkpoint(item)
            return False
        if not isinstance(item, StreamEvent):
            if not is_raw_event(item):
                raise HandlerProtocolError(
                    f"the handler yielded {type(item).__name__}; yield the events that ResponseEventStream's "
                    "emit_* methods return, or raw event dicts"
                )
            raw = self._stream
            if raw is None:
                raw = RawEventStream(self.response_id, self.request, self._template)
            elif not isinstance(raw, RawEventStream):
                raise HandlerProtocolError(
                    "the handler yielded raw events and a stream's events in one response"
                )
            raw.continue_at(self._next_seq)
            item = raw.accept(item)  # raises RawEventError (the response fails) and changes nothing
            self._stream = raw
        stream = item.stream
        if self.recovery is not None and self._next_seq > 0 and self._continue_log(item):
            return False
        if self._seq_offset:
            item = _renumbered(item, item.sequence_number + self._seq_offset)
        if self._stream is None:
            if not isinstance(stream, ResponseEventStream) or stream.response_id != self.response_id:
                raise HandlerProtocolError(
                    "the handler's events belong to another response; create the stream with "
                    "ResponseEventStream(response_id=context.response_id, request=request)"
                )
            self._stream = stream
            item = stream.adopt(self._template, item)  # the first event is always response.created
        elif stream is not self._stream:
            raise HandlerProtocolError("the handler yielded events of two different streams")
        if item.sequence_number != self._next_seq:
            raise HandlerProtocolError(
                f"event {item.type} #{item.sequence_number} arrived where #{self._next_seq} was due: an emitted "
                "event was not yielded, or was yielded out of order or twice"
            )
        if self._end_reason is not None and item.type in TERMINAL_EVENT_TYPES:
            raise _StopRun  # the cancellation ends this response, not the handler's terminal event
        self._delivering = True
        try:
            terminal = await self._deliver(item)
        finally:
            self._delivering = False
        if self._interrupted and not terminal:
            raise _StopRun
        if not terminal:
            self._unyielded += 1
            if self._unyielded >= YIELD_EVERY_EVENTS:
                # A handler emitting a burst without awaiting anything would hold the event loop
                # until it ends: its readers (and every other request) get a turn now and then.
                self._unyielded = 0
                await asyncio.sleep(0)
        return terminal

    def _continue_log(self, item: StreamEvent) -> bool:
        """A recovered run whose log has events: its handler's stream numbers from 0, the log goes
        on from its last event. True for a ``response.created`` / ``response.queued``: the log has
        them from the first run, so they are not logged again."""
        skip = item.type in _ONCE_PER_RESPONSE
        stream = item.stream
        if isinstance(stream, RawEventStream) or (self._stream is not None and not skip):
            return skip  # raw events are numbered by the run; a stream's numbering is set already
        if stream is None or stream.response_id != self.response_id:
            raise HandlerProtocolError(
                "the handler's events belong to another response; create the stream with "
                "ResponseEventStream(response_id=context.response_id, response=context.persisted_response)"
            )
        if self._stream is not None and stream is not self._stream:
            raise HandlerProtocolError("the handler yielded events of two different streams")
        following = item.sequence_number + 1 if skip else item.sequence_number
        if skip and stream.sequence_number == following:
            stream.continue_at(self._next_seq)  # nothing emitted ahead: the stream numbers on from here
            self._seq_offset = 0
        else:
            self._seq_offset = self._next_seq - following
        if skip:
            self._stream = stream
        return skip

    async def _checkpoint(self, marker: Checkpoint) -> None:
        """``yield stream.checkpoint()``: on a durable store, persist the snapshot as it stands
        (nothing is sent to readers); a no-op on the memory store and after the terminal event."""
        if self._stream is not None and marker.stream is not self._stream:
            raise HandlerProtocolError("the handler yielded a checkpoint of another stream")
        durable = self._records is not None and self._records.durable
        if durable and self._stream is not None and not self._interrupted and not self._stream.is_terminal:
            self._delivering = True
            try:
                snapshot = self._stream.snapshot
                if self.resilient:
                    # A copy: the stored checkpoint is the response as it stands now.
                    snapshot = {**snapshot, "output": list(snapshot.get("output") or ())}
                    await self._records.save_checkpoint(self.response_id, snapshot, marker.internal_metadata)
                else:
                    await self._records.save_snapshot(self.response_id, snapshot)
            finally:
                self._delivering = False

    async def _deliver(self, event: StreamEvent) -> bool:
        self._next_seq = event.sequence_number + 1
        entry = LogEntry(event.sequence_number, event.frame)
        if self.observation is not None:
            self.observation.event(event)
        if event.type in TERMINAL_EVENT_TYPES:
            self._terminal_delivered = True
            snapshot = event.stream.snapshot if event.stream is not None else event.data["response"]
            won = True
            if self._records is not None:
                won = await self._records.finish(self.response_id, snapshot)
            if won:
                self.final_snapshot = snapshot
                if self._on_terminal is not None:  # before the terminal event: its readers see the effect
                    await self._after_terminal(snapshot)
                entries = [entry]
                if self._held:
                    entries = [*self._held, entry]
                    self._held.clear()
                try:
                    await self._log.append(self.response_id, entries, close=True)
                except StoreUnavailable as exc:  # its events are lost: a default-mode create answers 503
                    self.store_error = exc
                    raise
            else:
                # Someone else (a delete, or a replica that declared this worker lost) ended it.
                current = await self._records.get(self.response_id) if self._records else None
                self.final_snapshot = current.snapshot if current is not None else snapshot
                logger.info(
                    "response %s was ended elsewhere; its terminal event here is dropped",
                    self.response_id,
                    extra=about(self.response_id),
                )
            return True
        if self._held is not None:
            self._held.append(entry)
            return False
        await self._log.append(self.response_id, [entry])
        if self._records is not None and event.type in CHECKPOINTS:
            await self._records.save_snapshot(self.response_id, event.stream.snapshot)
        return False

    async def _after_terminal(self, snapshot: dict[str, Any]) -> None:
        """The create path's follow-up of a terminal state (e.g. appending to a conversation); its
        failure is logged, never turned into a second terminal state."""
        try:
            await self._on_terminal(snapshot)
        except Exception:
            logger.exception(
                "response %s: the follow-up of its terminal state failed",
                self.response_id,
                extra=about(self.response_id),
            )

    async def _close(self, failure: str | None) -> None:
        """End the response on the handler's behalf: close open items, then the terminal event."""
        reason = self._end_reason or failure or "incomplete"
        if self.resilient and reason in _LEFT_FOR_RECOVERY:
            await self._records.leave_for_recovery(self.response_id)
            data = self._stream.snapshot if self._stream is not None else self._template
            self.final_snapshot = dict(data)
            logger.info(
                "response %s: left for recovery (%s)", self.response_id, reason, extra=about(self.response_id)
            )
            return
        if reason == "lost":  # ended elsewhere (see lose): its stored terminal state is the outcome
            current = await self._records.get(self.response_id) if self._records is not None else None
            if current is not None and current.is_terminal:
                self.final_snapshot = current.snapshot
            else:
                data = self._stream.snapshot if self._stream is not None else self._template
                self.final_snapshot = runtime_terminal_snapshot(data, "lost")
            return
        stream = self._stream
        if self.recovery is not None and stream is None:
            # The response as it was left: its checkpointed items stay in the terminal snapshot.
            stream = ResponseEventStream(response_id=self.response_id, response=self._template)
            if self._next_seq > 0:  # its log has response.created already: not emitted again
                stream.continue_logged(self._next_seq)
        elif stream is None or self._next_seq == 0:
            stream = ResponseEventStream(response_id=self.response_id, request=self.request)
            stream.adopt(self._template)
        stream.continue_at(self._next_seq)
        if stream.is_terminal:  # the handler's own terminal event came after the cancel: not delivered
            await self._deliver(stream.force_terminal(reason))
            return
        try:
            events = stream.end_for(reason)
        except StreamOrderError:
            logger.exception(
                "response %s: its stream could not be closed cleanly; ending it directly",
                self.response_id,
                extra=about(self.response_id),
            )
            stream.continue_at(self._next_seq)  # drop what the failed close emitted
            events = [stream.force_terminal(reason)]
        for event in events:
            await self._deliver(event)
