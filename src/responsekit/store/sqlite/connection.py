"""Opening the store's file: the lock that keeps it to one process, each connection's settings, and
startup errors that say plainly what is wrong with the file and where.

Everything here blocks (file system, SQLite): it runs on the store's own threads (``threads``),
never on the event loop.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3

from responsekit.store.protocols import StoreStartupError

try:  # pragma: no cover - depends on the platform
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

#: The class of every connection the store opens (a test may put a subclass here to watch them).
CONNECTION_CLASS: type[sqlite3.Connection] = sqlite3.Connection
#: How long a statement waits for a lock SQLite itself takes (a WAL checkpoint) before failing.
BUSY_TIMEOUT_MS = 5000
#: Files up to this size get ``PRAGMA quick_check`` at startup (a larger one is checked as it is read).
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024


def startup_error(path: str, problem: str) -> StoreStartupError:
    return StoreStartupError(f"SQLite store {path}: {problem}")


def check_location(path: str) -> None:
    """The directory must exist and take new files (the lock, the WAL); the file, if it exists, must
    be a readable and writable regular file."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        what = "is not a directory" if os.path.exists(directory) else "does not exist"
        raise startup_error(path, f"the directory {directory} {what}")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise startup_error(
            path,
            f"the directory {directory} is not writable (the store writes its file, -wal and -shm there)",
        )
    if os.path.exists(path):
        if not os.path.isfile(path):
            raise startup_error(path, "it exists and is not a regular file")
        if not os.access(path, os.R_OK | os.W_OK):
            raise startup_error(path, "the file is not readable and writable by this process")


class FileLock:
    """An advisory lock on ``<file>.lock``: one process per store file, held until ``release`` (or the
    process's end). The holder writes its pid there, so the next one can say who holds it."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.path = database + ".lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            directory = os.path.dirname(os.path.abspath(self.path))
            raise startup_error(
                self.database, f"cannot write in the directory {directory} ({exc.strerror})"
            ) from None
        try:
            _lock(fd)
        except OSError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"pid {holder}" if holder else "another process"
            raise startup_error(
                self.database,
                f"the file is in use by {who} (it holds {self.path}). One process serves a SQLite "
                "store: stop the other one, or give this one its own file (Redis shares a store "
                "between replicas)",
            ) from None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor releases the lock


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


def connect(path: str, *, synchronous: str, read_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), on the calling thread only.

    The writer's connection sets WAL mode (kept in the file) and ``synchronous``; a reader's is
    ``query_only``. A file that is not a database fails here, as a ``StoreStartupError``.
    """
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=True, factory=CONNECTION_CLASS, cached_statements=256
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        else:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise startup_error(path, f"SQLite refused WAL mode (journal mode is {mode!r})")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
    except sqlite3.Error as exc:
        conn.close()
        raise file_error(path, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


def quick_check(conn: sqlite3.Connection, path: str) -> None:
    """``PRAGMA quick_check`` on a file small enough to check at once; a damaged one fails to start."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return
    if size > QUICK_CHECK_MAX_BYTES:
        return
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.Error as exc:
        raise file_error(path, exc) from None
    if problems != ["ok"]:
        lines = [line.strip() for problem in problems for line in problem.splitlines()]
        shown = "; ".join(line for line in lines if line and not line.startswith("***"))
        raise startup_error(path, f"the database is corrupt ({shown}); {_RESTORE}")


_RESTORE = "restore it from a backup, or move it away to start with an empty store"


def file_error(path: str, exc: sqlite3.Error) -> StoreStartupError:
    """What a SQLite error met while opening the file says about it."""
    message = str(exc)
    lowered = message.lower()
    if "not a database" in lowered or "file is encrypted" in lowered:
        return startup_error(path, f"the file is not an SQLite database ({message})")
    if "malformed" in lowered or "corrupt" in lowered:
        return startup_error(path, f"the database is corrupt ({message}); {_RESTORE}")
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return startup_error(path, f"the file cannot be opened for writing ({message})")
    return startup_error(path, f"SQLite failed to open it ({type(exc).__name__}: {message})")
