"""Test support for the conformance suite: a compliant reference app and a real loopback server.

The reference app answers like a model would, minus the model: "slow N" streams N deltas at a
steady pace (so cancel and live-tail checks have something in flight), a request offering a
function tool gets a call to it, anything else an echo.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

from support.servers import serve_in_thread

PROMPT_LONG = "slow 150"
PROMPT_TOOL = "weather in Paris"
SLOW_STEP_S = 0.01  # pace of the slow stream: a model producing ~100 tokens/s

# Small limits keep the oversized-body probe cheap; the rule it tests is the same.
BODY_LIMIT = 1024 * 1024
# Keep-alives faster than the slow stream's pace, so the live checks read streams with comments
# between events (the suite must tolerate them).
SERVER_OPTIONS = {"max_request_body_bytes": BODY_LIMIT, "sse_keep_alive_interval_seconds": 0.004}


def suite_config(base_url: str) -> Any:
    from responsekit.conformance.context import Config

    return Config(
        base_url=base_url,
        prompt_long=PROMPT_LONG,
        prompt_tool=PROMPT_TOOL,
        timeout=10.0,
        oversize_bytes=2 * BODY_LIMIT,
    )


def run_against(base_url: str) -> dict[str, Any]:
    from responsekit.conformance.runner import run_suite

    return {r.id: r for r in run_suite(suite_config(base_url))}


def make_reference_app(**options: Any) -> Any:
    from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions

    app = (
        ResponsesAgentServerHost(options=ResponsesServerOptions(**options))
        if options
        else ResponsesAgentServerHost()
    )

    @app.response_handler
    async def handler(request, context, cancellation_signal):
        text = await context.get_input_text()
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        offered = request.model_dump(mode="json", exclude_unset=True).get("tools") or []
        tools = [t for t in offered if t.get("type") == "function"]
        if tools and text:
            call = stream.add_output_item_function_call(tools[0]["name"], "call_" + context.response_id[-12:])
            yield call.emit_added()
            for chunk in ('{"city"', ': "Par', 'is"}'):
                yield call.emit_arguments_delta(chunk)
            yield call.emit_arguments_done()
            yield call.emit_done()
        elif text.startswith("slow "):
            message = stream.add_output_item_message()
            yield message.emit_added()
            part = message.add_text_content()
            yield part.emit_added()
            for n in range(int(text.split()[1])):
                yield part.emit_delta(f"{n} ")
                # Paced like a model, and woken at once by a cancel.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(cancellation_signal.wait(), SLOW_STEP_S)
                if cancellation_signal.is_set():
                    return  # the runtime closes the open items and records the cancellation
            yield part.emit_text_done()
            yield part.emit_done()
            yield message.emit_done()
        else:
            for event in stream.output_item_message(f"Echo: {text}"):
                yield event
        yield stream.emit_completed()

    return app


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yields the base URL."""
    with serve_in_thread(app) as running:
        yield running.url


# -- fault injection ---------------------------------------------------------------------------------


class FaultMiddleware:
    """Wraps an ASGI app and rewrites what it sends, to make one deliberate protocol fault.

    - ``events(scope)`` returns a rewriter for one SSE answer (or None to leave it alone): an object
      with ``feed(event) -> [events]`` and ``end() -> [events]``. Streams stay live: each frame is
      rewritten as it passes, so checks that act on a response in flight still can.
    - ``json(scope, status, body) -> (status, body)`` rewrites JSON answers.
    - ``intercept(scope, inner) -> (status, body) | None`` answers a request itself; ``inner(method,
      path)`` calls the wrapped app and returns ``(status, body)``.
    """

    def __init__(self, app: Any, *, events=None, json=None, intercept=None) -> None:
        self.app = app
        self.events = events
        self.json = json
        self.intercept = intercept

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.intercept is not None:
            answer = await self.intercept(scope, lambda method, path: self._inner(scope, method, path))
            if answer is not None:
                return await _send_json(send, *answer)
        state: dict[str, Any] = {}

        async def wrapped(message):
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"").decode()
                rewriter = (
                    self.events(scope) if self.events and ctype.startswith("text/event-stream") else None
                )
                state.update(
                    start=message,
                    rewriter=rewriter,
                    buf=b"",
                    json=self.json is not None and ctype.startswith("application/json"),
                )
                if rewriter is not None:
                    from responsekit.conformance.client import SSEParser

                    state["parser"] = SSEParser()
                    await send(message)
                elif not state["json"]:
                    await send(message)
                return
            more = message.get("more_body", False)
            if state.get("rewriter") is not None:
                frames = state["parser"].feed(message.get("body", b""))
                if not more:
                    frames += state["parser"].close()
                out = []
                for frame in frames:
                    out += state["rewriter"].feed(
                        frame.data if frame.data == "[DONE]" else _loads(frame.data)
                    )
                if not more:
                    out += state["rewriter"].end()
                await send(
                    {"type": "http.response.body", "body": b"".join(map(_frame, out)), "more_body": more}
                )
            elif state.get("json"):
                state["buf"] += message.get("body", b"")
                if not more:
                    status, body = self.json(scope, state["start"]["status"], _loads(state["buf"]))
                    await _send_json(send, status, body, state["start"].get("headers", []))
            else:
                await send(message)

        return await self.app(scope, receive, wrapped)

    async def _inner(self, scope, method: str, path: str):
        sub = {**scope, "method": method, "path": path, "raw_path": path.encode(), "query_string": b""}
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await self.app(sub, receive, send)
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        return status, _loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


