"""The Redis store: many replicas behind one load balancer share records, event logs and cancels.

Select it with ``ResponsesServerOptions(store_url="redis://host:port/db")`` or
``RESPONSEKIT_STORE=redis://host:port/db`` (``?key_prefix=myapp:`` namespaces the keys; default
``responsekit:``). Needs ``pip install 'responsekit[redis]'``; standalone Redis (not Cluster).

Keys, all under the prefix ``P``:

- ``P r:<id>``  hash: ``snap`` (the response JSON), ``in`` (input items JSON), ``meta`` (owner,
  flags, links as JSON), ``fin`` ("1" once the terminal compare-and-set ran), ``conv``. TTL: the
  response retention, counted from the terminal state (none while running: the lease bounds it).
- ``P l:<id>``  stream, the event log. Entry ``0-1`` opens it; entry ``N-0`` holds frames whose
  sequence numbers run up to ``N-1``, as fields ``<seq> -> <frame bytes>`` (several frames per
  entry when a batch was written at once); a field ``c`` marks the log closed. TTL: the event-log
  retention, from the terminal state. Readers replay from a cursor in pages of at most
  ``PAGE_BYTES`` (1 MiB) of frames, cut by a script inside Redis (an entry may hold megabytes; a
  frame larger than a page comes in pieces), then tail with XREAD BLOCK.
- ``P c:<scope>``  list of response ids of one conversation, oldest first (for history). The scope
  is a digest of (owner, chat key, conversation id): a conversation belongs to its isolation scope,
  so the same id named under another user key (or chat key, or none) is another conversation. TTL:
  kept at least the response retention plus two leases while any of its responses runs (creation
  and lease renewals extend it), and the response retention after its last response ends.
- ``P leases``  sorted set: response id -> lease expiry (ms, Redis clock), from creation until
  the log is closed. The replica that runs a response renews its lease; when one expires, any
  replica's reaper fails the response as lost (or, if it had finished, stores its terminal event).
- ``P cancel``  pub/sub channel carrying response ids whose cancel was requested.
- ``P w:<token>``  a process's wake stream: an entry interrupts its tailing XREAD (a log to add).

A replica whose lease was taken over (its event loop blocked, or Redis out of its reach, for longer
than the lease, so a reaper failed the response as lost) learns it when Redis refuses its next
append or its next renewal finds the lease gone: its handler is stopped (``hold(on_lost=...)``),
nothing more is written, and its local readers continue from Redis, ending with the reaper's
terminal event exactly as a replay does.

Every multi-step change is one Lua script, so it is atomic: the terminal compare-and-set (finish
or reap), appends (refused once the log is closed, idempotent by entry id), creation.

Cost: commands go through one ordered queue per process and are sent in batches, one round trip
per batch. Appends (but the closing one, so a run is over once its terminal event is stored) and
snapshot saves do not wait for Redis (a later ``finish`` or append of the same response raises
``StoreUnavailable`` if they failed), so a response pays about three round trips whatever its
length. Readers in the process that runs the response read a local copy of its
log (a frame joins it once Redis accepted it); readers elsewhere read Redis.

Connections: a store opens at most three: the command queue, the cancel subscription, and one
shared by all its tailing readers (``TAIL_CONNECTIONS``): one task XREAD-BLOCKs on every tailed
log at once and hands the entries to their readers, so 1,000 readers cost one connection.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import json
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic_core import from_json

try:
    from redis.asyncio import ConnectionPool, Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import RedisError, ResponseError
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("the Redis store needs redis-py: pip install 'responsekit[redis]'") from exc

from responsekit.store.frames import FrameBuffer
from responsekit.store.protocols import TERMINAL_STATUSES, LogEntry, ResponseRecord, Store, StoreUnavailable
from responsekit.streaming.events import encode_json, sse_frame

if TYPE_CHECKING:
    from responsekit.server.options import ResponsesServerOptions

logger = logging.getLogger("responsekit")

__all__ = ["RedisStore", "RedisRecordStore", "RedisEventLog", "RedisCancelSignals"]

DEFAULT_PREFIX = "responsekit:"
#: Longest a tailing reader blocks in one XREAD before checking the log still exists.
BLOCK_MAX_SECONDS = 5.0
#: Entries per XREAD; frames per append script call (Lua's unpack limit is ~8000 values).
READ_COUNT = 512
APPEND_MAX_FRAMES = 1000
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

# -- Lua: each script is one atomic step ------------------------------------------------------------
# A response's lease lasts from its creation until its log is closed (the terminal event stored),
# not just until its terminal state: a replica that dies between the two is reaped too, and the
# reaper closes the log with the stored terminal state. A running response never expires: its
# lease bounds it. Its record's retention counts from the end, its log's from its terminal state.
_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "

# A conversation's list lives while any of its responses runs (creation and every lease renewal
# keep its TTL at least the running TTL) and for the retention after its last one ends (_END).
# KEYS: record, log, leases, conversation | ARGV: id, snap, in, meta, conversation scope (the
# conversation key's suffix; '' for none), running conversation TTL, lease_ms
_CREATE = (
    _NOW
    + """
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'snap', ARGV[2], 'in', ARGV[3], 'meta', ARGV[4], 'fin', '0')
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'conv', ARGV[5])
  redis.call('RPUSH', KEYS[4], ARGV[1])
  if redis.call('PTTL', KEYS[4]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[4], ARGV[6]) end
end
redis.call('DEL', KEYS[2])
redis.call('XADD', KEYS[2], '0-1', 'o', '1')
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[7]), ARGV[1])
return 1
"""
)

# KEYS: log
_OPEN = """
redis.call('DEL', KEYS[1])
redis.call('XADD', KEYS[1], '0-1', 'o', '1')
return 1
"""

# KEYS: log, leases | ARGV: entry number (last seq + 1), log_ttl, close, id, seq1, frame1, seq2, ...
# 1 appended; 0 refused (closed, or already there); -1 no such log.
_APPEND = """
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #top == 0 then return -1 end
local fields = top[1][2]
for i = 1, #fields, 2 do
  if fields[i] == 'c' then return 0 end
