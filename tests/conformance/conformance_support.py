"""Test support for the conformance suite: a compliant reference app and a real loopback server.

The reference app answers like a model would, minus the model: "slow N" streams N deltas at a
steady pace (so cancel and live-tail checks have something in flight), a request offering a
function tool gets a call to it, anything else an echo.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Iterator
from typing import Any

from support.servers import serve_in_thread

from responsekit.server.websocket import SEND_TEXTS

PROMPT_LONG = "slow 60"  # 0.6 s in flight: time enough to cancel or tail it, little to wait out
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
        isolation_headers=True,
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
        if request.background:  # waited in a queue, as a hosted model's background response may
            yield stream.emit_queued()
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
        else:  # what a model may add around an answer, so the content checks have it to judge
            answer = f"Echo: {text}"
            source = {"type": "url_citation", "url": "https://example.com/echo", "title": "Echo"}
            citation = {**source, "start_index": 0, "end_index": len("Echo")}
            for event in (
                *stream.output_item_reasoning_item("The user wants their words back."),
                *stream.output_item_message(answer, annotations=[citation]),
                *stream.output_item_refusal("I will not add anything else."),
            ):
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
    - ``request(scope, body) -> (scope, body)`` rewrites a request (its headers, its JSON body) before
      the app sees it.
    - ``ws(scope)`` returns a rewriter for one WebSocket connection (or None): an object with
      ``incoming(message) -> [messages]`` (what the client sent, before the app reads it) and
      ``outgoing(message) -> [messages]`` (what the app sends), on decoded JSON text messages.
    """

    def __init__(
        self, app: Any, *, events=None, json=None, intercept=None, request=None, ws=None, drop_comments=False
    ) -> None:
        self.app = app
        self.drop_comments = drop_comments  # a proxy that strips SSE comment lines (keep-alives)
        self.events = events
        self.json = json
        self.intercept = intercept
        self.request = request
        self.ws = ws

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and self.ws is not None:
            rewriter = self.ws(scope)
            if rewriter is not None:
                return await self._websocket(rewriter, scope, receive, send)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.request is not None:
            scope, receive = await self._rewrite_request(scope, receive)
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
                parser = state["parser"]
                comments = parser.comments
                frames = parser.feed(message.get("body", b""))
                if not more:
                    frames += parser.close()
                # Keep-alive comments pass through (one fault at a time: the stream keeps its comments).
                out: list[Any] = [] if self.drop_comments else [_KEEP_ALIVE] * (parser.comments - comments)
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

    async def _rewrite_request(self, scope, receive):
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body", False):
                break
        parsed = _loads(raw) if raw else None
        before = json.dumps(parsed) if isinstance(parsed, (dict, list)) else None
        scope, body = self.request(scope, parsed)
        if isinstance(body, (dict, list)) and json.dumps(body) != before:  # re-encoded only if changed
            raw = json.dumps(body).encode()
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()  # the disconnect, when it comes
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        return scope, replay

    async def _websocket(self, rewriter, scope, receive, send):
        # This middleware rewrites each websocket.send: the server's batch extension (SEND_TEXTS)
        # would pass it by, so the app must not see it offered (as any rewriting middleware does).
        extensions = {k: v for k, v in (scope.get("extensions") or {}).items() if k != SEND_TEXTS}
        scope = {**scope, "extensions": extensions}
        # What the client sends is read as it arrives (not when the app asks for it), so a rewriter
        # sees a message queued behind a running turn at once, as a server reading ahead would.
        inbox: asyncio.Queue = asyncio.Queue()

        async def pump():
            while True:
                message = await receive()
                if message["type"] == "websocket.receive" and message.get("text") is not None:
                    for out in rewriter.incoming(_loads(message["text"])):
                        await inbox.put({"type": "websocket.receive", "text": _dumps(out)})
                else:
                    await inbox.put(message)
                if message["type"] == "websocket.disconnect":
                    return

        async def rewritten_send(message):
            if message["type"] != "websocket.send" or message.get("text") is None:
                return await send(message)
            for out in rewriter.outgoing(_loads(message["text"])):
                await send({"type": "websocket.send", "text": _dumps(out)})

        reader = asyncio.ensure_future(pump())
        try:
            return await self.app(scope, inbox.get, rewritten_send)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

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


