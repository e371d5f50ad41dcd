"""The run context handed to every check: settings, HTTP access, shared exchanges, assertions.

Exchanges several checks judge (a streamed "hello", a background stream, ...) are made once per run
and memoized, so a run costs few requests and checks stay independent in their verdicts: each judges
its own rule on the same observations.

Each check judges its own rule, once. Schema conformance is the schema checks' rule (``create.*``,
``retrieve.body``, ``cancel.body``, ``input_items.shape``, ...), which read strictly
(``expect_response_json``); every other check reads leniently (``read_response``: only the fields
its rule needs) and notes a schema problem in its evidence (``schema_note``) without failing on it.
An exchange a check merely starts from is a precondition: if the server cannot make it at all, the
check SKIPs naming the check that judges that exchange (``with ctx.precondition("create.default")``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from responsekit.conformance import ordering, schemas
from responsekit.conformance.client import POOL_LIMITS, HttpClient, Reply, StreamCapture
from responsekit.conformance.registry import Failed, Skipped
from responsekit.conformance.wsclient import WsConnection

__all__ = [
    "Config",
    "Context",
    "TERMINAL_STATUSES",
    "DEFAULT_PROMPT",
    "DEFAULT_PROMPT_LONG",
    "DEFAULT_PROMPT_TOOL",
]

TERMINAL_STATUSES = frozenset({"completed", "failed", "incomplete", "cancelled"})
DEFAULT_PROMPT = "Say hello."
DEFAULT_PROMPT_LONG = "Count from 1 to 300, writing each number as a word on its own line."
DEFAULT_PROMPT_TOOL = "What is the weather in Paris right now? Use the get_weather tool."
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


@dataclass
class Config:
    base_url: str
    model: str | None = None
    api_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    profile: str = "openai"  # or "open-responses"
    timeout: float = 30.0  # per HTTP call; a whole stream or poll may take 4x
    prompt: str = DEFAULT_PROMPT
    prompt_long: str = DEFAULT_PROMPT_LONG
    prompt_tool: str = DEFAULT_PROMPT_TOOL
    oversize_bytes: int = 20 * 1024 * 1024
    isolation_headers: bool = False  # the server declares x-agent-user-isolation-key support
    client_validation: str = "strict"  # or "default": what the openai client accepts (schemas.py)

    def request_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.api_key:
            headers.setdefault("Authorization", f"Bearer {self.api_key}")
        return headers


class Context:
    def __init__(self, config: Config, *, http: HttpClient | None = None) -> None:
        self.config = config
        self.http = http or HttpClient(
            config.base_url, headers=config.request_headers(), timeout=config.timeout
        )
        self._memo: dict[str, Any] = {}
        self._notes: dict[str, Any] = {}
        self._openai: Any = None

    def close(self) -> None:
        self.http.close()
        if self._openai is not None:
            self._openai.close()

    # -- plumbing ---------------------------------------------------------------------------------
    def memo(self, name: str, make: Callable[[], Any]) -> Any:
        """``make()`` once per run; an exception it raised is raised again to every later caller."""
        if name not in self._memo:
            try:
                self._memo[name] = (True, make())
            except Exception as exc:  # noqa: BLE001 - replayed to each check that needs it
                self._memo[name] = (False, exc)
        ok, value = self._memo[name]
        if not ok:
            raise value
        return value

    def memoized(self, name: str) -> bool:
        """Whether ``memo(name, ...)`` has run."""
        return name in self._memo

    def note(self, key: str, value: Any) -> None:
        """Evidence for the running check whatever its verdict (the first note of a key is kept)."""
        self._notes.setdefault(key, value)

    def take_notes(self) -> dict[str, Any]:
        """The running check's notes, cleared for the next check (the runner calls it)."""
        notes, self._notes = self._notes, {}
        return notes

    @contextmanager
    def precondition(self, covered_by: str) -> Iterator[None]:
        """An exchange the check only starts from: if it cannot be made, that is ``covered_by``'s
        finding, so the check SKIPs naming it instead of failing for another check's rule."""
        try:
            yield
        except Failed as exc:
            raise Skipped(f"precondition: {exc.message} (see {covered_by})") from None
        except httpx.HTTPError as exc:
            raise Skipped(
                f"precondition: the exchange failed: {type(exc).__name__}: {exc} (see {covered_by})"
            ) from None

    def openai(self) -> Any:
        """The `openai` client, validating answers as ``--client-validation`` says (strict by default)."""
        if self._openai is None:
            import openai

            self._openai = openai.OpenAI(
                base_url=self.config.base_url,
                api_key=self.config.api_key or "conformance",
                default_headers=self.config.headers or None,
                timeout=self.config.timeout,
                max_retries=0,
                _strict_response_validation=self.config.client_validation == "strict",
                http_client=openai.DefaultHttpxClient(limits=POOL_LIMITS),
            )
        return self._openai

    def ws(self, headers: Mapping[str, str] | None = None) -> WsConnection:
        """A WebSocket connection to ``<base>/responses``, not yet open (``with ctx.ws() as conn``)."""
        return WsConnection(
            self.config.base_url,
            headers={**self.config.request_headers(), **(headers or {})},
            timeout=self.config.timeout,
            deadline=self.deadline_s,
        )

    @property
    def deadline_s(self) -> float:
        return max(self.config.timeout, 1.0) * 4

    def body(self, prompt: str | None = None, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.config.model:
            body["model"] = self.config.model
        body["input"] = self.config.prompt if prompt is None else prompt
        body.update(fields)
        return body

    @staticmethod
    def unknown_id(prefix: str = "resp_") -> str:
        return prefix + secrets.token_hex(24)

    # -- exchanges ----------------------------------------------------------------------------------
    def create(self, body: Mapping[str, Any]) -> Reply:
        return self.http.request("POST", "/responses", json_body=body)

    def create_stream(self, body: Mapping[str, Any]) -> StreamCapture:
        return self.http.stream("POST", "/responses", json_body=body)

    def get(self, response_id: str, **params: Any) -> Reply:
        return self.http.request("GET", f"/responses/{response_id}", params=params or None)

    def replay(
        self, response_id: str, *, headers: Mapping[str, str] | None = None, **params: Any
    ) -> StreamCapture:
        return self.http.stream(
            "GET", f"/responses/{response_id}", params={"stream": "true", **params}, headers=headers
        )

    def cancel(self, response_id: str) -> Reply:
        return self.http.request("POST", f"/responses/{response_id}/cancel")

    def poll_terminal(self, response_id: str) -> dict[str, Any]:
        """GET until the response reaches a terminal status (backing off, bounded by a deadline)."""
        deadline = time.monotonic() + self.deadline_s
        delay = 0.02
        seen: list[str] = []
        while True:
            reply = self.get(response_id)
            data = self.read_response(
                reply, f"GET /responses/{response_id}", judged_by="retrieve.body", needs=("status",)
            )
            status = data.get("status")
            if not seen or seen[-1] != status:
                seen.append(str(status))
            if status in TERMINAL_STATUSES:
                return data
            if time.monotonic() + delay > deadline:
                raise Failed(
                    f"the response did not reach a terminal status within {self.deadline_s:.0f}s",
                    statuses_seen=seen,
                    last=_brief(data),
                )
            time.sleep(delay)  # polling is the protocol's only way to observe a background response
            delay = min(delay * 2, 0.5)

    # -- shared exchanges (memoized) --------------------------------------------------------------
    def hello_json(self) -> Reply:
        return self.memo("hello_json", lambda: self.create(self.body()))

    def hello_stream(self) -> StreamCapture:
        return self.memo("hello_stream", lambda: self.create_stream(self.body(stream=True)))

    def bg_json(self) -> Reply:
        return self.memo("bg_json", lambda: self.create(self.body(background=True)))

    def hello_response(self) -> dict[str, Any]:
        """The default-mode "hello" Response, read leniently; SKIP when there is none (create.default)."""
        with self.precondition("create.default"):
            return self.read_response(self.hello_json(), "POST /responses", judged_by="create.default")

    def background_response(self) -> dict[str, Any]:
        """The background Response, read leniently; SKIP when there is none (create.background)."""
        with self.precondition("create.background"):
            return self.read_response(
                self.bg_json(), "POST /responses background=true", judged_by="create.background"
            )

    def bg_stream(self) -> StreamCapture:
        return self.memo("bg_stream", lambda: self.create_stream(self.body(stream=True, background=True)))

    def tool_stream(self) -> StreamCapture:
        return self.memo(
            "tool_stream",
            lambda: self.create_stream(self.body(self.config.prompt_tool, stream=True, tools=[WEATHER_TOOL])),
        )

    def shared_streams(self) -> list[tuple[str, StreamCapture]]:
        """The streams the framing and ordering checks judge: the shared creates that answered SSE."""
        out = []
        for what, get in (
            ("POST /responses stream=true", self.hello_stream),
            ("POST /responses stream=true background=true", self.bg_stream),
        ):
            cap = get()
            if cap.status == 200 and cap.is_sse:
                out.append((what, cap))
        if not out:  # create.stream judges that answer; the framing and ordering rules cannot be
            cap = self.hello_stream()
            raise Skipped(
                f"precondition: no stream to judge: stream=true answered {cap.status} "
                f"{cap.content_type!r} (see create.stream)"
            )
        return out

    # -- assertions -------------------------------------------------------------------------------
    def read_response(
        self, reply: Reply, what: str, *, judged_by: str, needs: tuple[str, ...] = ("id", "status")
    ) -> dict[str, Any]:
        """A 200 JSON Response read for the fields ``needs`` only (else Failed).

        Whether the whole Response validates is ``judged_by``'s rule, not the caller's: a problem is
        noted in the evidence (``schema_note``) and the check goes on.
        """
        if reply.status != 200:
            raise Failed(f"{what} answered {reply.status}, expected 200", **reply.summary())
        data = reply.json
        if not isinstance(data, dict):
            raise Failed(
                f"{what} answered content-type {reply.content_type!r} without a JSON object",
                **reply.summary(),
            )
        missing = [key for key in needs if data.get(key) in (None, "")]
        if missing:
            raise Failed(f"{what}: the Response has no {', '.join(missing)}", **reply.summary())
        problem = schemas.response_errors(data)
        if problem:
            self.note(
                "schema_note", f"{what}: the Response does not validate (judged by {judged_by}): {problem}"
            )
        return data

    def expect_response_json(self, reply: Reply, what: str) -> dict[str, Any]:
        """A 200 JSON answer holding a Response both model sets accept; else Failed (schema checks)."""
        if reply.status != 200:
            raise Failed(f"{what} answered {reply.status}, expected 200", **reply.summary())
        if reply.content_type != "application/json":
            raise Failed(
                f"{what} answered content-type {reply.content_type!r}, expected application/json",
                **reply.summary(),
            )
        data = reply.json
        problem = schemas.response_errors(data)
        if problem:
            raise Failed(f"{what}: the Response does not validate: {problem}", **reply.summary())
        return data

    def expect_stream(self, cap: StreamCapture, what: str) -> list[dict[str, Any]]:
        """A 200 `text/event-stream` answer that ended normally; returns its events."""
        if cap.status != 200 or not cap.is_sse:
            raise Failed(
                f"{what} answered {cap.status} {cap.content_type!r}, expected 200 text/event-stream",
                **cap.summary(),
            )
        if cap.error:
            raise Failed(f"{what}: the stream broke off: {cap.error}", **cap.summary())
        return cap.events

    def expect_error(
        self, reply: Reply, what: str, statuses: range | tuple[int, ...] = range(400, 500)
    ) -> dict[str, Any]:
        """An error answer with one of ``statuses`` and the full error envelope as JSON."""
        if reply.status not in statuses:
            want = (
                f"{statuses.start}-{statuses.stop - 1}"
                if isinstance(statuses, range)
                else " or ".join(map(str, statuses))
            )
            raise Failed(
                f"{what} answered {reply.status}, expected {want} with the error envelope", **reply.summary()
            )
        if reply.content_type != "application/json":
            raise Failed(
                f"{what} answered {reply.status} with content-type {reply.content_type!r}, expected JSON",
                **reply.summary(),
            )
        problem = schemas.envelope_errors(reply.json)
        if problem:
            raise Failed(f"{what} answered {reply.status} but {problem}", **reply.summary())
        return reply.json["error"]

    def judge_events(
        self,
        events: list[dict[str, Any]],
        rules: set[str],
        what: str,
        *,
        first_sequence_number: int = 0,
        complete: bool = True,
    ) -> None:
        """Fail with the first ordering violation of one of ``rules`` (with a timeline around it)."""
        found = [
            v
            for v in ordering.validate(events, first_sequence_number=first_sequence_number, complete=complete)
            if v.rule in rules
        ]
        if found:
            first = found[0]
            raise Failed(
                f"{what}: {first}",
                timeline=ordering.timeline(events, first.index),
                violations=[v.as_dict() for v in found[:10]],
                violation_count=len(found),
                sequence_number=first.sequence_number,
                event=_brief(events[first.index]) if events else None,
            )


def _brief(value: Any, limit: int = 800) -> Any:
    """A value small enough for a report (long JSON is cut)."""
    import json

    text = json.dumps(value, default=str)
    if len(text) <= limit:
        return value
    return text[:limit] + "..."
