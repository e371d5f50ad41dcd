"""``yield stream.checkpoint()``: a marker asking the runtime to persist the response as it stands.

A checkpoint is not an event: nothing is sent to readers and no sequence number is used. On a
durable store the runtime saves the stream's snapshot (every finished item with its id) before it
asks the handler for its next event; on the memory store it is a no-op. Resilient background runs
(re-entering a handler after its process died) build on it; ``stream.internal_metadata`` travels
with the marker for them and is never part of what clients see.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Checkpoint", "ResponseCheckpointEvent"]


class Checkpoint:
    """The marker ``stream.checkpoint()`` returns; yield it from the handler."""

    __slots__ = ("stream", "response", "internal_metadata")

    type = "checkpoint"

    def __init__(self, stream: Any, response: Any, internal_metadata: dict[str, Any]) -> None:
        self.stream = stream
        #: The stream's live response snapshot (as ``stream.response``).
        self.response = response
        #: A copy of ``stream.internal_metadata`` at the checkpoint.
        self.internal_metadata = internal_metadata

    def __repr__(self) -> str:
        return f"<Checkpoint of {getattr(self.stream, 'response_id', None)}>"


#: The peer package's name for the marker.
ResponseCheckpointEvent = Checkpoint
