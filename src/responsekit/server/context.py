"""ResponseContext: what a handler knows about the request it serves."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from responsekit.server.errors import ApiError, bad_request
from responsekit.server.inputs import input_text

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from responsekit.models import _generated as models
    from responsekit.store.protocols import ResponseRecord

#: Loads a response's history: the newest ``limit`` raw items, oldest first (see server/create.py).
HistoryLoader = Callable[[int], Awaitable[list[dict[str, Any]]]]
#: Turns stored items into what a handler reads (e.g. opens sealed compaction items).
ItemExpander = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


async def _no_history(limit: int) -> list[dict[str, Any]]:
    return []


def _as_stored(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return items


logger = logging.getLogger("responsekit")


@functools.cache
def _adapter(name: str) -> TypeAdapter:
    """Built on first use: building the item unions' validators costs more than the rest of import."""
    # Deferred, as are the models themselves (they load on first use: see responsekit/models).
    from pydantic import TypeAdapter

    from responsekit.models import _generated as models

    return TypeAdapter(getattr(models, name))


USER_KEY_HEADERS = ("x-agent-user-isolation-key", "x-agent-user-id")
CHAT_KEY_HEADER = "x-agent-chat-isolation-key"


@dataclass(frozen=True)
class IsolationContext:
    """Who a request is for: responses made under one ``user_key`` are invisible under another."""

    user_key: str | None = None
    chat_key: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> IsolationContext:
        user_key = next((headers[h] for h in USER_KEY_HEADERS if headers.get(h)), None)
        return cls(user_key=user_key, chat_key=headers.get(CHAT_KEY_HEADER) or None)

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any]) -> IsolationContext:
        """The same as ``from_headers``, read straight off the ASGI scope (one pass, no copies).

        A header given twice, or the user key and its alias given with different values, is
        ambiguous: which scope a request belongs to must never depend on which copy wins.
        """
        found: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _ISOLATION_HEADERS:
                if name in found:
                    raise _ambiguous(name.decode(), "it is given more than once")
                found[name] = value
        if not found:
            return _NO_ISOLATION
        user = found.get(b"x-agent-user-isolation-key")
        alias = found.get(b"x-agent-user-id")
        if user and alias and user != alias:
            raise _ambiguous("x-agent-user-id", "it differs from x-agent-user-isolation-key")
        user = user or alias
        chat = found.get(CHAT_KEY_HEADER.encode())
        return cls(
            user_key=user.decode("latin-1") if user else None,
            chat_key=chat.decode("latin-1") if chat else None,
        )


def _ambiguous(header: str, why: str) -> ApiError:
    return bad_request(
        f"The isolation header '{header}' is ambiguous: {why}. Send each isolation header once.",
        param=header,
        code="invalid_header",
    )


_ISOLATION_HEADERS = frozenset(h.encode() for h in (*USER_KEY_HEADERS, CHAT_KEY_HEADER))
_NO_ISOLATION = IsolationContext()


def _typed(adapters: tuple[TypeAdapter, ...], item: dict[str, Any]) -> Any:
    """The item as the first protocol model it validates as (a dict if none: e.g. an extension)."""
    from pydantic import ValidationError  # loaded already: the adapters are pydantic's

    for adapter in adapters:
        try:
            return adapter.validate_python(item)
        except ValidationError:
            continue
    logger.debug("item %s kept as a dict: it does not validate as a protocol item", item.get("id"))
    return item


class ResponseExitForRecovery(BaseException):
    """What ``await context.exit_for_recovery()`` raises in a resilient handler: the run stops
    without ending the response, which is re-entered from its last checkpoint (a BaseException,
    so ``except Exception`` does not swallow it; let it propagate)."""


#: The peer package's other name for the signal.
ExitForRecoverySignal = ResponseExitForRecovery


