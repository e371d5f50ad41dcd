"""The Conversations API: conversation objects and their items, kept in the store's ConversationStore.

Every conversation belongs to the isolation scope it was made in (user key and chat key): the same
id under another scope is another, usually unknown, conversation, so a stranger gets 404 on every
endpoint. Items are validated with the generated ``InputItem`` models and stored as a create's input
is (server/inputs.py): each with an id, messages with list content and a status. Request bodies
are the generated models (CreateConversationBody, UpdateConversationBody, CreateConversationItemsBody),
parsed with a create's checks and messages (server/validation.py), items named ``items[...]``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from responsekit.ids import new_id
from responsekit.server.context import IsolationContext
from responsekit.server.errors import ApiError, bad_request
from responsekit.server.inputs import normalize_items, readable_item
from responsekit.server.queries import check_include, parse_input_items_query
from responsekit.server.validation import parse_request
from responsekit.store.protocols import ConversationKey, ConversationRecord, CursorNotFound
from responsekit.streaming.events import encode_json

if TYPE_CHECKING:
    from pydantic import BaseModel

    from responsekit.server.options import ResponsesServerOptions
    from responsekit.store.protocols import ConversationStore, Store

# At most 20 items a request (POST /conversations and POST /conversations/{id}/items): the
# schema's ``maxItems`` of ``ConversationInputItems``, enforced by the generated body models.
_Body = TypeVar("_Body", bound="BaseModel")


def _json(data: Any) -> Response:
    return Response(encode_json(data), media_type="application/json")


def conversation_not_found(conversation_id: str, param: str = "conversation_id") -> ApiError:
    return ApiError(
        404, f"No conversation found with id '{conversation_id[:200]}'.", param=param, code="not_found"
    )


def _item_not_found(conversation_id: str, item_id: str) -> ApiError:
    return ApiError(
        404,
        f"No item found with id '{item_id[:200]}' in conversation '{conversation_id[:200]}'.",
        param="item_id",
        code="not_found",
    )


def _list(items: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": has_more,
    }


#: Stored items a conversation does not keep, as they have no conversation form: why, said to a
#: client that adds one. (A compaction trigger is not even stored: see server/inputs.py.)
_NOT_KEPT = {
    "item_reference": "an item reference cannot be added to a conversation; add the item itself",
    "compaction_trigger": (
        "a compaction trigger cannot be added to a conversation; it asks a response to compact its "
        "window and is not part of it"
    ),
}


def conversation_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored items (a create's input, already in their read form: server/inputs.py, and its
    output) as a conversation keeps them: item references (they name an item kept elsewhere) left
    out; an output item completed as input items are (its output form may leave out a ``status``
    its conversation form requires). The items given are not changed."""
    # An untyped item is an item reference (``{"id": ...}``) of a record stored before references
    # were given their type.
    return [readable_item(item) for item in items if (item.get("type") or "item_reference") not in _NOT_KEPT]


def _kind(entry: Any) -> Any:
    """A validated input item's type (an item reference may leave its type out)."""
    from responsekit.models import _generated as models  # deferred: see responsekit/models

    return "item_reference" if isinstance(entry, models.ItemReferenceParam) else getattr(entry, "type", None)


def _stored_items(entries: list[Any] | None) -> list[dict[str, Any]]:
    entries = entries or []
    for index, entry in enumerate(entries):
        reason = _NOT_KEPT.get(_kind(entry))
        if reason is not None:
            raise bad_request(
                f"Invalid value for 'items[{index}].type': {reason}.",
                param=f"items[{index}].type",
                code="invalid_value",
            )
    return normalize_items(entries)


