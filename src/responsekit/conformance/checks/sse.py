"""SSE framing of the streams (the parser itself copes with any chunking and with comments)."""

from __future__ import annotations

import json

from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, Failed, check


@check(
    "sse.event_field",
    "Every frame's `event:` line equals its payload's `type`",
    level=MUST,
    fact="SSE frames are `event: <type>` then `data: <json>`; the event name matches the payload type.",
)
def event_field(ctx: Context) -> None:
    for what, cap in ctx.shared_streams():
        for n, frame in enumerate(cap.payload_frames):
            try:
                etype = json.loads(frame.data).get("type")
            except (ValueError, AttributeError):
                continue  # sse.data_json reports it
            if frame.event != etype:
                seen = "no event: line" if frame.event is None else f"event: {frame.event}"
                raise Failed(
                    f"{what}: frame {n} has {seen} but its payload type is {etype!r}",
                    frame_index=n,
                    expected=etype,
                    seen=frame.event,
                    data=frame.data[:400],
                )


@check(
    "sse.data_json",
    "Every `data:` payload is one JSON object with a `type`; frames end with a blank line",
    level=MUST,
    fact="Each event's data is a JSON-encoded event object; a frame is dispatched by a blank line.",
)
def data_json(ctx: Context) -> None:
    for what, cap in ctx.shared_streams():
        for n, frame in enumerate(cap.payload_frames):
            try:
                value = json.loads(frame.data)
            except ValueError as exc:
                raise Failed(
                    f"{what}: frame {n} data is not JSON ({exc})", frame_index=n, data=frame.data[:400]
                ) from None
            if not isinstance(value, dict) or not isinstance(value.get("type"), str):
                raise Failed(
                    f"{what}: frame {n} data is not an object with a string `type`",
                    frame_index=n,
                    data=frame.data[:400],
                )
        if cap.anomalies:
            raise Failed(f"{what}: {cap.anomalies[0]}", anomalies=cap.anomalies[:5])
    return f"keep-alive comments seen: {sum(cap.comments for _, cap in ctx.shared_streams())}"


@check(
    "sse.done_sentinel",
    "The stream ends with `data: [DONE]` (Open Responses profile)",
    level=MUST,
    fact="Open Responses: the terminal frame of a stream is the literal `[DONE]`.",
    profiles=("open-responses",),
)
def done_sentinel(ctx: Context) -> None:
    for what, cap in ctx.shared_streams():
        if not cap.frames or cap.frames[-1].data != "[DONE]":
            last = cap.frames[-1].data[:200] if cap.frames else None
            raise Failed(f"{what}: the last frame is not [DONE]", last_frame=last, done_seen=cap.done)
