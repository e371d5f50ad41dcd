"""The stream's runtime interface: what a runtime running a response needs from its stream."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from responsekit.streaming.events import StreamEvent, encode_json
from responsekit.streaming.output_item_builder import DONE
from responsekit.streaming.snapshot import RESPONSE_DEFAULTS
from responsekit.streaming.terminal import (
    CANCEL_REASONS,
    FAILURE_MESSAGES,
    runtime_terminal_snapshot,
    terminal_snapshot,
)

#: The response a runtime is handing to its handler: (response id, request, initial snapshot), set
#: in the handler's task. A stream the handler makes for that response from that same request
#: starts from a copy of the snapshot instead of building it from the request again.
_initial_snapshot: ContextVar[tuple[str, Any, dict[str, Any]] | None] = ContextVar(
    "responsekit_initial_snapshot", default=None
)


_OWN_CONTAINERS = tuple(key for key, value in RESPONSE_DEFAULTS.items() if isinstance(value, (dict, list)))


def offer_initial_snapshot(response_id: str, request: Any, snapshot: dict[str, Any]) -> None:
    """Called by the runtime in the handler's task, before the handler runs."""
    _initial_snapshot.set((response_id, request, snapshot))


def offered_snapshot(response_id: str | None, request: Any) -> dict[str, Any] | None:
    """A copy of the offered snapshot for a stream of ``response_id`` made from ``request``, or None.

    As :func:`new_response` does, it gets containers of its own for the fields whose defaults are
    containers (the ones a handler fills in place, e.g. ``stream.response.metadata[k] = v``);
    other echoed values are shared with the runtime's snapshot of the same response.
    """
    offer = _initial_snapshot.get()
    if offer is None or offer[0] != response_id or offer[1] is not request:
        return None
    data = offer[2].copy()
    for key in _OWN_CONTAINERS:
        value = data[key]
        if type(value) is dict or type(value) is list:
            data[key] = value.copy()
    data["output"] = []
    return data


class _RuntimeInterface:
    """ResponseEventStream's mixin: ending a response on a runtime's behalf, and adopting its identity."""

    __slots__ = ()

    # -- runtime support: ending a response whatever state it is in ------------------------------------
    def emit_cancelled(self) -> StreamEvent:
        """The terminal event of a cancelled response: ``response.failed`` with status ``cancelled``.

        The protocol has no ``response.cancelled`` event; the response object's status says it.
        """
        if self._terminal is not None:
            raise self._refuse(
                "response.failed", f"a response has one terminal event and {self._terminal} was it"
            )
        if not self._created:
            raise self._refuse("response.failed", "emit_created() comes first")
        unfinished = [item for item in self._items if item._state is not DONE]
        if unfinished:
            raise self._refuse("response.failed", f"output items still open: {unfinished}")
        terminal_snapshot(self._data, "cancelled", output=self._finished_output(), in_place=True)
        event = self._commit(
            {"type": "response.failed", "response": self._data, "sequence_number": self._seq}
        )
        self._terminal = "response.failed"
        return event

    # -- runtime support: what a runtime running this stream's response needs from it ---------------
    # The runtime (server/runner.py) uses these, and only these, besides the stream's public state
    # (sequence_number, is_terminal, open_items, close_open_items) and emit_cancelled above.
    @property
    def snapshot(self) -> dict[str, Any]:
        """The live response object as plain data (what the next lifecycle event carries)."""
        return self._data

    def continue_at(self, next_sequence_number: int) -> None:
        """Continue numbering at ``next_sequence_number`` (the runtime's count of delivered events:
        events the handler emitted but never delivered are dropped)."""
        self._seq = next_sequence_number

    def adopt(self, initial: Mapping[str, Any], created: StreamEvent | None = None) -> StreamEvent | None:
        """Take the identity the runtime already reported for this response (e.g. to a background
        create) from its initial snapshot ``initial``: its creation time, unless set on
        ``stream.response``, and its model, when neither the request nor the stream names one.

        The runtime calls it with the stream's first delivered event, ``response.created``; it
        returns that event, re-encoded when a field changed (the runtime delivers the returned
        event). Called before anything is emitted, it returns None. (Events a handler emits before
        it yields the first keep the values the stream had then: yield each event as it is emitted.)
        """
        if initial.get("id") != self.response_id:
            raise ValueError(f"adopt(): snapshot {initial.get('id')!r} is not response {self.response_id!r}")
        changes: dict[str, Any] = {}
        created_at = initial.get("created_at")
        if created_at is not None and self._data["created_at"] == self._own_created_at != created_at:
            changes["created_at"] = created_at
        if not self._data.get("model") and initial.get("model"):
            changes["model"] = initial["model"]
        self._data.update(changes)
        if created is None or not changes:
            return created
        payload = created.data
        payload = {**payload, "response": {**payload["response"], **changes}}
        return StreamEvent(created.type, created.sequence_number, encode_json(payload), self)

    def continue_logged(self, next_sequence_number: int) -> None:
        """Continue a response whose log already holds its ``response.created`` and
        ``response.in_progress`` (a run that re-enters it): numbering goes on at
        ``next_sequence_number`` and nothing emits them again."""
        self._created = self._in_progress = True
        self._seq = next_sequence_number

    def force_terminal(self, reason: str) -> StreamEvent:
        """End the response at once for ``reason``, whatever state the stream is in (even after a
        terminal event that was never delivered): ``cancelled`` for a cancel or a disconnect, else
        ``failed`` with the fixed message of ``FAILURE_MESSAGES[reason]``. Unfinished items are
        dropped from the output. Used when the stream cannot be closed in order."""
        data = runtime_terminal_snapshot(self._data, reason, drop_unfinished=True, in_place=True)
        event = self._commit({"type": "response.failed", "response": data, "sequence_number": self._seq})
        self._terminal = "response.failed"
        return event

    def end_for(self, reason: str) -> list[StreamEvent]:
        """End the response on the runtime's behalf: close the open items as interrupted, then the
        terminal event (``cancelled`` for a cancel or a disconnect, else ``failed`` with the fixed
        message of ``FAILURE_MESSAGES[reason]``). Raises StreamOrderError if the stream cannot be
        closed in order (then see force_terminal)."""
        events = self.close_open_items()
        if reason in CANCEL_REASONS:
            events.append(self.emit_cancelled())
        else:
            events.append(self.emit_failed(code="server_error", message=FAILURE_MESSAGES[reason]))
        return events
