"""The server runtime: host (ASGI app), context, options, the per-response run, errors."""

from responsekit.server.context import IsolationContext, ResponseContext
from responsekit.server.host import ResponsesAgentServerHost
from responsekit.server.options import ResponsesServerOptions

__all__ = ["IsolationContext", "ResponseContext", "ResponsesAgentServerHost", "ResponsesServerOptions"]
