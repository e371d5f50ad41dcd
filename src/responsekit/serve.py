"""``responsekit serve module:app``: start an app the way uvicorn apps are started, on one or many cores.

One worker serves in this process, as ``app.run()`` does. ``--workers N`` pre-forks: this process
imports the app, binds one listening socket, forks N workers that each serve it (each the same
server ``app.run()`` starts, draining on SIGTERM), then supervises them: SIGTERM/SIGINT stop them,
a worker that dies is replaced. Workers share nothing but the store, so more than one needs a
store shared by processes (Redis). ``app.run(workers=N)`` uses :func:`run_workers` too.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

PROG = "responsekit serve"

DESCRIPTION = """\
Serve an ASGI app (a ResponsesAgentServerHost, or an app mounting one) with uvicorn.

environment:
  RESPONSEKIT_STORE  the store of every ResponsesServerOptions() built without store_url
                     ('memory', 'sqlite:///file.db', 'redis://host:port/db'); --store sets it
  PORT               the port when --port is not given (else 8088)
  RESPONSEKIT_CONSOLE, RESPONSEKIT_CONSOLE_ALLOW_REMOTE
                     "1" turns on the event console / lets it leave loopback (as the flags do)

Every ResponsesServerOptions field (store_url, shutdown_grace_period_seconds, ...) can also be set
in the app's own code; a value set there explicitly wins over --store.

