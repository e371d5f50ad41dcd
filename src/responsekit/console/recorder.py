"""The console's memory: an observer keeping a bounded ring of this process's recent responses.

Each entry holds what the list shows (status, mode, model, start, duration, a salted hash of the
user key, never the key) and, for responses not isolated by a user key, their events with the time
each was emitted, so the page can show timelines even of responses it cannot replay (``store=false``).
Of an isolated response it keeps only the summary: the console reads no isolation header, so it
must not show content the caller's key guards.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from responsekit.server.observers import ResponseObserver, ResponseRun
from responsekit.streaming.events import encode_json

#: Responses the ring keeps; the oldest goes first.
MAX_RESPONSES = 100
#: Events kept per response; past it the entry counts the rest and marks itself truncated.
MAX_EVENTS = 2000

_TERMINAL_TYPES = frozenset({"response.completed", "response.failed", "response.incomplete"})


@dataclass
class ConsoleEntry:
    """One observed response, as the console knows it."""

    response_id: str
    mode: str
    model: str | None
    user_key_hash: str | None
    started_at: float  # wall clock (time.time()) when the create request arrived
    started_monotonic: float
    status: str = "in_progress"
    finished_monotonic: float | None = None
    stored: bool = True
    background: bool | None = None
    event_count: int = 0
    #: (seconds since start, event) for responses without a user key; empty for isolated ones.
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    #: (sequence_number, seconds since start) of every event, isolated or not: timings reveal no content.
    timings: list[tuple[Any, float]] = field(default_factory=list)
    response: dict[str, Any] | None = None

    @property
    def isolated(self) -> bool:
        return self.user_key_hash is not None

    def replay(self) -> dict[str, Any]:
        """Whether the page can replay it through ``GET /responses/{id}?stream=true``, and if not, why."""
        if self.isolated:
            reason = (
                "isolated by a user key: the console sends no isolation header, so the replay endpoint "
                "answers 404, and the console keeps none of its events"
            )
            return {"available": False, "reason": reason}
        if not self.stored:
            reason = (
                "created with store=false: nothing is stored to replay; showing the events this console saw"
            )
            return {"available": False, "reason": reason}
        return {"available": True, "reason": None}

    def summary(self) -> dict[str, Any]:
        end = self.finished_monotonic if self.finished_monotonic is not None else time.monotonic()
        return {
            "id": self.response_id,
            "status": self.status,
            "mode": self.mode,
            "model": self.model,
            "user_key_hash": self.user_key_hash,
            "isolated": self.isolated,
            "started_at": self.started_at,
            "duration_seconds": round(end - self.started_monotonic, 6),
            "finished": self.finished_monotonic is not None,
            "stored": self.stored,
            "background": self.background,
            "event_count": self.event_count,
            "replay": self.replay(),
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "events": [{"t": round(t, 6), "event": event} for t, event in self.events],
            "events_truncated": self.event_count > len(self.timings),
            "timings": [[seq, round(t, 6)] for seq, t in self.timings],
            "invalid": invalid_events(event for _t, event in self.events),
            "response": self.response,
        }


def invalid_events(events: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """[sequence_number, what is wrong] of each event the protocol's event models reject (checked
    when the page asks, not as events pass: the runtime's own events are valid by construction)."""
    from pydantic import ValidationError

    from responsekit.models import ResponseStreamEvent

    found: list[list[Any]] = []
    for event in events:
        try:
            ResponseStreamEvent.model_validate(event)
        except ValidationError as exc:
            errors = exc.errors()
            first = errors[0]
            where = ".".join(str(part) for part in first["loc"][1:]) or "the event"  # [0]: the union arm
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            found.append([event.get("sequence_number"), f"{where}: {first['msg']}{more}"])
    return found


class ConsoleRecorder(ResponseObserver):
    """Observes every response of a host; the console's endpoints read ``recent()`` and ``get()``."""

    def __init__(self, max_responses: int = MAX_RESPONSES, max_events: int = MAX_EVENTS) -> None:
        self.max_responses = max_responses
        self.max_events = max_events
        self._entries: OrderedDict[str, ConsoleEntry] = OrderedDict()
        # Per process: the hash tells requests of one key apart without being reversible offline.
        self._salt = secrets.token_bytes(16)

    def user_key_hash(self, user_key: str | None) -> str | None:
        if not user_key:
            return None
        return hmac.new(self._salt, user_key.encode(), hashlib.sha256).hexdigest()[:12]

    # -- the observer ---------------------------------------------------------------------------------
    def response_started(self, run: ResponseRun) -> None:
        entry = ConsoleEntry(
            response_id=run.response_id,
            mode=run.mode,
            model=run.model,
            user_key_hash=self.user_key_hash(run.user_key),
            started_at=run.started_at,
            started_monotonic=time.monotonic(),
            stored=run.stored,
        )
        self._entries.pop(run.response_id, None)  # a recovered response starts again, newest
        self._entries[run.response_id] = entry
        while len(self._entries) > self.max_responses:
            self._entries.popitem(last=False)

    def event_emitted(self, run: ResponseRun, event: Mapping[str, Any]) -> None:
        entry = self._entries.get(run.response_id)
        if entry is None:
            return
        entry.event_count += 1
        snapshot = event.get("response")
        if isinstance(snapshot, Mapping):
            entry.status = str(snapshot.get("status") or entry.status)
            if entry.background is None and "background" in snapshot:
                entry.background = bool(snapshot.get("background"))
        if len(entry.timings) >= self.max_events:
            return
        at = time.monotonic() - entry.started_monotonic
        entry.timings.append((event.get("sequence_number"), at))
        if not entry.isolated:
            entry.events.append((at, _copy(event)))
        if event.get("type") in _TERMINAL_TYPES and isinstance(snapshot, Mapping) and not entry.isolated:
            entry.response = _copy(snapshot)

    def response_finished(self, run: ResponseRun, response: Mapping[str, Any]) -> None:
        entry = self._entries.get(run.response_id)
        if entry is None:
            return
        entry.finished_monotonic = time.monotonic()
        entry.status = str(response.get("status") or entry.status)
        if not entry.isolated:
            entry.response = _copy(response)

    # -- reading ----------------------------------------------------------------------------------------
    def recent(self) -> list[ConsoleEntry]:
        """Newest first."""
        return list(reversed(self._entries.values()))

    def get(self, response_id: str) -> ConsoleEntry | None:
        return self._entries.get(response_id)


def _copy(value: Mapping[str, Any]) -> dict[str, Any]:
    """A plain copy as it is now: the runtime may keep changing the objects an event points to."""
    raw = getattr(value, "json", None)  # an EventView carries the payload as sent
    return json.loads(raw if isinstance(raw, (bytes, str)) else encode_json(dict(value)))
