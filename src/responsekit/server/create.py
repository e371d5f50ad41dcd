"""The create path: from a validated request to a stored record, its event log, context and run.

``POST /responses`` is "request -> record -> run -> log -> readers". The host reads and validates
the body (server/validation.py) and, once this module has made the pieces, registers the run and
serves the mode the request asked for. Here: the checks that need the store (the previous
response), the response's initial snapshot (what a background create answers at once and what
the handler's stream adopts), the record (stored unless ``store=false``), the event log readers
subscribe to, the handler's context and the run.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from responsekit.ids import new_id
from responsekit.server.context import (
    HistoryLoader,
    IsolationContext,
    PersistedResponse,
    ResponseContext,
    _as_stored,
)
from responsekit.server.conversations import conversation_items, conversation_not_found
from responsekit.server.errors import ApiError
from responsekit.server.inputs import normalize_input
from responsekit.server.runner import Recovery, ResponseRun
from responsekit.server.window import check_previous, compaction_expander, compaction_item, conversation_id_of
from responsekit.store.protocols import ConversationKey, RecoveryClaim, ResponseRecord, Resumable
from responsekit.streaming.snapshot import new_response

if TYPE_CHECKING:
    from responsekit.models.request import CreateResponse
    from responsekit.server.options import ResponsesServerOptions
    from responsekit.server.sealing import Sealer
    from responsekit.store.protocols import EventLog, Store


class NullLog:
    """The event log of a response nobody can read back (store=false, not streamed)."""

    async def open(self, response_id: str) -> None:
        pass

    async def append(self, response_id: str, entries: list, *, close: bool = False) -> None:
        pass

    async def delete(self, response_id: str) -> None:
        pass


@dataclass
class NewResponse:
    """What the create path made for one response; the host serves it in the request's mode."""

    record: ResponseRecord
    context: ResponseContext
    run: ResponseRun
    log: Any  # the EventLog readers subscribe to (the store's, the unstored one, or a NullLog)
    stored: bool
    stream: bool
    background: bool

    @property
    def response_id(self) -> str:
        return self.record.response_id

    @property
    def snapshot(self) -> dict[str, Any]:
        """The initial snapshot (``queued`` or ``in_progress``, no output)."""
        return self.record.snapshot


async def _open_conversation(
    store: Store, isolation: IsolationContext, conversation_id: str | None, options: ResponsesServerOptions
) -> ConversationKey | None:
    """The key of the conversation a create names, in the caller's scope; None if it names none.

    A conversation never created through ``POST /conversations`` is created on first use, unless
    ``conversations_must_exist`` (then it is a 404). Either way it counts as changed now, so it
    does not expire under the response that is about to run.
    """
    conversations = store.conversations
    if not conversation_id:
        return None
    key = ConversationKey(isolation.user_key, isolation.chat_key, conversation_id)
    if options.conversations_must_exist and await conversations.get(key) is None:
        raise conversation_not_found(conversation_id, param="conversation")
    await conversations.ensure(key, int(time.time()))
    return key


def _history_loader(
    store: Store, record: ResponseRecord, conversation: ConversationKey | None
) -> HistoryLoader:
    """Where the handler's history comes from: the conversation's items or the previous chain."""

    async def load(limit: int) -> list[dict[str, Any]]:
        if conversation is not None:
            return await store.conversations.recent_items(conversation, limit)
        return await store.records.history(record, limit)

    return load


def _window_loader(window: list[dict[str, Any]]) -> HistoryLoader:
    async def load(limit: int) -> list[dict[str, Any]]:
        return window[-limit:] if limit > 0 else []

    return load


#: The terminal states whose items a conversation keeps. A failed or cancelled response adds
#: nothing: its input was not answered, and a client retrying it should not find it twice.
_KEPT_STATUSES = frozenset({"completed", "incomplete"})


