"""Response records on Redis: one hash each; ``finish`` is the terminal compare-and-set (a script)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic_core import from_json

from responsekit._logs import about
from responsekit.store.protocols import (
    TERMINAL_STATUSES,
    RecoveryClaim,
    ResponseRecord,
    Resumable,
    StoreUnavailable,
)
from responsekit.store.redis import scripts
from responsekit.store.redis.batcher import Batcher
from responsekit.store.redis.wire import Keys, conversation_scope, pairs
from responsekit.store.resumable import decode as decode_resumable
from responsekit.store.resumable import encode_checkpoint, encode_created, encode_kept_checkpoint
from responsekit.streaming.events import encode_json

if TYPE_CHECKING:
    from responsekit.store.redis.leases import Leases

logger = logging.getLogger("responsekit")


def resumable_fields(resumable: Resumable) -> list[Any]:
    """A resilient response's fields of its hash, as name, value pairs: ``res`` (what it was
    created with, written once), ``att`` (the recovery runs started) and, once it has one, ``ckpt``
    (its last checkpoint and the handler's internal metadata then); see store/resumable.py."""
    out: list[Any] = ["res", encode_created(resumable), "att", resumable.attempts]
    checkpoint = encode_kept_checkpoint(resumable)
    if checkpoint is not None:
        out += ["ckpt", checkpoint]
    return out


def resumable_from(fields: dict[bytes, bytes]) -> Resumable | None:
    """The ``resumable`` of a record's hash fields (None for an ordinary response)."""
    created = fields.get(b"res")
    if created is None:
        return None
    return decode_resumable(created, fields.get(b"ckpt"), int(fields.get(b"att") or 0))


def record_from(response_id: str, reply: Any) -> ResponseRecord | None:
    """The record in an HGETALL reply of its hash (None if there is none)."""
    fields = {k: v for k, v in pairs(reply)}
    if not fields or b"meta" not in fields:
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
        resumable=resumable_from(fields),
    )


class RedisRecordStore:
    """Records as hashes; ``finish`` is a compare-and-set in Lua. Creating a record takes its lease: a
    record is created by the replica that runs it (``create(record, open_log=True)`` opens its event
    log in the same round trip).

    A resilient background response (``record.resumable``) keeps in its hash what re-entering it
    needs; ``claim_recovery`` makes this process the writer of its log (``claimed(response_id,
    next_sequence_number)`` starts the local copy there)."""

    durable = True

    def __init__(
        self,
        io: Batcher,
        keys: Keys,
        leases: Leases,
        *,
        record_ttl_ms: int,
        log_ttl_ms: int,
        claimed: Callable[[str, int], None] | None = None,
    ) -> None:
        self._io = io
        self._keys = keys
        self._leases = leases
        self._record_ttl_ms = record_ttl_ms
        self._log_ttl_ms = log_ttl_ms
        self._claimed = claimed

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
                *(resumable_fields(record.resumable) if record.resumable is not None else ()),
            ),
            rid,
        )

    async def get(self, response_id: str) -> ResponseRecord | None:
        reply = await self._io.call(("HGETALL", self._keys.record(response_id)))
        return record_from(response_id, reply)

    async def owner_of(self, response_id: str) -> tuple[bool, str | None]:
        meta = await self._io.call(("HGET", self._keys.record(response_id), "meta"))
        if meta is None:
            return False, None
        return True, from_json(meta).get("owner")

    async def save_snapshot(self, response_id: str, snapshot: dict[str, Any]) -> None:
        io = self._io
        io.check(response_id)
        args = ["EVALSHA", scripts.SAVE, 1, self._keys.record(response_id), snapshot]  # encoded when sent
        pending = io.snapshots.get(response_id)
        if pending is not None and pending.args is not None:
            pending.args = args  # not sent yet: the newer snapshot replaces it
        else:
            io.snapshots[response_id] = io.post(args, response_id)

    async def save_checkpoint(
        self, response_id: str, snapshot: dict[str, Any], internal_metadata: dict[str, Any]
    ) -> None:
        """Store the snapshot and the checkpoint a recovery re-enters from, and wait for Redis (see
        ``RecordStore.save_checkpoint``); ignored once the record is finished."""
        io = self._io
        io.check(response_id)
        pending = io.snapshots.pop(response_id, None)
        if pending is not None:
            pending.args = None  # not sent yet: the checkpoint's snapshot is newer
        data = encode_json(snapshot)  # once, for both fields
        await io.call(
            (
                "EVALSHA",
                scripts.CHECKPOINT,
                1,
                self._keys.record(response_id),
                data,
                encode_checkpoint(data, internal_metadata),
            ),
            response_id,
        )

    async def claim_recovery(self, response_id: str) -> RecoveryClaim | None:
        """Take over a resilient response whose lease expired unfinished, its log open: one script
        counts the attempt and takes a new lease (see ``RecordStore.claim_recovery``). Of replicas
        claiming it at once, exactly one gets it. This process then writes its log from the next
        sequence number on."""
        keys, io = self._keys, self._io
        reply = await io.call(
            (
                "EVALSHA",
                scripts.CLAIM,
                3,
                keys.record(response_id),
                keys.leases,
                keys.log(response_id),
                response_id,
                self._leases.lease_ms,
            ),
        )
        if not isinstance(reply, list):
            logger.debug(
                "response %s: not claimed for recovery (%s)", response_id, reply, extra=about(response_id)
            )
            return None
        _attempts, top_id, *fields = reply
        record = record_from(response_id, fields)
        if record is None or record.resumable is None:  # cannot be: the script checked both
            return None
        # Entry N-0 holds the frames up to N-1 (the open marker 0-1: none yet).
        next_sequence_number = int(top_id.split(b"-")[0])
        io.broken.pop(response_id, None)  # a failure of an earlier run here is not this run's
        if self._claimed is not None:
            self._claimed(response_id, next_sequence_number)
        logger.info(
            "response %s: claimed for recovery (attempt %d, its log continues at #%d)",
            response_id,
            record.resumable.attempts,
            next_sequence_number,
            extra=about(response_id),
        )
        return RecoveryClaim(record=record, next_sequence_number=next_sequence_number)

    async def leave_for_recovery(self, response_id: str) -> None:
        """Stop running ``response_id`` here without ending it: its lease expires now, so a replica's
        next scan re-enters it (see ``Leases.leave``)."""
        try:
            await self._leases.leave(response_id)
        except StoreUnavailable as exc:  # its lease, no longer renewed, expires on its own
            logger.warning(
                "response %s: could not hand it over for recovery at once: %s",
                response_id,
                exc,
                extra=about(response_id),
            )

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