--workers N runs N processes sharing one port; they share state only through the store, so more
than one worker needs Redis (the memory store keeps responses in one process, a SQLite file is
served by one process).
"""

#: A worker that exits sooner than this after it started counts as failing at startup; after
#: MAX_QUICK_EXITS such exits in a row, the supervisor gives up instead of restarting forever.
QUICK_EXIT_SECONDS = 5.0
MAX_QUICK_EXITS = 5


class ServeError(Exception):
    """A one-line error ending the command with status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "app", metavar="module:app", help="the app to serve: 'package.module:app' or 'path/to/file.py:app'"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port to bind (default: $PORT, else 8088)")
    parser.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="sets RESPONSEKIT_STORE before the app is imported: memory, sqlite:///file.db, redis://host:port/db",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes sharing the port (default: 1); more than one needs a Redis store",
    )
    parser.add_argument("--reload", action="store_true", help="restart when the code changes (one worker)")
    parser.add_argument(
        "--console",
        action="store_true",
        help="serve the live event console at <route prefix>/_console (loopback only; sets RESPONSEKIT_CONSOLE=1)",
    )
    parser.add_argument(
        "--console-allow-remote",
        action="store_true",
        help="let the console serve non-loopback binds and clients (sets RESPONSEKIT_CONSOLE_ALLOW_REMOTE=1)",
    )
    parser.add_argument(
        "--factory", action="store_true", help="the attribute is a function returning the app (called once)"
    )
    parser.add_argument(
        "--log-level",
        default=None,
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        type=str.lower,
        help="uvicorn's and responsekit's log level (default: info)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return _serve(args)
    except ServeError as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return 2


def _serve(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise ServeError(f"--workers must be at least 1, got {args.workers}")
    if args.reload and args.workers != 1:
        raise ServeError("--reload runs one worker; drop --workers or --reload")
    if args.port is not None and not 0 <= args.port <= 65535:
        raise ServeError(f"--port must be 0..65535, got {args.port}")
    if args.store is not None:
        if not args.store.strip():
            raise ServeError("--store must not be empty")
        from responsekit.server.options import ResponsesServerOptions

        try:
            ResponsesServerOptions(store_url=args.store)
        except ValueError as exc:
            raise ServeError(f"--store: {exc}") from None
        os.environ["RESPONSEKIT_STORE"] = args.store  # before the app's options are built
    if args.console:  # before the app's options are built, as --store
        os.environ["RESPONSEKIT_CONSOLE"] = "1"
    if args.console_allow_remote:
        os.environ["RESPONSEKIT_CONSOLE_ALLOW_REMOTE"] = "1"
    target = load_target(args.app, factory=args.factory)
    hosts = _hosts(target)
    _check_console(hosts, args.host, asked=args.console)
    if args.store is not None:
        for host in hosts:
            if host.options.store_url != args.store:
                sys.stderr.write(
                    f"{PROG}: the app sets store_url={host.options.store_url!r} explicitly; it wins over "
                    f"--store {args.store!r}\n"
                )
    uvicorn_options: dict[str, Any] = {}
    if args.log_level is not None:
        uvicorn_options["log_level"] = args.log_level
        import logging

        level = logging.DEBUG if args.log_level == "trace" else args.log_level.upper()
        logging.getLogger("responsekit").setLevel(level)
    port = args.port if args.port is not None else _env_port()
    if args.reload:
        return _reload(target, args.host, port, hosts, uvicorn_options)
    if args.workers == 1:
        _stop_cleanly_on_signals()
        try:
            serve_in_process(target.app, args.host, port, None, uvicorn_options)
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
        return 0
    return run_workers(
        target.app,
        host=args.host,
        port=port,
        workers=args.workers,
        uvicorn_options=uvicorn_options,
        hosts=hosts,
    )


def _check_console(hosts: Sequence[Any], bind: str, *, asked: bool) -> None:
    """Refuse to serve the event console beyond loopback unless allowed (see console/loopback.py)."""
    from responsekit.console.loopback import bind_problem

    for host in hosts:
        if asked and not host.options.console:
            sys.stderr.write(f"{PROG}: the app sets console=False explicitly; it wins over --console\n")
        problem = bind_problem(host.options, bind)
        if problem is not None:
            raise ServeError(problem)


def _stop_cleanly_on_signals() -> None:
    """SIGTERM/SIGINT end the process with status 0: before uvicorn hears them (it drains, then
    restores these handlers and raises the signal again) and after."""

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


# -- loading the app ----------------------------------------------------------------------------------
@dataclass
class Target:
    app: Any
    module: ModuleType
    import_string: str  # for uvicorn's reloader: "module:attr"
    app_dir: str  # put first on sys.path to import ``import_string``
    factory: bool


def load_target(spec: str, *, factory: bool = False) -> Target:
    """Import ``module:attr`` or ``path/to/file.py:attr`` (ServeError when it cannot, one line)."""
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise ServeError(f"expected module:app or path/to/file.py:app, got {spec!r}")
    is_file = module_part.endswith(".py") or os.sep in module_part or "/" in module_part
    try:
        if is_file:
            path = os.path.abspath(module_part)
            if not os.path.isfile(path):
                raise ServeError(f"cannot import {module_part!r}: no such file")
            app_dir = os.path.dirname(path)
            name = os.path.splitext(os.path.basename(path))[0]
            if not name.isidentifier():
                raise ServeError(f"cannot import {module_part!r}: {name!r} is not a module name")
            if app_dir not in sys.path:
                sys.path.insert(0, app_dir)  # its sibling modules import, as under `python file.py`
            module = importlib.import_module(name)
            if os.path.abspath(getattr(module, "__file__", "") or "") != path:
                raise ServeError(
                    f"cannot import {module_part!r}: module name {name!r} is taken by {module.__file__!r}"
                )
        else:
            app_dir = os.getcwd()
            if app_dir not in sys.path:
                sys.path.insert(0, app_dir)  # as uvicorn does (--app-dir .)
            name = module_part
            module = importlib.import_module(name)
    except (ImportError, SyntaxError, ValueError) as exc:
        detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ImportError) else str(exc)
        raise ServeError(f"cannot import {module_part!r}: {detail}") from None
    app: Any = module
    for part in attr.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise ServeError(f"module {module_part!r} has no attribute {attr!r}") from None
    if factory:
        if not callable(app):
            raise ServeError(f"--factory: {spec!r} is not callable")
        try:
            app = app()
        except (ImportError, ValueError) as exc:
            raise ServeError(f"--factory: {spec!r} failed: {type(exc).__name__}: {exc}") from None
    if not callable(app):
        raise ServeError(f"{spec!r} is not an ASGI app (got {type(app).__name__})")
    return Target(app, module, f"{name}:{attr}", app_dir, factory)


def _hosts(target: Target) -> list[Any]:
    """The ResponsesAgentServerHosts the app serves: the app itself, or those its module holds."""
    from responsekit.server.host import ResponsesAgentServerHost

    if isinstance(target.app, ResponsesAgentServerHost):
        return [target.app]
    found = [v for v in vars(target.module).values() if isinstance(v, ResponsesAgentServerHost)]
    return list({id(h): h for h in found}.values())


def _env_port() -> int:
    value = os.environ.get("PORT", "8088")
    try:
        return int(value)
    except ValueError:
        raise ServeError(f"PORT must be a number, got {value!r}") from None


# -- one process --------------------------------------------------------------------------------------
def serve_in_process(
    app: Any, host: str, port: int, sockets: list[socket.socket] | None, uvicorn_options: dict[str, Any]
) -> None:
    """What ``app.run()`` does (a host: its draining server), on ``sockets`` when given."""
    from responsekit.server.host import ResponsesAgentServerHost

    if isinstance(app, ResponsesAgentServerHost):
        asyncio.run(app.run_async(host=host, port=port, sockets=sockets, **uvicorn_options))
        return
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **uvicorn_options))
    asyncio.run(server.serve(sockets=sockets))