def _conversation_appender(
    store: Store, record: ResponseRecord, conversation: ConversationKey | None
) -> Callable[[dict[str, Any]], Awaitable[None]] | None:
    """The run's ``on_terminal``: the response's input items, then its output items, go to the
    end of its conversation (before the terminal event is logged, so its readers see them)."""
    conversations = store.conversations
    if conversation is None:
        return None

    async def append(snapshot: dict[str, Any]) -> None:
        if snapshot.get("status") not in _KEPT_STATUSES:
            return
        items = [*record.input_items, *(snapshot.get("output") or [])]
        await conversations.append(conversation, conversation_items(items))

    return append


async def create_response(
    create: CreateResponse,
    *,
    scope: dict[str, Any],
    query_parameters: dict[str, str],
    store: Store,
    options: ResponsesServerOptions,
    handler: Any,
    unstored_log: EventLog,
    null_log: NullLog,
    shutdown_requested: Callable[[], bool],
    sealer: Sealer | None = None,
    transport: str = "http",
    previous_window: list[dict[str, Any]] | None = None,
) -> NewResponse:
    """Make the record (stored unless ``store=false``), open its event log, and build the context
    and the run of a validated request. Raises the 400 of a missing ``previous_response_id``.

    ``transport="websocket"``: every turn streams (its log is readable even with ``store=false``).
    ``previous_window``: the previous response's window, held by the caller (a WebSocket keeps its
    latest): the store is not asked for the previous response, and the history is its newest items.
    """
    isolation = IsolationContext.from_scope(scope)
    stream = bool(create.stream) or transport == "websocket"
    background = bool(create.background)
    stored = create.store is not False
    previous_id = create.previous_response_id
    if previous_window is None:
        await check_previous(store, previous_id, isolation.user_key)
    input_items = normalize_input(create)
    # Compaction items of the input must open (else 400, before anything runs); the handler reads
    # the items they hold (see server/window.py). The record keeps what the client sent.
    expand_items = compaction_expander(sealer, input_items, isolation.user_key)
    conversation_id = conversation_id_of(create)
    conversation_key = await _open_conversation(store, isolation, conversation_id, options)

    response_id = new_id("response")
    snapshot = new_response(response_id, create, created_at=int(time.time()))
    if not snapshot["model"]:
        snapshot["model"] = options.default_model or ""
    record = ResponseRecord(
        response_id=response_id,
        snapshot=snapshot,
        input_items=input_items,
        owner=isolation.user_key,
        chat_key=isolation.chat_key,
        background=background,
        stream=stream,
        previous_response_id=previous_id,
        conversation_id=conversation_id,
        created_at=time.time(),
    )
    client_headers = {
        k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k.startswith(b"x-client-")
    }
    resilient = background and stored and options.resilient_background and store.name != "memory"
    if resilient:  # what a recovery needs to call the handler again, stored with the record
        record.resumable = Resumable(
            request=create.model_dump(mode="json", by_alias=True, exclude_unset=True),
            client_headers=client_headers,
            query_parameters=dict(query_parameters),
        )
    log: Any
    if stored:
        await store.create_with_log(record)  # the record and its empty log (one step on Redis)
        log = store.events
    else:
        log = unstored_log if stream else null_log
        await log.open(response_id)
    context, run = _context_and_run(
        create,
        record,
        isolation=isolation,
        client_headers=client_headers,
        query_parameters=query_parameters,
        store=store,
        stored=stored,
        log=log,
        options=options,
        handler=handler,
        shutdown_requested=shutdown_requested,
        sealer=sealer,
        transport=transport,
        load_history=(
            _history_loader(store, record, conversation_key)
            if previous_window is None
            else _window_loader(previous_window)
        ),
        expand_items=expand_items,
        conversation_key=conversation_key,
        resilient=resilient,
    )
    return NewResponse(record, context, run, log, stored, stream, background)


