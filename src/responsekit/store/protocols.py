"""The three storage concerns every store implements: records, event logs, cancel signals.

The runtime only talks to these protocols, so a response runs the same way on one process
(``MemoryStore``) or across replicas (a shared store such as Redis).

- **records**: the response snapshot, its input items, owner and flags; an atomic compare-and-set
  for the terminal transition (a cancel racing a completion gives exactly one terminal state).
- **event log**: each response's SSE frames in sequence order; readers replay from a cursor, then
  tail live frames until the log is closed (the terminal event was appended).
- **cancel signal**: ask the replica that runs a response's handler to cancel it.

The ``Store`` ties the three together and declares what the runtime asks of the whole: start and
close it, ask whether it answers (``healthy``), and create a response's record together with its
event log (``create_with_log``; one step where the store can, e.g. one round trip to Redis).
Everything the runtime calls is declared here: no capability is looked up by ``getattr``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

TERMINAL_STATUSES = frozenset({"completed", "failed", "incomplete", "cancelled"})


class StoreUnavailable(Exception):
    """The store cannot be reached; the server answers 503 and keeps running."""


class LogNotFound(KeyError):
    """A response's event log does not exist (never opened, expired or deleted).

    A ``KeyError``, as ``EventLog.read`` raised before this error had a name of its own.
    """


def release_nothing() -> None:
    """The release of a hold that keeps nothing (a store whose runs need no lease)."""


@dataclass(slots=True)
class ResponseRecord:
    """What the store keeps about one response."""

    response_id: str
    snapshot: dict[str, Any]
    input_items: list[dict[str, Any]] = field(default_factory=list)
    owner: str | None = None  # the user isolation key it was created under
    chat_key: str | None = None
    background: bool = False
    stream: bool = False
    previous_response_id: str | None = None
    conversation_id: str | None = None
    created_at: float = 0.0
    #: Set by the terminal compare-and-set; the snapshot's status alone cannot say it, because an
    #: in-process store may share the live snapshot the handler's stream is still updating.
    finished: bool = False

    @property
    def status(self) -> str:
        return self.snapshot.get("status", "in_progress")

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(slots=True)
class LogEntry:
    """One event of a log: its sequence number and its SSE frame bytes."""

    sequence_number: int
    frame: bytes


@runtime_checkable
class RecordStore(Protocol):
    async def create(self, record: ResponseRecord) -> None: ...

    async def get(self, response_id: str) -> ResponseRecord | None: ...

    async def save_snapshot(self, response_id: str, snapshot: dict[str, Any]) -> None:
        """Store the in-flight snapshot (ignored once the record is terminal)."""

    async def finish(self, response_id: str, snapshot: dict[str, Any]) -> bool:
        """Atomically store a terminal snapshot if the record is not terminal yet; True if it was."""

    async def delete(self, response_id: str) -> bool: ...

    async def history(self, record: ResponseRecord, limit: int) -> list[dict[str, Any]]:
        """Items before ``record`` (its previous_response_id chain or conversation), oldest first."""

    def hold(self, response_id: str, on_lost: Callable[[], None] | None = None) -> Callable[[], None]:
        """This process runs ``response_id`` until the returned release is called.

        A store shared by replicas keeps the run's lease alive meanwhile, and calls ``on_lost`` (once)
        if another replica took the lease over and ended the response: the run must stop and write
        nothing more. An in-process store keeps nothing: its release does nothing.
        """


@runtime_checkable
class EventLog(Protocol):
    async def open(self, response_id: str) -> None:
        """Start an empty log for a response that is about to run."""

    async def append(self, response_id: str, entries: list[LogEntry], *, close: bool = False) -> None:
        """Append frames (in sequence order); ``close`` marks the log finished (terminal appended)."""

    async def read(
        self, response_id: str, after: int, idle_timeout: float | None
    ) -> AsyncIterator[list[bytes]]:
        """Frames with sequence number > ``after``, in batches, then live ones until the log is closed.

        The returned iterator yields an empty batch whenever ``idle_timeout`` seconds pass with
        nothing new (the caller sends a keep-alive). Raises ``LogNotFound`` (a ``KeyError``) if the
        log does not exist.
        """

    async def exists(self, response_id: str) -> bool: ...

    async def delete(self, response_id: str) -> None: ...


@runtime_checkable
class CancelSignals(Protocol):
    def subscribe(self, response_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` when a cancel is requested for ``response_id``; returns an unsubscriber."""

    async def request(self, response_id: str) -> None: ...


@dataclass
class Store:
    """A store is its three parts, started before the first request and closed after the last.

    The defaults suit an in-process store (nothing to start, nothing to release, always healthy); a
    shared store overrides them.
    """

    records: RecordStore
    events: EventLog
    cancels: CancelSignals
    name: str = "memory"

    async def start(self) -> None:
        """Start what the store runs in the background (connections, leases, subscriptions)."""

    async def create_with_log(self, record: ResponseRecord) -> None:
        """Create ``record`` and open its (empty) event log: a response that is about to run."""
        await self.records.create(record)
        await self.events.open(record.response_id)

    async def healthy(self) -> bool:
        """Whether the store answers now (readiness probes ask; in-process stores always do)."""
        return True

    async def close(self) -> None:
        """Stop the background work and release connections."""
