"""The Redis store: many replicas behind one load balancer share records, event logs, cancels and
conversations.

Select it with ``ResponsesServerOptions(store_url="redis://host:port/db")`` or
``RESPONSEKIT_STORE=redis://host:port/db`` (``?key_prefix=myapp:`` namespaces the keys; default
``responsekit:``). Needs ``pip install 'responsekit[redis]'``; standalone Redis (not Cluster).

Keys, all under the prefix ``P``:

- ``P r:<id>``  hash: ``snap`` (the response JSON), ``in`` (input items JSON), ``meta`` (owner,
  flags, links as JSON), ``fin`` ("1" once the terminal compare-and-set ran), ``conv`` (the scope
  of its conversation, if it has one). TTL: the response retention, counted from the terminal state
  (none while running: the lease bounds it).
- ``P l:<id>``  stream, the event log. Entry ``0-1`` opens it; entry ``N-0`` holds frames whose
  sequence numbers run up to ``N-1``, as fields ``<seq> -> <frame bytes>`` (several frames per
  entry when a batch was written at once); a field ``c`` marks the log closed. TTL: the event-log
  retention, from the terminal state. Readers replay from a cursor in pages of at most
  ``PAGE_BYTES`` (256 KiB) of frames, cut by a script inside Redis (an entry may hold megabytes; a
  frame larger than a page comes in pieces), then tail with XREAD BLOCK.
- ``P cv:<scope>``  hash, a conversation object: ``created_at``, ``meta`` (metadata JSON), ``next``
  (the position its next item takes). ``P co:<scope>``  sorted set: its item ids by position (the
  order they were added). ``P ci:<scope>``  hash: item id -> item JSON. The scope is a digest of
  (owner, chat key, conversation id): a conversation belongs to its isolation scope, so the same id
  named under another user key (or chat key, or none) is another conversation. TTL, the same for
  the three keys: the conversation retention from its last change, and while any of its responses
  runs at least that plus two leases (creating the response and renewing its lease extend it), so
  it stays the retention after its last response ends, even one a reaper ended. The ``P c:<scope>``
  lists of response ids that earlier versions kept per conversation are no longer read or written:
  they expire on their own (no migration).
- ``P leases``  sorted set: response id -> lease expiry (ms, Redis clock), from creation until
  the log is closed. The replica that runs a response renews its lease; when one expires, any
  replica's reaper fails the response as lost (or, if it had finished, stores its terminal event).

Resilient background responses (``resilient_background``): their hash also holds ``res`` (the
request, client headers and query parameters, JSON), ``att`` (recovery runs started) and, from the
first ``save_checkpoint``, ``ckpt`` (``{"response": snapshot, "internal_metadata": ...}``). When
such a response's lease expires unfinished, a ``resilient`` store's reaper reports it to
``on_recoverable`` instead of failing it; ``claim_recovery`` (one script: only one replica wins)
counts the attempt, takes a new lease and makes its process the writer of the log from the next
sequence number (its local copy starts there; readers from before read Redis). An append must
continue the log exactly (its first sequence number is the top entry's number), so a run that was
only slow and the one that re-entered it cannot both write: the first to store a sequence number
wins, the other's append is refused and it is told it lost (``hold(on_lost=...)``).
``leave_for_recovery`` stops the run here and sets its lease to 0, so the next scan re-enters it.
- ``P cancel``  pub/sub channel carrying response ids whose cancel was requested.
- ``P w:<token>``  a process's wake stream: an entry interrupts its tailing XREAD (a log to add).

A replica whose lease was taken over (its event loop blocked, or Redis out of its reach, for longer
than the lease, so a reaper failed the response as lost) learns it when Redis refuses its next
append or its next renewal finds the lease gone: its handler is stopped (``hold(on_lost=...)``),
nothing more is written, and its local readers continue from Redis, ending with the reaper's
terminal event exactly as a replay does.

Every multi-step change is one Lua script, so it is atomic: the terminal compare-and-set (finish
or reap), appends (refused once the log is closed, idempotent by entry id), creation, and every
change of a conversation (items appended once by id, in one order for every replica). Scripts are
loaded once per connection and called by their SHA1 (``EVALSHA``; ``NOSCRIPT`` reloads them).

Cost: commands go through one ordered queue per process and are sent in batches, one round trip
per batch. Appends (but the closing one, so a run is over once its terminal event is stored) and
snapshot saves do not wait for Redis (a later ``finish`` or append of the same response raises
``StoreUnavailable`` if they failed), so a response pays about three round trips whatever its
length. Readers in the process that runs the response read a local copy of its
log (a frame joins it once Redis accepted it); readers elsewhere read Redis.

Connections: a store opens at most three: the command queue, the cancel subscription, and one
shared by all its tailing readers (``TAIL_CONNECTIONS``): one task XREAD-BLOCKs on every tailed
log at once and hands the entries to their readers, so 1,000 readers cost one connection.

The parts, each given what it needs when the store builds it:

- ``scripts``: the Lua sources, each loaded once and called by SHA1.
- ``wire``: key names, commands packed as RESP, replies read back, what counts as a failure.
- ``batcher``: the ordered command queue (one connection, one round trip per batch).
- ``records``: ``RedisRecordStore``, the response hashes and the terminal compare-and-set.
- ``logs``: ``RedisEventLog``, appends, the local copy of logs run here, readers; ``pages`` reads a
  log in pages of bounded bytes; ``tailer`` is the one XREAD BLOCK every tailing reader shares.
- ``cancels``: ``RedisCancelSignals``, the pub/sub channel of cancel requests.
- ``conversations``: ``RedisConversationStore``, conversations and their items.
- ``leases``: holding, renewing and reaping leases (a lost worker's terminal state).
- this module: the tunable bounds below and ``RedisStore``, which ties the parts together. The
  bounds are read when a store is built (a test may patch them here before building one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

try:
    from redis.asyncio import ConnectionPool
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("the Redis store needs redis-py: pip install 'responsekit[redis]'") from exc

from responsekit.store.protocols import ResponseRecord, Store, StoreUnavailable
from responsekit.store.redis.batcher import Batcher
from responsekit.store.redis.cancels import RedisCancelSignals
from responsekit.store.redis.conversations import RedisConversationStore
from responsekit.store.redis.leases import Leases
from responsekit.store.redis.logs import RedisEventLog
from responsekit.store.redis.pages import PageReader
from responsekit.store.redis.records import RedisRecordStore
from responsekit.store.redis.tailer import Tailer
from responsekit.store.redis.wire import Keys, conversation_scope, ms

__all__ = [
    "RedisStore",
    "RedisRecordStore",
    "RedisEventLog",
    "RedisCancelSignals",
    "RedisConversationStore",
    "conversation_scope",
]

DEFAULT_PREFIX = "responsekit:"
#: Longest a tailing reader blocks in one XREAD before checking the log still exists.
BLOCK_MAX_SECONDS = 5.0
#: Entries per XREAD; frames per append script call (Lua's unpack limit is ~8000 values).
READ_COUNT = 512
APPEND_MAX_FRAMES = 1000
#: An append script call (one stream entry) takes no more frames once it holds this many bytes: a
#: page of a replay is cut from one entry, and Redis copies the whole entry into the page script
#: (a 10 MB entry costs Redis ~20 ms per page, serving nothing else meanwhile).
APPEND_MAX_BYTES = 256 * 1024
#: Most bytes of frames a reader holds at once (but one frame, however large): a replay, or a gap
#: behind the shared tail, is read in pages of at most this many bytes, cut inside Redis, since one
#: stream entry may carry a whole batch of appends (megabytes).
#: 256 KiB keeps 20 readers that never read a 10 MB replay under 40 MB (`make bench`); larger pages
#: replay logs of multi-megabyte entries faster.
PAGE_BYTES = 256 * 1024
#: Connections all the tailing readers of one store share (one XREAD BLOCK on every tailed log).
TAIL_CONNECTIONS = 1
#: Entries (and bytes of frames) of each tailed log kept for its readers; a reader further behind
#: reads the gap itself, in pages.
TAIL_BUFFER_ENTRIES = 1024
TAIL_BUFFER_BYTES = 8 * 1024 * 1024
#: Items a conversation's history read (``recent_items``) fetches per round trip.
CONVERSATION_PAGE_ITEMS = 100


class StoreOptions(Protocol):
    """What ``RedisStore.from_url`` reads of the server's options (``ResponsesServerOptions``)."""

    response_retention_seconds: float
    event_log_retention_seconds: float
    lease_seconds: float
    conversation_retention_seconds: float


