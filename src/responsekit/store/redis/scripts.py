"""The Lua scripts of the Redis store: each is one atomic step, loaded once and called by its SHA1.

A command names a script as ``["EVALSHA", script, numkeys, ...]``: the command queue sends the
script's SHA1 (``EVALSHA``), loads every script (``SCRIPT LOAD``) at the head of the first batch of
each new connection, and when Redis answers ``NOSCRIPT`` (its script cache was flushed) loads them
again and sends the refused commands once more, in their order, ahead of anything queued since.
"""

from __future__ import annotations

import hashlib


class Script:
    """A Lua script: its source (sent once per connection) and its SHA1 (sent with each call)."""

    __slots__ = ("name", "source", "sha")

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source.encode()
        self.sha = hashlib.sha1(self.source).hexdigest().encode()

    def __repr__(self) -> str:
        return f"<Script {self.name} {self.sha[:8].decode()}>"


# A response's lease lasts from its creation until its log is closed (the terminal event stored),
# not just until its terminal state: a replica that dies between the two is reaped too, and the
# reaper closes the log with the stored terminal state. A running response never expires: its
# lease bounds it. Its record's retention counts from the end, its log's from its terminal state.
_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "

# A conversation's keys keep one expiry: at least ``ttl`` ms from now, never less than they had (the
# object's TTL is the conversation's). A change of the conversation keeps them for its retention; a
# running response, for the running TTL (see _CREATE).
_KEEP = """
local function keep(keys, ttl)
  local left = redis.call('PTTL', keys[1])
  if left == -2 then return end
  if left > ttl then ttl = left end
  for _, key in ipairs(keys) do redis.call('PEXPIRE', key, ttl) end
end
"""

