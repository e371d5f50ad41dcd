"""``POST /responses/input_tokens``: how many input tokens a create with these fields would use.

The request takes the create fields (``model``, ``input``, ``previous_response_id``,
``conversation``, ``instructions``, ``tools``, ``text``, ``reasoning``...); the answer is
``{"object": "response.input_tokens", "input_tokens": N}``.

Who counts:

- a function registered with ``@app.input_tokens_counter``: ``counter(request, context) -> int``,
  async or sync; ``context`` is an :class:`InputTokensContext` (the resolved window, as the response
  handler would see it, plus ``estimate()``, the default count);
- by default, an estimate that needs no tokenizer and downloads nothing (see :func:`estimate_tokens`).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from responsekit.server.compaction import call_hook
from responsekit.server.errors import ApiError, bad_request, internal_error
from responsekit.server.sealing import Sealer
from responsekit.server.validation import parse_request
from responsekit.server.window import (
    Hook,
    WindowContext,
    conversation_id_of,
    resolve_window,
)

if TYPE_CHECKING:
    from responsekit.models import _generated as models
    from responsekit.server.options import ResponsesServerOptions
    from responsekit.store.protocols import Store

logger = logging.getLogger("responsekit")

#: Characters per token of the estimate (English text and JSON average about four).
CHARS_PER_TOKEN = 4
#: Tokens each item (and the instructions) adds for its framing: role, boundaries.
ITEM_OVERHEAD_TOKENS = 4
#: Tokens of each image, file or audio part of a message (an image at low detail is 85).
MEDIA_PART_TOKENS = 85
_TEXT_KEYS = ("text", "refusal")
# Server bookkeeping, not model input.
_NOT_COUNTED = frozenset({"id", "status"})


def _tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _plain(value: Any) -> Any:
    from pydantic import BaseModel  # deferred: pydantic loads with the models (see responsekit/models)

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def item_tokens(item: Mapping[str, Any]) -> int:
    """The estimate of one item: the overhead, plus its text (a message) or its JSON (anything else)."""
    content = item.get("content")
    if item.get("type", "message") == "message" and isinstance(content, list):
        count = ITEM_OVERHEAD_TOKENS
        for part in content:
            text = next(
                (part[k] for k in _TEXT_KEYS if isinstance(part, dict) and isinstance(part.get(k), str)), None
            )
            count += _tokens(text) if text is not None else MEDIA_PART_TOKENS
        return count
    if isinstance(content, str):
        return ITEM_OVERHEAD_TOKENS + _tokens(content)
    return ITEM_OVERHEAD_TOKENS + _tokens(_json({k: v for k, v in item.items() if k not in _NOT_COUNTED}))


def estimate_tokens(
    window: list[Mapping[str, Any]],
    *,
    instructions: str | None = None,
    tools: list[Any] | None = None,
    text: Any = None,
) -> int:
    """The default input-token estimate, with no tokenizer::

        sum over the window's items of (4 + ceil(chars / 4))
          + (4 + ceil(len(instructions) / 4))                 when there are instructions
          + sum over tools of ceil(len(tool as JSON) / 4)
          + ceil(len(text.format as JSON) / 4)                 for a json_schema format

    where an item's chars are the text of a message's parts (each image, file or audio part counts
    85 tokens instead) or, for any other item, its JSON without ``id`` and ``status``. Compaction
    items count as the items they hold. Close to real tokenizers for English text and JSON (they
    average about four characters a token); register ``@app.input_tokens_counter`` for exact counts.
    """
    count = sum(item_tokens(item) for item in window)
    if instructions:
        count += ITEM_OVERHEAD_TOKENS + _tokens(instructions)
    for tool in _plain(tools) or []:
        count += _tokens(_json(tool))
    plain_text = _plain(text)
    text_format = plain_text.get("format") if isinstance(plain_text, dict) else None
    if isinstance(text_format, dict) and text_format.get("type") == "json_schema":
        count += _tokens(_json(text_format))
    return count


class InputTokensContext(WindowContext):
    """An input-token counter's context: the window (see ``WindowContext``) and the default estimate."""

    def estimate(self) -> int:
        """The default count of this request (see :func:`estimate_tokens`)."""
        request = self.request
        return estimate_tokens(
            self.window,
            instructions=request.instructions,
            tools=request.tools,
            text=request.text,
        )


def parse_input_tokens_request(body: bytes, *, reject_unknown_fields: bool) -> models.TokenCountsBody:
    from responsekit.models import _generated as models  # deferred: see responsekit/models

    request, data = parse_request(body, models.TokenCountsBody, reject_unknown_fields=reject_unknown_fields)
    if data.get("previous_response_id") and data.get("conversation"):
        raise bad_request(
            "Mutually exclusive parameters: use either 'previous_response_id' or 'conversation', not both.",
            param="previous_response_id",
            code="mutually_exclusive_parameters",
        )
    return request


async def count_input_tokens(
    body: bytes,
    *,
    scope: Mapping[str, Any],
    store: Store,
    options: ResponsesServerOptions,
    sealer: Sealer,
    counter: Hook | None,
) -> dict[str, Any]:
    """Serve one ``POST /responses/input_tokens`` (errors raise ApiError; the host answers the envelope)."""
    request = parse_input_tokens_request(body, reject_unknown_fields=options.reject_unknown_fields)
    window = await resolve_window(
        request,
        scope,
        store=store,
        options=options,
        sealer=sealer,
        conversation_id=conversation_id_of(request),
    )
    context = InputTokensContext(**window)
    if counter is None:
        count = context.estimate()
    else:
        try:
            count = await call_hook(counter, request, context)
        except ApiError:  # a refusal the counter chose, with its own status and envelope
            raise
        except Exception:
            logger.exception("the input tokens counter failed")
            raise internal_error() from None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            logger.error("the input tokens counter returned %r, not a count (an int >= 0)", count)
            raise internal_error()
    return {"object": "response.input_tokens", "input_tokens": count}