class RedisStore(Store):
    """Records, event logs, cancels and conversations shared by every replica through one Redis.

    Each replica renews the leases of the responses it runs every ``lease_seconds / 3`` and reaps,
    every ``lease_seconds / 4`` or so, responses whose lease expired unfinished: they fail with
    ``server_error`` ("The worker running this response was lost.") and their log gets that
    terminal event, which wakes every tailing reader.
    """

    records: RedisRecordStore
    events: RedisEventLog
    cancels: RedisCancelSignals
    conversations: RedisConversationStore

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        key_prefix: str = DEFAULT_PREFIX,
        response_retention_seconds: float = 3600.0,
        event_log_retention_seconds: float = 3600.0,
        lease_seconds: float = 10.0,
        conversation_retention_seconds: float = 30 * 24 * 3600.0,
        socket_timeout: float = 2.0,
        connect_timeout: float = 1.0,
        client_name: str | None = "responsekit",
    ) -> None:
        common = {
            "retry": Retry(NoBackoff(), 0),
            "socket_connect_timeout": connect_timeout,
            "health_check_interval": 0,
        }
        if client_name:  # CLIENT LIST shows which connections are this store's
            common["client_name"] = client_name
        self._pool = ConnectionPool.from_url(url, socket_timeout=socket_timeout, **common)
        self._tail_pool = ConnectionPool.from_url(url, **common)
        tail_timeout = self._pool.connection_kwargs.get("socket_timeout") or socket_timeout
        self._tail_pool.connection_kwargs["socket_timeout"] = BLOCK_MAX_SECONDS + tail_timeout
        self._keys = keys = Keys(key_prefix)
        self._io = io = Batcher(self._pool)
        record_ttl_ms = ms(response_retention_seconds)
        log_ttl_ms = ms(event_log_retention_seconds)
        self.lease_seconds = lease_seconds
        self._tailer = Tailer(
            io,
            self._tail_pool,
            keys,
            block_seconds=BLOCK_MAX_SECONDS,
            read_count=READ_COUNT,
            page_bytes=PAGE_BYTES,
            buffer_entries=TAIL_BUFFER_ENTRIES,
            buffer_bytes=TAIL_BUFFER_BYTES,
        )
        events = RedisEventLog(
            io,
            keys,
            PageReader(io, page_bytes=PAGE_BYTES, read_count=READ_COUNT),
            self._tailer,
            log_ttl_ms=log_ttl_ms,
            append_max_frames=APPEND_MAX_FRAMES,
            append_max_bytes=APPEND_MAX_BYTES,
            block_seconds=BLOCK_MAX_SECONDS,
            on_refused=self._lose,
        )
        #: The leases of the responses this process runs, and the reaping of expired ones.
        self.leases = Leases(
            io,
            keys,
            lease_seconds=lease_seconds,
            record_ttl_ms=record_ttl_ms,
            log_ttl_ms=log_ttl_ms,
            conversation_retention_ms=ms(conversation_retention_seconds),
            detach=events.detach,
            writing=events.writing,
            recovery=self._recovery,
        )
        self._started = False
        super().__init__(
            records=RedisRecordStore(
                io,
                keys,
                self.leases,
                record_ttl_ms=record_ttl_ms,
                log_ttl_ms=log_ttl_ms,
                claimed=events.opened,
            ),
            events=events,
            cancels=RedisCancelSignals(io, self._pool, keys.cancel),
            name="redis",
            conversations=RedisConversationStore(
                io, keys, retention_ms=ms(conversation_retention_seconds), page_items=CONVERSATION_PAGE_ITEMS
            ),
        )

    @classmethod
    def from_url(cls, url: str, options: StoreOptions | None = None) -> RedisStore:
        """The store at ``url`` (``?key_prefix=...`` is ours; other query options go to redis-py)."""
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefix = next((v for k, v in query if k == "key_prefix"), DEFAULT_PREFIX)
        rest = urlencode([(k, v) for k, v in query if k != "key_prefix"])
        kwargs: dict[str, Any] = {"key_prefix": prefix}
        if options is not None:
            kwargs.update(
                response_retention_seconds=options.response_retention_seconds,
                event_log_retention_seconds=options.event_log_retention_seconds,
                lease_seconds=options.lease_seconds,
                conversation_retention_seconds=options.conversation_retention_seconds,
            )
        store = cls(urlunsplit(parts._replace(query=rest)), **kwargs)
        store.resilient = bool(getattr(options, "resilient_background", False))
        return store

    @property
    def key_prefix(self) -> str:
        return self._keys.prefix

    async def create_with_log(self, record: ResponseRecord) -> None:
        """The record, its lease and its empty event log, in one script (one round trip)."""
        await self.records.create(record, open_log=True)
        self.events.opened(record.response_id)

    async def healthy(self) -> bool:
        try:
            await asyncio.wait_for(self._io.call(("PING",)), timeout=2.0)
        except (StoreUnavailable, RedisError, OSError, asyncio.TimeoutError):
            return False
        return True

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.leases.start()
        await self.cancels.start(wait=2.0)

    async def close(self) -> None:
        self._started = False
        await self.leases.close()
        await self.cancels.close()
        await self._tailer.close()
        await self._io.drain(timeout=2.0)
        await self._io.close()
        await self._pool.disconnect()
        await self._tail_pool.disconnect()

    async def renew_leases(self) -> None:
        """Renew the leases of the responses this process runs (see ``Leases.renew``)."""
        await self.leases.renew()

    async def reap_expired(self, limit: int = 100) -> list[str]:
        """End the responses whose lease expired (see ``Leases.reap_expired``); the ids failed as lost."""
        return await self.leases.reap_expired(limit)

    def _recovery(self) -> Callable[[str], None] | None:
        """Where the reaper reports unfinished resilient responses whose run stopped: the host's
        ``on_recoverable`` when the store is ``resilient`` (both set before ``start``); None: they
        fail as lost."""
        return self.on_recoverable if self.resilient else None

    def _lose(self, response_id: str) -> None:
        """Redis refused an append of ``response_id``: a reaper ended it while it ran here."""
        self.leases.lose(response_id)
