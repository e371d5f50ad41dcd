"""Fixtures of the Redis store tests: stores sharing a key prefix (replicas), private Redis servers."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from support.polling import poll
from support.redis_support import TEST_DB, delete_keys, new_prefix
from support.servers import free_port
from support.services import require_redis, service_reachable

from responsekit.store.redis import RedisStore


@pytest.fixture(autouse=True)
def _redis_required() -> None:
    require_redis()


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    value = new_prefix()
    yield value
    delete_keys(value)


@pytest.fixture
async def stores(prefix: str) -> AsyncIterator[Callable[..., RedisStore]]:
    """``stores(**kwargs)`` makes a started RedisStore on this test's prefix (several = replicas)."""
    made: list[RedisStore] = []

    async def make(**kwargs) -> RedisStore:
        store = RedisStore(f"redis://127.0.0.1:6379/{TEST_DB}", key_prefix=prefix, **kwargs)
        await store.start()
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


class PrivateRedis:
    """A redis-server of one test's own, on a free port, which the test may stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def reachable() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} exited before it was reachable")
            return service_reachable("127.0.0.1", self.port, timeout=0.2)

        poll(reachable, timeout=timeout, interval=0.02, what=f"redis-server on port {self.port} reachable")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self.process = None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that run a redis-server of their own (``private_redis``) are ``slow``."""
    here = Path(__file__).resolve().parent
    for item in items:
        if "private_redis" in getattr(item, "fixturenames", ()) and here in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
