"""``POST /responses/compact``: turn a request's window into a shorter one the client sends back.

The client sends ``model``, ``input`` and/or ``previous_response_id`` (and ``instructions``...). The
answer is ``{"id", "object": "response.compaction", "created_at", "output", "usage"}``; ``output``
is the compacted window, which the client passes as the ``input`` of its next response, without
``previous_response_id``.

Who compacts:

- a function registered with ``@app.compact_handler``: ``handler(request, context)``, async or sync,
  returning the output items (a list) or ``{"output": [...], "usage": {...}}``. ``context`` is a
  :class:`CompactionContext`: the resolved window (history and input items, compaction items
  opened), the caller's isolation, and ``seal(items)``, which wraps items into one opaque
  ``compaction`` item that comes back to the response handler as those items;
- by default, nobody loses anything: the whole window becomes one sealed ``compaction`` item. No
  model runs, so its usage is all zeros.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from anyio.to_thread import run_sync

from responsekit.ids import new_id
from responsekit.server.errors import ApiError, internal_error
from responsekit.server.sealing import Sealer
from responsekit.server.validation import parse_request
from responsekit.server.window import (
    Hook,
    WindowContext,
    compaction_item,
    plain_item,
    resolve_window,
)
from responsekit.streaming.usage import _complete_usage

if TYPE_CHECKING:
    from responsekit.models import _generated as models
    from responsekit.server.options import ResponsesServerOptions
    from responsekit.store.protocols import Store

logger = logging.getLogger("responsekit")


def zero_usage() -> dict[str, Any]:
    """The usage of a compaction that ran no model."""
    return {
        "input_tokens": 0,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 0,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 0,
    }


class CompactionContext(WindowContext):
    """A compact handler's context: the window (see :class:`WindowContext`) plus sealing."""

    def __init__(self, *, sealer: Sealer, **window: Any) -> None:
        super().__init__(**window)
        self._sealer = sealer

    def seal(self, items: list[Any] | None = None) -> dict[str, Any]:
        """One ``compaction`` item holding ``items`` (default: the whole window), opaque to clients.

        When the client sends it back in ``input``, the response handler's ``get_input_items()``
        reads ``items`` in its place. It opens only on servers sharing this key, for this caller.
        Compaction items among ``items`` are kept as they are (e.g. an upstream model's own).
        """
        return compaction_item(self._sealer, self.window if items is None else items, self.isolation.user_key)


async def call_hook(hook: Hook, request: Any, context: Any) -> Any:
    """Call a user hook ``(request, context)``: a coroutine function is awaited, a sync one runs in a
    worker thread (a blocking call never stalls the event loop)."""
    if inspect.iscoroutinefunction(hook) or (
        not inspect.isroutine(hook) and inspect.iscoroutinefunction(type(hook).__call__)
    ):
        return await hook(request, context)
    result = await run_sync(hook, request, context, abandon_on_cancel=True)
    if inspect.isawaitable(result):
        result = await result
    return result


def _result(result: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A compact handler's result as (output items, usage); TypeError if it is neither form."""
    usage: Any = None
    if isinstance(result, Mapping):
        if "output" not in result:
            raise TypeError("a compact handler's dict result needs an 'output' list")
        output, usage = result["output"], result.get("usage")
    else:
        output = result
    if not isinstance(output, (list, tuple)):
        raise TypeError(f"a compact handler returns a list of items, not {type(output).__name__}")
    items = []
    for entry in output:
        item = plain_item(entry)
        if not isinstance(item.get("id"), str) or not item["id"]:
            item["id"] = new_id(item["type"])
        items.append(item)
    if usage is None:
        return items, zero_usage()
    from pydantic import BaseModel  # deferred: pydantic loads with the models, not with the package

    if isinstance(usage, BaseModel):
        usage = usage.model_dump(mode="json", exclude_unset=True)
    if not isinstance(usage, Mapping) or not all(
        isinstance(usage.get(k), int) and not isinstance(usage.get(k), bool)
        for k in ("input_tokens", "output_tokens")
    ):
        raise TypeError("a compact handler's usage needs integer 'input_tokens' and 'output_tokens'")
    return items, _complete_usage(dict(usage))


def parse_compact_request(
    body: bytes, *, reject_unknown_fields: bool
) -> models.CompactResponseMethodPublicBody:
    from responsekit.models import _generated as models  # deferred: see responsekit/models

    request, _ = parse_request(
        body,
        models.CompactResponseMethodPublicBody,
        reject_unknown_fields=reject_unknown_fields,
        required=("model",),
    )
    return request


async def compact(
    body: bytes,
    *,
    scope: Mapping[str, Any],
    store: Store,
    options: ResponsesServerOptions,
    sealer: Sealer,
    handler: Hook | None,
) -> dict[str, Any]:
    """Serve one ``POST /responses/compact`` (errors raise ApiError; the host answers the envelope)."""
    request = parse_compact_request(body, reject_unknown_fields=options.reject_unknown_fields)
    window = await resolve_window(request, scope, store=store, options=options, sealer=sealer)
    context = CompactionContext(sealer=sealer, **window)
    if handler is None:
        output, usage = [context.seal()], zero_usage()
    else:
        try:
            output, usage = _result(await call_hook(handler, request, context))
        except ApiError:  # a refusal the handler chose, with its own status and envelope
            raise
        except Exception:
            logger.exception("the compact handler failed")
            raise internal_error() from None
    return {
        "id": new_id("response"),
        "object": "response.compaction",
        "created_at": int(time.time()),
        "output": output,
        "usage": usage,
    }
