"""Raw events: a handler that yields event dicts (or the ``openai`` package's event objects).

A handler relaying an upstream model's stream can yield its events as they come, instead of driving
a :class:`~responsekit.streaming.stream.ResponseEventStream`. :class:`RawEventStream` stands in for
the builder then: each event is validated against the generated event models, renumbered
(``sequence_number``), given this response's id and output indexes (in order of addition, so two
upstream calls relayed into one response do not collide), checked against the ordering rules the
builders enforce, and folded into the snapshot. Readers, GET and replay see the same as for builder
events. A refused event raises :class:`RawEventError` and changes nothing; the runtime then ends the
response failed with ``server_error``.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from responsekit.models._generated_constants import ERROR_CODES, INCOMPLETE_REASONS
from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.events import StreamEvent, encode_json
from responsekit.streaming.snapshot import new_response
from responsekit.streaming.terminal import (
    runtime_terminal_snapshot,
    terminal_snapshot,
)
from responsekit.streaming.usage import _complete_usage

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["RawEventError", "RawEventStream", "as_raw_event", "is_raw_event"]

_LIFECYCLE = {"response.created": None, "response.queued": "queued", "response.in_progress": "in_progress"}
_TERMINAL_STATUS = {
    "response.completed": "completed",
    "response.failed": "failed",
    "response.incomplete": "incomplete",
}
# Fields of a handler's response object the runtime owns (the rest are merged into the snapshot).
_OWNED = frozenset(
    {"id", "object", "output", "status", "created_at", "completed_at", "error", "incomplete_details", "usage"}
)
# Part-opening / part-closing events, and the index field naming the part.
_PART_OPEN = {
    "response.content_part.added": "content_index",
    "response.reasoning_summary_part.added": "summary_index",
}
_PART_CLOSE = {
    "response.content_part.done": "content_index",
    "response.reasoning_summary_part.done": "summary_index",
}
# Text deltas that belong to an open part, with the part's index field.
_PART_TEXT = {
    "response.output_text.delta": "content_index",
    "response.refusal.delta": "content_index",
    "response.reasoning_text.delta": "content_index",
    "response.reasoning_summary_text.delta": "summary_index",
}
_PART_TEXT_DONE = {
    "response.output_text.done": "content_index",
    "response.refusal.done": "content_index",
    "response.reasoning_text.done": "content_index",
    "response.reasoning_summary_text.done": "summary_index",
}
_PART_LIST = {"content_index": "content", "summary_index": "summary"}


@functools.cache
def _event_models() -> dict[str, type[BaseModel]]:
    """Each event type's generated model (validating against the one model the ``type`` names is
    faster than trying the whole union, and its errors name the right fields). Made on first use:
    the models load then, not with the package (see responsekit/models)."""
    from responsekit.models import _generated as models

    members = typing.get_args(models.ResponseStreamEvent.model_fields["root"].annotation)
    return {member.model_fields["type"].default: member for member in members}


class RawEventError(StreamOrderError):
    """A raw event the protocol cannot carry (unknown type, wrong shape, or out of order)."""


def is_raw_event(value: Any) -> bool:
    """True for what a handler may yield instead of a builder's event: a dict, or a pydantic model
    (e.g. one of the ``openai`` package's event objects)."""
    # A pydantic model has a model_dump (so pydantic need not be imported to recognise one).
    return isinstance(value, Mapping) or callable(getattr(value, "model_dump", None))


def _drop_nulls(value: Any) -> Any:
    """``None``-valued keys removed (a full ``model_dump()`` spells absent fields as null)."""
    if isinstance(value, Mapping):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def as_raw_event(value: Any) -> dict[str, Any]:
    """A yielded raw event as a fresh plain dict (the handler's object is never mutated)."""
    from pydantic import BaseModel  # deferred: pydantic loads with the models (see responsekit/models)

    if isinstance(value, BaseModel):
        data = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    elif isinstance(value, Mapping):
        data = _drop_nulls(value)
    else:
        data = _drop_nulls(value.model_dump())
    if not isinstance(data, dict):
        raise RawEventError(f"a raw event is a JSON object, not {type(data).__name__}")
    return data


class _Item:
    __slots__ = ("index", "item", "parts", "texts")

    def __init__(self, index: int, item: dict[str, Any]) -> None:
        self.index = index
        self.item = item
        self.parts: dict[tuple[str, int], dict[str, Any]] = {}  # (index field, index) -> part
        self.texts: dict[tuple[str, int], list[str]] = {}  # open parts' streamed text

    def open_parts(self) -> list[tuple[str, int]]:
        return [key for key in self.parts if key in self.texts]


class RawEventStream:
    """The runtime's stream for a handler that yields raw events (see the module docstring).

    It offers the runtime interface of ResponseEventStream (``snapshot``, ``sequence_number``,
    ``is_terminal``, ``continue_at``, ``end_for``, ``force_terminal``), so a response fed raw events
    is ended, cancelled and replayed exactly like one fed by the builders.
    """

    def __init__(
        self, response_id: str, request: Any = None, initial: Mapping[str, Any] | None = None
    ) -> None:
        self.response_id = response_id
        data = new_response(response_id, request)
        if initial:  # what the server already reported for this response (e.g. to a background create)
            for key in ("created_at", "model", "background", "status"):
                if initial.get(key) is not None:
                    data[key] = initial[key]
        self._data = data
        self._seq = 0
        self._created = self._queued = self._in_progress = False
        self._terminal: str | None = None
        self._index_map: dict[int, int] = {}  # the handler's output_index -> this response's
        self._open: dict[int, _Item] = {}  # this response's output_index -> open item
        self._next_index = 0
        self._finished: dict[int, dict[str, Any]] = {}

    # -- the runtime interface --------------------------------------------------------------------
    @property
    def snapshot(self) -> dict[str, Any]:
        return self._data

    @property
    def sequence_number(self) -> int:
        return self._seq

    @property
    def is_terminal(self) -> bool:
        return self._terminal is not None

    def continue_at(self, next_sequence_number: int) -> None:
        self._seq = next_sequence_number

    def _commit(self, payload: dict[str, Any]) -> StreamEvent:
        payload["sequence_number"] = self._seq
        event = StreamEvent(payload["type"], self._seq, encode_json(payload), self)
        self._seq += 1
        return event

    def _output(self) -> list[dict[str, Any]]:
        return [self._finished[i] for i in sorted(self._finished)]

    def end_for(self, reason: str) -> list[StreamEvent]:
        """Close the open parts and items as interrupted, then the runtime's terminal event."""
        events: list[StreamEvent] = []
        if self._terminal is not None:
            return events
        for index in sorted(self._open):
            events.extend(self._close_interrupted(self._open[index]))
        self._data["output"] = self._output()
        data = runtime_terminal_snapshot(self._data, reason, in_place=True)
        events.append(self._commit({"type": "response.failed", "response": data}))
        self._terminal = "response.failed"
        return events

    def force_terminal(self, reason: str) -> StreamEvent:
        self._data["output"] = self._output()
        data = runtime_terminal_snapshot(self._data, reason, drop_unfinished=True, in_place=True)
        event = self._commit({"type": "response.failed", "response": data})
        self._terminal = "response.failed"
        return event

    def _close_interrupted(self, item: _Item) -> list[StreamEvent]:
        events = []
        for field, index in item.open_parts():
            events.append(self._close_part(item, field, index, None))
        final = dict(item.item)
        if "status" in final:
            final["status"] = "incomplete"
        events.append(self._finish_item(item, final))
        return events

    def _close_part(self, item: _Item, field: str, index: int, part: dict[str, Any] | None) -> StreamEvent:
        chunks = item.texts.pop((field, index))
        if part is None:
            part = dict(item.parts[(field, index)])
            if chunks and "text" in part:
                part["text"] = "".join(chunks)
        item.parts[(field, index)] = part
        kind = (
            "response.content_part.done"
            if field == "content_index"
            else "response.reasoning_summary_part.done"
        )
        return self._commit(
            {
                "type": kind,
                "item_id": item.item.get("id"),
                "output_index": item.index,
                field: index,
                "part": part,
            }
        )

    def _finish_item(self, item: _Item, final: dict[str, Any]) -> StreamEvent:
        for field, list_key in _PART_LIST.items():
            parts = [part for (f, _), part in sorted(item.parts.items()) if f == field]
            if parts:
                final[list_key] = parts
        del self._open[item.index]
        self._finished[item.index] = final
        self._data["output"] = self._output()
        return self._commit({"type": "response.output_item.done", "output_index": item.index, "item": final})

    # -- accepting the handler's events --------------------------------------------------------------
    def _refuse(self, event_type: Any, rule: str) -> RawEventError:
        return RawEventError(f"raw event {event_type!r} refused: {rule} (response {self.response_id})")

    def accept(self, raw: Any) -> StreamEvent:
        """Check one raw event and return it as this response's next event (raises RawEventError)."""
        payload = as_raw_event(raw)
        event_type = payload.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise self._refuse(event_type, "an event has a non-empty string 'type'")
        if self._terminal is not None:
            raise self._refuse(event_type, f"nothing may follow the terminal event {self._terminal}")
        payload["sequence_number"] = self._seq
        if event_type in _LIFECYCLE or event_type in _TERMINAL_STATUS:
            return self._commit(self._response_event(event_type, payload))
        if not self._created:
            raise self._refuse(event_type, "response.created comes first")
        self._validate(event_type, payload)
        if event_type == "error":
            return self._commit(payload)
        if "output_index" not in payload:  # response-level content (audio): after in_progress
            if not self._in_progress:
                raise self._refuse(event_type, "content events come after response.in_progress")
            return self._commit(payload)
        return self._item_event(event_type, payload)

    def _validate(self, event_type: str, payload: dict[str, Any]) -> None:
        from pydantic import ValidationError

        model = _event_models().get(event_type)
        if model is None:
            raise self._refuse(event_type, "not an event type of the protocol")
        try:
            model.model_validate(payload)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(map(str, error["loc"]))
            raise self._refuse(event_type, f"not a valid stream event: {error['msg']} at {where}") from None

    def _response_event(self, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        given = payload.get("response")
        if given is not None and not isinstance(given, Mapping):
            raise self._refuse(event_type, "'response' is a response object")
        given = given or {}
        if event_type == "response.created":
            if self._created:
                raise self._refuse(event_type, "response.created comes once, first")
            if given.get("status") in ("completed", "failed", "cancelled", "incomplete"):
                raise self._refuse(event_type, f"response.created cannot have status {given['status']!r}")
        elif not self._created:
            raise self._refuse(event_type, "response.created comes first")
        elif event_type in _LIFECYCLE:
            if self._in_progress:
                raise self._refuse(event_type, "the response is already in progress")
            if event_type == "response.queued" and self._queued:
                raise self._refuse(event_type, "response.queued comes once")
        elif self._open:
            raise self._refuse(
                event_type, f"output items still open at {sorted(self._open)}; finish them first"
            )
        merged = dict(self._data)
        for key, value in given.items():
            if key not in _OWNED and value is not None and value != "":
                merged[key] = value
        status = _LIFECYCLE.get(event_type)
        if event_type == "response.created":
            status = (
                given.get("status") if given.get("status") in ("queued", "in_progress") else merged["status"]
            )
        if status is not None:
            merged["status"] = status
            merged["output"] = self._output()
        else:  # a terminal event: the runtime's snapshot, ended as the handler says
            merged = self._terminal_response(event_type, given, merged)
        payload["response"] = merged
        # Checked on a copy: a refused event changes nothing.
        self._validate(event_type, payload)
        self._data.clear()
        self._data.update(merged)
        payload["response"] = self._data
        if event_type == "response.created":
            self._created = True
        elif event_type == "response.queued":
            self._queued = True
        elif event_type == "response.in_progress":
            self._in_progress = True
        else:
            self._terminal = event_type
        return payload

    def _terminal_response(
        self, event_type: str, given: Mapping[str, Any], merged: dict[str, Any]
    ) -> dict[str, Any]:
        status = _TERMINAL_STATUS[event_type]
        usage = given.get("usage")
        if usage is not None:
            usage = _complete_usage(dict(usage))
        code = message = reason = None
        if status == "failed":
            if given.get("status") == "cancelled":
                status = "cancelled"
            else:
                error = given.get("error") or {}
                code = error.get("code") or "server_error"
                message = error.get("message") or "The response failed."
                if code not in ERROR_CODES:
                    raise self._refuse(event_type, f"error code {code!r} is not one of the protocol's codes")
        elif status == "incomplete":
            reason = (given.get("incomplete_details") or {}).get("reason") or "max_output_tokens"
            if reason not in INCOMPLETE_REASONS:
                raise self._refuse(
                    event_type, f"reason {reason!r} is not one of {sorted(INCOMPLETE_REASONS)}"
                )
        return terminal_snapshot(
            merged, status, output=self._output(), usage=usage, code=code, message=message, reason=reason
        )

    def _item_event(self, event_type: str, payload: dict[str, Any]) -> StreamEvent:
        if not self._in_progress:
            raise self._refuse(event_type, "item events come after response.in_progress")
        given_index = payload["output_index"]
        if event_type == "response.output_item.added":
            known = self._index_map.get(given_index)
            if known is not None and known in self._open:
                raise self._refuse(event_type, f"output item {given_index} is already open")
            item = dict(payload["item"])
            if "response_id" in item:
                item["response_id"] = self.response_id
            index = self._next_index
            payload["output_index"] = index
            payload["item"] = item
            self._next_index += 1
            self._index_map[given_index] = index
            self._open[index] = _Item(index, item)
            return self._commit(payload)
        index = self._index_map.get(given_index)
        item = self._open.get(index) if index is not None else None
        if item is None:
            rule = "its item is already done" if index is not None else "output_item.added comes first"
            raise self._refuse(event_type, f"output item {given_index}: {rule}")
        item_id = payload.get("item_id")
        if item_id is not None and item.item.get("id") not in (None, item_id):
            raise self._refuse(
                event_type, f"item_id {item_id!r} is not the open item's id {item.item.get('id')!r}"
            )
        payload["output_index"] = index
        if event_type == "response.output_item.done":
            final = dict(payload["item"])
            if item.item.get("id") is not None and final.get("id") != item.item["id"]:
                raise self._refuse(event_type, f"the item's id changed from {item.item['id']!r}")
            if item.open_parts():
                raise self._refuse(event_type, f"its parts {item.open_parts()} are still open")
            if "response_id" in final:
                final["response_id"] = self.response_id
            del self._open[index]
            self._finished[index] = final
            self._data["output"] = self._output()
            payload["item"] = final
            return self._commit(payload)
        field = _PART_OPEN.get(event_type)
        if field is not None:
            key = (field, payload[field])
            if key in item.parts:
                raise self._refuse(event_type, f"part {key[1]} is added only once")
            item.parts[key] = dict(payload["part"])
            item.texts[key] = []
            return self._commit(payload)
        field = _PART_CLOSE.get(event_type)
        if field is not None:
            key = (field, payload[field])
            if key not in item.texts:
                raise self._refuse(event_type, f"part {key[1]} is not open")
            del item.texts[key]
            item.parts[key] = dict(payload["part"])
            return self._commit(payload)
        field = _PART_TEXT.get(event_type) or _PART_TEXT_DONE.get(event_type)
        if field is not None:
            key = (field, payload[field])
            if key not in item.texts and not (field == "summary_index" and key not in item.parts):
                raise self._refuse(event_type, f"its part {key[1]} is not open")
            if event_type in _PART_TEXT and key in item.texts:
                item.texts[key].append(payload.get("delta") or "")
        return self._commit(payload)