# A conversation lives while any of its responses runs: creation and every lease renewal keep its
# keys at least the running TTL (its retention plus two leases, so it outlives its last response,
# even one a reaper ends, by the retention).
# KEYS: record, log, leases, then the conversation's object, item order and items if it has one
# ARGV: id, snap, in, meta, conversation scope ('' for none), running conversation TTL, lease_ms,
# open the log ('1': the record and its log in one step; '0': the record alone, its log opened by
# ``OPEN``), then more fields of the record as name, value pairs (a resilient response's ``res``,
# ``att`` and ``ckpt``)
_CREATE = (
    _NOW
    + _KEEP
    + """
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'snap', ARGV[2], 'in', ARGV[3], 'meta', ARGV[4], 'fin', '0')
for i = 9, #ARGV - 1, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'conv', ARGV[5])
  keep({KEYS[4], KEYS[5], KEYS[6]}, tonumber(ARGV[6]))
end
if ARGV[8] == '1' then
  redis.call('DEL', KEYS[2])
  redis.call('XADD', KEYS[2], '0-1', 'o', '1')
end
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

# The frames of an append must continue the log: its first sequence number is the top entry's
# number (entry N-0 holds the frames up to N-1; the open marker 0-1, none). Two writers of one log
# (a run that was only slow, and the replica that re-entered it after its lease expired) number
# from the same point: the first to store a sequence number wins, the other is refused.
# KEYS: log, leases | ARGV: entry number (last seq + 1), log_ttl, close, id, seq1, frame1, seq2, ...
# 1 appended; 0 refused (closed, already there, or not where the log continues); -1 no such log.
_APPEND = """
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #top == 0 then return -1 end
local fields = top[1][2]
for i = 1, #fields, 2 do
  if fields[i] == 'c' then return 0 end
end
local top_number = tonumber(string.match(top[1][1], '^%d+'))
if tonumber(ARGV[1]) <= top_number then return 0 end
if #ARGV >= 5 and tonumber(ARGV[5]) ~= top_number then return 0 end
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

# A resilient response's checkpoint: its snapshot, and the checkpoint (with the handler's internal
# metadata) a recovery re-enters it from. KEYS: record | ARGV: snap, ckpt | 1 stored, 0 finished
_CHECKPOINT = """
if redis.call('HGET', KEYS[1], 'fin') == '0' then
  redis.call('HSET', KEYS[1], 'snap', ARGV[1], 'ckpt', ARGV[2])
  return 1
end
return 0
"""

# Take over a resilient response whose run stopped (its lease expired, unfinished, its log open) to
# re-enter it here: count the attempt and take a new lease, which the new run renews.
# KEYS: record, leases, log | ARGV: id, lease_ms
# {attempts, top entry id of the log, the record's fields and values...}, or why not: 'running'
# (its lease is alive), 'gone' (no record or no lease), 'finished', 'ordinary' (not resilient),
# 'closed' (its log is closed, or there is none).
_CLAIM = (
    _NOW
    + """
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score then return 'gone' end
if tonumber(score) > now then return 'running' end
local fin = redis.call('HGET', KEYS[1], 'fin')
if not fin then return 'gone' end
if fin ~= '0' then return 'finished' end
if redis.call('HEXISTS', KEYS[1], 'res') == 0 then return 'ordinary' end
local top = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
if #top == 0 then return 'closed' end
local fields = top[1][2]
for i = 1, #fields, 2 do
  if fields[i] == 'c' then return 'closed' end
end
local attempts = redis.call('HINCRBY', KEYS[1], 'att', 1)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
local out = {attempts, top[1][1]}
for _, value in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = value end
return out
"""
)

# Store the terminal snapshot; start the record's retention and the log's (so a log whose terminal
# event never comes still expires). Its conversation is left alone: the running TTL its lease kept
# already lasts the retention beyond this point.
# KEYS: record, leases, log | ARGV: id, (caller's), snap, rec_ttl, log_ttl
_END = """
local function finish_record()
  redis.call('HSET', KEYS[1], 'snap', ARGV[3], 'fin', '1')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  if redis.call('PTTL', KEYS[3]) == -1 then redis.call('PEXPIRE', KEYS[3], ARGV[5]) end
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

# KEYS: record, leases | ARGV: id
_DELETE = """
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
"""

# Renew the leases still present (a reaped one stays reaped) and keep their conversations alive.
# KEYS: leases | ARGV: lease_ms, running conversation TTL, record key prefix, the prefixes of a
# conversation's object, item order and items keys, id1, id2, ... Returns the ids whose lease is
# gone (closed, or reaped by a replica).
_RENEW = (
    _NOW
    + _KEEP
    + """
local expiry = now + tonumber(ARGV[1])
local running = tonumber(ARGV[2])
local gone = {}
for i = 7, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], expiry, ARGV[i])
    local conv = redis.call('HGET', ARGV[3] .. ARGV[i], 'conv')
    if conv then keep({ARGV[4] .. conv, ARGV[5] .. conv, ARGV[6] .. conv}, running) end
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
# one), rec_ttl, log_ttl, seq, frame, expected fin
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
if top_id ~= ARGV[2] or fin ~= ARGV[8] then return 'moved' end
if fin == '0' then finish_record() end
redis.call('ZREM', KEYS[2], ARGV[1])
if top_id ~= '' and not closed then
  redis.call('XADD', KEYS[3], (tonumber(ARGV[6]) + 1) .. '-0', ARGV[6], ARGV[7], 'c', '1')
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
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

# -- conversations: KEYS are always its object (hash: created_at, meta, next), its item order (sorted
# set: id -> position) and its items (hash: id -> JSON). Every change keeps the three keys for the
# retention (``ttl``, ms) from now; a repeated item id is not added again.
_ITEMS = (
    _KEEP
    + """
local function add_items(first)
  local position = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
  local added = 0
  for i = first, #ARGV, 2 do
    if redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[i + 1]) == 1 then
      redis.call('ZADD', KEYS[2], position, ARGV[i])
      position = position + 1
      added = added + 1
    end
  end
  redis.call('HSET', KEYS[1], 'next', position)
  return added
end
"""
)

# A new conversation (replacing any under its key) with its first items.
# ARGV: created_at, metadata JSON, ttl, id1, item1, id2, item2, ...
_CONVERSATION_CREATE = (
    _ITEMS
    + """
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'created_at', ARGV[1], 'meta', ARGV[2])
add_items(4)
keep(KEYS, tonumber(ARGV[3]))
return 1
"""
)