def _loads(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _frame(event) -> bytes:
    if isinstance(event, str):  # [DONE]
        return b"data: " + event.encode() + b"\n\n"
    return (
        b"event: "
        + str(event.get("type")).encode()
        + b"\ndata: "
        + json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        + b"\n\n"
    )


async def _send_json(send, status: int, body: Any, headers=()) -> None:
    raw = json.dumps(body).encode()
    headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")]
    headers += [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


# -- the deliberate faults ---------------------------------------------------------------------------


class EventRewriter:
    """Per-stream rewriter: ``feed`` returns what to send instead of an event; ``end`` what to add last."""

    def feed(self, event: Any) -> list[Any]:
        return [event]

    def end(self) -> list[Any]:
        return []


class SequenceGap(EventRewriter):
    """Skips sequence number 3: events numbered 3 and up are sent one higher."""

    def feed(self, event):
        if isinstance(event, dict) and event.get("sequence_number", 0) >= 3:
            event["sequence_number"] += 1
        return [event]


class DeltaBeforeAdded(EventRewriter):
    """Holds a message's output_item.added (and content_part.added) until its first text delta has gone."""

    def __init__(self) -> None:
        self.held: list[dict] = []
        self.next_seq: int | None = None

    def _number(self, events: list) -> list:
        for ev in events:
            if isinstance(ev, dict):
                if self.next_seq is None:
                    self.next_seq = ev["sequence_number"]
                ev["sequence_number"] = self.next_seq
                self.next_seq += 1
        return events

    def feed(self, event):
        if not isinstance(event, dict):
            return self._number(self.held + [event]) if self.held else [event]
        etype = event.get("type")
        if (
            etype == "response.output_item.added"
            and event["item"].get("type") == "message"
            or (etype == "response.content_part.added" and self.held)
        ):
            if self.next_seq is None:
                self.next_seq = event["sequence_number"]
            self.held.append(event)
            return []
        if etype == "response.output_text.delta" and self.held:
            out, self.held = [event, *self.held], []
            return self._number(out)
        return self._number(self.held + [event]) if self.held else self._number([event])

    def end(self):
        out, self.held = self.held, []
        return self._number(out)


class DropTerminal(EventRewriter):
    def feed(self, event):
        if isinstance(event, dict) and event.get("type") in (
            "response.completed",
            "response.failed",
            "response.incomplete",
        ):
            return []
        return [event]


class DoubleTerminal(EventRewriter):
    def feed(self, event):
        if isinstance(event, dict) and event.get("type") in (
            "response.completed",
            "response.failed",
            "response.incomplete",
        ):
            return [event, {**json.loads(json.dumps(event)), "sequence_number": event["sequence_number"] + 1}]
        return [event]


class EditedDoneText(EventRewriter):
    def feed(self, event):
        if isinstance(event, dict) and event.get("type") == "response.output_text.done":
            event["text"] += " (edited)"
        return [event]


class RestartNumbering(EventRewriter):
    """Replays (GET) are numbered from 0 whatever the cursor."""

    def __init__(self) -> None:
        self.n = 0

    def feed(self, event):
        if isinstance(event, dict):
            event["sequence_number"] = self.n
            self.n += 1
        return [event]


def _on_all_streams(cls):
    return lambda scope: cls()


def _on_replays(cls):
    return lambda scope: cls() if scope["method"] == "GET" else None


def _server_error_on_bad_create(scope, status, body):
    if scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/responses") and status == 400:
        return 500, body
    return status, body


def _envelope_without_param(scope, status, body):
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body["error"].pop("param", None)
    return status, body


async def _ignore_cancel(scope, inner):
    """Answers POST .../cancel with the response as it stands, without cancelling anything."""
    path = scope["path"]
    if scope["method"] == "POST" and path.endswith("/cancel"):
        return await inner("GET", path[: -len("/cancel")])
    return None


#: fault name -> (middleware keyword arguments, the check it must fail, words its evidence must name,
#: checks whose verdicts may change with it because they depend on the same behaviour)
FAULTS: dict[str, tuple[dict, str, str, set[str]]] = {
    "sequence_gap": (
        {"events": _on_all_streams(SequenceGap)},
        "stream.sequence",
        "expected sequence_number 3, saw 4 (a gap)",
        {
            "replay.starting_after",
            "replay.last_event_id",
            "replay.live_tail",
            "cancel.stream_end",
            "tools.function_call_stream",
        },
    ),
    "delta_before_added": (
        {"events": _on_all_streams(DeltaBeforeAdded)},
        "stream.bracketing",
        "response.output_text.delta for output_index 0 before its response.output_item.added",
        {
            "replay.starting_after",
            "replay.last_event_id",
            "replay.live_tail",
        },
    ),
    "missing_terminal": (
        {"events": _on_all_streams(DropTerminal)},
        "stream.terminal",
        "expected exactly one terminal event at the end; the last event is response.output_item.done",
        {
            "retrieve.after_stream",
            "replay.starting_after",
            "replay.last_event_id",
            "replay.live_tail",
            "cancel.stream_end",
            "tools.function_call_stream",
        },
    ),
    "two_terminals": (
        {"events": _on_all_streams(DoubleTerminal)},
        "stream.terminal",
        "a second terminal event",
        {
            "replay.starting_after",
            "replay.last_event_id",
            "replay.live_tail",
            "cancel.stream_end",
            "tools.function_call_stream",
        },
    ),
    "done_text_differs": (
        {"events": _on_all_streams(EditedDoneText)},
        "stream.deltas",
        "response.output_text.done.text is 'Echo: Say hello. (edited)' but its 1 delta(s) concatenate to "
        "'Echo: Say hello.'",
        set(),
    ),
    "server_error_on_bad_input": (
        {"json": _server_error_on_bad_create},
        "errors.malformed_json",
        "answered 500, expected 400",
        {
            "errors.not_an_object",
            "errors.wrong_type",
            "errors.unknown_field",
            "errors.unknown_item_type",
            "errors.prestream_json",
            "chain.unknown_parent",
            "chain.unstored_parent",
            "chain.with_conversation",
        },
    ),
    "envelope_missing_param": (
        {"json": _envelope_without_param},
        "retrieve.unknown_404",
        "error envelope lacks 'param'",
        {
            "errors.malformed_json",
            "errors.not_an_object",
            "errors.wrong_type",
            "errors.unknown_field",
            "errors.unknown_item_type",
            "errors.prestream_json",
            "errors.oversized_body",
            "cancel.foreground_400",
            "cancel.unknown_404",
            "delete.then_404",
            "store.false_not_retrievable",
            "chain.unknown_parent",
            "chain.unstored_parent",
            "chain.with_conversation",
            "input_items.limit_bounds",
        },
    ),
    "replay_restarts_numbering": (
        {"events": _on_replays(RestartNumbering)},
        "replay.starting_after",
        "saw 0 (a repeat or step back)",
        {"replay.last_event_id", "replay.live_tail"},
    ),
    "cancel_ignored": (
        {"intercept": _ignore_cancel},
        "cancel.background",
        "the cancel was ignored",
        {"cancel.stream_end", "cancel.idempotent", "cancel.foreground_400"},
    ),
}
