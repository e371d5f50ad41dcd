"""What the parts of the Redis store share: key names, commands in RESP, replies read back, failures."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from redis.exceptions import RedisError

from responsekit.store.protocols import StoreUnavailable
from responsekit.store.redis.scripts import Script
from responsekit.streaming.events import encode_json

#: What makes an operation fail with StoreUnavailable (anything from the connection or the server).
FAILURES = (RedisError, OSError, asyncio.TimeoutError)

#: The largest entry number Redis takes (stream ids are unsigned 64-bit): cursors are capped at it.
MAX_ENTRY = 2**64 - 1


class Keys:
    """The names of one store's keys, all under its prefix (see the package's docstring)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.leases = f"{prefix}leases"
        self.cancel = f"{prefix}cancel"
        #: The prefixes of a conversation's keys (its object, its item order, its items), each
        #: followed by the conversation's scope (``conversation_scope``).
        self.conversation_prefixes = (f"{prefix}cv:", f"{prefix}co:", f"{prefix}ci:")

    def record(self, response_id: str) -> str:
        return f"{self.prefix}r:{response_id}"

    def log(self, response_id: str) -> str:
        return f"{self.prefix}l:{response_id}"

    def conversation(self, owner: str | None, chat_key: str | None, conversation_id: str) -> list[str]:
        """A conversation's keys: its object (hash), its item ids by position (sorted set), its items
        (hash of id -> JSON)."""
        scope = conversation_scope(owner, chat_key, conversation_id)
        return [kind + scope for kind in self.conversation_prefixes]

    def wake(self, token: str) -> str:
        return f"{self.prefix}w:{token}"


def conversation_scope(owner: str | None, chat_key: str | None, conversation_id: str) -> str:
    """The suffix of a conversation's keys: a digest of (owner, chat key, conversation id), so each
    isolation scope has its own (a conversation id named under another user key is another one)."""
    scope = json.dumps([owner, chat_key, conversation_id]).encode()  # unambiguous, None included
    return hashlib.sha256(scope).hexdigest()[:32]


def unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"Redis: {type(exc).__name__}: {exc}")


def ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def pack(commands: list[list]) -> bytes:
    """Commands in RESP, in one buffer. Arguments are bytes, str, int, a ``Script`` (sent as its
    SHA1, for ``EVALSHA``), or a dict sent as JSON (a snapshot is encoded when its batch goes out, so
    one superseded before that costs nothing)."""
    out: list[bytes] = []
    add = out.append
    for args in commands:
        add(b"*%d\r\n" % len(args))
        for arg in args:
            if not isinstance(arg, bytes):
                if isinstance(arg, str):
                    arg = arg.encode()
                elif isinstance(arg, Script):
                    arg = arg.sha
                elif isinstance(arg, dict):
                    arg = encode_json(arg)
                else:
                    arg = str(arg).encode()
            add(b"$%d\r\n" % len(arg))
            add(arg)
            add(b"\r\n")
    return b"".join(out)


def pairs(reply: Any) -> list[tuple[Any, Any]]:
    """A flat [k, v, k, v] reply (RESP2) or a map (RESP3) as pairs."""
    if isinstance(reply, dict):
        return list(reply.items())
    return [(reply[i], reply[i + 1]) for i in range(0, len(reply), 2)]


def streams_of(reply: Any) -> list[tuple[bytes, list]]:
    """(key, entries) of each stream in an XREAD reply (RESP2 list or RESP3 map)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return list(reply.items())
    return [(key, entries) for key, entries in reply]


def entry_id(value: bytes | str) -> tuple[int, int]:
    """A stream entry id (``b"12-0"``) as a comparable pair."""
    if isinstance(value, str):
        value = value.encode()
    ms_part, _, seq = value.partition(b"-")
    return int(ms_part), int(seq or 0)


def entry_bytes(entry: Any) -> int:
    """The bytes of a stream entry's field values (RESP2 list or RESP3 map)."""
    fields = entry[1]
    if isinstance(fields, dict):
        return sum(map(len, fields.values()))
    return sum(map(len, fields[1::2]))


def consume(future: asyncio.Future) -> None:
    """A done callback that retrieves a fire-and-forget future's exception (nobody awaits it)."""
    if not future.cancelled():
        future.exception()
