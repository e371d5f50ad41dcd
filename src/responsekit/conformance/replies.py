"""What the suite keeps of one HTTP answer: a complete ``Reply``, or the ``StreamCapture`` of an SSE one.

Plain records with the views checks need (content type, parsed JSON, decoded events, a summary for
evidence); they do no I/O, so they are built by the client and by the raw-socket upload alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from responsekit.conformance.sse import SSEFrame

__all__ = ["Reply", "StreamCapture", "frame_payload"]


def frame_payload(data: str) -> dict[str, Any]:
    """An SSE frame's data as an event payload: the JSON object, or {} when it is not one."""
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class Reply:
    """A complete (non-streamed) HTTP answer."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    text: str

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def json(self) -> Any:
        """The parsed body, or None when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def summary(self) -> dict[str, Any]:
        return {
            "request": f"{self.method} {self.url}",
            "status": self.status,
            "content_type": self.content_type,
            "body": self.text[:600],
        }


@dataclass
class StreamCapture:
    """Everything observed on one SSE response (or the non-SSE answer that came instead)."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    frames: list[SSEFrame] = field(default_factory=list)
    done: bool = False  # a `data: [DONE]` frame was seen
    comments: int = 0
    anomalies: list[str] = field(default_factory=list)
    error: str | None = None  # transport error, deadline or event cap
    body: str = ""  # the body when the answer was not an event stream

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_sse(self) -> bool:
        return self.content_type == "text/event-stream"

    @property
    def payload_frames(self) -> list[SSEFrame]:
        return [f for f in self.frames if f.data != "[DONE]"]

    @property
    def events(self) -> list[dict[str, Any]]:
        """The JSON payloads, in order (a payload that is not a JSON object becomes {})."""
        return [frame_payload(frame.data) for frame in self.payload_frames]

    def as_reply(self) -> Reply:
        return Reply(self.method, self.url, self.status, self.headers, self.body)

    def summary(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "request": f"{self.method} {self.url}",
            "status": self.status,
            "content_type": self.content_type,
            "events": len(self.payload_frames),
        }
        if self.error:
            info["error"] = self.error
        if not self.is_sse:
            info["body"] = self.body[:600]
        return info
