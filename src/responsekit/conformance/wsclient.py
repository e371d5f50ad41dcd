"""WebSocket access to the server under test: one connection on ``GET /responses``, read turn by turn.

A turn is one ``response.create`` message and the messages it brings: stream events up to the
terminal one, or a turn-level ``error`` envelope (``{"type": "error", "status", "error": {...}}``).
Every receive is bounded (the per-call timeout, and a deadline per turn), so a server that accepts
the socket and then never answers cannot hang the suite; what was sent and received is kept as a
transcript for the evidence.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from responsekit.conformance.event_types import TERMINAL_TYPES

__all__ = ["WsRefused", "WsConnection", "WsTurn", "ws_url", "is_turn_error", "MAX_MESSAGES"]

#: No turn the suite reads may carry more messages than this (a runaway server must not hang it).
MAX_MESSAGES = 100_000
#: The largest message the suite accepts (a whole Response in a terminal event can be large).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class WsRefused(Exception):
    """The server did not upgrade the connection (``status`` is its HTTP answer, when it gave one)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def ws_url(base_url: str, path: str = "/responses") -> str:
    """``http://h/v1`` -> ``ws://h/v1/responses`` (``https`` -> ``wss``)."""
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://") :]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://") :]
    return base + path


def is_turn_error(message: Any) -> bool:
    """A turn-level error envelope, as opposed to an ``error`` stream event (which has a sequence_number)."""
    return isinstance(message, dict) and message.get("type") == "error" and "sequence_number" not in message


@dataclass
class WsTurn:
    """What one ``response.create`` brought back."""

    sent: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)  # stream events, in arrival order
    #: Events of a response an earlier turn of the connection already ended (a repeated terminal
    #: event, say): kept apart, so they neither end this turn nor pass for its events.
    leftovers: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None  # the turn-level error envelope that ended the turn
    problem: str | None = None  # timeout, closed connection, deadline, message cap
    anomalies: list[str] = field(default_factory=list)  # binary frames, non-JSON or non-object text

    @property
    def terminal(self) -> dict[str, Any] | None:
        """The terminal event that ended the turn, if one did."""
        if self.events and self.events[-1].get("type") in TERMINAL_TYPES:
            return self.events[-1]
        return None

    @property
    def response(self) -> dict[str, Any]:
        """The Response carried by the terminal event ({} without one)."""
        terminal = self.terminal
        return terminal.get("response") or {} if terminal else {}

    @property
    def response_id(self) -> Any:
        return next((rid for rid in map(_response_id, self.events) if rid), None)

    def outcome(self) -> str:
        """One line saying how the turn ended (for messages)."""
        if self.error is not None:
            return f"an error message {json.dumps(self.error, default=str)[:300]}"
        if self.terminal is not None:
            return f"{self.terminal.get('type')} (status {self.response.get('status')!r})"
        return self.problem or f"{len(self.events)} event(s) and no terminal event"

    def summary(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "sent": _brief(self.sent),
            "events": len(self.events),
            "event_types": [ev.get("type") for ev in self.events[:12]]
            + (["..."] if len(self.events) > 12 else []),
        }
        if self.error is not None:
            info["error_message"] = self.error
        if self.leftovers:
            info["leftovers"] = [f"{ev.get('type')} of {_response_id(ev)}" for ev in self.leftovers[:5]]
        if self.problem:
            info["problem"] = self.problem
        if self.anomalies:
            info["anomalies"] = self.anomalies[:5]
        return info


