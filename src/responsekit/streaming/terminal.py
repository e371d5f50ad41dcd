"""How a response ends: the one place that turns a snapshot into a terminal one.

Every terminal state of a response is built here, whoever ends it: the handler's stream
(``emit_completed`` / ``emit_failed`` / ``emit_incomplete`` / ``emit_cancelled``), the runtime
when it ends a response on the handler's behalf (an exception, no terminal event, a cancel, a
shutdown, a store failure) and a shared store's reaper when a replica was lost. The messages a
client is told when the runtime ends a response live here too (never the handler's internals).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

#: The events that end a stream, and the terminal event of each terminal status. A cancelled
#: response ends with ``response.failed``: the protocol has no ``response.cancelled`` event.
TERMINAL_EVENT_TYPES = frozenset({"response.completed", "response.failed", "response.incomplete"})
TERMINAL_EVENT_TYPE_BY_STATUS: dict[str, str] = {
    "completed": "response.completed",
    "failed": "response.failed",
    "cancelled": "response.failed",
    "incomplete": "response.incomplete",
}

#: What a client is told when the runtime ends a response, by reason; never the handler's internals.
FAILURE_MESSAGES: dict[str, str] = {
    "exception": "The handler failed while producing this response.",
    "incomplete": "The handler ended without finishing the response.",
    "shutdown": "The server shut down before the response finished.",
    "lost": "The worker running this response was lost.",
    "store": "The response could not be stored.",
    "unrecoverable": (
        "The worker running this response was lost too many times (max_recovery_attempts); it was not "
        "recovered again."
    ),
}

#: Reasons the runtime ends a response as ``cancelled`` (the others fail it with ``server_error``).
CANCEL_REASONS = frozenset({"cancelled", "disconnected"})

_UNSET: Any = object()


def terminal_snapshot(
    snapshot: Mapping[str, Any],
    status: str,
    *,
    output: list[Any] | None = None,
    usage: Any = None,
    code: str | None = None,
    message: str | None = None,
    reason: str | None = None,
    completed_at: Any = _UNSET,
    in_place: bool = False,
) -> dict[str, Any]:
    """``snapshot`` ended as ``status`` (completed, failed, cancelled or incomplete).

    ``output`` replaces the output when given (the finished items), ``usage`` is set when given;
    ``completed`` stamps ``completed_at`` now (unless ``completed_at`` is given), ``failed`` sets
    ``error`` to ``{code, message}``, ``cancelled`` clears ``error``, ``incomplete`` sets
    ``incomplete_details`` to ``{reason}``. ``in_place`` updates the given dict (a stream's live
    snapshot) instead of a copy.
    """
    if status not in TERMINAL_EVENT_TYPE_BY_STATUS:
        raise ValueError(f"not a terminal status: {status!r}")
    data: dict[str, Any] = snapshot if in_place else dict(snapshot)  # type: ignore[assignment]
    data["status"] = status
    if output is not None:
        data["output"] = output
    if usage is not None:
        data["usage"] = usage
    if status == "completed":
        data["completed_at"] = int(time.time()) if completed_at is _UNSET else completed_at
    else:
        if completed_at is not _UNSET:
            data["completed_at"] = completed_at
        if status == "failed":
            data["error"] = {"code": code, "message": message}
        elif status == "cancelled":
            data["error"] = None
        else:
            data["incomplete_details"] = {"reason": reason}
    return data


def runtime_terminal_snapshot(
    snapshot: Mapping[str, Any],
    reason: str,
    *,
    drop_unfinished: bool = False,
    in_place: bool = False,
) -> dict[str, Any]:
    """``snapshot`` ended by the runtime for ``reason`` (a key of ``FAILURE_MESSAGES``, or
    ``cancelled`` / ``disconnected``): cancelled, or failed with ``server_error`` and the fixed
    message. ``drop_unfinished`` keeps only finished output items and clears ``completed_at`` (a
    stream that could not close its items cleanly)."""
    extra: dict[str, Any] = {}
    if drop_unfinished:
        extra["output"] = [item for item in snapshot.get("output", []) if item.get("status") != "in_progress"]
        extra["completed_at"] = None
    if reason in CANCEL_REASONS:
        return terminal_snapshot(snapshot, "cancelled", in_place=in_place, **extra)
    return terminal_snapshot(
        snapshot,
        "failed",
        code="server_error",
        message=FAILURE_MESSAGES[reason],
        in_place=in_place,
        **extra,
    )