class PersistedResponse(dict):
    """A resilient response as last checkpointed (``context.persisted_response``): the response
    object as a dict (fields read as keys or attributes), and ``internal_metadata``, what the
    handler's ``stream.internal_metadata`` held then. ``ResponseEventStream(response=...)`` seeded
    with it restores both."""

    def __init__(
        self, response: Mapping[str, Any], internal_metadata: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(response)
        self.internal_metadata: dict[str, Any] = dict(internal_metadata or {})

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the response has no field {name!r}") from None


class ResponseContext:
    """Request-scoped state handed to the handler with the request and the cancellation signal."""

    def __init__(
        self,
        *,
        response_id: str,
        request: models.CreateResponse,
        record: ResponseRecord,
        isolation: IsolationContext,
        client_headers: dict[str, str],
        query_parameters: dict[str, str],
        history_limit: int,
        shutdown_requested: Callable[[], bool],
        load_history: HistoryLoader = _no_history,
        expand_items: ItemExpander = _as_stored,
        transport: str = "http",
        seal_items: Callable[[list[Any]], dict[str, Any]] | None = None,
        resilient: bool = False,
        persisted_response: PersistedResponse | None = None,
    ) -> None:
        self.response_id = response_id
        self.request = request
        self.isolation = isolation
        self.client_headers = client_headers
        self.query_parameters = query_parameters
        #: How the request arrived: "http" (JSON, SSE or background) or "websocket".
        self.transport = transport
        self._record = record
        self._load_history = load_history
        self._expand = expand_items
        self._seal_items = seal_items
        self._history_limit = history_limit
        self._shutdown_requested = shutdown_requested
        self._history: list[Any] | None = None
        #: Whether this response can be left for recovery (``exit_for_recovery``): a background
        #: response while ``resilient_background`` is on, on a durable store.
        self.is_resilient = resilient
        #: True when the handler is re-entered to recover a resilient background response whose
        #: run stopped (its process died, or it exited for recovery); ``persisted_response`` is then
        #: its last checkpoint.
        self.is_recovery = persisted_response is not None
        #: The response as last checkpointed, on a recovery (seed a stream with it:
        #: ``ResponseEventStream(response_id=..., response=context.persisted_response)``); else None.
        #: Before any checkpoint it is the response as created, with no output.
        self.persisted_response: PersistedResponse | None = persisted_response

    @property
    def conversation_id(self) -> str | None:
        """The id of the conversation the request names, if any."""
        conversation = getattr(self.request, "conversation", None)
        if isinstance(conversation, str):
            return conversation or None
        conversation_id = (
            conversation.get("id") if isinstance(conversation, Mapping) else getattr(conversation, "id", None)
        )
        return conversation_id if isinstance(conversation_id, str) and conversation_id else None

    @property
    def conversation_chain_id(self) -> str:
        """An opaque id that is the same for every turn of one conversation chain: for a request
        naming a conversation, ``cchain_`` and a digest of that conversation (scoped by the
        isolation keys, so two users' conversations never share one); otherwise the response id
        (each request stands alone), as in the peer package. A key for the handler's own
        per-conversation state (e.g. an upstream session id)."""
        conversation_id = self.conversation_id
        if conversation_id is None:
            return self.response_id
        scope = "\x1f".join((self.isolation.user_key or "", self.isolation.chat_key or "", conversation_id))
        return "cchain_" + hashlib.sha256(scope.encode()).hexdigest()[:40]

    async def exit_for_recovery(self) -> NoReturn:
        """Stop here and leave this resilient response to be re-entered from its last checkpoint
        (e.g. the process is about to go away): raises ``ResponseExitForRecovery``, which the run
        turns into "left for recovery" (no terminal event). On Redis another replica (or this one)
        re-enters it within a lease scan; on SQLite the next start of the server does.

        A response that is not resilient (not background, ``resilient_background`` off, or the
        memory store) cannot be recovered: RuntimeError (uncaught, the response ends ``failed``
        with ``server_error``, like any handler error)."""
        if not self.is_resilient:
            raise RuntimeError(
                "context.exit_for_recovery() needs a resilient background response "
                "(ResponsesServerOptions(resilient_background=True), background=true, a durable store); "
                "this response cannot be recovered"
            )
        raise ResponseExitForRecovery(self.response_id)

    @property
    def is_shutdown_requested(self) -> bool:
        """True once the server is draining: finish quickly, or stop at a clean point."""
        return self._shutdown_requested()

    async def get_input_items(self) -> list[Any]:
        """The request's input items as protocol models (each with its server-assigned id)."""
        adapters = (_adapter("InputItem"),)
        return [_typed(adapters, item) for item in self._expand(self._record.input_items)]

    async def get_input_text(self) -> str:
        """All text of the request's user-side messages, one part per line."""
        return input_text(self._expand(self._record.input_items))

    def seal(self, items: list[Any]) -> dict[str, Any]:
        """A ``compaction`` item holding ``items`` (dicts or models), opaque to clients: emit it as an
        output item when the handler compacts its own context (``context_management``). Sent back
        in ``input``, it reads as ``items`` again (``get_input_items()``, ``get_history()``)."""
        if self._seal_items is None:
            raise RuntimeError("this context cannot seal items (it was made without the server's key)")
        return self._seal_items(items)

    async def get_history(self) -> list[Any]:
        """Items of the ``previous_response_id`` chain or of the conversation, oldest first."""
        if self._history is None:
            raw = self._expand(await self._load_history(self._history_limit)) if self._history_limit else []
            # History holds both output items (resources) and earlier requests' input items.
            adapters = (_adapter("ItemResource"), _adapter("InputItem"))
            self._history = [_typed(adapters, item) for item in raw]
        return list(self._history)
