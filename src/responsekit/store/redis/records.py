"""Response records on Redis: one hash each; ``finish`` is the terminal compare-and-set (a script)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic_core import from_json

from responsekit.store.protocols import TERMINAL_STATUSES, ResponseRecord
from responsekit.store.redis import scripts
from responsekit.store.redis.batcher import Batcher
from responsekit.store.redis.wire import Keys, conversation_scope, pairs
from responsekit.streaming.events import encode_json

if TYPE_CHECKING:
    from responsekit.store.redis.leases import Leases


def record_from(response_id: str, reply: Any) -> ResponseRecord | None:
    """The record in an HGETALL reply of its hash (None if there is none)."""
    fields = {k: v for k, v in pairs(reply)}
    if not fields:
        return None
    meta = from_json(fields[b"meta"])
    return ResponseRecord(
        response_id=response_id,
        snapshot=from_json(fields[b"snap"]),
        input_items=from_json(fields[b"in"]),
        owner=meta.get("owner"),
        chat_key=meta.get("chat_key"),
        background=meta.get("background", False),
        stream=meta.get("stream", False),
        previous_response_id=meta.get("previous_response_id"),
        conversation_id=meta.get("conversation_id"),
        created_at=meta.get("created_at", 0.0),
        finished=fields.get(b"fin") == b"1",
    )


class RedisRecordStore:
    """Records as hashes; ``finish`` is a compare-and-set in Lua. Creating a record takes its lease: a
    record is created by the replica that runs it (``create(record, open_log=True)`` opens its event
    log in the same round trip)."""

    def __init__(
        self, io: Batcher, keys: Keys, leases: Leases, *, record_ttl_ms: int, log_ttl_ms: int
    ) -> None:
        self._io = io
        self._keys = keys
        self._leases = leases
        self._record_ttl_ms = record_ttl_ms
        self._log_ttl_ms = log_ttl_ms

    async def create(self, record: ResponseRecord, *, open_log: bool = False) -> None:
        keys, rid, leases = self._keys, record.response_id, self._leases
        meta = {
            "owner": record.owner,
            "chat_key": record.chat_key,
            "background": record.background,
            "stream": record.stream,
            "previous_response_id": record.previous_response_id,
            "conversation_id": record.conversation_id,
            "created_at": record.created_at,
        }
        scope, conversation = "", []
        if record.conversation_id:
            # its lease keeps the conversation's keys alive while it runs (see ``Leases.renew``)
            scope = conversation_scope(record.owner, record.chat_key, record.conversation_id)
            conversation = keys.conversation(record.owner, record.chat_key, record.conversation_id)
        await self._io.call(
            (
                "EVALSHA",
                scripts.CREATE,
                3 + len(conversation),
                keys.record(rid),
                keys.log(rid),
                keys.leases,
                *conversation,
                rid,
                encode_json(record.snapshot),
                encode_json(record.input_items),
                encode_json(meta),
                scope,
                leases.conversation_ttl_ms,
                leases.lease_ms,
                "1" if open_log else "0",
            ),
            rid,
        )

    async def get(self, response_id: str) -> ResponseRecord | None:
        reply = await self._io.call(("HGETALL", self._keys.record(response_id)))
        return record_from(response_id, reply)

    async def save_snapshot(self, response_id: str, snapshot: dict[str, Any]) -> None:
        io = self._io
        io.check(response_id)
        args = ["EVALSHA", scripts.SAVE, 1, self._keys.record(response_id), snapshot]  # encoded when sent
        pending = io.snapshots.get(response_id)
        if pending is not None and pending.args is not None:
            pending.args = args  # not sent yet: the newer snapshot replaces it
        else:
            io.snapshots[response_id] = io.post(args, response_id)

    async def finish(self, response_id: str, snapshot: dict[str, Any]) -> bool:
        if snapshot.get("status") not in TERMINAL_STATUSES:
            raise ValueError(f"finish() needs a terminal snapshot, got status {snapshot.get('status')!r}")
        io = self._io
        io.check(response_id)
        pending = io.snapshots.pop(response_id, None)
        if pending is not None:
            pending.args = None  # superseded by the terminal snapshot
        won = await io.call(
            (
                "EVALSHA",
                scripts.FINISH,
                3,
                self._keys.record(response_id),
                self._keys.leases,
                self._keys.log(response_id),
                response_id,
                "",
                encode_json(snapshot),
                self._record_ttl_ms,
                self._log_ttl_ms,
            ),
            response_id,
        )
        return won == 1

    async def delete(self, response_id: str) -> bool:
        deleted = await self._io.call(
            (
                "EVALSHA",
                scripts.DELETE,
                2,
                self._keys.record(response_id),
                self._keys.leases,
                response_id,
            )
        )
        return deleted == 1

    async def history(self, record: ResponseRecord, limit: int) -> list[dict[str, Any]]:
        """The items of the ``previous_response_id`` chain, oldest first. A conversation's history is
        its items (``RedisConversationStore.recent_items``), not kept here."""
        if limit <= 0:
            return []
        chunks: list[list[dict[str, Any]]] = []
        count = 0
        seen: set[str] = set()
        previous = record.previous_response_id
        while previous and previous not in seen and count < limit:
            seen.add(previous)
            items, snap, meta = await self._io.call(
                ("HMGET", self._keys.record(previous), "in", "snap", "meta")
            )
            if items is None:
                break
            chunk = [*from_json(items), *from_json(snap).get("output", [])]
            chunks.append(chunk)
            count += len(chunk)
            previous = from_json(meta).get("previous_response_id")
        items_out = [item for chunk in reversed(chunks) for item in chunk]
        return items_out[-limit:]

    def hold(self, response_id: str, on_lost: Callable[[], None] | None = None) -> Callable[[], None]:
        """This process runs ``response_id``: renew its lease until the returned release is called
        (see ``Leases.hold``)."""
        return self._leases.hold(response_id, on_lost)
