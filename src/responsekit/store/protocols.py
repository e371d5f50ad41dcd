"""The three storage concerns every store implements: records, event logs, cancel signals.

The runtime only talks to these protocols, so a response runs the same way on one process
(``MemoryStore``) or across replicas (a shared store such as Redis).

- **records**: the response snapshot, its input items, owner and flags; an atomic compare-and-set
  for the terminal transition (a cancel racing a completion gives exactly one terminal state).
- **event log**: each response's SSE frames in sequence order; readers replay from a cursor, then
  tail live frames until the log is closed (the terminal event was appended).
- **cancel signal**: ask the replica that runs a response's handler to cancel it.
- **conversations**: conversation objects and their items (the Conversations API), scoped like
  responses: a conversation belongs to (owner, chat key, id).

The ``Store`` ties the three together and declares what the runtime asks of the whole: start and
close it, ask whether it answers (``healthy``), and create a response's record together with its
event log (``create_with_log``; one step where the store can, e.g. one round trip to Redis).
Everything the runtime calls is declared here: no capability is looked up by ``getattr``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, runtime_checkable

TERMINAL_STATUSES = frozenset({"completed", "failed", "incomplete", "cancelled"})


class StoreUnavailable(Exception):
    """The store cannot be reached; the server answers 503 and keeps running."""


class StoreStartupError(Exception):
    """The store cannot start (its file is locked, corrupt, not a database, in a directory that is
    missing or not writable...). The message names what and where, for the operator: ``app.run()``
    exits with it, without a traceback."""


class LogNotFound(KeyError):
    """A response's event log does not exist (never opened, expired or deleted).

    A ``KeyError``, as ``EventLog.read`` raised before this error had a name of its own.
    """


def release_nothing() -> None:
    """The release of a hold that keeps nothing (a store whose runs need no lease)."""


@dataclass(slots=True)
class Resumable:
    """What re-entering a resilient background response needs; stored with its record.

    Only responses created with ``background=true`` while ``resilient_background`` is on carry one.
    ``request``, ``client_headers`` and ``query_parameters`` are written once, at creation;
    ``checkpoint`` and ``internal_metadata`` at each ``yield stream.checkpoint()``; ``attempts``
    counts the recovery runs started so far (``claim_recovery`` adds one).
    """

    #: The validated create request as JSON data (``CreateResponse.model_validate`` reads it back).
    request: dict[str, Any]
    client_headers: dict[str, str] = field(default_factory=dict)
    query_parameters: dict[str, str] = field(default_factory=dict)
    #: The response snapshot at the last checkpoint (finished output items with their ids); None
    #: before the first one.
    checkpoint: dict[str, Any] | None = None
    #: The handler's ``stream.internal_metadata`` at the last checkpoint (never sent to clients).
    internal_metadata: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0


@dataclass(slots=True)
class RecoveryClaim:
    """A resilient response this process has taken over to re-enter (see ``claim_recovery``)."""

    #: The record as stored, its ``resumable`` with this attempt counted.
    record: ResponseRecord
    #: Where its event log continues: the last stored event's sequence number + 1 (0 if empty).
    next_sequence_number: int


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
    #: Set for a resilient background response: what re-entering it needs (see ``Resumable``).
    resumable: Resumable | None = None

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
    #: Whether the records outlive the process: checkpoints are stored only where they do.
    durable: bool

    async def create(self, record: ResponseRecord) -> None: ...

    async def get(self, response_id: str) -> ResponseRecord | None: ...

    async def owner_of(self, response_id: str) -> tuple[bool, str | None]:
        """(whether the record exists, the isolation key it was created under), without reading
        its snapshot: a replay needs only this, and a snapshot holds the whole output."""

    async def save_snapshot(self, response_id: str, snapshot: dict[str, Any]) -> None:
        """Store the in-flight snapshot (ignored once the record is terminal)."""

    async def finish(self, response_id: str, snapshot: dict[str, Any]) -> bool:
        """Atomically store a terminal snapshot if the record is not terminal yet; True if it was."""

    async def delete(self, response_id: str) -> bool: ...

    async def save_checkpoint(
        self, response_id: str, snapshot: dict[str, Any], internal_metadata: dict[str, Any]
    ) -> None:
        """Durably store a resilient response's checkpoint: ``snapshot`` becomes both its current
        snapshot and ``resumable.checkpoint``, with ``internal_metadata``. Returns once committed
        (a crash after it loses nothing of it); ignored once the record is finished."""

    async def claim_recovery(self, response_id: str) -> RecoveryClaim | None:
        """Take over a resilient response left unfinished by a run that stopped (its process died,
        or it left with ``leave_for_recovery``), to re-enter it in this process.

        Atomically: the record must exist, be unfinished, carry ``resumable``, and not be running
        (a shared store: its lease expired; this process then holds a new lease, which the run's
        ``hold`` renews). The attempt is counted. This process becomes the writer of the log from
        ``next_sequence_number`` on (its readers here tail it; readers from an earlier sequence
        number get the stored events first). None if the response is not awaiting recovery.
        """

    async def leave_for_recovery(self, response_id: str) -> None:
        """A run of this process stops without ending its resilient response (the handler called
        ``context.exit_for_recovery()``, or the server shut down): leave it to be re-entered. This
        process stops writing its log (its local readers continue from the store). A shared store
        lets the lease expire now, so a replica's next scan re-enters it; a single-process store
        re-enters it at its next start."""

    async def history(self, record: ResponseRecord, limit: int) -> list[dict[str, Any]]:
        """Items of ``record``'s previous_response_id chain, oldest first (a conversation's history
        is its items in ``ConversationStore``)."""

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


class ConversationKey(NamedTuple):
    """A conversation is named by its id within an isolation scope: the same id under another user
    key (or chat key, or none) is another conversation."""

    owner: str | None
    chat_key: str | None
    conversation_id: str


@dataclass(slots=True)
class ConversationRecord:
    """A conversation object (its items are kept apart, in order)."""

    key: ConversationKey
    created_at: int
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def conversation_id(self) -> str:
        return self.key.conversation_id

    def resource(self) -> dict[str, Any]:
        """The conversation as the API returns it."""
        return {
            "id": self.key.conversation_id,
            "object": "conversation",
            "created_at": self.created_at,
            "metadata": dict(self.metadata),
        }


class CursorNotFound(KeyError):
    """A list's ``after`` cursor names no item of the conversation."""