class WsConnection:
    """One WebSocket connection to ``<base>/responses``; use as a context manager (closes on exit)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        deadline: float | None = None,
        path: str = "/responses",
    ) -> None:
        self.url = ws_url(base_url, path)
        self.headers = dict(headers or {})
        self.timeout = timeout
        #: The longest one turn may take (a server may keep a turn open for ever).
        self.deadline = deadline if deadline is not None else max(timeout, 1.0) * 4
        self.transcript: list[dict[str, Any]] = []  # {"dir": "sent" | "received", "message": ...}
        self._ws: Any = None
        self._ended: set[Any] = set()  # ids of the responses whose terminal event was read
        self._stack = contextlib.ExitStack()

    # -- opening and closing ----------------------------------------------------------------------
    def open(self) -> WsConnection:
        """Open the connection; raises :class:`WsRefused` when the server does not upgrade it."""
        from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
        from websockets.sync.client import connect

        stack = contextlib.ExitStack()
        try:
            self._ws = stack.enter_context(
                connect(
                    self.url,
                    additional_headers=self.headers or None,
                    open_timeout=self.timeout,
                    close_timeout=min(self.timeout, 5.0),
                    max_size=MAX_MESSAGE_BYTES,
                    max_queue=None,
                )
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise WsRefused(f"GET {self.url} answered {status} instead of upgrading", status) from None
        except (InvalidHandshake, InvalidURI) as exc:
            raise WsRefused(f"GET {self.url} did not upgrade: {type(exc).__name__}: {exc}") from None
        self._stack = stack
        return self

    def close(self) -> None:
        if self._ws is not None:
            try:
                self._stack.close()
            except Exception:  # noqa: BLE001, S110 - closing a broken connection is best effort
                pass
            self._ws = None

    def __enter__(self) -> WsConnection:
        return self if self._ws is not None else self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- messages ---------------------------------------------------------------------------------
    def send(self, message: Mapping[str, Any]) -> None:
        self.transcript.append({"dir": "sent", "message": _brief(dict(message))})
        self._ws.send(json.dumps(message))

    def send_raw(self, text: str) -> None:
        self.transcript.append({"dir": "sent", "message": text[:300]})
        self._ws.send(text)

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Send ``{"type": "response.create", **body}``; returns what was sent."""
        message = {"type": "response.create", **body}
        self.send(message)
        return message

    def receive(self, timeout: float) -> tuple[Any, str | None]:
        """The next message, decoded: ``(value, None)``, or ``(None, why there is none)``.

        ``value`` is the parsed JSON (any JSON type) of a text message, or the raw frame (``bytes``, or
        the text when it is not JSON) so the caller can report it.
        """
        from websockets.exceptions import ConnectionClosed

        try:
            raw = self._ws.recv(timeout=max(timeout, 0.0))
        except TimeoutError:
            return None, f"no message within {timeout:.1f}s"
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            how = f" (code {rcvd.code}{', ' + repr(rcvd.reason) if rcvd.reason else ''})" if rcvd else ""
            return None, f"the server closed the connection{how}"
        if isinstance(raw, bytes):
            self.transcript.append({"dir": "received", "message": f"<binary frame, {len(raw)} bytes>"})
            return raw, None
        try:
            value = json.loads(raw)
        except ValueError:
            self.transcript.append({"dir": "received", "message": raw[:300]})
            return raw, None
        self.transcript.append({"dir": "received", "message": _brief(value)})
        return value, None

    def read_turn(self, sent: dict[str, Any]) -> WsTurn:
        """Read one turn's messages: until a terminal event or an error envelope (bounded)."""
        turn = WsTurn(sent)
        ends = time.monotonic() + self.deadline
        while True:
            left = ends - time.monotonic()
            value, why = self.receive(min(self.timeout, left)) if left > 0 else (None, "")
            if why is not None:
                if time.monotonic() >= ends:
                    why = f"the turn did not end within {self.deadline:g}s"
                turn.problem = f"{why}, after {len(turn.events)} event(s) of the turn"
                return turn
            if not isinstance(value, dict):
                shown = value[:200] if isinstance(value, (str, bytes)) else json.dumps(value)[:200]
                turn.anomalies.append(f"a message that is not a JSON object: {shown!r}")
                continue
            if is_turn_error(value):
                turn.error = value
                return turn
            if _response_id(value) in self._ended:
                turn.leftovers.append(value)
                continue
            turn.events.append(value)
            if value.get("type") in TERMINAL_TYPES:
                self._ended.add(_response_id(value))
                return turn
            if len(turn.events) >= MAX_MESSAGES:
                turn.problem = f"more than {MAX_MESSAGES} events; stopped reading"
                return turn

    def turn(self, body: Mapping[str, Any]) -> WsTurn:
        """Send one ``response.create`` and read its turn."""
        return self.read_turn(self.create(body))

    def transcript_tail(self, count: int = 12) -> list[dict[str, Any]]:
        return self.transcript[-count:]


def _response_id(event: dict[str, Any]) -> Any:
    response = event.get("response")
    return response.get("id") if isinstance(response, dict) else None


def _brief(value: Any, limit: int = 600) -> Any:
    text = json.dumps(value, default=str)
    return value if len(text) <= limit else text[:limit] + "..."