end
if tonumber(ARGV[1]) <= tonumber(string.match(top[1][1], '^%d+')) then return 0 end
local args = {ARGV[1] .. '-0'}
for i = 5, #ARGV do args[#args + 1] = ARGV[i] end
if ARGV[3] == '1' then
  args[#args + 1] = 'c'
  args[#args + 1] = '1'
end
redis.call('XADD', KEYS[1], unpack(args))
if ARGV[3] == '1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[4])
end
return 1
"""

# KEYS: record | ARGV: snap
_SAVE = """
if redis.call('HGET', KEYS[1], 'fin') == '0' then
  redis.call('HSET', KEYS[1], 'snap', ARGV[1])
  return 1
end
return 0
"""

# Store the terminal snapshot; start the record's retention (and its conversation's, if shorter)
# and the log's (so a log whose terminal event never comes still expires).
# KEYS: record, leases, log | ARGV: id, (caller's), snap, rec_ttl, conversation key prefix, log_ttl
_END = """
local function finish_record()
  redis.call('HSET', KEYS[1], 'snap', ARGV[3], 'fin', '1')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  local conv = redis.call('HGET', KEYS[1], 'conv')
  if conv and redis.call('PTTL', ARGV[5] .. conv) < tonumber(ARGV[4]) then
    redis.call('PEXPIRE', ARGV[5] .. conv, ARGV[4])
  end
  if redis.call('PTTL', KEYS[3]) == -1 then redis.call('PEXPIRE', KEYS[3], ARGV[6]) end
end
"""

# The terminal compare-and-set: 1 if this call stored the terminal state, 0 if it was there already.
_FINISH = (
    _END
    + """
if redis.call('HGET', KEYS[1], 'fin') ~= '0' then return 0 end
finish_record()
return 1
"""
)

# KEYS: record, leases | ARGV: id, conversation key prefix
_DELETE = """
local conv = redis.call('HGET', KEYS[1], 'conv')
if conv then redis.call('LREM', ARGV[2] .. conv, 0, ARGV[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
"""

# Renew the leases still present (a reaped one stays reaped) and keep their conversations alive.
# KEYS: leases | ARGV: lease_ms, running conversation TTL, record key prefix, conversation key
# prefix, id1, id2, ... Returns the ids whose lease is gone (closed, or reaped by a replica).
_RENEW = (
    _NOW
    + """
local expiry = now + tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
local gone = {}
for i = 5, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], expiry, ARGV[i])
    local conv = redis.call('HGET', ARGV[3] .. ARGV[i], 'conv')
    if conv and redis.call('PTTL', ARGV[4] .. conv) < keep then redis.call('PEXPIRE', ARGV[4] .. conv, keep) end
  else
    gone[#gone + 1] = ARGV[i]
  end
end
return gone
"""
)

# KEYS: leases | ARGV: limit
_EXPIRED = _NOW + "return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))"

# End a response whose lease expired: if it is not finished, its worker was lost: store the failed
# snapshot (the same compare-and-set as finish); then close its log with the terminal event.
# KEYS: record, leases, log | ARGV: id, expected top entry id, snap (failed, or the stored terminal
# one), rec_ttl, conversation key prefix, log_ttl, seq, frame, expected fin
# 'reaped' (failed as lost), 'closed' (finished; its log is closed now), or why nothing was done.
_REAP = (
    _NOW
    + _END
    + """
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score then return 'gone' end
if tonumber(score) > now then return 'renewed' end
local fin = redis.call('HGET', KEYS[1], 'fin')
if not fin then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 'gone'
end
local top = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
local top_id = ''
local closed = false
if #top > 0 then
  top_id = top[1][1]
  local fields = top[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'c' then closed = true end
  end
end
if top_id ~= ARGV[2] or fin ~= ARGV[9] then return 'moved' end
if fin == '0' then finish_record() end
redis.call('ZREM', KEYS[2], ARGV[1])
if top_id ~= '' and not closed then
  redis.call('XADD', KEYS[3], (tonumber(ARGV[7]) + 1) .. '-0', ARGV[7], ARGV[8], 'c', '1')
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
end
if fin == '0' then return 'reaped' end
return 'closed'
"""
)

# Interrupt this process's tailing XREAD (it reads its wake stream too): a log was added to it.
# KEYS: wake stream | ARGV: ttl_ms
_WAKE = """
redis.call('XADD', KEYS[1], 'MAXLEN', '1', '*', 'w', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""

# One page of a replay: the frames numbered above ARGV[2] in the entries after ARGV[1], at most
# ARGV[4] bytes of them from at most ARGV[5] entries. Cut here, in Redis: an XREAD returns whole
# entries, and one entry may hold a whole batch of appends. The entries are fetched a few at a time
# (as many as the rest of the budget seems to take), not the whole log. A page holds whole frames,
# but for a frame larger than the budget: it comes alone, in pieces of the budget, one a page
# (ARGV[3]: the bytes of the next frame the pages before sent already).
# KEYS: log | ARGV: cursor (an entry id, exclusive), after, offset, byte budget, most entries
# Returns {cursor, more, closed, seen, last, top, top closed, offset, frame, ...}: ``cursor`` the
# last entry read whole (a page that ends inside an entry leaves the cursor before it: the next page
# reads that entry again and skips its frames by number); ``more`` 1 if the page stopped at a bound
# (the next one can be read at once); ``closed`` 1 if it read the closing field (the last of the
# log); ``seen`` how many entries it looked at; ``last`` the number of its last whole frame;
# ``offset`` the bytes of the next frame sent (its last item is a piece of that frame). If there
# was no entry after the cursor: ``top`` the id of the log's last entry ('' if there is no log) and
# ``top closed`` 1 if that entry closes it (an XREVRANGE from the caller would fetch its frames).
_PAGE = """
local cursor = ARGV[1]
local after = tonumber(ARGV[2])
local offset = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local left = tonumber(ARGV[5])
local out = {cursor, 0, 0, 0, '', '', 0, 0}
local size = 0
local count = 1
while left > 0 do
  local reply = redis.call('XREAD', 'COUNT', count, 'STREAMS', KEYS[1], cursor)
  if not reply then
    if out[4] == 0 then
      local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
      if #top > 0 then
        out[6] = top[1][1]
        local fields = top[1][2]
        if fields[#fields - 1] == 'c' then out[7] = 1 end
      end
    end
    return out
  end
  local entries = reply[1][2]
  local loaded = 0
  for _, entry in ipairs(entries) do
    out[4] = out[4] + 1
    local fields = entry[2]
    for i = 1, #fields, 2 do
      local name = fields[i]
      if name == 'c' then
        out[3] = 1
      elseif name ~= 'o' then
        local frame = fields[i + 1]
        loaded = loaded + #frame
        local seq = tonumber(name)
        if seq > after then
          local length = #frame - offset
          if size > 0 and size + length > budget then
            out[2] = 1
            return out
          end
          if length > budget then
            out[#out + 1] = string.sub(frame, offset + 1, offset + budget)
            out[8] = offset + budget
            out[2] = 1
            return out
          end
          if offset > 0 then frame = string.sub(frame, offset + 1) end
          out[#out + 1] = frame
          offset = 0
          size = size + length
          after = seq
          out[5] = name
        end
      end
    end
    cursor = entry[1]
    out[1] = cursor
    left = left - 1
  end
  if #entries < count or out[3] == 1 then return out end
  if size >= budget then break end
  count = math.floor((budget - size) * #entries / math.max(loaded, 1))
  count = math.max(1, math.min(count, 64, left))
end
out[2] = 1
return out
"""

# Sent as bytes: no per-call encoding (the body is short; Redis caches it by its SHA1).
_CREATE, _OPEN, _APPEND, _SAVE, _FINISH, _DELETE, _RENEW, _EXPIRED, _REAP, _WAKE, _PAGE = (
    script.encode()
    for script in (_CREATE, _OPEN, _APPEND, _SAVE, _FINISH, _DELETE, _RENEW, _EXPIRED, _REAP, _WAKE, _PAGE)
)

# What makes an operation fail with StoreUnavailable (anything from the connection or the server).
_FAILURES = (RedisError, OSError, asyncio.TimeoutError)


#: The terminal event of a response that ended with each status (cancelled: response.failed).
_TERMINAL_EVENT_TYPES = {
    "completed": "response.completed",
    "incomplete": "response.incomplete",
    "failed": "response.failed",
    "cancelled": "response.failed",
}


def _unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"Redis: {type(exc).__name__}: {exc}")


def _pairs(reply: Any) -> list[tuple[Any, Any]]:
    """A flat [k, v, k, v] reply (RESP2) or a map (RESP3) as pairs."""
    if isinstance(reply, dict):
        return list(reply.items())
    return [(reply[i], reply[i + 1]) for i in range(0, len(reply), 2)]


async def _nothing() -> AsyncIterator[list[bytes]]:
    return
    yield


def _pack(commands: list[list]) -> bytes:
    """Commands in RESP, in one buffer. Arguments are bytes, str, int, or a dict sent as JSON (a
    snapshot is encoded when its batch goes out, so one superseded before that costs nothing)."""
    out: list[bytes] = []
    add = out.append
    for args in commands:
        add(b"*%d\r\n" % len(args))
        for arg in args:
            if not isinstance(arg, bytes):
                if isinstance(arg, str):
                    arg = arg.encode()
                elif isinstance(arg, dict):
                    arg = encode_json(arg)
                else:
                    arg = str(arg).encode()
            add(b"$%d\r\n" % len(arg))
            add(arg)
            add(b"\r\n")
    return b"".join(out)


def _is_terminal(snapshot: Any) -> bool:
    return isinstance(snapshot, dict) and snapshot.get("status") in TERMINAL_STATUSES


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


# -- the ordered, batched command queue -------------------------------------------------------------
def _notify(op: _Op, outcome: Any) -> None:
    try:
        op.callback(op, outcome)
    except Exception:  # a bug here must not stop the queue
        logger.exception("Redis store: handling the reply of %s failed", op.args[0] if op.args else "?")


class _Op:
    __slots__ = ("args", "future", "response_id", "frames", "callback", "log", "settled")

    def __init__(self, args: list | None, future: asyncio.Future | None, response_id: str | None) -> None:
        self.args = args
        self.future = future
        self.response_id = response_id
        self.frames = 0
        #: Called with (op, reply or StoreUnavailable) once the op's outcome is known (appends).
        self.callback: Callable[[_Op, Any], None] | None = None
        self.log: _LocalLog | None = None
        self.settled: asyncio.Future | None = None  # resolved after the callback, whatever the outcome


class _Batcher:
    """Every command of this process, in order, on one connection, one batch per round trip.

    ``call`` returns a future of the reply; ``post`` is fire-and-forget (a failure marks the
    response broken, and its next ``check`` raises). While a batch is in flight new commands
    queue for the next one, so batches grow with load (group commit).
    """

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._conn: Any = None
        self._queue: list[_Op] = []
        self._task: asyncio.Task | None = None
        #: Unsent append / snapshot operations per response, which later ones may extend or replace.
        self.appends: dict[str, _Op] = {}
        self.snapshots: dict[str, _Op] = {}
        self.broken: dict[str, StoreUnavailable] = {}

    def call(self, args: Sequence[Any], response_id: str | None = None) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._queue.append(_Op(list(args), future, response_id))
        self._kick()
        return future

    def post(self, args: list, response_id: str) -> _Op:
        op = _Op(args, None, response_id)
        self._queue.append(op)
        self._kick()
        return op

    def check(self, response_id: str) -> None:
        error = self.broken.get(response_id)
        if error is not None:
            raise StoreUnavailable(str(error))

    def _kick(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def drain(self, timeout: float) -> None:
        task = self._task
        if task is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), timeout)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        error = StoreUnavailable("the Redis store is closed")
        for op in self._queue:
            self._fail(op, error)
        self._queue = []
        if self._conn is not None:
            await self._conn.disconnect()
            self._conn = None

    def _fail(self, op: _Op, error: StoreUnavailable) -> None:
        if op.callback is not None:
            _notify(op, error)
        if op.future is not None:
            if not op.future.done():
                op.future.set_exception(StoreUnavailable(str(error)))
        elif op.response_id is not None:
            if op.response_id not in self.broken:
                logger.warning(
                    "response %s: a write to Redis failed (%s); the response will fail", op.response_id, error
                )
            self.broken[op.response_id] = error

    async def _run(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                self.appends.clear()
                self.snapshots.clear()
                ops: list[_Op] = []
                for op in batch:
                    if (
                        op.args is not None
                        and len(op.args) == 5
                        and op.args[1] is _SAVE
                        and _is_terminal(op.args[4])
                    ):
                        # The live snapshot went terminal before it was sent (e.g. a terminal event a
                        # cancel then refused): only the terminal compare-and-set stores that state.
                        op.args = None
                    if op.args is None:  # superseded before it was sent
                        if op.future is not None and not op.future.done():
                            op.future.set_result(None)
                    elif op.response_id is not None and op.response_id in self.broken:
                        self._fail(op, self.broken[op.response_id])
                    else:
                        ops.append(op)
                if not ops:
                    continue
                try:
                    replies = await self._roundtrip([op.args for op in ops])
                except asyncio.CancelledError:
                    for op in ops:
                        self._fail(op, StoreUnavailable("the Redis store is closed"))
                    raise
                except _FAILURES as exc:
                    error = _unavailable(exc)
                    for op in ops:
                        self._fail(op, error)
                    continue
                except Exception as exc:  # a bug must not leave callers waiting forever
                    logger.exception("Redis batch failed unexpectedly")
                    error = _unavailable(exc)
                    for op in ops:
                        self._fail(op, error)
                    continue
                for op, reply in zip(ops, replies, strict=True):
                    if isinstance(reply, ResponseError):
                        logger.error("Redis refused a command (%s): %s", op.args[0], reply)
                        self._fail(op, _unavailable(reply))
                    elif op.callback is not None:
                        _notify(op, reply)
                    elif op.future is not None and not op.future.done():
                        op.future.set_result(reply)
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    async def _roundtrip(self, commands: list[list]) -> list[Any]:
        conn = self._conn
        if conn is None:
            conn = self._conn = self._pool.make_connection()
        try:
            await conn.send_packed_command(_pack(commands), check_health=False)
            replies: list[Any] = []
            for _ in commands:
                try:
                    replies.append(await conn.read_response())
                except ResponseError as exc:  # the reply was read: the connection is still in step
                    replies.append(exc)
            return replies
        except BaseException:
            await conn.disconnect(nowait=True)
            raise


class _Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.leases = f"{prefix}leases"
        self.cancel = f"{prefix}cancel"
        self.conversation_prefix = f"{prefix}c:"

    def record(self, response_id: str) -> str:
        return f"{self.prefix}r:{response_id}"

    def log(self, response_id: str) -> str:
        return f"{self.prefix}l:{response_id}"

    def conversation(self, owner: str | None, chat_key: str | None, conversation_id: str) -> str:
        return self.conversation_prefix + conversation_scope(owner, chat_key, conversation_id)


def conversation_scope(owner: str | None, chat_key: str | None, conversation_id: str) -> str:
    """The suffix of a conversation's key: a digest of (owner, chat key, conversation id), so each
    isolation scope has its own list (a conversation id named under another key is another list)."""
    scope = json.dumps([owner, chat_key, conversation_id]).encode()  # unambiguous, None included
    return hashlib.sha256(scope).hexdigest()[:32]


# -- records ----------------------------------------------------------------------------------------
def _record_from(response_id: str, reply: Any) -> ResponseRecord | None:
    fields = {k: v for k, v in _pairs(reply)}
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
    """Records as hashes; ``finish`` is a compare-and-set in Lua. Creating a record also opens its
    event log and takes its lease (one round trip): a record is created by the replica that runs it."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._io = store._io
        self._keys = store._keys

    async def create(self, record: ResponseRecord) -> None:
        store, keys, rid = self._store, self._keys, record.response_id
        meta = {
            "owner": record.owner,
            "chat_key": record.chat_key,
            "background": record.background,
            "stream": record.stream,
            "previous_response_id": record.previous_response_id,
            "conversation_id": record.conversation_id,
            "created_at": record.created_at,
        }
        scope = ""
        if record.conversation_id:
            scope = conversation_scope(record.owner, record.chat_key, record.conversation_id)
        await self._io.call(
            (
                "EVAL",
                _CREATE,
                4,
                keys.record(rid),
                keys.log(rid),
                keys.leases,
                keys.conversation_prefix + scope,
                rid,
                encode_json(record.snapshot),
                encode_json(record.input_items),
                encode_json(meta),
                scope,
                store._conversation_ttl_ms,
                store._lease_ms,
            ),
            rid,
        )
        store._events._opened_by_create.add(rid)

    async def get(self, response_id: str) -> ResponseRecord | None:
        reply = await self._io.call(("HGETALL", self._keys.record(response_id)))
        return _record_from(response_id, reply)

    async def save_snapshot(self, response_id: str, snapshot: dict[str, Any]) -> None:
        io = self._io
        io.check(response_id)
        args = ["EVAL", _SAVE, 1, self._keys.record(response_id), snapshot]  # encoded when sent
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
                "EVAL",
                _FINISH,
                3,
                self._keys.record(response_id),
                self._keys.leases,
                self._keys.log(response_id),
                response_id,
                "",
                encode_json(snapshot),
                self._store._record_ttl_ms,
                self._keys.conversation_prefix,
                self._store._log_ttl_ms,
            ),
            response_id,
        )
        return won == 1

    async def delete(self, response_id: str) -> bool:
        deleted = await self._io.call(
            (
                "EVAL",
                _DELETE,
                2,
                self._keys.record(response_id),
                self._keys.leases,
                response_id,
                self._keys.conversation_prefix,
            )
        )
        return deleted == 1

    async def _items_of(self, response_ids: list[str]) -> list[tuple[str, Any]]:
        replies = await asyncio.gather(
            *(self._io.call(("HMGET", self._keys.record(rid), "in", "snap", "meta")) for rid in response_ids)
        )
        return list(zip(response_ids, replies, strict=True))

    async def history(self, record: ResponseRecord, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        chunks: list[list[dict[str, Any]]] = []
        count = 0
        if record.conversation_id:
            key = self._keys.conversation(record.owner, record.chat_key, record.conversation_id)
            ids = await self._io.call(("LRANGE", key, 0, -1))
            newest_first = [i.decode() for i in reversed(ids) if i.decode() != record.response_id]
            position = 0
            while position < len(newest_first) and count < limit:
                page = newest_first[position : position + 32]
                position += len(page)
                for _, (items, snap, _meta) in await self._items_of(page):
                    if count >= limit:
                        break
                    if items is None:
                        continue
                    chunk = [*from_json(items), *from_json(snap).get("output", [])]
                    chunks.append(chunk)
                    count += len(chunk)
        else:
            seen: set[str] = set()
            previous = record.previous_response_id
            while previous and previous not in seen and count < limit:
                seen.add(previous)
                ((_, (items, snap, meta)),) = await self._items_of([previous])
                if items is None:
                    break
                chunk = [*from_json(items), *from_json(snap).get("output", [])]
                chunks.append(chunk)
                count += len(chunk)
                previous = from_json(meta).get("previous_response_id")
        items_out = [item for chunk in reversed(chunks) for item in chunk]
        return items_out[-limit:]

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
        store = self._store
        store._held.add(response_id)
        if on_lost is not None:
            store._on_lost[response_id] = on_lost

        def release() -> None:
            store._held.discard(response_id)
            store._on_lost.pop(response_id, None)
            store._io.broken.pop(response_id, None)
            store._events._detach(response_id)

        return release


# -- event logs -------------------------------------------------------------------------------------
class _LocalLog(FrameBuffer):
    """This process's copy of the log of a response it runs: local readers never poll Redis.

    A frame joins the copy once Redis has accepted its append (one round trip, shared by the whole
    batch), so a local reader never sees a frame that a replay would not show: if the run's lease is
    taken over, the frames Redis refused were never seen here, and readers continue from Redis.
    """

    __slots__ = ("detached",)

    def __init__(self) -> None:
        super().__init__()
        self.detached = False  # closed without its terminal event: the rest is in Redis

    def detach(self) -> None:
        if not self.closed:
            self.closed = self.detached = True
            self.wake()


def _parse(entries: list, after: int) -> tuple[list[bytes], int, bool]:
    """Frames with sequence number > ``after`` from stream entries; the new ``after``; closed?"""
    frames: list[bytes] = []
    closed = False
    for _entry_id, fields in entries:
        for name, value in _pairs(fields):
            if name == b"c":
                closed = True
            elif name != b"o":
                seq = int(name)
                if seq > after:
                    frames.append(value)
                    after = seq
    return frames, after, closed


def _entry_id(value: bytes | str) -> tuple[int, int]:
    """A stream entry id (``b"12-0"``) as a comparable pair."""
    if isinstance(value, str):
        value = value.encode()
    ms, _, seq = value.partition(b"-")
    return int(ms), int(seq or 0)


#: The largest entry number Redis takes (stream ids are unsigned 64-bit): cursors are capped at it.
_MAX_ENTRY = 2**64 - 1


def _entry_bytes(entry: Any) -> int:
    """The bytes of a stream entry's field values (RESP2 list or RESP3 map)."""
    fields = entry[1]
    if isinstance(fields, dict):
        return sum(map(len, fields.values()))
    return sum(map(len, fields[1::2]))


class _Page:
    """One page of a log read with ``_PAGE``: at most ``PAGE_BYTES`` of frames (or of one frame)."""

    __slots__ = ("frames", "cursor", "after", "offset", "more", "closed", "seen", "top", "top_closed")

    def __init__(self, reply: list, after: int) -> None:
        cursor, more, closed, seen, last, top, top_closed, offset = reply[:8]
        self.frames: list[bytes] = reply[8:]  # the last may be a piece of a larger frame
        self.cursor: bytes = cursor if isinstance(cursor, bytes) else str(cursor).encode()
        self.after = int(last) if last else after  # the number of its last whole frame
        self.offset: int = offset  # the bytes of the next frame in this page (its last item)
        self.more = more == 1
        self.closed = closed == 1
        self.seen = seen
        self.top: bytes = top  # only when ``seen`` is 0: the log's last entry (b"" if no log)
        self.top_closed = top_closed == 1


class RedisEventLog:
    """Event logs on Redis Streams, plus a local copy for the responses this process runs."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._io = store._io
        self._keys = store._keys
        self._local: dict[str, _LocalLog] = {}
        self._opened_by_create: set[str] = set()

    async def open(self, response_id: str) -> None:
        if response_id in self._opened_by_create:
            self._opened_by_create.discard(response_id)
        else:
            await self._io.call(("EVAL", _OPEN, 1, self._keys.log(response_id)), response_id)
        self._local[response_id] = _LocalLog()

    async def append(self, response_id: str, entries: list[LogEntry], *, close: bool = False) -> None:
        io = self._io
        io.check(response_id)
        local = self._local.get(response_id)
        if close and local is not None:  # new readers go to Redis, behind the closing append
            del self._local[response_id]
        op = io.appends.get(response_id)
        if op is None or op.args is None or op.frames >= APPEND_MAX_FRAMES or op.log is not local:
            op = io.post(
                # EVAL script 2 log leases | entry number, log_ttl, close, id | seq, frame, ...
                [
                    "EVAL",
                    _APPEND,
                    2,
                    self._keys.log(response_id),
                    self._keys.leases,
                    0,
                    self._store._log_ttl_ms,
                    "0",
                    response_id,
                ],
                response_id,
            )
            op.callback = self._appended
            op.log = local
            io.appends[response_id] = op
        args = op.args
        for entry in entries:
            args.append(b"%d" % entry.sequence_number)
            args.append(entry.frame)
        op.frames += len(entries)
        if entries:
            args[5] = entries[-1].sequence_number + 1
        if close:
            args[7] = "1"
            del io.appends[response_id]
            # The run ends once its terminal event is stored and shown to its local readers. If it
            # could not be stored, the lease stays and a reaper stores it: nothing to raise here.
            settled = op.settled = asyncio.get_running_loop().create_future()
            await settled

    def _appended(self, op: _Op, outcome: Any) -> None:
        """An append's outcome: accepted frames join the local copy; a refusal means the log was
        closed by someone else (a reaper that declared this run lost): readers continue from Redis."""
        try:
            self._apply(op, outcome)
        finally:
            if op.settled is not None and not op.settled.done():
                op.settled.set_result(None)

    def _apply(self, op: _Op, outcome: Any) -> None:
        local = op.log
        closing = op.args[7] == "1"
        if outcome == 1:
            if local is not None and not local.closed:
                local.frames.extend(op.args[10::2])
                if closing:
                    local.closed = True
                local.wake()
            return
        if isinstance(outcome, BaseException):
            # Not stored (Redis unreachable): the run fails at its next write and its release
            # detaches the copy; a closing append has no later write, so detach now.
            if local is not None and closing:
                local.detach()
            return
        if local is not None:
            local.detach()
        self._store._lose(op.response_id)

    def _detach(self, response_id: str) -> None:
        """The run here ended: local readers of a log left open continue from Redis."""
        self._opened_by_create.discard(response_id)
        local = self._local.pop(response_id, None)
        if local is not None:
            local.detach()

    async def exists(self, response_id: str) -> bool:
        if response_id in self._local:
            return True
        return await self._io.call(("EXISTS", self._keys.log(response_id))) == 1

    async def delete(self, response_id: str) -> None:
        local = self._local.pop(response_id, None)
        if local is not None:
            local.closed = True
            local.wake()
        await self._io.call(("DEL", self._keys.log(response_id)))

    async def read(
        self, response_id: str, after: int, idle_timeout: float | None
    ) -> AsyncIterator[list[bytes]]:
        local = self._local.get(response_id)
        if local is not None:
            return self._read_local(response_id, local, after, idle_timeout)
        key = self._keys.log(response_id)
        # Capped: a cursor past any possible entry is still a valid stream id.
        cursor = f"{min(max(after + 1, 0), _MAX_ENTRY)}-0"
        page = await self._page(key, cursor, after, 0)
        if not page.seen:
            if not page.top:  # a log always has an entry: none means no log
                raise KeyError(response_id)
            if page.top_closed:  # closed, and the cursor is at or past its end
                return _nothing()
            # Tail from the log's top, not the cursor: a cursor past the end still sees the closing
            # entry (its frames are filtered out by number), as the in-memory store's readers do.
            return self._read_redis(key, after, idle_timeout, page.top, None)
        return self._read_redis(key, after, idle_timeout, page.cursor, page)

    async def _page(self, key: str, cursor: Any, after: int, offset: int) -> _Page:
        """The next page of frames after ``after`` from the entries after ``cursor``, starting
        ``offset`` bytes into the first of them (``_PAGE``)."""
        reply = await self._io.call(("EVAL", _PAGE, 1, key, cursor, after, offset, PAGE_BYTES, READ_COUNT))
        return _Page(reply, after)

    async def _read_local(
        self, response_id: str, log: _LocalLog, after: int, idle_timeout: float | None
    ) -> AsyncIterator[list[bytes]]:
        position = max(after + 1, 0)
        async for batch in log.tail(after, idle_timeout):
            position += len(batch)
            yield batch
        if log.detached:  # e.g. another replica declared this run lost and wrote its terminal event
            # From the start: the frames are filtered by number, and the closing entry is seen
            # wherever it is.
            key = self._keys.log(response_id)
            page = await self._page(key, b"0-0", position - 1, 0)
            async for batch in self._read_redis(key, position - 1, idle_timeout, page.cursor, page):
                yield batch

    async def _read_redis(
        self, key: str, after: int, idle_timeout: float | None, cursor: Any, page: _Page | None
    ) -> AsyncIterator[list[bytes]]:
        """Frames after ``after``: ``page`` (read from ``cursor``) and the pages after it while the
        log has more, then what the shared tailer reads (a reader behind it reads the gap in pages).

        A frame larger than ``PAGE_BYTES`` comes in pieces, one a batch (the pages after it follow at
        once, with no keep-alive between): the batches' bytes are the log's, as the SSE writer sends
        them; a reader never holds more than a page of its own."""
        keep_alive_at = time.monotonic() + idle_timeout if idle_timeout else None
        timed_out = False
        tailer = self._store._tailer
        followed: _Followed | None = None  # tailed only once it has to wait for new entries
        entries: list | None = []
        try:
            while True:
                if page is not None:  # read directly: a replay, or a gap behind the shared tailer
                    frames, cursor, after, offset = page.frames, page.cursor, page.after, page.offset
                    closed, more, page = page.closed, page.more, None
                    if frames:
                        yield frames
                        if idle_timeout:
                            keep_alive_at = time.monotonic() + idle_timeout
                    del frames  # held no longer than it is being sent
                    if closed:
                        return
                    if more:  # the next page is there: no need to wait
                        page = await self._page(key, cursor, after, offset)
                        continue
                elif entries:
                    frames, after, closed = _parse(entries, after)
                    cursor = entries[-1][0]
                    if frames:
                        yield frames
                        if idle_timeout:
                            keep_alive_at = time.monotonic() + idle_timeout
                    del frames
                    if closed:
                        return
                elif timed_out:
                    if keep_alive_at is not None and time.monotonic() >= keep_alive_at:
                        yield []
                        keep_alive_at = time.monotonic() + idle_timeout
                    if not await self._io.call(("EXISTS", key)):
                        return  # deleted or expired
                block = BLOCK_MAX_SECONDS
                if keep_alive_at is not None:
                    block = min(block, max(keep_alive_at - time.monotonic(), 0.001))
                if followed is None:
                    followed = tailer.follow(key, cursor if isinstance(cursor, bytes) else cursor.encode())
                entries = await tailer.wait(followed, cursor, block)
                if entries is None:  # behind what the tailer buffers: read the gap in pages
                    page = await self._page(key, cursor, after, 0)
                    entries = []
                    timed_out = False
                    continue
                timed_out = not entries
        finally:
            if followed is not None:
                tailer.unfollow(followed)


# -- tailing ----------------------------------------------------------------------------------------
class _Followed:
    """One log tailed for this process's readers: the entries read after ``base`` (the last ones)."""

    __slots__ = ("key", "cursor", "base", "entries", "ids", "sizes", "size", "readers", "waiter", "error")

    def __init__(self, key: str, cursor: bytes) -> None:
        self.key = key
        self.cursor = cursor  # where the next XREAD of this log starts
        self.base = _entry_id(cursor)  # every entry after it up to ``cursor`` is in ``entries``
        self.entries: list = []
        self.ids: list[tuple[int, int]] = []
        self.sizes: list[int] = []  # the bytes of each entry's frames
        self.size = 0  # their sum
        self.readers = 1
        self.waiter: asyncio.Future | None = None
        self.error: StoreUnavailable | None = None

    def wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class _Tailer:
    """Every remote tailing reader of this process shares ``TAIL_CONNECTIONS`` (one) connection.

    One task XREAD-BLOCKs on all the logs being tailed at once (plus this process's wake stream, which
    interrupts it when a log is added) and hands what arrives to the readers of each log; a reader
    that falls behind what is buffered reads the gap itself, in pages (``_PAGE``) on the command queue.
    """

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._followed: dict[str, _Followed] = {}
        self._task: asyncio.Task | None = None
        self._conn: Any = None
        self._wake_key = f"{store._keys.prefix}w:{secrets.token_hex(8)}"
        self._wake_cursor = b"0-0"
        self._woken = False

    def follow(self, key: str, cursor: bytes) -> _Followed:
        followed = self._followed.get(key)
        if followed is not None:
            followed.readers += 1
            return followed
        followed = self._followed[key] = _Followed(key, cursor)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        elif not self._woken:  # the XREAD in flight (if any) lacks it: interrupt it
            self._woken = True
            wake = self._store._io.call(("EVAL", _WAKE, 1, self._wake_key, _ms(BLOCK_MAX_SECONDS * 4)))
            wake.add_done_callback(_consume)
        return followed

    def unfollow(self, followed: _Followed) -> None:
        followed.readers -= 1
        if followed.readers <= 0 and self._followed.get(followed.key) is followed:
            del self._followed[followed.key]

    async def wait(self, followed: _Followed, cursor: Any, timeout: float) -> list | None:
        """Entries of the log after ``cursor``, waiting up to ``timeout`` for some ([] if none came;
        None if ``cursor`` is behind what is buffered: the reader reads that gap itself, in pages).

        At most ``READ_COUNT`` entries and ``PAGE_BYTES`` of frames (but one entry) at once: a reader
        that stops reading keeps no more of the buffer alive once the buffer moves on."""
        position = _entry_id(cursor)
        deadline = time.monotonic() + timeout
        while True:
            if followed.error is not None:
                raise StoreUnavailable(str(followed.error))
            if position < followed.base:
                return None
            start = bisect.bisect_right(followed.ids, position)
            if start < len(followed.ids):
                sizes = followed.sizes
                end, size = start + 1, sizes[start]
                last = min(start + READ_COUNT, len(sizes))
                while end < last and size + sizes[end] <= PAGE_BYTES:
                    size += sizes[end]
                    end += 1
                return followed.entries[start:end]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            waiter = followed.waiter
            if waiter is None:
                waiter = followed.waiter = asyncio.get_running_loop().create_future()
            done, _ = await asyncio.wait((waiter,), timeout=remaining)
            if not done:
                return []

    async def _run(self) -> None:
        backoff = 0.05
        try:
            while self._followed:
                sent = dict(self._followed)  # the logs of this XREAD
                self._woken = False
                keys = list(sent)
                command = [
                    "XREAD",
                    "COUNT",
                    READ_COUNT,
                    "BLOCK",
                    _ms(BLOCK_MAX_SECONDS),
                    "STREAMS",
                    self._wake_key,
                    *keys,
                    self._wake_cursor,
                    *(sent[key].cursor for key in keys),
                ]
                try:
                    reply = await self._roundtrip(command)
                except Exception as exc:
                    if not isinstance(exc, _FAILURES):  # a bug must not leave readers waiting forever
                        logger.exception("Redis store: tailing failed unexpectedly")
                    error = _unavailable(exc)
                    for followed in sent.values():  # their readers fail; new readers start afresh
                        followed.error = error
                        followed.wake()
                        if self._followed.get(followed.key) is followed:
                            del self._followed[followed.key]
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 1.0)
                    continue
                backoff = 0.05
                for raw_key, entries in _streams_of(reply):
                    key = raw_key.decode()
                    if key == self._wake_key:
                        self._wake_cursor = entries[-1][0]
                        continue
                    followed = sent.get(key)
                    if followed is None or self._followed.get(key) is not followed or not entries:
                        continue  # no reader any more
                    sizes = [_entry_bytes(entry) for entry in entries]
                    followed.entries.extend(entries)
                    followed.ids.extend(_entry_id(entry[0]) for entry in entries)
                    followed.sizes.extend(sizes)
                    followed.size += sum(sizes)
                    followed.cursor = entries[-1][0]
                    if len(followed.ids) > TAIL_BUFFER_ENTRIES or followed.size > TAIL_BUFFER_BYTES:
                        _trim(followed)  # slower readers read the gap
                    followed.wake()
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    async def _roundtrip(self, command: list) -> Any:
        conn = self._conn
        if conn is None:
            conn = self._conn = self._store._tail_pool.make_connection()
        try:
            await conn.send_packed_command(_pack([command]), check_health=False)
            return await conn.read_response()
        except BaseException:
            self._conn = None
            await conn.disconnect(nowait=True)
            raise

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        error = StoreUnavailable("the Redis store is closed")
        for followed in self._followed.values():
            followed.error = error
            followed.wake()
        self._followed.clear()
        if self._conn is not None:
            await self._conn.disconnect()
            self._conn = None


def _trim(followed: _Followed) -> None:
    """Keep the newest half of the buffer (in entries and in bytes; at least the newest entry)."""
    sizes = followed.sizes
    cut, kept = len(sizes) - 1, sizes[-1]
    while (
        cut > 0
        and len(sizes) - cut < TAIL_BUFFER_ENTRIES // 2
        and kept + sizes[cut - 1] <= TAIL_BUFFER_BYTES // 2
    ):
        cut -= 1
        kept += sizes[cut]
    if cut > 0:
        followed.base = followed.ids[cut - 1]
        del followed.ids[:cut], followed.entries[:cut], followed.sizes[:cut]
        followed.size = kept


def _streams_of(reply: Any) -> list[tuple[bytes, list]]:
    """(key, entries) of each stream in an XREAD reply (RESP2 list or RESP3 map)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return list(reply.items())
    return [(key, entries) for key, entries in reply]


def _consume(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


# -- cancel signals ---------------------------------------------------------------------------------
class RedisCancelSignals:
    """Cancel requests broadcast on one pub/sub channel; each process calls its own subscribers."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._callbacks: dict[str, Callable[[], None]] = {}
        self._task: asyncio.Task | None = None
        self._subscribed: asyncio.Event | None = None

    def subscribe(self, response_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        self._callbacks[response_id] = callback

        def unsubscribe() -> None:
            if self._callbacks.get(response_id) is callback:
                del self._callbacks[response_id]

        return unsubscribe

    async def request(self, response_id: str) -> None:
        callback = self._callbacks.get(response_id)
        if callback is not None:  # it runs here
            callback()
            return
        await self._store._io.call(("PUBLISH", self._store._keys.cancel, response_id))

    def _deliver(self, response_id: str) -> None:
        callback = self._callbacks.get(response_id)
        if callback is not None:
            try:
                callback()
            except Exception:
                logger.exception("response %s: the cancel callback failed", response_id)

    async def start(self, wait: float) -> None:
        if self._task is None:
            self._subscribed = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._listen())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), wait)
        if not self._subscribed.is_set():
            logger.warning(
                "Redis store: not subscribed to cancel requests yet (Redis unreachable?); retrying"
            )

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _listen(self) -> None:
        backoff = 0.05
        client = Redis(connection_pool=self._store._pool)
        channel = self._store._keys.cancel.encode()
        while True:
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(channel)
                # Wait for the confirmation: only then are requests sure to reach this process.
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "subscribe":
                        break
                self._subscribed.set()
                backoff = 0.05
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "message":
                        self._deliver(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except _FAILURES as exc:
                # once per outage: the retries below are every second at most
                log = logger.warning if backoff == 0.05 else logger.debug
                log("Redis store: cancel subscription lost (%s); reconnecting", exc)
                self._subscribed.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


# -- the store --------------------------------------------------------------------------------------
class RedisStore(Store):
    """Records, event logs and cancels shared by every replica through one Redis.

    Each replica renews the leases of the responses it runs every ``lease_seconds / 3`` and reaps,
    every ``lease_seconds / 4`` or so, responses whose lease expired unfinished: they fail with
    ``server_error`` ("The worker running this response was lost.") and their log gets that
    terminal event, which wakes every tailing reader.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        key_prefix: str = DEFAULT_PREFIX,
        response_retention_seconds: float = 3600.0,
        event_log_retention_seconds: float = 3600.0,
        lease_seconds: float = 10.0,
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
        self._keys = _Keys(key_prefix)
        self._io = _Batcher(self._pool)
        self._record_ttl_ms = _ms(response_retention_seconds)
        self._log_ttl_ms = _ms(event_log_retention_seconds)
        self.lease_seconds = lease_seconds
        self._lease_ms = _ms(lease_seconds)
        # A conversation's list outlives its running responses: their reaping takes up to two leases.
        self._conversation_ttl_ms = self._record_ttl_ms + 2 * self._lease_ms
        self._held: set[str] = set()
        self._on_lost: dict[str, Callable[[], None]] = {}
        self._tailer = _Tailer(self)
        self._tasks: list[asyncio.Task] = []
        self._events = RedisEventLog(self)
        super().__init__(
            records=RedisRecordStore(self),
            events=self._events,
            cancels=RedisCancelSignals(self),
            name="redis",
        )

    @classmethod
    def from_url(cls, url: str, options: ResponsesServerOptions | None = None) -> RedisStore:
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
            )
        return cls(urlunsplit(parts._replace(query=rest)), **kwargs)

    @property
    def key_prefix(self) -> str:
        return self._keys.prefix

    async def healthy(self) -> bool:
        try:
            await asyncio.wait_for(self._io.call(("PING",)), timeout=2.0)
        except (StoreUnavailable, RedisError, OSError, asyncio.TimeoutError):
            return False
        return True

    async def start(self) -> None:
        if self._tasks:
            return
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._renew_loop()), loop.create_task(self._reap_loop())]
        await self.cancels.start(wait=2.0)

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.cancels.close()
        await self._tailer.close()
        await self._io.drain(timeout=2.0)
        await self._io.close()
        await self._pool.disconnect()
        await self._tail_pool.disconnect()

    # -- leases ----------------------------------------------------------------------------------------
    async def renew_leases(self) -> None:
        """Renew the leases of the responses this process runs (and keep their conversations); a
        lease found gone that this process did not end was taken over: its run is told it is lost."""
        held = list(self._held)
        keys = self._keys
        for start in range(0, len(held), 500):
            gone = await self._io.call(
                (
                    "EVAL",
                    _RENEW,
                    1,
                    keys.leases,
                    self._lease_ms,
                    self._conversation_ttl_ms,
                    keys.record(""),
                    keys.conversation_prefix,
                    *held[start : start + 500],
                )
            )
            for raw in gone:
                rid = raw.decode()
                # Its log still open here (no closing append sent): someone else ended it.
                if rid in self._held and rid in self._events._local:
                    self._lose(rid)

    def _lose(self, response_id: str) -> None:
        """A reaper ended ``response_id`` while it ran here: detach its local readers (they read the
        rest, the reaper's terminal event, from Redis) and stop the run."""
        if response_id not in self._held:
            return
        logger.warning(
            "response %s: its lease was taken over (a reaper ended it); this replica stops writing it",
            response_id,
        )
        self._events._detach(response_id)
        callback = self._on_lost.pop(response_id, None)
        if callback is not None:
            try:
                callback()
            except Exception:
                logger.exception("response %s: the lost callback failed", response_id)

    async def reap_expired(self, limit: int = 100) -> list[str]:
        """End the responses whose lease expired: their replica is gone. Unfinished ones fail as lost
        (their ids are returned); finished ones whose terminal event was never stored get it now."""
        from responsekit.server.runner import FAILURE_MESSAGES

        keys = self._keys
        expired = await self._io.call(("EVAL", _EXPIRED, 1, keys.leases, limit))
        reaped: list[str] = []
        for raw in expired:
            rid = raw.decode()
            if rid in self._held:  # running here: this process is alive, renew instead
                continue
            for _attempt in range(3):  # "moved": the log grew meanwhile; look again
                record_reply, top = await asyncio.gather(
                    self._io.call(("HGETALL", keys.record(rid))),
                    self._io.call(("XREVRANGE", keys.log(rid), "+", "-", "COUNT", 1)),
                )
                record = _record_from(rid, record_reply)
                top_id = top[0][0] if top else b""
                seq = int(top_id.split(b"-")[0]) if top else 0
                if record is not None and record.finished:
                    # it ended, but its replica died before storing the terminal event: store it
                    snapshot = record.snapshot
                    event_type = _TERMINAL_EVENT_TYPES.get(snapshot.get("status"), "response.failed")
                else:
                    snapshot = dict(record.snapshot) if record is not None else {"id": rid}
                    snapshot["status"] = "failed"
                    snapshot["error"] = {"code": "server_error", "message": FAILURE_MESSAGES["lost"]}
                    event_type = "response.failed"
                payload = {"type": event_type, "response": snapshot, "sequence_number": seq}
                outcome = await self._io.call(
                    (
                        "EVAL",
                        _REAP,
                        3,
                        keys.record(rid),
                        keys.leases,
                        keys.log(rid),
                        rid,
                        top_id,
                        encode_json(snapshot),
                        self._record_ttl_ms,
                        keys.conversation_prefix,
                        self._log_ttl_ms,
                        seq,
                        sse_frame(event_type, encode_json(payload)),
                        "1" if record is not None and record.finished else "0",
                    )
                )
                if outcome == b"reaped":
                    logger.warning("response %s: its worker was lost (lease expired); marked failed", rid)
                    reaped.append(rid)
                if outcome != b"moved":
                    break
        return reaped

    async def _renew_loop(self) -> None:
        interval = self.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self.renew_leases()
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