def _context_and_run(
    create: CreateResponse,
    record: ResponseRecord,
    *,
    isolation: IsolationContext,
    client_headers: dict[str, str],
    query_parameters: dict[str, str],
    store: Store,
    stored: bool,
    log: Any,
    options: ResponsesServerOptions,
    handler: Any,
    shutdown_requested: Callable[[], bool],
    sealer: Sealer | None,
    transport: str,
    load_history: HistoryLoader,
    expand_items: Any,
    conversation_key: ConversationKey | None,
    resilient: bool,
    persisted_response: PersistedResponse | None = None,
    recovery: Recovery | None = None,
) -> tuple[ResponseContext, ResponseRun]:
    """The handler's context and the run of a response, new or recovered."""
    context = ResponseContext(
        response_id=record.response_id,
        request=create,
        record=record,
        isolation=isolation,
        client_headers=client_headers,
        query_parameters=query_parameters,
        history_limit=options.history_limit,
        shutdown_requested=shutdown_requested,
        load_history=load_history,
        expand_items=expand_items,
        transport=transport,
        seal_items=None
        if sealer is None
        else functools.partial(compaction_item, sealer, scope=isolation.user_key),
        resilient=resilient,
        persisted_response=persisted_response,
    )
    run = ResponseRun(
        handler=handler,
        request=create,
        context=context,
        record=record,
        records=store.records if stored else None,
        log=log,
        cancellation_signal=asyncio.Event(),
        cancellation_grace_seconds=options.cancellation_grace_period_seconds,
        on_terminal=_conversation_appender(store, record, conversation_key),
        resilient=resilient,
        recovery=recovery,
    )
    return context, run


def persisted_response_of(record: ResponseRecord) -> PersistedResponse:
    """What a recovered handler starts from: the last checkpoint, else the response as created."""
    resumable = record.resumable
    checkpoint = resumable.checkpoint if resumable is not None else None
    if checkpoint is None:
        checkpoint = {**record.snapshot, "output": []}
    metadata = resumable.internal_metadata if resumable is not None else {}
    return PersistedResponse({**checkpoint, "status": "in_progress"}, metadata)


def recover_response(
    claim: RecoveryClaim,
    *,
    store: Store,
    options: ResponsesServerOptions,
    handler: Any,
    shutdown_requested: Callable[[], bool],
    sealer: Sealer | None = None,
    end_at_once: str | None = None,
) -> NewResponse:
    """The context and run that re-enter a resilient response this process claimed: the handler is
    called again with ``context.is_recovery`` and the last checkpoint, its events continuing the
    response's log. Past ``max_recovery_attempts`` (or with ``end_at_once``, e.g. a cancel) the run
    ends the response without calling the handler."""
    from responsekit.models.request import CreateResponse

    record = claim.record
    resumable = record.resumable
    if resumable is None:
        raise ValueError(f"response {record.response_id} is not resilient: it cannot be recovered")
    if end_at_once is None and resumable.attempts > options.max_recovery_attempts:
        end_at_once = "unrecoverable"
    create = CreateResponse.model_validate(resumable.request)
    isolation = IsolationContext(user_key=record.owner, chat_key=record.chat_key)
    conversation_key = (
        ConversationKey(record.owner, record.chat_key, record.conversation_id)
        if record.conversation_id
        else None
    )
    try:
        expand_items = compaction_expander(sealer, record.input_items, isolation.user_key)
    except ApiError:  # sealed with another key since: the handler reads them as stored
        expand_items = _as_stored
    persisted = persisted_response_of(record)
    # The run's template: the response as it was left (its checkpointed items, in progress).
    record.snapshot = dict(persisted)
    _context, run = _context_and_run(
        create,
        record,
        isolation=isolation,
        client_headers=dict(resumable.client_headers),
        query_parameters=dict(resumable.query_parameters),
        store=store,
        stored=True,
        log=store.events,
        options=options,
        handler=handler,
        shutdown_requested=shutdown_requested,
        sealer=sealer,
        transport="http",
        load_history=_history_loader(store, record, conversation_key),
        expand_items=expand_items,
        conversation_key=conversation_key,
        resilient=True,
        persisted_response=persisted,
        recovery=Recovery(claim.next_sequence_number, resumable.attempts, end_at_once),
    )
    return NewResponse(record, _context, run, store.events, True, record.stream, True)
