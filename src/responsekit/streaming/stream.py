"""ResponseEventStream: the response-level builder, and the factory of every item builder.

The class is assembled here from one mixin per job: the ordering rules and the role hooks the
generated emit_* methods call live in this module; creating item builders in
:mod:`~responsekit.streaming.item_factories`, the one-call generators in
:mod:`~responsekit.streaming.item_generators`, open-items bookkeeping in
:mod:`~responsekit.streaming.open_items`, folding finished items into the snapshot in
:mod:`~responsekit.streaming.folding` and the runtime interface in
:mod:`~responsekit.streaming.runtime_interface`.
"""

from __future__ import annotations

import typing  # noqa: F401  (re-exported: importable from here before the split)
from collections.abc import AsyncIterable, Iterable, Iterator, Mapping, Sequence  # noqa: F401  (re-exported)
from typing import Any

from responsekit.ids import new_id
from responsekit.models._generated_constants import ERROR_CODES, INCOMPLETE_REASONS
from responsekit.streaming._generated_builders import _ResponseEventStreamEvents
from responsekit.streaming.builders import (  # noqa: F401  (re-exported: importable from here before the split)
    DONE,
    CodeInterpreterCallItemBuilder,
    CompactionItemBuilder,
    CustomToolCallItemBuilder,
    FileSearchCallItemBuilder,
    FunctionCallItemBuilder,
    GenericItemBuilder,
    ImageGenCallItemBuilder,
    McpCallItemBuilder,
    McpListToolsItemBuilder,
    MessageItemBuilder,
    OutputItemBuilder,
    ReasoningItemBuilder,
    ShellCallItemBuilder,
    ShellCallOutputItemBuilder,
    WebSearchCallItemBuilder,
)
from responsekit.streaming.checkpoint import Checkpoint
from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.events import StreamEvent, _plain, encode_json  # noqa: F401  (re-exported)
from responsekit.streaming.folding import _SnapshotFolding
from responsekit.streaming.item_factories import _ItemFactories
from responsekit.streaming.item_generators import _aiter, _ItemGenerators  # noqa: F401  (re-exported)
from responsekit.streaming.open_items import _OpenItems
from responsekit.streaming.runtime_interface import _RuntimeInterface, offered_snapshot
from responsekit.streaming.snapshot import ResponseSnapshot, new_response
from responsekit.streaming.terminal import (  # noqa: F401  (re-exported)
    CANCEL_REASONS,
    FAILURE_MESSAGES,
    TERMINAL_EVENT_TYPES,
    runtime_terminal_snapshot,
    terminal_snapshot,
)
from responsekit.streaming.usage import _complete_usage

__all__ = ["ERROR_CODES", "INCOMPLETE_REASONS", "TERMINAL_EVENT_TYPES", "ResponseEventStream"]