def _reload(target: Target, host: str, port: int, hosts: list[Any], uvicorn_options: dict[str, Any]) -> int:
    import uvicorn

    from responsekit.server.websocket import uvicorn_websocket_options

    options = {**(uvicorn_websocket_options(hosts[0].options) if hosts else {}), **uvicorn_options}
    reload_dirs = list(dict.fromkeys([os.getcwd(), target.app_dir]))
    _stop_cleanly_on_signals()
    uvicorn.run(
        target.import_string,
        host=host,
        port=port,
        reload=True,
        reload_dirs=reload_dirs,
        app_dir=target.app_dir,
        factory=target.factory,
        **options,
    )
    return 0


# -- many processes -----------------------------------------------------------------------------------
def check_workers(hosts: Sequence[Any], workers: int) -> str | None:
    """Why ``workers`` processes cannot serve ``hosts`` (None when they can)."""
    if workers < 1:
        return f"workers must be at least 1, got {workers}"
    if workers == 1:
        return None
    if not hasattr(os, "fork"):
        return (
            f"--workers {workers} needs os.fork (not available on this platform); run one worker per process"
        )
    for host in hosts:
        kind = _store_kind(host)
        if kind is not None:
            return (
                f"--workers {workers} needs a store shared by processes: Redis (--store redis://... or "
                f"RESPONSEKIT_STORE / ResponsesServerOptions(store_url=...)); the memory store keeps "
                f"responses in one process, and a SQLite file is served by one process (this app's store: {kind})"
            )
    return None


def _store_kind(host: Any) -> str | None:
    """'memory' or 'sqlite' when ``host``'s store lives in one process; None when it is shared."""
    store = getattr(host, "_store", None)
    if store is not None:  # given to the host explicitly
        module = type(store).__module__
        if module.startswith("responsekit.store.memory"):
            return "memory"
        if module.startswith("responsekit.store.sqlite"):
            return "sqlite"
        return None
    url = host.options.store_url
    if url in (None, "memory") or url.startswith("memory://"):
        return "memory"
    if url.startswith("sqlite:"):
        return "sqlite"
    return None


