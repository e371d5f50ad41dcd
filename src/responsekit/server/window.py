"""A request's input window: its history plus its own input items, with compaction items opened.

``POST /responses`` hands the window to the response handler through ``ResponseContext``;
``POST /responses/compact`` and ``POST /responses/input_tokens`` resolve the same window for the
compact handler and the token counter. Three things make a window:

- the history: the ``previous_response_id`` chain, or the conversation's items (the newest
  ``default_fetch_history_count`` items, oldest first, as ``context.get_history()`` reads them);
- the request's input items, each with an id (``normalize_input``);
- the expansion of ``compaction`` items: each one this server sealed stands for the items it holds.
  A compaction item in a request's ``input`` that does not open (altered, sealed by another server
  or for another user, or not sealed at all) is refused with 400 before anything runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from responsekit.ids import is_well_formed, new_id
from responsekit.server.context import IsolationContext, ItemExpander, _adapter, _typed
from responsekit.server.conversations import conversation_not_found
from responsekit.server.errors import ApiError, bad_request
from responsekit.server.inputs import input_text, normalize_input
from responsekit.server.sealing import Sealer, SealError
from responsekit.store.protocols import ConversationKey, ResponseRecord
from responsekit.streaming.events import _plain

if TYPE_CHECKING:
    from responsekit.server.options import ResponsesServerOptions
    from responsekit.store.protocols import Store

logger = logging.getLogger("responsekit")

#: Error code of a compaction item in ``input`` that cannot be opened.
INVALID_COMPACTION_CODE = "invalid_encrypted_content"

_WHY = {
    "unverified": "it could not be verified: it was altered, or made by another server or for another user",
    "version": "it was made in a format version this server does not read",
    "malformed": "it is not a compaction item made by this server",
}


def _window_of(value: Any) -> list[dict[str, Any]]:
    """The items of an opened compaction payload ``{"items": [...]}``."""
    items = value.get("items") if isinstance(value, dict) else None
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and isinstance(item.get("type"), str) for item in items
    ):
        raise SealError("malformed", "the sealed value is not a list of items")
    return items


def seal_window(sealer: Sealer, items: list[dict[str, Any]], scope: str | None) -> str:
    """The ``encrypted_content`` of a compaction item that opens to ``items`` (for ``scope`` only)."""
    return sealer.seal({"items": items}, scope)


def compaction_item(sealer: Sealer, items: list[Any], scope: str | None) -> dict[str, Any]:
    """A ``compaction`` item sealing ``items`` (dicts or models) for the caller ``scope``. An item
    reference in the shorthand a request's input may use (``{"id": ...}``) is sealed with its type."""
    plain = [plain_item(item, reference_shorthand=True) for item in items]
    return {
        "id": new_id("compaction"),
        "type": "compaction",
        "encrypted_content": seal_window(sealer, plain, scope),
    }


def plain_item(item: Any, *, reference_shorthand: bool = False) -> dict[str, Any]:
    item = _plain(item)  # models (also nested in a dict) as the JSON of their set fields
    if (
        reference_shorthand
        and isinstance(item, Mapping)
        and item.get("type") is None
        and isinstance(item.get("id"), str)
    ):
        item = {**item, "type": "item_reference"}
    if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
        raise TypeError(f"an item must be a dict (or model) with a string 'type', not {item!r:.80}")
    return dict(item)


def _invalid(index: int, error: SealError) -> ApiError:
    param = f"input[{index}].encrypted_content"
    return bad_request(
        f"Invalid value for '{param}': {_WHY.get(error.reason, _WHY['malformed'])}.",
        param=param,
        code=INVALID_COMPACTION_CODE,
    )


