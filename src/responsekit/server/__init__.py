"""The server runtime: host (ASGI app), context, options, the per-response run, errors."""

from responsekit.server.compaction import CompactionContext
from responsekit.server.context import IsolationContext, ResponseContext
from responsekit.server.host import ResponsesAgentServerHost
from responsekit.server.input_tokens import InputTokensContext
from responsekit.server.options import ResponsesServerOptions

__all__ = [
    "CompactionContext",
    "InputTokensContext",
    "IsolationContext",
    "ResponseContext",
    "ResponsesAgentServerHost",
    "ResponsesServerOptions",
]
