"""Emitted events: serialized once, reused for the live stream, the event log and every replay."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["StreamEvent", "encode_json", "sse_frame", "KEEP_ALIVE_FRAME"]

#: An SSE comment line: ignored by clients, keeps idle connections and proxies alive.
KEEP_ALIVE_FRAME = b": keep-alive\n\n"

_frame_prefixes: dict[str, bytes] = {}


#: Compact JSON for the wire: pydantic-core's encoder (fast, and it knows pydantic models), bound
#: directly rather than wrapped, as it runs once per event on the hot path.
encode_json: Callable[..., bytes] = to_json


def _plain(value: Any) -> Any:
    """A caller's argument as plain JSON-able data, in the protocol's shape.

    Pydantic models (ours or the openai package's) are dumped with the fields that were set, so a
    model built with only the required fields serializes as exactly those fields.
    """
    if value is None or isinstance(value, (str, int, float)):
        return value
    # Deferred: pydantic loads with the models (see responsekit/models), not with the package.
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _frame_prefix(event_type: str) -> bytes:
    """``event: <type>`` and the start of the data line, made once per event type."""
    prefix = b"event: " + event_type.encode() + b"\ndata: "
    _frame_prefixes[event_type] = prefix
    return prefix


def sse_frame(event_type: str, data: bytes) -> bytes:
    """One SSE frame: ``event: <type>`` then ``data: <json>`` then a blank line."""
    return (_frame_prefixes.get(event_type) or _frame_prefix(event_type)) + data + b"\n\n"


class StreamEvent:
    """One event of a response stream.

    ``type`` and ``sequence_number`` are attributes; the rest of the payload reads as attributes or
    items too (``event.delta``, ``event["item_id"]``). ``json`` holds the bytes sent on the wire and
    ``frame`` their SSE frame, both made once at emit time, so later changes to the response
    snapshot never alter an event.
    """

    __slots__ = ("type", "sequence_number", "json", "stream", "frame", "_data")

    def __init__(self, event_type: str, sequence_number: int, data: bytes, stream: Any = None) -> None:
        self.type = event_type
        self.sequence_number = sequence_number
        self.json = data
        self.stream = stream
        self._data: dict | None = None
        # The frame is always needed (live stream, log, replay): build it now, inlined (hot path).
        self.frame: bytes = (_frame_prefixes.get(event_type) or _frame_prefix(event_type)) + data + b"\n\n"

    @property
    def data(self) -> dict[str, Any]:
        """The payload as a dict (parsed from the wire bytes, so it is exactly what was sent)."""
        if self._data is None:
            self._data = json.loads(self.json)
        return self._data

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(f"{self.type} event has no field {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def model_dump(self, **_: Any) -> dict[str, Any]:
        return json.loads(self.json)

    def model_dump_json(self, **_: Any) -> str:
        return self.json.decode()

    def as_model(self) -> BaseModel:
        """The event as its generated, validated pydantic model."""
        from responsekit.models import ResponseStreamEvent

        return ResponseStreamEvent.model_validate_json(self.json).root

    def __repr__(self) -> str:
        return f"<StreamEvent #{self.sequence_number} {self.type}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StreamEvent):
            return self.json == other.json
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.json)
