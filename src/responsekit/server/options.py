"""ResponsesServerOptions: every knob of the host, checked when it is built."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from typing import Any

from responsekit.server.collector import SERVING_GC_THRESHOLD

#: The forms ``store_url`` takes (an error lists them).
STORE_URL_FORMS = (
    "'memory', 'sqlite:///relative/file.db' or 'sqlite:////absolute/file.db', or a Redis URL "
    "('redis://host:port/db', rediss://, unix://)"
)


@dataclass
class ResponsesServerOptions:
    """Options of a :class:`ResponsesAgentServerHost`. Invalid values fail here, naming the option."""

    #: Model reported on responses whose request names none.
    default_model: str | None = None
    #: Seconds of silence after which an SSE stream gets a keep-alive comment.
    sse_keep_alive_interval_seconds: float = 15.0
    #: On shutdown, seconds in-flight handlers get to finish before they are cancelled.
    shutdown_grace_period_seconds: float = 10.0
    #: Most history items ``context.get_history()`` returns (the newest ones); -1 for all of them.
    default_fetch_history_count: int = 100
    #: How long stored responses stay retrievable.
    response_retention_seconds: float = 3600.0
    #: How long event logs stay replayable (``GET ?stream=true``).
    event_log_retention_seconds: float = 3600.0
    #: The in-memory and SQLite stores keep at most this many responses (oldest finished ones go first).
    max_stored_responses: int = 100_000
    #: The in-memory and SQLite stores keep at most about this many bytes: event-log frames plus an
    #: estimate of each record (its input items and snapshot as JSON). Oldest finished responses go first.
    max_stored_bytes: int = 1024**3
    #: Largest request body accepted; larger ones get 413 without being read further.
    max_request_body_bytes: int = 16 * 1024 * 1024
    #: Path prefix for the protocol routes, e.g. "/v1" serves "/v1/responses".
    route_prefix: str = ""
    #: Where state lives: None or "memory" for the embedded store, "sqlite:///relative/file.db" or
    #: "sqlite:////absolute/file.db" for one durable node, "redis://host:port/db" for Redis.
    #: Defaults to the RESPONSEKIT_STORE environment variable.
    store_url: str | None = None
    #: How long a running response's lease lasts before another replica may declare it lost.
    lease_seconds: float = 10.0
    #: After a cancel, seconds a handler gets to notice ``cancellation_signal`` and stop cleanly
    #: before it is interrupted where it awaits.
    cancellation_grace_period_seconds: float = 1.0
    #: Unknown top-level request fields are ignored by default (a newer client may send fields this
    #: server's protocol version lacks); True answers them with 400 ``unknown_parameter``.
    reject_unknown_fields: bool = False
    #: A WebSocket connection on ``GET /responses`` ends after this many seconds with the error
    #: code ``websocket_connection_limit_reached`` (the client opens a new one).
    websocket_max_age_seconds: float = 3600.0
    #: Seconds between the server's pings on an idle WebSocket (intermediaries keep it open).
    #: ``app.run()`` hands it to uvicorn; under another ASGI server, configure that server's pings.
    websocket_ping_interval_seconds: float = 20.0
    #: Key of the default compaction's authenticated encryption (any string; every replica must
    #: share it). Defaults to the RESPONSEKIT_COMPACTION_KEY environment variable, else a random key
    #: made at startup (compaction items then stay valid only on this process).
    compaction_key: str | None = None
    #: A conversation (and its items) stays this many seconds after its last change.
    conversation_retention_seconds: float = 30 * 24 * 3600.0
    #: A create naming a conversation never created through ``POST /conversations`` makes it on
    #: first use (a gateway may own conversation ids); True answers 404 instead.
    conversations_must_exist: bool = False
    #: Appended to the ``x-platform-server`` header every HTTP response then carries
    #: (``responsekit/<version> <additional_server_version>``), e.g. your agent's name and version.
    additional_server_version: str | None = None
    #: The peer package's create span hook: an object with ``on_span_start(name, tags)`` and
    #: ``on_span_end(name, tags, error)`` (a plain callable counts as ``on_span_start``), called for
    #: each response's span ``create_response``. It may add attributes (change ``tags``) or replace the
    #: OpenTelemetry span (return one from ``on_span_start``). See docs/observability.md.
    create_span_hook: Any = None
    #: OpenTelemetry (the ``responsekit[otel]`` extra): None turns it on at startup when
    #: ``opentelemetry`` is importable and the application has set a TracerProvider or MeterProvider;
    #: True turns it on (the global providers are used whenever they are set); False turns it off.
    #: Spans and metrics only go where the application's providers send them. See docs/observability.md.
    telemetry: bool | None = None
    #: Background responses survive the death of their process (re-entered from their last
    #: ``stream.checkpoint()``). Needs a durable store: with the memory store it is a startup error.
    resilient_background: bool = False
    #: How many times a resilient background response is re-entered after its process died (or
    #: its handler left with ``context.exit_for_recovery()``); once more, it ends ``failed``.
    max_recovery_attempts: int = 3
    #: How responsekit's own log lines are written: "text" leaves them to your logging setup; "json"
    #: makes the host write them to stderr as JSON lines (time, level, logger, message, response_id,
    #: exc_info) and stop propagating them. Defaults to the RESPONSEKIT_LOG_FORMAT environment
    #: variable, else "text".
    log_format: str | None = None
    #: Serve the live event console, a web page at ``{route_prefix}/_console`` listing this
    #: process's recent responses and their event timelines (docs/console.md). Off by default;
    #: defaults to the RESPONSEKIT_CONSOLE environment variable ("1"/"true"), else False.
    console: bool | None = None
    #: The console answers only loopback clients and refuses a non-loopback bind; True lifts both
    #: (everyone who can reach the server then sees every response's summary). Defaults to the
    #: RESPONSEKIT_CONSOLE_ALLOW_REMOTE environment variable, else False.
    console_allow_remote: bool | None = None
    #: ``app.run()`` and ``responsekit serve`` raise CPython's first-generation collection threshold
    #: to this many allocations (the interpreter's is 700) and freeze what startup made: fewer
    #: collections per request (server/collector.py). 0 leaves the collector alone. Defaults to the
    #: RESPONSEKIT_GC_THRESHOLD environment variable, else 10,000. Not applied under another ASGI server.
    gc_threshold: int | None = None

    def __post_init__(self) -> None:
        if self.gc_threshold is None:
            self.gc_threshold = _env_int("RESPONSEKIT_GC_THRESHOLD", SERVING_GC_THRESHOLD)
        if (
            isinstance(self.gc_threshold, bool)
            or not isinstance(self.gc_threshold, int)
            or self.gc_threshold < 0
        ):
            raise ValueError(
                f"ResponsesServerOptions.gc_threshold must be a whole number >= 0, got {self.gc_threshold!r}"
            )
        if self.console is None:
            self.console = _env_flag("RESPONSEKIT_CONSOLE")
        if self.console_allow_remote is None:
            self.console_allow_remote = _env_flag("RESPONSEKIT_CONSOLE_ALLOW_REMOTE")
        if self.log_format is None:
            self.log_format = os.environ.get("RESPONSEKIT_LOG_FORMAT") or "text"
        if self.log_format not in ("text", "json"):
            raise ValueError(
                f"ResponsesServerOptions.log_format must be 'text' or 'json', got {self.log_format!r}"
            )
        if self.store_url is None:
            self.store_url = os.environ.get("RESPONSEKIT_STORE") or None
        if self.compaction_key is None:
            self.compaction_key = os.environ.get("RESPONSEKIT_COMPACTION_KEY") or None
        if self.compaction_key is not None and not (
            isinstance(self.compaction_key, str) and self.compaction_key
        ):
            raise ValueError("ResponsesServerOptions.compaction_key must be a non-empty string")
        positive = (
            "sse_keep_alive_interval_seconds",
            "response_retention_seconds",
            "event_log_retention_seconds",
            "lease_seconds",
            "websocket_max_age_seconds",
            "websocket_ping_interval_seconds",
            "conversation_retention_seconds",
        )
        for name in positive:
            _number(name, getattr(self, name), minimum=0, inclusive=False)
        _number(
            "shutdown_grace_period_seconds", self.shutdown_grace_period_seconds, minimum=0, inclusive=True
        )
        _number(
            "cancellation_grace_period_seconds",
            self.cancellation_grace_period_seconds,
            minimum=0,
            inclusive=True,
        )
        if self.additional_server_version is not None:
            if not isinstance(self.additional_server_version, str):
                raise ValueError(
                    "ResponsesServerOptions.additional_server_version must be a string, got "
                    f"{self.additional_server_version!r}"
                )
            version = self.additional_server_version.strip()
            if any(ord(c) < 0x20 or ord(c) > 0x7E for c in version):
                raise ValueError(
                    "ResponsesServerOptions.additional_server_version must be printable ASCII (it goes into "
                    f"a header), got {self.additional_server_version!r}"
                )
            self.additional_server_version = version or None
        hook = self.create_span_hook
        if hook is not None and not (callable(hook) or callable(getattr(hook, "on_span_start", None))):
            raise ValueError(
                "ResponsesServerOptions.create_span_hook must have on_span_start(name, tags) (and "
                f"on_span_end(name, tags, error)) or be callable, got {hook!r}"
            )
        if self.telemetry is not None and not isinstance(self.telemetry, bool):
            raise ValueError(
                f"ResponsesServerOptions.telemetry must be a bool or None, got {self.telemetry!r}"
            )
        if self.telemetry is True:
            from responsekit._telemetry import opentelemetry_available  # only when asked for

            if not opentelemetry_available():
                raise ValueError(
                    "ResponsesServerOptions.telemetry=True needs OpenTelemetry: pip install 'responsekit[otel]'"
                )
        for name in (
            "reject_unknown_fields",
            "conversations_must_exist",
            "resilient_background",
            "console",
            "console_allow_remote",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"ResponsesServerOptions.{name} must be a bool, got {getattr(self, name)!r}")
        # -1: the whole history (the peer package's "no limit").
        _integer("default_fetch_history_count", self.default_fetch_history_count, minimum=-1)
        _integer("max_recovery_attempts", self.max_recovery_attempts, minimum=0)
        for name in ("max_stored_responses", "max_stored_bytes", "max_request_body_bytes"):
            _integer(name, getattr(self, name), minimum=1)
        if self.default_model is not None and not isinstance(self.default_model, str):
            raise ValueError(
                f"ResponsesServerOptions.default_model must be a string, got {self.default_model!r}"
            )
        prefix = self.route_prefix
        if not isinstance(prefix, str) or (prefix and (not prefix.startswith("/") or prefix.endswith("/"))):
            raise ValueError(
                f"ResponsesServerOptions.route_prefix must be empty or start with '/' and not end with '/', "
                f"got {prefix!r}"
            )
        url = self.store_url
        if url is not None and not (
            url == "memory" or url.startswith(("memory://", "redis://", "rediss://", "unix://", "sqlite:"))
        ):
            raise ValueError(f"ResponsesServerOptions.store_url must be {STORE_URL_FORMS}, got {url!r}")
        if url is not None and url.startswith("sqlite:"):
            from responsekit.store.sqlite.url import parse_url  # only when SQLite is chosen

            try:
                parse_url(url)
            except ValueError as exc:
                raise ValueError(
                    f"ResponsesServerOptions.store_url must be {STORE_URL_FORMS}: {exc}"
                ) from None

    @property
    def history_limit(self) -> int:
        """``default_fetch_history_count`` as a count of items (-1, "no limit", as a very large one)."""
        count = self.default_fetch_history_count
        return HISTORY_UNLIMITED if count < 0 else count

    def describe(self) -> dict[str, object]:
        """Every option's value, secrets masked (safe to log)."""
        described: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        if described["compaction_key"] is not None:
            described["compaction_key"] = "***"
        return described


#: The history of ``default_fetch_history_count=-1``: more items than any store keeps for one chain.
HISTORY_UNLIMITED = 1_000_000


def _env_flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{name} must be 1/true/yes/on or 0/false/no/off, got {os.environ[name]!r}")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number >= 0, got {os.environ[name]!r}")
    return int(value)


def _number(name: str, value: object, *, minimum: float, inclusive: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value >= minimum if inclusive else value > minimum)
    if not ok:
        bound = f">= {minimum}" if inclusive else f"> {minimum}"
        raise ValueError(f"ResponsesServerOptions.{name} must be a finite number {bound}, got {value!r}")


def _integer(name: str, value: object, *, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"ResponsesServerOptions.{name} must be an integer >= {minimum}, got {value!r}")