class ConversationEndpoints:
    """The eight conversation routes, served with the host's body reading, store and drain check."""

    def __init__(
        self,
        options: ResponsesServerOptions,
        *,
        read_body: Callable[[Request], Awaitable[bytes]],
        open_store: Callable[[], Awaitable[Store]],
        check_open: Callable[[], None],
    ) -> None:
        self._options = options
        self._read_body = read_body
        self._open_store = open_store
        self._check_open = check_open

    def routes(self, prefix: str, wrap: Callable[[Callable], Callable]) -> list[Route]:
        """The routes under ``prefix``, each endpoint wrapped by ``wrap`` (errors as the envelope)."""
        base = f"{prefix}/conversations"
        one = f"{base}/{{conversation_id}}"
        item = f"{one}/items/{{item_id}}"
        return [
            Route(base, wrap(self.create_conversation), methods=["POST"]),
            Route(one, wrap(self.retrieve_conversation), methods=["GET"]),
            Route(one, wrap(self.update_conversation), methods=["POST"]),
            Route(one, wrap(self.delete_conversation), methods=["DELETE"]),
            Route(f"{one}/items", wrap(self.add_items), methods=["POST"]),
            Route(f"{one}/items", wrap(self.list_items), methods=["GET"]),
            Route(item, wrap(self.retrieve_item), methods=["GET"]),
            Route(item, wrap(self.delete_item), methods=["DELETE"]),
        ]

    # -- helpers --------------------------------------------------------------------------------------
    async def _store(self, request: Request) -> tuple[ConversationStore, ConversationKey]:
        """The conversation store and the key the path's conversation has in the caller's scope."""
        self._check_open()
        isolation = IsolationContext.from_scope(request.scope)  # an ambiguous key is a 400 first
        conversations = (await self._open_store()).conversations
        if conversations is None:
            raise ApiError(404, "This server's store does not keep conversations.", code="not_found")
        conversation_id = request.path_params.get("conversation_id")
        if conversation_id is None:  # POST /conversations: a new conversation
            conversation_id = new_id("conversation")
        return conversations, ConversationKey(isolation.user_key, isolation.chat_key, conversation_id)

    async def _body(self, request: Request, model: type[_Body], *, optional: bool = False) -> _Body:
        """The body validated as ``model``, with the same checks and messages as a create's (its
        ``items`` checked as a create's ``input``). ``optional``: no body at all reads as ``{}``."""
        body = await self._read_body(request)
        if optional and not body.removeprefix(b"\xef\xbb\xbf"):
            body = b"{}"
        parsed, _ = parse_request(
            body, model, reject_unknown_fields=self._options.reject_unknown_fields, items_field="items"
        )
        return parsed

    # -- conversations --------------------------------------------------------------------------------
    async def create_conversation(self, request: Request) -> Response:
        conversations, key = await self._store(request)
        from responsekit.models import _generated as models

        body = await self._body(request, models.CreateConversationBody, optional=True)
        record = ConversationRecord(key=key, created_at=int(time.time()), metadata=dict(body.metadata or {}))
        await conversations.create(record, _stored_items(body.items))
        return _json(record.resource())

    async def retrieve_conversation(self, request: Request) -> Response:
        conversations, key = await self._store(request)
        record = await conversations.get(key)
        if record is None:
            raise conversation_not_found(key.conversation_id)
        return _json(record.resource())

    async def update_conversation(self, request: Request) -> Response:
        conversations, key = await self._store(request)
        from responsekit.models import _generated as models

        body = await self._body(request, models.UpdateConversationBody)
        record = await conversations.update_metadata(key, dict(body.metadata or {}))
        if record is None:
            raise conversation_not_found(key.conversation_id)
        return _json(record.resource())

    async def delete_conversation(self, request: Request) -> Response:
        conversations, key = await self._store(request)
        if not await conversations.delete(key):
            raise conversation_not_found(key.conversation_id)
        return _json({"id": key.conversation_id, "object": "conversation.deleted", "deleted": True})

    # -- items ----------------------------------------------------------------------------------------
    async def add_items(self, request: Request) -> Response:
        check_include(request)
        conversations, key = await self._store(request)
        from responsekit.models import _generated as models

        body = await self._body(request, models.CreateConversationItemsBody)
        if not body.items:  # the schema allows none; adding nothing is a mistake worth naming
            raise bad_request(
                "Invalid value for 'items': at least one item is required.",
                param="items",
                code="invalid_value",
            )
        items = _stored_items(body.items)
        if not await conversations.append(key, items):
            raise conversation_not_found(key.conversation_id)
        return _json(_list(items, False))

    async def list_items(self, request: Request) -> Response:
        query = parse_input_items_query(request)  # include, limit (1..100, 20), order (desc)
        conversations, key = await self._store(request)
        try:
            page = await conversations.list_items(
                key, after=query.after, limit=query.limit, order=query.order
            )
        except CursorNotFound:
            raise bad_request(
                f"Invalid value for 'after': no item of the conversation has id {query.after[:80]!r}.",
                param="after",
                code="invalid_value",
            ) from None
        if page is None:
            raise conversation_not_found(key.conversation_id)
        return _json(_list(*page))

    async def retrieve_item(self, request: Request) -> Response:
        check_include(request)
        conversations, key = await self._store(request)
        item_id = request.path_params["item_id"]
        item = await conversations.get_item(key, item_id)
        if item is None:
            raise await self._missing(conversations, key, item_id)
        return _json(item)

    async def delete_item(self, request: Request) -> Response:
        conversations, key = await self._store(request)
        item_id = request.path_params["item_id"]
        if not await conversations.delete_item(key, item_id):
            raise await self._missing(conversations, key, item_id)
        record = await conversations.get(key)
        if record is None:  # deleted meanwhile
            raise conversation_not_found(key.conversation_id)
        return _json(record.resource())

    @staticmethod
    async def _missing(conversations: ConversationStore, key: ConversationKey, item_id: str) -> ApiError:
        """Which of the two is unknown: the conversation, or only its item."""
        if await conversations.get(key) is None:
            return conversation_not_found(key.conversation_id)
        return _item_not_found(key.conversation_id, item_id)
