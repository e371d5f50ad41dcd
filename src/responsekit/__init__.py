"""responsekit: build servers that speak the Responses protocol.

Write one handler; the host serves the responses endpoints over SSE and WebSocket, the four
stream/background modes, event ordering, cancellation, replay, compaction, input-token counting,
conversations, storage and errors. This module is the whole public API.
"""

from typing import TYPE_CHECKING, Any

from responsekit import data_url

if TYPE_CHECKING:  # loaded on first use: see __getattr__ below
    from responsekit.models import CreateResponse, Response, ResponseObject
from responsekit.server import (
    CompactionContext,
    InputTokensContext,
    IsolationContext,
    ResponseContext,
    ResponsesAgentServerHost,
    ResponsesServerOptions,
)
from responsekit.server.context import ExitForRecoverySignal, ResponseExitForRecovery
from responsekit.store import (
    CancelSignals,
    EventLog,
    MemoryStore,
    RecordStore,
    ResponseRecord,
    Store,
    StoreUnavailable,
)
from responsekit.store.protocols import ConversationStore
from responsekit.streaming import (
    ResponseEventStream,
    ResponseSnapshot,
    StreamEvent,
    StreamOrderError,
    TextResponse,
)

__version__ = "0.1.0"

#: The store protocol a custom store implements (the peer package's name for it): a
#: :class:`Store` made of a :class:`RecordStore`, an :class:`EventLog`, :class:`CancelSignals` and
#: a :class:`ConversationStore`, passed as ``ResponsesAgentServerHost(store=...)``. The shared
#: contract tests (tests/store/) say what each part must do.
ResponseProviderProtocol = Store
#: The embedded in-memory store under the peer package's name.
InMemoryResponseProvider = MemoryStore

__all__ = [
    "CancelSignals",
    "CompactionContext",
    "ConversationStore",
    "CreateResponse",
    "EventLog",
    "ExitForRecoverySignal",
    "InMemoryResponseProvider",
    "InputTokensContext",
    "IsolationContext",
    "MemoryStore",
    "RecordStore",
    "Response",
    "ResponseContext",
    "ResponseEventStream",
    "ResponseExitForRecovery",
    "ResponseObject",
    "ResponseProviderProtocol",
    "ResponseRecord",
    "ResponseSnapshot",
    "ResponsesAgentServerHost",
    "ResponsesServerOptions",
    "Store",
    "StoreUnavailable",
    "StreamEvent",
    "StreamOrderError",
    "TextResponse",
    "data_url",
]


# The protocol models load on first use (PEP 562): they are some 280 pydantic classes, and the host
# needs them only once it serves (it builds the request's model at startup).
_MODELS = frozenset({"CreateResponse", "Response", "ResponseObject"})


def __getattr__(name: str) -> Any:
    if name in _MODELS:
        from responsekit import models

        value = getattr(models, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
