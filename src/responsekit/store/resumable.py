"""How a durable store writes a resilient response's ``Resumable``: two JSON values.

- what it was created with (written once): ``{"request", "client_headers", "query_parameters"}``;
- its last checkpoint (rewritten at each): ``{"response": snapshot, "internal_metadata": {...}}``.

The attempts are a counter of their own (a column, a hash field), counted where they are claimed.
The SQLite and Redis stores keep these two values as they are, so both read what the other wrote.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import from_json

from responsekit.store.protocols import Resumable
from responsekit.streaming.events import encode_json


def encode_created(resumable: Resumable) -> bytes:
    return encode_json(
        {
            "request": resumable.request,
            "client_headers": resumable.client_headers,
            "query_parameters": resumable.query_parameters,
        }
    )


def encode_checkpoint(snapshot: bytes, internal_metadata: dict[str, Any]) -> bytes:
    """The checkpoint of a snapshot already encoded (the store encodes it once for both places)."""
    return b'{"response":' + snapshot + b',"internal_metadata":' + encode_json(internal_metadata) + b"}"


def encode_kept_checkpoint(resumable: Resumable) -> bytes | None:
    """The checkpoint a ``Resumable`` holds (None before its first)."""
    if resumable.checkpoint is None and not resumable.internal_metadata:
        return None
    return encode_checkpoint(encode_json(resumable.checkpoint), resumable.internal_metadata)


def decode(created: bytes, checkpoint: bytes | None, attempts: int) -> Resumable:
    stored = from_json(created)
    kept = {} if checkpoint is None else from_json(checkpoint)
    return Resumable(
        request=stored["request"],
        client_headers=stored.get("client_headers") or {},
        query_parameters=stored.get("query_parameters") or {},
        checkpoint=kept.get("response"),
        internal_metadata=kept.get("internal_metadata") or {},
        attempts=attempts,
    )