class ResponseEventStream(
    _ItemFactories,
    _ItemGenerators,
    _RuntimeInterface,
    _OpenItems,
    _SnapshotFolding,
    _ResponseEventStreamEvents,
):
    """Builds one response's event stream: sequence numbers, ids, indexes and the snapshot.

    Set properties on ``stream.response`` before ``emit_created()``; emit ``created``, then
    ``in_progress``, then items, then exactly one terminal event. Each emit_* call returns the
    event to yield; a call that breaks an ordering rule raises :class:`StreamOrderError` and emits
    nothing.
    """

    def __init__(
        self,
        response_id: str | None = None,
        request: Any = None,
        *,
        model: str | None = None,
        agent_reference: Any = None,
        response: Any = None,
    ) -> None:
        if response is not None:
            if request is not None:
                raise ValueError("ResponseEventStream: give request or response, not both")
            self._seed(response_id, response, model=model, agent_reference=agent_reference)
            return
        self.response_id = response_id or new_id("response")
        data = None
        if model is None and agent_reference is None and request is not None:
            # The runtime's handler making the stream of the response it runs: the runtime has
            # built this snapshot from this request already (see offer_initial_snapshot).
            data = offered_snapshot(response_id, request)
        if data is None:
            if agent_reference is None and request is not None:
                # dict first: an ABC isinstance check against a pydantic model is slow on this path
                if isinstance(request, dict):
                    agent_reference = request.get("agent_reference")
                else:
                    agent_reference = getattr(request, "agent_reference", None)
            data = new_response(self.response_id, request, model=model, agent_reference=agent_reference)
        self._data = data
        self._own_created_at = self._data["created_at"]  # see adopt()
        self.response = ResponseSnapshot(self._data)
        self._stream = self
        self._seq = 0
        self._created = False
        self._queued = False
        self._in_progress = False
        self._terminal: str | None = None
        self._items: list[OutputItemBuilder] = []
        self._added_items = 0  # output_index of the next item to be added
        self._finished: dict[int, dict[str, Any]] = {}
        self._internal_metadata: dict[str, Any] = {}

    def _seed(self, response_id: str | None, response: Any, *, model: Any, agent_reference: Any) -> None:
        """Start from an existing response (e.g. ``context.persisted_response``): its fields, and its
        output items as finished items that keep their ids; new items are added after them. A
        persisted response's ``internal_metadata`` comes back as ``stream.internal_metadata``."""
        internal_metadata = getattr(response, "internal_metadata", None)
        data = _plain(response)
        if not isinstance(data, dict):
            raise TypeError(
                f"ResponseEventStream(response=...) takes a Response or a dict, not {type(response)}"
            )
        self.response_id = response_id or data.get("id") or new_id("response")
        seeded = new_response(self.response_id, None, model=model, agent_reference=agent_reference)
        seeded.update({k: v for k, v in data.items() if k in seeded and v is not None})
        seeded["id"] = self.response_id
        if model is not None:
            seeded["model"] = model
        if agent_reference is not None:
            seeded["agent_reference"] = _plain(agent_reference)
        output = [dict(item) for item in (data.get("output") or [])]
        self._data = seeded
        self._own_created_at = seeded["created_at"]
        self.response = ResponseSnapshot(seeded)
        self._stream = self
        self._seq = 0
        self._created = self._queued = self._in_progress = False
        self._terminal = None
        self._items = []
        self._added_items = len(output)
        self._finished = dict(enumerate(output))
        seeded["output"] = self._finished_output()
        self._internal_metadata = dict(internal_metadata) if isinstance(internal_metadata, dict) else {}

    def emit_created(self, *, status: str | None = None) -> StreamEvent:
        """Emit ``response.created``. ``status`` (``"queued"`` or ``"in_progress"``, as in the peer
        package) sets the response's status first; by default it is ``queued`` for a background
        request and ``in_progress`` otherwise."""
        if status is not None:
            if status not in ("queued", "in_progress"):
                raise self._refuse("response.created", f"status {status!r} is not 'queued' or 'in_progress'")
            if not self._created and self._terminal is None:
                self._data["status"] = status
        return super().emit_created()

    # -- durability ------------------------------------------------------------------------------
    @property
    def internal_metadata(self) -> dict[str, Any]:
        """A small dict of the handler's own (e.g. its resume point), kept with checkpoints and
        never sent to clients: it is not part of the response object."""
        return self._internal_metadata

    def checkpoint(self) -> Checkpoint:
        """A marker to ``yield``: the runtime persists the response as it stands (every finished
        item with its id) on a durable store, and ignores it on the memory store. Not an event:
        readers see nothing and no sequence number is used."""
        return Checkpoint(self, self.response, dict(self._internal_metadata))

    # -- state ----------------------------------------------------------------------------------
    @property
    def sequence_number(self) -> int:
        """The sequence number the next event will carry."""
        return self._seq

    @property
    def is_terminal(self) -> bool:
        return self._terminal is not None

    @property
    def terminal_event_type(self) -> str | None:
        return self._terminal

    def _commit(self, payload: dict[str, Any]) -> StreamEvent:
        seq = self._seq
        event = StreamEvent(payload["type"], seq, encode_json(payload), self)
        self._seq = seq + 1
        return event

    def _refuse(self, event_type: str, rule: str) -> StreamOrderError:
        return StreamOrderError(f"{event_type} refused: {rule} (response {self.response_id})")

    def _check_item_phase(self, event_type: str) -> None:
        if self._terminal is not None:
            raise self._refuse(event_type, f"nothing may follow the terminal event {self._terminal}")
        if not self._in_progress:
            raise self._refuse(event_type, "item events come after emit_in_progress()")

    # -- role hooks used by the generated methods ------------------------------------------------
    def _pre_lifecycle(self, event_type: str, status: str) -> dict[str, Any]:
        if self._terminal is not None:
            raise self._refuse(event_type, f"nothing may follow the terminal event {self._terminal}")
        if event_type == "response.created":
            if self._created:
                raise self._refuse(event_type, "response.created is emitted once, first")
            return self._data
        if not self._created:
            raise self._refuse(event_type, "emit_created() comes first")
        if self._in_progress:
            raise self._refuse(event_type, "the response is already in progress")
        if event_type == "response.queued" and self._queued:
            raise self._refuse(event_type, "response.queued is emitted once")
        self._data["status"] = status
        return self._data

    def _post_lifecycle(self, event_type: str) -> None:
        if event_type == "response.created":
            self._created = True
        elif event_type == "response.queued":
            self._queued = True
        else:
            self._in_progress = True

    def _pre_terminal(
        self,
        event_type: str,
        status: str,
        *,
        usage: Any = None,
        code: str | None = None,
        message: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        if self._terminal is not None:
            raise self._refuse(event_type, f"a response has one terminal event and {self._terminal} was it")
        if not self._created:
            raise self._refuse(event_type, "emit_created() comes first")
        unfinished = [item for item in self._items if item._state is not DONE]
        if unfinished:
            raise self._refuse(
                event_type, f"output items still open: {unfinished}; emit their done events first"
            )
        if code is not None and code not in ERROR_CODES and status == "failed":
            raise self._refuse(
                event_type, f"error code {code!r} is not one of the protocol's codes {sorted(ERROR_CODES)}"
            )
        if reason is not None and reason not in INCOMPLETE_REASONS:
            raise self._refuse(event_type, f"reason {reason!r} is not one of {sorted(INCOMPLETE_REASONS)}")
        if usage is not None:
            usage = _complete_usage(_plain(usage))
            # Deferred: the models (and pydantic) load on first use (see responsekit/models).
            from pydantic import ValidationError

            from responsekit.models import _generated as models

            try:  # once per response: a malformed usage object would make clients reject the event
                models.ResponseUsage.model_validate(usage)
            except ValidationError as exc:
                error = exc.errors()[0]
                where = ".".join(map(str, error["loc"]))
                raise self._refuse(
                    event_type, f"usage is not a valid ResponseUsage: {error['msg']} at {where}"
                ) from None
        return terminal_snapshot(
            self._data,
            status,
            output=self._finished_output(),
            usage=usage,
            code=code,
            message=message,
            reason=reason,
            in_place=True,
        )

    def _post_terminal(self, event_type: str) -> None:
        self._terminal = event_type

    def _pre_notice(self, event_type: str) -> None:
        if self._terminal is not None:
            raise self._refuse(event_type, f"nothing may follow the terminal event {self._terminal}")
        if not self._created:
            raise self._refuse(event_type, "emit_created() comes first")
