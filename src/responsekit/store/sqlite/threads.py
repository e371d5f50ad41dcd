"""The store's two threads: every SQLite call runs on one of them, never on the event loop.

- ``Writer``: one thread, one connection, every write. What one turn of the event loop queues is
  handed to the thread at the end of that turn, in one piece (a handler's events yielded in a row
  make one hand-over, one wake-up); the next transaction takes every piece handed over meanwhile
  (up to ``MAX_BATCH_OPS`` operations), so a response's events, and the writes of many responses at
  once, share one commit (one fsync, with ``synchronous=FULL``). Each operation is a function
  ``op(writer, *args)`` run inside the transaction; outcomes reach the event loop after the commit,
  in submission order, with one ``call_soon_threadsafe`` per transaction. A failed transaction is
  rolled back and its operations run again one per transaction, so one failing operation fails
  alone.
- ``Reader``: one thread with a read-only connection of its own (WAL: it reads while the writer
  writes). Each read is one read transaction, so it sees one committed state.

A SQLite error becomes ``StoreUnavailable`` (the server answers 503), naming the file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from responsekit.store.protocols import StoreStartupError, StoreUnavailable
from responsekit.store.sqlite.connection import FileLock, check_location, connect, file_error, quick_check
from responsekit.store.sqlite.ledger import Ledger

logger = logging.getLogger("responsekit")

#: Most operations one transaction takes (but all that one turn of the event loop queued).
MAX_BATCH_OPS = 4096
#: With nothing to write for this long, the writer calls ``idle`` (it sweeps expired rows).
IDLE_SECONDS = 30.0

#: ``callback(result, error)``, called on the event loop once the operation's transaction ended.
Callback = Callable[[Any, BaseException | None], None]
_STOP = object()


def unavailable(path: str, exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"SQLite store {path}: {type(exc).__name__}: {exc}")


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _run_callbacks(calls: list) -> None:
    for callback, result, error in calls:
        try:
            callback(result, error)
        except Exception:
            logger.exception("SQLite store: the follow-up of an operation failed")


def _deliver(calls: list) -> None:
    """Hand ``(callback, loop, result, error)`` outcomes to their loops, one wake-up per loop."""
    by_loop: dict[Any, list] = {}
    for callback, loop, result, error in calls:
        if callback is not None:
            by_loop.setdefault(loop, []).append((callback, result, error))
    for loop, outcomes in by_loop.items():
        with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_run_callbacks, outcomes)


class _Thread:
    """A thread serving a queue of operations with one connection of its own."""

    kind = ""

    def __init__(self, path: str, synchronous: str) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None
        self._synchronous = synchronous
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._pending: list = []  # queued in this turn of the event loop, not handed over yet
        self._thread: threading.Thread | None = None
        self._ended: concurrent.futures.Future | None = None
        self._accepting = False  # open, and not stopping
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    async def start(self) -> None:
        """Open the connection on a new thread; raises what failed. Once stopped, it may start again."""
        if self.running:
            return
        self._queue = queue.SimpleQueue()
        self._pending = []
        self._stopping = False
        opened: concurrent.futures.Future = concurrent.futures.Future()
        self._ended = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._main, args=(opened, self._ended), name=f"responsekit-sqlite-{self.kind}", daemon=True
        )
        self._thread.start()
        await asyncio.wrap_future(opened)

    def submit(self, op: Callable[..., Any], args: tuple, callback: Callback | None = None) -> None:
        """Queue ``op``; ``callback`` gets its outcome on the calling event loop."""
        if not self._accepting:
            state = "closed" if self._stopping else "not started"
            raise StoreUnavailable(f"SQLite store {self.path}: the store is {state}")
        loop = asyncio.get_running_loop()
        pending = self._pending
        pending.append((op, args, callback, loop))
        if len(pending) == 1:
            loop.call_soon(self._hand_over)

    def _hand_over(self) -> None:
        """What this turn of the event loop queued goes to the thread at once: one wake-up, and one
        transaction (for the writer) for all of it."""
        pending, self._pending = self._pending, []
        if pending:
            self._queue.put(pending)

    async def call(self, op: Callable[..., Any], *args: Any) -> Any:
        """Run ``op`` on the thread; its result (once committed, for a write)."""
        future = asyncio.get_running_loop().create_future()
        self.submit(op, args, lambda result, error: _settle(future, result, error))
        return await future

    async def stop(self) -> None:
        """Finish what is queued, then close the connection."""
        self._accepting = False
        if self._stopping or not self.running:
            return
        self._stopping = True
        self._hand_over()
        self._queue.put(_STOP)
        await asyncio.wrap_future(self._ended)

    def _main(self, opened: concurrent.futures.Future, ended: concurrent.futures.Future) -> None:
        try:
            self._open()
        except BaseException as exc:
            self._shut()
            opened.set_exception(exc)
            ended.set_result(None)
            return
        self._accepting = not self._stopping
        opened.set_result(None)
        try:
            self._serve()
        finally:
            self._accepting = False
            self._shut()
            ended.set_result(None)

    def _serve(self) -> None:
        get, get_nowait = self._queue.get, self._queue.get_nowait
        while True:
            try:
                first = get(timeout=IDLE_SECONDS)
            except queue.Empty:
                self._idle()
                continue
            if first is _STOP:
                return
            batch = first  # what one turn of the event loop queued, and the turns since
            stop = False
            while len(batch) < MAX_BATCH_OPS:
                try:
                    more = get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.extend(more)
            self._run(batch)
            if stop:
                return

    def _open(self) -> None:
        raise NotImplementedError

    def _shut(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _run(self, batch: list) -> None:
        raise NotImplementedError

    def _idle(self) -> None:
        pass


class Writer(_Thread):
    """The writing thread. An operation uses ``conn``, ``now`` (the transaction's wall clock) and
    ``ledger`` (what the writer knows of the file); all three belong to the thread.

    ``prepare(writer)`` runs once the file is open (tables, recovery); ``before_commit(writer)`` at
    the end of every transaction; ``idle(writer)`` when nothing was written for ``IDLE_SECONDS``.
    """

    kind = "writer"

    def __init__(
        self,
        path: str,
        *,
        synchronous: str,
        ledger: Ledger,
        prepare: Callable[[Writer], None],
        before_commit: Callable[[Writer], None],
        idle: Callable[[Writer], None],
    ) -> None:
        super().__init__(path, synchronous)
        self.ledger = ledger
        self.now = 0.0
        #: False after a failed transaction, until one commits (``Store.healthy``).
        self.healthy = True
        self._prepare = prepare
        self._before_commit = before_commit
        self._on_idle = idle
        self._lock = FileLock(path)

    def _open(self) -> None:
        check_location(self.path)
        self._lock.acquire()
        self.conn = connect(self.path, synchronous=self._synchronous)
        quick_check(self.conn, self.path)
        self.now = time.time()
        try:
            self._prepare(self)
        except sqlite3.Error as exc:
            raise file_error(self.path, exc) from None

    def _shut(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("PRAGMA optimize")
        super()._shut()
        self._lock.release()

    def _run(self, batch: list) -> None:
        conn = self.conn
        self.now = time.time()
        calls: list = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, args, callback, loop in batch:
                calls.append((callback, loop, op(self, *args), None))
            self._before_commit(self)
            conn.execute("COMMIT")
            self.healthy = True
        except Exception as exc:
            self._rollback()
            if len(batch) == 1:
                calls = [(batch[0][2], batch[0][3], None, self._failure(exc))]
            else:  # one at a time: only the operation that fails fails
                calls = [(callback, loop, *self._run_one(op, args)) for op, args, callback, loop in batch]
        _deliver(calls)

    def _run_one(self, op: Callable[..., Any], args: tuple) -> tuple[Any, BaseException | None]:
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = op(self, *args)
            self._before_commit(self)
            conn.execute("COMMIT")
            self.healthy = True
            return result, None
        except Exception as exc:
            self._rollback()
            return None, self._failure(exc)

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("ROLLBACK")
        try:
            self.ledger.load(self.conn)  # it may count what was rolled back
        except sqlite3.Error:
            logger.exception("SQLite store %s: could not read its ledger again", self.path)

    def _failure(self, exc: Exception) -> BaseException:
        if isinstance(exc, sqlite3.Error):
            self.healthy = False
            logger.warning("SQLite store %s: a write failed: %s: %s", self.path, type(exc).__name__, exc)
            return unavailable(self.path, exc)
        return exc

    def _idle(self) -> None:
        self.now = time.time()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self._on_idle(self)
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            logger.warning("SQLite store %s: the idle sweep failed: %s", self.path, exc)


class Reader(_Thread):
    """The reading thread and its read-only connection. An operation is ``op(conn, *args)``.

    Once stopped (the store closed), reads still work, as the memory and Redis stores' do: each
    opens the file on a worker thread of its own, reads, and closes it (slower, and only reads).
    """

    kind = "reader"

    def _open(self) -> None:
        self.conn = connect(self.path, synchronous=self._synchronous, read_only=True)

    async def call(self, op: Callable[..., Any], *args: Any) -> Any:
        if self._stopping:
            return await asyncio.get_running_loop().run_in_executor(None, self._read_closed, op, args)
        return await super().call(op, *args)

    def _read_closed(self, op: Callable[..., Any], args: tuple) -> Any:
        try:
            conn = connect(self.path, synchronous=self._synchronous, read_only=True)
        except StoreStartupError as exc:
            raise unavailable(self.path, exc) from None
        try:
            result, error = self._read(conn, op, args)
        finally:
            conn.close()
        if error is not None:
            raise error
        return result

    def _run(self, batch: list) -> None:
        conn = self.conn
        _deliver([(callback, loop, *self._read(conn, op, args)) for op, args, callback, loop in batch])

    def _read(self, conn: sqlite3.Connection, op: Callable[..., Any], args: tuple) -> tuple[Any, Any]:
        """(result, None) or (None, error) of ``op`` in one read transaction."""
        try:
            conn.execute("BEGIN")
            try:
                return op(conn, *args), None
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            return None, unavailable(self.path, exc)
        except Exception as exc:
            return None, exc