def bind_socket(host: str, port: int, *, listen: bool = True, reuse_port: bool = False) -> socket.socket:
    """A TCP socket bound to ``host:port`` (listening unless ``listen=False``). IPPROTO_TCP, not 0:
    asyncio sets TCP_NODELAY only on accepted connections whose socket says TCP (uvicorn's own
    bind says 0, and small responses then wait out delayed ACKs). ``reuse_port``: one of several
    sockets on the port, among which the kernel spreads new connections (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(2048)  # uvicorn's default backlog
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def run_workers(
    app: Any,
    *,
    host: str,
    port: int | None,
    workers: int,
    uvicorn_options: dict[str, Any] | None = None,
    hosts: Sequence[Any] | None = None,
) -> int:
    """Serve ``app`` from ``workers`` forked processes on one socket; supervise them. Returns the
    exit status (0 on a clean stop, 2 when refused). With one worker, serves in this process."""
    from responsekit.server.host import ResponsesAgentServerHost

    uvicorn_options = dict(uvicorn_options or {})
    if hosts is None:
        hosts = [app] if isinstance(app, ResponsesAgentServerHost) else []
    try:
        port = port if port is not None else _env_port()
        _check_console(hosts, host, asked=False)
        problem = check_workers(hosts, workers)
        if problem is not None:
            raise ServeError(problem)
        if workers == 1:
            serve_in_process(app, host, port, None, uvicorn_options)
            return 0
        # Each worker listens on a socket of its own on the port (SO_REUSEPORT, where the system has
        # it): the kernel spreads connections over them. On one shared socket, the worker that wakes
        # first takes every waiting connection, and a load of keep-alive connections can all land
        # on one worker. This socket, bound but not listening, holds the port for the workers'.
        reuse_port = hasattr(socket, "SO_REUSEPORT")
        sock = bind_socket(host, port, listen=not reuse_port, reuse_port=reuse_port)
        _share_compaction_key(hosts, workers)
        if threading.active_count() > 1:
            sys.stderr.write(
                f"responsekit: forking {workers} workers while this process runs other threads; "
                "only the forking thread goes on in each worker\n"
            )
    except ServeError as exc:
        sys.stderr.write(f"responsekit: {exc}\n")
        return 2
    try:
        return _Supervisor(app, sock, host, port, workers, uvicorn_options).run()
    finally:
        sock.close()


def _share_compaction_key(hosts: Sequence[Any], workers: int) -> None:
    """Without a configured compaction key each process would make its own, and a compaction item
    made by one worker would not open on another: give the workers one random key, made here."""
    import secrets

    for host in hosts:
        if host.options.compaction_key is None and getattr(host, "_sealer", None) is None:
            host.options.compaction_key = secrets.token_urlsafe(32)
            sys.stderr.write(
                f"responsekit: no compaction key is set (ResponsesServerOptions.compaction_key or "
                f"RESPONSEKIT_COMPACTION_KEY): the {workers} workers share a random one, so compaction "
                "items open only until they stop; give every replica the same key\n"
            )


def _listening(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))


class _Supervisor:
    def __init__(
        self,
        app: Any,
        sock: socket.socket,
        host: str,
        port: int,
        workers: int,
        uvicorn_options: dict[str, Any],
    ) -> None:
        self.app = app
        self.sock = sock
        self.host = host
        self.port = sock.getsockname()[1] or port
        self.workers = workers
        self.uvicorn_options = uvicorn_options
        self.children: dict[int, float] = {}  # pid -> start time
        self.stopping = False
        self.stop_signals = 0
        self.pid = os.getpid()
        #: Whether each worker gets a listening socket of its own (see run_workers).
        self.per_worker = not _listening(sock)

    def run(self) -> int:
        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in signals}
        try:
            for _ in range(self.workers):
                self._spawn()
            sys.stderr.write(
                f"responsekit: serving on http://{self.host}:{self.port} with {self.workers} workers "
                f"(pids {', '.join(map(str, self.children))}; supervisor {self.pid})\n"
            )
            return self._supervise()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if os.getpid() != self.pid:  # a worker, before it installed its own handlers
            raise SystemExit(0)
        self.stop_signals += 1
        if not self.stopping:
            self.stopping = True
            sys.stderr.write(
                f"responsekit: stopping {len(self.children)} worker{'' if len(self.children) == 1 else 's'}\n"
            )
        # SIGTERM drains a worker. A terminal's Ctrl-C already sent SIGINT to every worker: SIGTERM
        # adds nothing there, where a second SIGINT would skip the drain; the second Ctrl-C does that.
        forward = signal.SIGINT if signum == signal.SIGINT and self.stop_signals > 1 else signal.SIGTERM
        for pid in list(self.children):
            try:
                os.kill(pid, forward)
            except ProcessLookupError:
                pass

    def _spawn(self) -> None:
        # Signals wait until the worker has its own handlers (and the supervisor knows its pid).
        blocked = {signal.SIGTERM, signal.SIGINT}
        for stream in (sys.stdout, sys.stderr):  # or each worker writes what is buffered again
            stream.flush()
        listener = bind_socket(self.host, self.port, reuse_port=True) if self.per_worker else self.sock
        signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            pid = os.fork()
            if pid == 0:
                self._worker(listener)  # never returns
            self.children[pid] = time.monotonic()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
            if listener is not self.sock:
                listener.close()  # the worker's own now

    def _worker(self, listener: socket.socket) -> None:
        code = 1
        try:
            if listener is not self.sock:
                self.sock.close()  # the supervisor's placeholder: not this worker's to keep
            _stop_cleanly_on_signals()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
            serve_in_process(self.app, self.host, self.port, [listener], self.uvicorn_options)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                sys.stderr.write(f"{exc.code}\n")
        except BaseException:
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass
            os._exit(code)

    def _supervise(self) -> int:
        quick_exits = 0
        status_code = 0
        while self.children:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            started = self.children.pop(pid, None)
            if started is None:
                continue  # not a worker (a child of the app's own)
            clean = _clean_exit(status)
            if self.stopping:
                if not clean:
                    status_code = 1
                    sys.stderr.write(f"responsekit: worker {pid} {_describe(status)} while stopping\n")
                continue
            quick_exits = quick_exits + 1 if time.monotonic() - started < QUICK_EXIT_SECONDS else 0
            if quick_exits >= MAX_QUICK_EXITS:
                sys.stderr.write(
                    f"responsekit: worker {pid} {_describe(status)}; workers keep exiting at startup, stopping\n"
                )
                self._on_signal(signal.SIGTERM, None)
                status_code = 1
                continue
            self._spawn()
            new = list(self.children)[-1]
            sys.stderr.write(f"responsekit: worker {pid} {_describe(status)}; started worker {new}\n")
        return status_code


def _clean_exit(status: int) -> bool:
    if os.WIFSIGNALED(status):
        return os.WTERMSIG(status) in (signal.SIGTERM, signal.SIGINT)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.WEXITSTATUS(status)}"


if __name__ == "__main__":
    sys.exit(main())
