"""Real servers for tests: an ASGI app under uvicorn in a thread, or a program in its own process.

Both bind a free loopback port and wait for readiness by polling (never a fixed sleep), and both
stop what they started, whatever the test did.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from responsekit.server.websocket import WEBSOCKET_PROTOCOL
from support.polling import poll


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(url: str, *, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers 200; fail early if ``process`` exits."""
    last: list[Exception] = []

    def ready() -> bool:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server process exited with {process.returncode} before it was ready")
        try:
            return httpx.get(url, timeout=1.0).status_code == 200
        except httpx.HTTPError as exc:
            last[:] = [exc]
            return False

    poll(ready, timeout=timeout, interval=0.05, what=lambda: f"{url} ready (last error: {last or None})")


@dataclass
class ThreadServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


@contextlib.contextmanager
def serve_in_thread(app: Any, *, ready_timeout: float = 20.0, **config: Any) -> Iterator[ThreadServer]:
    """Serve ``app`` with uvicorn on 127.0.0.1:<free port> in a thread; yields the running server.

    The socket is bound before the server starts, so any ASGI app works (no readiness route needed):
    the server is ready once uvicorn says it has started.
    """
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without
    # it each small response waits out a delayed ACK (about 40 ms per request on loopback).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # WebSockets through the implementation app.run() picks (server/websocket.py).
    options = {
        "log_level": "warning",
        "lifespan": "on",
        "timeout_graceful_shutdown": 5,
        "ws": WEBSOCKET_PROTOCOL,
        **config,
    }
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    running = ThreadServer(f"http://127.0.0.1:{port}", server, thread)
    try:

        def started() -> bool:
            if not thread.is_alive():
                raise RuntimeError("the test server did not start: its thread ended")
            return server.started

        poll(started, timeout=ready_timeout, what="the test server started")  # readiness, bounded
        yield running
    finally:
        running.stop()
        sock.close()


@dataclass
class ProcessServer:
    url: str
    process: subprocess.Popen
    port: int

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(15)


@contextlib.contextmanager
def spawn_server(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    ready_path: str = "/readiness",
    cwd: str | None = None,
    port: int | None = None,
) -> Iterator[ProcessServer]:
    """Run ``argv`` (with PORT set to a free port) as its own process; yields it once ready."""
    port = port or free_port()
    full_env = {**os.environ, **(env or {}), "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable if a == "python" else a for a in argv]
    process = subprocess.Popen(argv, env=full_env, cwd=cwd)
    server = ProcessServer(f"http://127.0.0.1:{port}", process, port)
    try:
        wait_until_ready(server.url + ready_path, process=process)
        yield server
    finally:
        server.stop()