def _dumps(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_KEEP_ALIVE = object()  # a keep-alive comment among a rewritten stream's events


def _frame(event) -> bytes:
    if event is _KEEP_ALIVE:
        return b": keep-alive\n\n"
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
    """Holds the first message's output_item.added (and content_part.added) until its first text delta
    has gone (once: later items pass in order)."""

    def __init__(self) -> None:
        self.held: list[dict] = []
        self.next_seq: int | None = None
        self.moved = False

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
        if not self.moved and (
            etype == "response.output_item.added"
            and event["item"].get("type") == "message"
            or (etype == "response.content_part.added" and self.held)
        ):
            if self.next_seq is None:
                self.next_seq = event["sequence_number"]
            self.held.append(event)
            return []
        if etype == "response.output_text.delta" and self.held:
            out, self.held, self.moved = [event, *self.held], [], True
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


TERMINAL_TYPES = ("response.completed", "response.failed", "response.incomplete")
ISOLATION_HEADER = b"x-agent-user-isolation-key"


def _is_create(message) -> bool:
    return isinstance(message, dict) and message.get("type") == "response.create"


def _ends_turn(message) -> bool:
    """A terminal event or a turn-level error message (an error stream event has a sequence_number)."""
    if not isinstance(message, dict):
        return False
    turn_error = message.get("type") == "error" and "sequence_number" not in message
    return turn_error or message.get("type") in TERMINAL_TYPES


class WsRewriter:
    """Per-connection WebSocket rewriter: what the client sent (``incoming``) and what the app sends."""

    def incoming(self, message: Any) -> list[Any]:
        return [message]

    def outgoing(self, message: Any) -> list[Any]:
        return [message]


class WsSequenceGap(WsRewriter):
    """Skips sequence number 3 on the socket: events numbered 3 and up are sent one higher."""

    def outgoing(self, message):
        if isinstance(message, dict) and message.get("sequence_number", 0) >= 3:
            message["sequence_number"] += 1
        return [message]


class WsInterleaved(WsRewriter):
    """While another response.create waits, holds a response's terminal event until the next
    response.created has gone out: on the wire the second response starts before the first ends."""

    def __init__(self) -> None:
        self.creates = self.ended = 0
        self.held: Any = None

    def incoming(self, message):
        self.creates += _is_create(message)
        return [message]

    def outgoing(self, message):
        if self.held is not None:
            held, self.held = self.held, None
            self.ended += 1 + _ends_turn(message)
            is_created = isinstance(message, dict) and message.get("type") == "response.created"
            return [message, held] if is_created else [held, message]
        if _ends_turn(message) and self.creates - self.ended > 1:
            self.held = message
            return []
        self.ended += _ends_turn(message)
        return [message]


class WsForgetsLastResponse(WsRewriter):
    """No connection-local memory: a store=false continuation names an id the server never saw."""

    def incoming(self, message):
        if _is_create(message) and message.get("store") is False and message.get("previous_response_id"):
            message["previous_response_id"] = "resp_" + secrets.token_hex(24)
        return [message]


class WsErrorWithoutStatus(WsRewriter):
    def outgoing(self, message):
        if isinstance(message, dict) and message.get("type") == "error" and "sequence_number" not in message:
            message.pop("status", None)
        return [message]


class WsNoEviction(WsRewriter):
    """An id whose continuation failed keeps working: the retry is run (as a fresh response)."""

    def __init__(self) -> None:
        self.turns: list[Any] = []  # the previous_response_id of each turn not yet ended
        self.failed: set[str] = set()

    def incoming(self, message):
        if _is_create(message):
            if message.get("previous_response_id") in self.failed:
                del message["previous_response_id"]
            self.turns.append(message.get("previous_response_id"))
        return [message]

    def outgoing(self, message):
        if _ends_turn(message) and self.turns:
            previous = self.turns.pop(0)
            if previous and message.get("type") == "error":
                self.failed.add(previous)
        return [message]


def _on_sockets(cls):
    return lambda scope: cls()


def _segments(scope) -> list[str]:
    return [part for part in scope["path"].split("/") if part]


def _is_path(scope, method: str, *pattern: str) -> bool:
    """``pattern`` is the path's segments, ``*`` matching any one."""
    parts = _segments(scope)
    return (
        scope["method"] == method
        and len(parts) == len(pattern)
        and all(want in ("*", got) for want, got in zip(pattern, parts, strict=True))
    )


def _compaction_wrong_object(scope, status, body):
    if _is_path(scope, "POST", "responses", "compact") and status == 200 and isinstance(body, dict):
        body["object"] = "response"
    return status, body


def _compaction_tampered(scope, status, body):
    if _is_path(scope, "POST", "responses", "compact") and status == 200 and isinstance(body, dict):
        for item in body.get("output") or []:
            if isinstance(item, dict) and isinstance(item.get("encrypted_content"), str):
                content = item["encrypted_content"]
                item["encrypted_content"] = content[:-4] + ("AAAA" if content[-4:] != "AAAA" else "BBBB")
    return status, body


def _compact_model_defaulted(scope, body):
    if _is_path(scope, "POST", "responses", "compact") and isinstance(body, dict) and "model" not in body:
        body["model"] = "default-model"
    return scope, body


def _input_tokens_as_string(scope, status, body):
    if _is_path(scope, "POST", "responses", "input_tokens") and status == 200 and isinstance(body, dict):
        body["input_tokens"] = str(body.get("input_tokens"))
    return status, body


def _conversation_wrong_object(scope, status, body):
    if _is_path(scope, "POST", "conversations") and status == 200 and isinstance(body, dict):
        body["object"] = "thread"
    return status, body


def _conversation_created_at_drifts(scope, status, body):
    if _is_path(scope, "GET", "conversations", "*") and status == 200 and isinstance(body, dict):
        body["created_at"] = body.get("created_at", 0) + 3600
    return status, body


def _conversation_items_no_more(scope, status, body):
    if _is_path(scope, "GET", "conversations", "*", "items") and status == 200 and isinstance(body, dict):
        body["has_more"] = False
    return status, body


async def _conversation_update_ignored(scope, inner):
    """Answers an update with the conversation as it stands, changing nothing."""
    if _is_path(scope, "POST", "conversations", "*"):
        return await inner("GET", scope["path"])
    return None


async def _conversation_delete_ignored(scope, inner):
    """Answers a delete as if it had deleted, changing nothing."""
    if _is_path(scope, "DELETE", "conversations", "*"):
        status, body = await inner("GET", scope["path"])
        if status != 200:
            return status, body
        return 200, {"id": body["id"], "object": "conversation.deleted", "deleted": True}
    return None


def _conversations_shared(scope, body):
    """Conversations ignore the isolation key: every user sees every conversation."""
    if _segments(scope)[:1] == ["conversations"]:
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != ISOLATION_HEADER]
        scope = {**scope, "headers": headers}
    return scope, body


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
        "response.output_text.delta for output_index 1 before its response.output_item.added",
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
            "fields.include",
            "fields.metadata_limits",
            "fields.truncation",
            "isolation.responses",
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
            "cancel.foreground_4xx",
            "cancel.foreground_400",
            "cancel.unknown_404",
            "delete.then_404",
            "store.false_not_retrievable",
            "chain.unknown_parent",
            "chain.unstored_parent",
            "chain.with_conversation",
            "input_items.limit_bounds",
            "compaction.model_required",
            "conversations.delete",
            "conversations.isolation",
            "fields.include",
            "fields.metadata_limits",
            "fields.truncation",
            "isolation.responses",
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
        {"cancel.stream_end", "cancel.idempotent", "cancel.foreground_4xx", "cancel.foreground_400"},
    ),
    # -- WebSocket ----------------------------------------------------------------------------------
    "ws_sequence_gap": (
        {"ws": _on_sockets(WsSequenceGap)},
        "websocket.create",
        "expected sequence_number 3, saw 4 (a gap)",
        set(),
    ),
    "ws_interleaved": (
        {"ws": _on_sockets(WsInterleaved)},
        "websocket.sequential",
        "started (response.created) before the first one",
        set(),
    ),
    "ws_forgets_last_response": (
        {"ws": _on_sockets(WsForgetsLastResponse)},
        "websocket.continuation",
        "on the same socket was answered with an error message",
        set(),
    ),
    "ws_error_without_status": (
        {"ws": _on_sockets(WsErrorWithoutStatus)},
        "websocket.previous_not_found",
        "the error message's status is None",
        set(),
    ),
    "ws_no_eviction": (
        {"ws": _on_sockets(WsNoEviction)},
        "websocket.eviction",
        "the id was not evicted",
        set(),
    ),
    # -- compaction, input tokens -------------------------------------------------------------------
    "compaction_wrong_object": (
        {"json": _compaction_wrong_object},
        "compaction.shape",
        "object is 'response', expected 'response.compaction'",
        set(),
    ),
    "compact_model_defaulted": (
        {"request": _compact_model_defaulted},
        "compaction.model_required",
        "without model answered 200, expected 400",
        set(),
    ),
    "compaction_output_tampered": (
        {"json": _compaction_tampered},
        "compaction.new_chain",
        "POST /responses with the compacted output as input answered 400, expected 200",
        set(),
    ),
    "input_tokens_as_string": (
        {"json": _input_tokens_as_string},
        "input_tokens.shape",
        "expected a non-negative integer",
        set(),
    ),
    # -- conversations ------------------------------------------------------------------------------
    "conversation_wrong_object": (
        {"json": _conversation_wrong_object},
        "conversations.create",
        "object is 'thread', expected 'conversation'",
        set(),
    ),
    "conversation_created_at_drifts": (
        {"json": _conversation_created_at_drifts},
        "conversations.retrieve",
        "differs from the conversation created",
        set(),
    ),
    "conversation_update_ignored": (
        {"intercept": _conversation_update_ignored},
        "conversations.update",
        "with metadata {'suite': 'responsekit-conformance', 'step': 'created'}",
        set(),
    ),
    "conversation_delete_ignored": (
        {"intercept": _conversation_delete_ignored},
        "conversations.delete",
        "after the delete answered 200, expected 404",
        set(),
    ),
    "conversation_items_no_more": (
        {"json": _conversation_items_no_more},
        "conversations.items_pagination",
        "has has_more=False, expected True",
        set(),
    ),
    "conversations_shared": (
        {"request": _conversations_shared},
        "conversations.isolation",
        "under another isolation key answered 200, expected 404",
        set(),
    ),
}
