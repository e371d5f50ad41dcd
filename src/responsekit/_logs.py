"""responsekit's logging helpers: the ``extra`` that ties a log line to its response, and the
JSON-lines output of ``ResponsesServerOptions(log_format="json")``.

Every line about one response carries ``record.response_id`` (``logger.warning(..., extra=about(id))``),
so a log collector can group a response's lines without parsing the message.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

LOGGER_NAME = "responsekit"
LOG_FORMATS = ("text", "json")


def about(response_id: str | None) -> dict[str, Any]:
    """The ``extra`` of a log call about one response: ``{"response_id": response_id}``."""
    return {"response_id": response_id}


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, response_id (when the
    record has one), exc_info (the formatted traceback, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        response_id = getattr(record, "response_id", None)
        if response_id is not None:
            line["response_id"] = response_id
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class JsonLinesHandler(logging.StreamHandler):
    """The stderr handler ``log_format="json"`` installs on the "responsekit" logger (one per process)."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream if stream is not None else sys.stderr)
        self.setFormatter(JsonLinesFormatter())


def install_json_lines(logger_name: str = LOGGER_NAME) -> JsonLinesHandler:
    """Make ``logger_name`` write JSON lines to stderr, and only there (``propagate=False``, so a
    root handler does not print each line a second time). Idempotent: a second host reuses the handler."""
    logger = logging.getLogger(logger_name)
    for handler in logger.handlers:
        if isinstance(handler, JsonLinesHandler):
            logger.propagate = False
            return handler
    handler = JsonLinesHandler()
    logger.addHandler(handler)
    logger.propagate = False
    return handler
