"""The command queue of a Redis store: every command of this process, in order, on one connection,
sent in batches (one round trip per batch). Scripts are called by SHA1 (see ``scripts``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from redis.asyncio import ConnectionPool
from redis.exceptions import NoScriptError, ResponseError

from responsekit._logs import about
from responsekit.store.protocols import TERMINAL_STATUSES, StoreUnavailable
from responsekit.store.redis import scripts
from responsekit.store.redis.wire import FAILURES, pack, unavailable

if TYPE_CHECKING:
    from responsekit.store.frames import FrameBuffer

logger = logging.getLogger("responsekit")


def _is_terminal(snapshot: Any) -> bool:
    return isinstance(snapshot, dict) and snapshot.get("status") in TERMINAL_STATUSES


def _notify(op: Op, outcome: Any) -> None:
    try:
        op.callback(op, outcome)
    except Exception:  # a bug here must not stop the queue
        logger.exception(
            "Redis store: handling the reply of %s failed",
            op.args[0] if op.args else "?",
            extra=about(op.response_id),
        )


class Op:
    """One queued command: its arguments (None once superseded) and who learns its outcome."""

    __slots__ = ("args", "future", "response_id", "frames", "bytes", "callback", "log", "settled", "resent")

    def __init__(self, args: list | None, future: asyncio.Future | None, response_id: str | None) -> None:
        self.args = args
        self.future = future
        self.response_id = response_id
        self.frames = 0
        self.bytes = 0  # an append's frame bytes
        #: Called with (op, reply or StoreUnavailable) once the op's outcome is known (appends).
        self.callback: Callable[[Op, Any], None] | None = None
        self.log: FrameBuffer | None = None  # an append's local copy of the log
        self.settled: asyncio.Future | None = None  # resolved after the callback, whatever the outcome
        self.resent = False  # sent again once after a NOSCRIPT


class Batcher:
    """Every command of this process, in order, on one connection, one batch per round trip.

    ``call`` returns a future of the reply; ``post`` is fire-and-forget (a failure marks the
    response broken, and its next ``check`` raises). While a batch is in flight new commands
    queue for the next one, so batches grow with load (group commit).
    """

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._conn: Any = None
        self._queue: list[Op] = []
        self._task: asyncio.Task | None = None
        #: The scripts go out (SCRIPT LOAD) at the head of the next batch: a new connection, or a NOSCRIPT.
        self._load_scripts = True
        #: Unsent append / snapshot operations per response, which later ones may extend or replace.
        self.appends: dict[str, Op] = {}
        self.snapshots: dict[str, Op] = {}
        self.broken: dict[str, StoreUnavailable] = {}

    def call(self, args: Sequence[Any], response_id: str | None = None) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._queue.append(Op(list(args), future, response_id))
        self._kick()
        return future

    def post(self, args: list, response_id: str) -> Op:
        op = Op(args, None, response_id)
        self._queue.append(op)
        self._kick()
        return op

    def drop_appends(self, response_id: str) -> None:
        """Send none of the appends of ``response_id`` still queued: Redis refused one (the log is
        written by another run now), so none after it may be stored either."""
        self.appends.pop(response_id, None)
        for op in self._queue:
            if op.response_id == response_id and op.args is not None and op.args[1] is scripts.APPEND:
                op.args = None
                if op.settled is not None and not op.settled.done():
                    op.settled.set_result(None)

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

    def _fail(self, op: Op, error: StoreUnavailable) -> None:
        if op.callback is not None:
            _notify(op, error)
        if op.future is not None:
            if not op.future.done():
                op.future.set_exception(StoreUnavailable(str(error)))
        elif op.response_id is not None:
            if op.response_id not in self.broken:
                logger.warning(
                    "response %s: a write to Redis failed (%s); the response will fail",
                    op.response_id,
                    error,
                    extra=about(op.response_id),
                )
            self.broken[op.response_id] = error

    async def _run(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                self.appends.clear()
                self.snapshots.clear()
                ops: list[Op] = []
                for op in batch:
                    if (
                        op.args is not None
                        and len(op.args) == 5
                        and op.args[1] is scripts.SAVE
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
                except FAILURES as exc:
                    error = unavailable(exc)
                    for op in ops:
                        self._fail(op, error)
                    continue
                except Exception as exc:  # a bug must not leave callers waiting forever
                    logger.exception("Redis batch failed unexpectedly")
                    error = unavailable(exc)
                    for op in ops:
                        self._fail(op, error)
                    continue
                resend: list[Op] = []
                for op, reply in zip(ops, replies, strict=True):
                    if isinstance(reply, NoScriptError) and not op.resent:
                        # Redis lost its scripts (SCRIPT FLUSH): load them and send this again, in
                        # order, ahead of what was queued since.
                        op.resent = True
                        resend.append(op)
                    elif isinstance(reply, ResponseError):
                        logger.error(
                            "Redis refused a command (%s): %s", op.args[0], reply, extra=about(op.response_id)
                        )
                        self._fail(op, unavailable(reply))
                    elif op.callback is not None:
                        _notify(op, reply)
                    elif op.future is not None and not op.future.done():
                        op.future.set_result(reply)
                if resend:
                    self._load_scripts = True
                    self._queue[:0] = resend
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    async def _roundtrip(self, commands: list[list]) -> list[Any]:
        conn = self._conn
        if conn is None:
            conn = self._conn = self._pool.make_connection()
        loads = [["SCRIPT", "LOAD", script.source] for script in scripts.ALL] if self._load_scripts else []
        try:
            await conn.send_packed_command(pack(loads + commands if loads else commands), check_health=False)
            for _ in loads:  # a script that does not load is a bug: its callers hear of it (NOSCRIPT)
                with contextlib.suppress(ResponseError):
                    await conn.read_response()
            self._load_scripts = False
            replies: list[Any] = []
            for _ in commands:
                try:
                    replies.append(await conn.read_response())
                except ResponseError as exc:  # the reply was read: the connection is still in step
                    replies.append(exc)
            return replies
        except BaseException:
            self._load_scripts = True  # it reconnects for the next batch: a Redis restarted lost them
            await conn.disconnect(nowait=True)
            raise