@runtime_checkable
class ConversationStore(Protocol):
    """Conversations and their items, in the order they were added.

    Every item has a string ``id``, unique within its conversation: an item whose id the conversation
    already holds is not added again. Missing conversations are ``None``/``False``, never errors.
    """

    async def create(self, conversation: ConversationRecord, items: list[dict[str, Any]]) -> None:
        """Store a new conversation with its first items."""

    async def get(self, key: ConversationKey) -> ConversationRecord | None: ...

    async def ensure(self, key: ConversationKey, created_at: int) -> ConversationRecord:
        """The conversation, created empty (no metadata) if it does not exist yet."""

    async def update_metadata(
        self, key: ConversationKey, metadata: dict[str, str]
    ) -> ConversationRecord | None:
        """Replace the metadata; None if the conversation does not exist."""

    async def delete(self, key: ConversationKey) -> bool:
        """Delete the conversation and its items; False if it did not exist."""

    async def append(self, key: ConversationKey, items: list[dict[str, Any]]) -> bool:
        """Add items at the end; False (nothing added) if the conversation does not exist."""

    async def list_items(
        self, key: ConversationKey, *, after: str | None, limit: int, order: str
    ) -> tuple[list[dict[str, Any]], bool] | None:
        """One page (``order`` "asc" or "desc", items after the ``after`` id in that order) and
        whether more follow; None if the conversation does not exist. Raises ``CursorNotFound``."""

    async def get_item(self, key: ConversationKey, item_id: str) -> dict[str, Any] | None: ...

    async def delete_item(self, key: ConversationKey, item_id: str) -> bool: ...

    async def recent_items(self, key: ConversationKey, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` items, oldest first (a handler's history); [] if none."""


@dataclass
class Store:
    """A store is its three parts, started before the first request and closed after the last.

    The defaults suit an in-process store (nothing to start, nothing to release, always healthy); a
    shared store overrides them.
    """

    records: RecordStore
    events: EventLog
    cancels: CancelSignals
    conversations: ConversationStore
    name: str = "memory"
    #: Set by the host before ``start`` when ``resilient_background`` is on: unfinished resilient
    #: responses a dead run left behind are kept for recovery (reported to ``on_recoverable``)
    #: instead of ending failed as lost.
    resilient: bool = False
    #: Set by the host: called (on the event loop) with the id of each resilient response found
    #: awaiting recovery (at start on a single-process store; when its lease expires on a shared
    #: one). The host answers with ``records.claim_recovery``.
    on_recoverable: Callable[[str], None] | None = None

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