# The conversation, created empty if it does not exist; using it counts as a change (a response about
# to run in it must not find it gone when it ends). ARGV: created_at, ttl | {created_at, meta}
_CONVERSATION_ENSURE = (
    _KEEP
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'created_at', ARGV[1], 'meta', '{}', 'next', '0')
end
keep(KEYS, tonumber(ARGV[2]))
return redis.call('HMGET', KEYS[1], 'created_at', 'meta')
"""
)

# ARGV: metadata JSON, ttl | created_at, or nil if there is no such conversation
_CONVERSATION_UPDATE = (
    _KEEP
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'meta', ARGV[1])
keep(KEYS, tonumber(ARGV[2]))
return redis.call('HGET', KEYS[1], 'created_at')
"""
)

# 1 if the conversation existed (its keys are gone now), else 0
_CONVERSATION_DELETE = """
local existed = redis.call('EXISTS', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return existed
"""

# ARGV: ttl, id1, item1, id2, item2, ... | the number of items added, -1 if there is no conversation
_CONVERSATION_APPEND = (
    _ITEMS
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local added = add_items(2)
keep(KEYS, tonumber(ARGV[1]))
return added
"""
)

# ARGV: item id, ttl | 1 if it was deleted, 0 if the conversation has no such item
_CONVERSATION_DELETE_ITEM = (
    _KEEP
    + """
if redis.call('HDEL', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
keep(KEYS, tonumber(ARGV[2]))
return 1
"""
)

# One page of item ids in ``order`` ('asc' or 'desc') after an item (its id) or a position (both
# exclusive; '' for the first page); the caller reads the items themselves (HMGET) next, so a page
# of big items is not copied through Lua.
# KEYS: object, item order | ARGV: after id, after position, count, order
# Returns nil if there is no such conversation, -1 if the after id is not one of its items, else
# {position of the page's last id ('' if none), id1, id2, ...}.
_CONVERSATION_PAGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local bound = ARGV[2]
if ARGV[1] ~= '' then
  bound = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not bound then return -1 end
end
local page
if ARGV[4] == 'asc' then
  local low = bound == '' and '-inf' or '(' .. bound
  page = redis.call('ZRANGEBYSCORE', KEYS[2], low, '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[3])
else
  local high = bound == '' and '+inf' or '(' .. bound
  page = redis.call('ZREVRANGEBYSCORE', KEYS[2], high, '-inf', 'WITHSCORES', 'LIMIT', 0, ARGV[3])
end
local out = {''}
for i = 1, #page, 2 do out[#out + 1] = page[i] end
if #page > 0 then out[1] = page[#page] end
return out
"""

CREATE = Script("create", _CREATE)
OPEN = Script("open", _OPEN)
APPEND = Script("append", _APPEND)
SAVE = Script("save", _SAVE)
CHECKPOINT = Script("checkpoint", _CHECKPOINT)
CLAIM = Script("claim", _CLAIM)
FINISH = Script("finish", _FINISH)
DELETE = Script("delete", _DELETE)
RENEW = Script("renew", _RENEW)
EXPIRED = Script("expired", _EXPIRED)
REAP = Script("reap", _REAP)
WAKE = Script("wake", _WAKE)
PAGE = Script("page", _PAGE)
CONVERSATION_CREATE = Script("conversation_create", _CONVERSATION_CREATE)
CONVERSATION_ENSURE = Script("conversation_ensure", _CONVERSATION_ENSURE)
CONVERSATION_UPDATE = Script("conversation_update", _CONVERSATION_UPDATE)
CONVERSATION_DELETE = Script("conversation_delete", _CONVERSATION_DELETE)
CONVERSATION_APPEND = Script("conversation_append", _CONVERSATION_APPEND)
CONVERSATION_DELETE_ITEM = Script("conversation_delete_item", _CONVERSATION_DELETE_ITEM)
CONVERSATION_PAGE = Script("conversation_page", _CONVERSATION_PAGE)

#: Every script, loaded on each new connection (and again after a NOSCRIPT).
ALL = (
    CREATE,
    OPEN,
    APPEND,
    SAVE,
    CHECKPOINT,
    CLAIM,
    FINISH,
    DELETE,
    RENEW,
    EXPIRED,
    REAP,
    WAKE,
    PAGE,
    CONVERSATION_CREATE,
    CONVERSATION_ENSURE,
    CONVERSATION_UPDATE,
    CONVERSATION_DELETE,
    CONVERSATION_APPEND,
    CONVERSATION_DELETE_ITEM,
    CONVERSATION_PAGE,
)
