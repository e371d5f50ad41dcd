"""Optional parts of the protocol, detected once per run.

The WebSocket transport, ``POST /responses/compact``, ``POST /responses/input_tokens`` and the
Conversations API are optional: a server that answers 404 or 405 for one (or refuses the WebSocket
upgrade) does not offer it, and the checks of that capability are SKIPPED with the probe's answer as
the reason, never failed. Each probe is an ordinary exchange the checks then judge (the compaction
probe is the compaction a shape check reads), so detection costs next to nothing.

A probe that breaks (a timeout, a dropped connection) leaves the capability undecided: its checks
then fail with that error, since the server neither offered nor declined the feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from responsekit.conformance.registry import Failed, Skipped

if TYPE_CHECKING:
    from responsekit.conformance.context import Context

__all__ = [
    "Capability",
    "NAMES",
    "probe",
    "require",
    "report",
    "compact_body",
    "conversation_body",
    "ABSENT_STATUSES",
]

#: An answer with one of these statuses means the server does not have the endpoint.
ABSENT_STATUSES = (404, 405)
#: What each capability is, for reports.
NAMES = {
    "websocket": "WebSocket transport (GET /responses upgrade)",
    "compaction": "POST /responses/compact",
    "input_tokens": "POST /responses/input_tokens",
    "conversations": "Conversations API (/conversations)",
}
#: The model sent where the protocol requires one and the run was given none (--model).
FALLBACK_MODEL = "conformance-model"


@dataclass
class Capability:
    name: str
    found: bool | None  # None: the probe broke, so it is not known
    detail: str  # how it was decided: the probe's request and answer
    value: Any = field(default=None, repr=False, compare=False)  # the probe's exchange, for the checks

    def as_dict(self) -> dict[str, Any]:
        return {"found": self.found, "detail": self.detail}


def compact_body(ctx: Context, **fields: Any) -> dict[str, Any]:
    """A compaction request: a two-message window (user, assistant) and the model."""
    body: dict[str, Any] = {
        "model": ctx.config.model or FALLBACK_MODEL,
        "input": [
            {"type": "message", "role": "user", "content": ctx.config.prompt},
            {"type": "message", "role": "assistant", "content": "Hello! How can I help you today?"},
        ],
    }
    body.update(fields)
    return body


def _http_probe(name: str, method: str, path: str, make_body: Callable[[Context], Any]) -> Callable:
    def run(ctx: Context) -> Capability:
        reply = ctx.http.request(method, path, json_body=make_body(ctx))
        said = f"{method} {path} answered {reply.status}"
        if reply.status in ABSENT_STATUSES:
            return Capability(name, False, said, reply)
        return Capability(name, True, said, reply)

    return run


def _websocket(ctx: Context) -> Capability:
    from responsekit.conformance.wsclient import WsRefused

    conn = ctx.ws()
    try:
        conn.open()
    except WsRefused as exc:
        return Capability("websocket", False, str(exc))
    conn.close()
    return Capability("websocket", True, f"GET {conn.url} upgraded to a WebSocket")


def _input_tokens_body(ctx: Context) -> dict[str, Any]:
    body = {"input": ctx.config.prompt}
    if ctx.config.model:
        body["model"] = ctx.config.model
    return body


def conversation_body(ctx: Context) -> dict[str, Any]:
    return {
        "metadata": {"suite": "responsekit-conformance", "step": "created"},
        "items": [{"type": "message", "role": "user", "content": ctx.config.prompt}],
    }


PROBES: dict[str, Callable[[Context], Capability]] = {
    "websocket": _websocket,
    "compaction": _http_probe("compaction", "POST", "/responses/compact", compact_body),
    "input_tokens": _http_probe("input_tokens", "POST", "/responses/input_tokens", _input_tokens_body),
    "conversations": _http_probe("conversations", "POST", "/conversations", conversation_body),
}


def probe(ctx: Context, name: str) -> Capability:
    """The capability, probed on first use (once per run)."""

    def make() -> Capability:
        try:
            return PROBES[name](ctx)
        except Exception as exc:  # noqa: BLE001 - an undecided capability is reported, not raised
            return Capability(name, None, f"the probe failed: {type(exc).__name__}: {exc}")

    return ctx.memo(f"capability:{name}", make)


def require(ctx: Context, name: str) -> Any:
    """The probe's exchange when the server has the capability; else Skipped (absent) or Failed."""
    cap = probe(ctx, name)
    if cap.found is None:
        raise Failed(f"could not tell whether the server offers {NAMES[name]}: {cap.detail}")
    if not cap.found:
        raise Skipped(f"the server does not offer {NAMES[name]}: {cap.detail}")
    return cap.value


def report(ctx: Context, *, probe_all: bool = True) -> dict[str, dict[str, Any]]:
    """``{name: {"found", "detail"}}`` for the report; probes what the run did not (unless told not to)."""
    out = {}
    for name in PROBES:
        if probe_all or ctx.memoized(f"capability:{name}"):
            out[name] = probe(ctx, name).as_dict()
    return out
