"""responsekit: build servers that speak the Responses protocol.

Write one handler; the host serves the responses endpoints over SSE and WebSocket, the four
stream/background modes, event ordering, cancellation, replay, compaction, input-token counting,
conversations, storage and errors. This module is the whole public API.
"""

from responsekit.models import CreateResponse, Response, ResponseObject
from responsekit.server import (
    CompactionContext,
    InputTokensContext,
    IsolationContext,
    ResponseContext,
    ResponsesAgentServerHost,
    ResponsesServerOptions,
)
from responsekit.store import MemoryStore, ResponseRecord, Store, StoreUnavailable
from responsekit.streaming import (
    ResponseEventStream,
    ResponseSnapshot,
    StreamEvent,
    StreamOrderError,
    TextResponse,
)

__version__ = "0.1.0"

__all__ = [
    "CompactionContext",
    "CreateResponse",
    "InputTokensContext",
    "IsolationContext",
    "MemoryStore",
    "Response",
    "ResponseContext",
    "ResponseEventStream",
    "ResponseObject",
    "ResponseRecord",
    "ResponseSnapshot",
    "ResponsesAgentServerHost",
    "ResponsesServerOptions",
    "Store",
    "StoreUnavailable",
    "StreamEvent",
    "StreamOrderError",
    "TextResponse",
]