def compaction_expander(
    sealer: Sealer | None, input_items: list[dict[str, Any]], scope: str | None
) -> ItemExpander:
    """Open every compaction item of ``input_items`` now (400 naming the first that does not open) and
    return the expander that replaces compaction items by the items they hold.

    The expander also opens compaction items of the history as it meets them; one that no longer opens
    (say, sealed before the key changed) stays as it is, with a warning in the log.
    """
    if sealer is None:
        return _identity
    opened: dict[str, list[dict[str, Any]]] = {}
    for index, item in enumerate(input_items):
        if item.get("type") == "compaction":
            content = item.get("encrypted_content")
            try:
                opened[content] = _window_of(sealer.open(content, scope))
            except SealError as exc:
                raise _invalid(index, exc) from None

    def expand(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not any(item.get("type") == "compaction" for item in items):
            return items
        out: list[dict[str, Any]] = []
        for item in items:
            if item.get("type") != "compaction":
                out.append(item)
                continue
            content = item.get("encrypted_content")
            window = opened.get(content) if isinstance(content, str) else None
            if window is None:
                try:
                    window = opened[content] = _window_of(sealer.open(content, scope))
                except SealError as exc:
                    logger.warning("compaction item %s kept sealed: %s", item.get("id"), exc)
                    out.append(item)
                    continue
            out.extend(window)
        return out

    return expand


def _identity(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return items


async def load_history(
    store: Store,
    options: ResponsesServerOptions,
    isolation: IsolationContext,
    *,
    previous_response_id: str | None = None,
    conversation_id: str | None = None,
) -> list[dict[str, Any]]:
    """The stored items before a request that names ``previous_response_id`` or a conversation
    (raw: compaction items not opened), oldest first, at most ``default_fetch_history_count``."""
    limit = options.history_limit
    if limit <= 0 or not (previous_response_id or conversation_id):
        return []
    if conversation_id:
        key = ConversationKey(isolation.user_key, isolation.chat_key, conversation_id)
        if options.conversations_must_exist and await store.conversations.get(key) is None:
            raise conversation_not_found(conversation_id, param="conversation")
        return await store.conversations.recent_items(key, limit)
    # The store walks the previous_response_id chain from a record that names its start.
    probe = ResponseRecord(
        response_id="",
        snapshot={},
        owner=isolation.user_key,
        chat_key=isolation.chat_key,
        previous_response_id=previous_response_id,
    )
    return await store.records.history(probe, limit)


async def check_previous(store: Store, previous_id: str | None, owner: str | None) -> None:
    """A ``previous_response_id`` must name a stored response of the caller's (else 400)."""
    if not previous_id:
        return
    previous = await store.records.get(previous_id) if is_well_formed(previous_id) else None
    if previous is None or previous.owner != owner:
        raise bad_request(
            f"Previous response with id '{previous_id}' not found.",
            param="previous_response_id",
            code="previous_response_not_found",
        )


def conversation_id_of(request: Any) -> str | None:
    """The conversation a request names (by id, or as ``{"id": ...}``), if any."""
    conversation = getattr(request, "conversation", None)
    if isinstance(conversation, str):
        return conversation
    return getattr(conversation, "id", None)


class WindowContext:
    """What a compact handler or an input-token counter knows about the request it serves.

    ``input_items``, ``history`` and ``window`` are plain JSON items (compaction items opened),
    readable from sync code too; ``get_input_items()`` and ``get_history()`` return them as protocol
    models, as ``ResponseContext`` does.
    """

    def __init__(
        self,
        *,
        request: Any,
        isolation: IsolationContext,
        client_headers: Mapping[str, str],
        input_items: list[dict[str, Any]],
        history: list[dict[str, Any]],
        expand: ItemExpander,
    ) -> None:
        self.request = request
        self.isolation = isolation
        self.client_headers = dict(client_headers)
        #: The request's input items (each with an id), compaction items replaced by what they hold.
        self.input_items: list[dict[str, Any]] = expand(input_items)
        #: The history before the request (``previous_response_id`` chain or conversation), oldest first.
        self.history: list[dict[str, Any]] = expand(history)

    @property
    def window(self) -> list[dict[str, Any]]:
        """The whole window, oldest first: the history, then the input items."""
        return [*self.history, *self.input_items]

    async def get_input_items(self) -> list[Any]:
        adapters = (_adapter("InputItem"),)
        return [_typed(adapters, item) for item in self.input_items]

    async def get_history(self) -> list[Any]:
        adapters = (_adapter("ItemResource"), _adapter("InputItem"))
        return [_typed(adapters, item) for item in self.history]

    async def get_input_text(self) -> str:
        """All text of the request's user-side messages, one part per line."""
        return input_text(self.input_items)


def client_headers_of(scope: Mapping[str, Any]) -> dict[str, str]:
    """The ``x-client-*`` headers of a request (as ResponseContext.client_headers holds them)."""
    return {
        k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k.startswith(b"x-client-")
    }


async def resolve_window(
    request: Any,
    scope: Mapping[str, Any],
    *,
    store: Store,
    options: ResponsesServerOptions,
    sealer: Sealer,
    conversation_id: str | None = None,
) -> dict[str, Any]:
    """A compact or input_tokens request's window, as a :class:`WindowContext`'s arguments: the
    previous response checked, the input's compaction items checked (400s), the history loaded."""
    isolation = IsolationContext.from_scope(scope)
    await check_previous(store, request.previous_response_id, isolation.user_key)
    input_items = normalize_input(request)
    expand = compaction_expander(sealer, input_items, isolation.user_key)
    history = await load_history(
        store,
        options,
        isolation,
        previous_response_id=request.previous_response_id,
        conversation_id=conversation_id,
    )
    return {
        "request": request,
        "isolation": isolation,
        "client_headers": client_headers_of(scope),
        "input_items": input_items,
        "history": history,
        "expand": expand,
    }


#: A user hook called with (request, context): a compact handler or an input-token counter.
Hook = Callable[..., Any]
