"""Leases: a running response is claimed by the replica that runs it, and ended by another if it dies.

The replica that runs a response renews its lease every ``lease_seconds / 3``; every replica scans,
every ``lease_seconds / 4`` or so, for leases that expired: their response fails as lost
(``server_error``, ``FAILURE_MESSAGES["lost"]``), or, if it had finished, gets its terminal event, and
its log is closed with that event, which wakes every tailing reader.

A resilient background response (its record has ``res``) left unfinished is not failed when the store
is ``resilient`` and has an ``on_recoverable``: it is reported there, and the host re-enters it
(``RedisRecordStore.claim_recovery``: a new lease, the next attempt). A run that leaves its response
for recovery (``leave``) makes its lease expire at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable

from responsekit._logs import about
from responsekit.store.protocols import StoreUnavailable
from responsekit.store.redis import scripts
from responsekit.store.redis.batcher import Batcher
from responsekit.store.redis.records import record_from
from responsekit.store.redis.wire import Keys, ms, pairs
from responsekit.streaming.events import encode_json, sse_frame
from responsekit.streaming.terminal import TERMINAL_EVENT_TYPE_BY_STATUS, runtime_terminal_snapshot

logger = logging.getLogger("responsekit")


class Leases:
    """The leases of one store: those of the responses this process runs (``hold``), their renewal,
    and the reaping of expired ones (any replica's).

    ``detach(response_id)`` ends the local copy of a response's log (its readers continue from
    Redis); ``writing(response_id)`` says whether this process still writes that log (no closing
    append sent yet).
    """

    def __init__(
        self,
        io: Batcher,
        keys: Keys,
        *,
        lease_seconds: float,
        record_ttl_ms: int,
        log_ttl_ms: int,
        conversation_retention_ms: int,
        detach: Callable[[str], None],
        writing: Callable[[str], bool],
        recovery: Callable[[], Callable[[str], None] | None] = lambda: None,
    ) -> None:
        self._io = io
        self._keys = keys
        self._record_ttl_ms = record_ttl_ms
        self._log_ttl_ms = log_ttl_ms
        self._detach = detach
        self._writing = writing
        #: Where unfinished resilient responses found expired go (the store's ``on_recoverable`` when
        #: it is ``resilient``), or None: they fail as lost, as any other.
        self._recovery = recovery
        self.lease_seconds = lease_seconds
        #: The lease a creation or a renewal takes, in ms (Redis's clock).
        self.lease_ms = ms(lease_seconds)
        #: The least TTL of the keys of a conversation one of whose responses runs: the conversation
        #: lives its retention after its last response ends, and a lost one's reaping takes up to two
        #: leases.
        self.conversation_ttl_ms = conversation_retention_ms + 2 * self.lease_ms
        self._held: set[str] = set()
        self._on_lost: dict[str, Callable[[], None]] = {}
        self._tasks: list[asyncio.Task] = []

    def hold(self, response_id: str, on_lost: Callable[[], None] | None = None) -> Callable[[], None]:
        """This process runs ``response_id``: renew its lease until the returned release is called.

        Release only stops the renewals: the lease itself goes when the log is closed (the
        terminal event stored), so a run that ended without that (Redis was down, or this process
        died) is ended by a reaper once the lease expires.

        ``on_lost`` is called (once) if the lease turns out to be taken over: a reaper declared this
        run lost and stored its terminal event (the renewal found the lease gone, or Redis refused
        an append). The run must stop and write nothing more; its local readers already continue
        from Redis, so they end with the reaper's terminal event, as a replay does.
        """
        self._held.add(response_id)
        if on_lost is not None:
            self._on_lost[response_id] = on_lost

        def release() -> None:
            self._held.discard(response_id)
            self._on_lost.pop(response_id, None)
            self._io.broken.pop(response_id, None)
            self._detach(response_id)

        return release

    def lose(self, response_id: str) -> None:
        """A reaper ended ``response_id`` while it ran here: detach its local readers (they read the
        rest, the reaper's terminal event, from Redis) and stop the run."""
        if response_id not in self._held:
            return
        logger.warning(
            "response %s: its lease was taken over (a reaper ended it); this replica stops writing it",
            response_id,
            extra=about(response_id),
        )
        self._detach(response_id)
        callback = self._on_lost.pop(response_id, None)
        if callback is not None:
            try:
                callback()
            except Exception:
                logger.exception(
                    "response %s: the lost callback failed", response_id, extra=about(response_id)
                )

    async def renew(self) -> None:
        """Renew the leases of the responses this process runs (and keep their conversations); a
        lease found gone that this process did not end was taken over: its run is told it is lost."""
        held = list(self._held)
        keys = self._keys
        for start in range(0, len(held), 500):
            gone = await self._io.call(
                (
                    "EVALSHA",
                    scripts.RENEW,
                    1,
                    keys.leases,
                    self.lease_ms,
                    self.conversation_ttl_ms,
                    keys.record(""),
                    *keys.conversation_prefixes,
                    *held[start : start + 500],
                )
            )
            for raw in gone:
                rid = raw.decode()
                # Its log still open here (no closing append sent): someone else ended it.
                if rid in self._held and self._writing(rid):
                    self.lose(rid)

    async def leave(self, response_id: str) -> None:
        """The run of ``response_id`` here stops without ending it, to be re-entered: no more
        renewals, its local readers continue from Redis, and its lease expires now (behind the run's
        queued writes: the command queue keeps their order), so the next scan of any replica reports
        it for recovery. Its log stays open."""
        self._held.discard(response_id)
        self._on_lost.pop(response_id, None)
        self._detach(response_id)
        await self._io.call(("ZADD", self._keys.leases, "XX", 0, response_id))

    async def reap_expired(self, limit: int = 100) -> list[str]:
        """End the responses whose lease expired: their replica is gone. Unfinished ones fail as lost
        (their ids are returned); finished ones whose terminal event was never stored get it now.
        Unfinished resilient ones, when the store recovers them, are reported to its
        ``on_recoverable`` instead (each scan that finds them expired reports them again, until one
        replica's claim takes a new lease)."""
        keys, io = self._keys, self._io
        expired = await io.call(("EVALSHA", scripts.EXPIRED, 1, keys.leases, limit))
        reaped: list[str] = []
        for raw in expired:
            rid = raw.decode()
            if rid in self._held:  # running here: this process is alive, renew instead
                continue
            for _attempt in range(3):  # "moved": the log grew meanwhile; look again
                record_reply, top = await asyncio.gather(
                    io.call(("HGETALL", keys.record(rid))),
                    io.call(("XREVRANGE", keys.log(rid), "+", "-", "COUNT", 1)),
                )
                record = record_from(rid, record_reply)
                if (
                    record is not None
                    and not record.finished
                    and record.resumable is not None
                    and top
                    and all(name != b"c" for name, _ in pairs(top[0][1]))  # its log is open
                ):
                    on_recoverable = self._recovery()
                    if on_recoverable is not None:
                        self._report(on_recoverable, rid)
                        break
                top_id = top[0][0] if top else b""
                seq = int(top_id.split(b"-")[0]) if top else 0
                if record is not None and record.finished:
                    # it ended, but its replica died before storing the terminal event: store it
                    snapshot = record.snapshot
                    event_type = TERMINAL_EVENT_TYPE_BY_STATUS.get(snapshot.get("status"), "response.failed")
                else:
                    # the same "worker lost" snapshot a run that learns it lost its lease reports
                    snapshot = runtime_terminal_snapshot(
                        record.snapshot if record is not None else {"id": rid}, "lost"
                    )
                    event_type = "response.failed"
                payload = {"type": event_type, "response": snapshot, "sequence_number": seq}
                outcome = await io.call(
                    (
                        "EVALSHA",
                        scripts.REAP,
                        3,
                        keys.record(rid),
                        keys.leases,
                        keys.log(rid),
                        rid,
                        top_id,
                        encode_json(snapshot),
                        self._record_ttl_ms,
                        self._log_ttl_ms,
                        seq,
                        sse_frame(event_type, encode_json(payload)),
                        "1" if record is not None and record.finished else "0",
                    )
                )
                if outcome == b"reaped":
                    logger.warning(
                        "response %s: its worker was lost (lease expired); marked failed",
                        rid,
                        extra=about(rid),
                    )
                    reaped.append(rid)
                if outcome != b"moved":
                    break
        return reaped

    @staticmethod
    def _report(on_recoverable: Callable[[str], None], response_id: str) -> None:
        logger.info(
            "response %s: its run stopped (lease expired); reported for recovery",
            response_id,
            extra=about(response_id),
        )
        try:
            on_recoverable(response_id)
        except Exception:
            logger.exception("response %s: on_recoverable failed", response_id, extra=about(response_id))

    def start(self) -> None:
        """Start renewing this process's leases and scanning for expired ones."""
        if not self._tasks:
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._renew_loop()), loop.create_task(self._reap_loop())]

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _renew_loop(self) -> None:
        interval = self.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self.renew()
            except StoreUnavailable as exc:
                logger.warning("Redis store: could not renew %d leases: %s", len(self._held), exc)

    async def _reap_loop(self) -> None:
        interval = min(max(self.lease_seconds / 4, 0.05), 5.0)
        while True:
            await asyncio.sleep(interval * random.uniform(0.75, 1.25))  # replicas spread their scans
            try:
                await self.reap_expired()
            except StoreUnavailable as exc:
                logger.debug("Redis store: lease scan skipped: %s", exc)
            except Exception:
                logger.exception("Redis store: lease scan failed")
