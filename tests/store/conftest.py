"""Fixtures of the store contract: one store of each kind responsekit ships, through its protocols only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.redis_support import TEST_DB, delete_keys, new_prefix
from support.services import require_redis

from responsekit.store.memory import MemoryStore
from responsekit.store.protocols import Store


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A started store (memory, SQLite in a file of this test's own, or Redis on a key prefix of this
    test's own, deleted afterwards)."""
    prefix = None
    if request.param == "memory":
        made: Store = MemoryStore()
    elif request.param == "sqlite":
        from responsekit.store.sqlite import SqliteStore

        made = SqliteStore(tmp_path / "store.db")
    else:
        require_redis()
        from responsekit.store.redis import RedisStore

        prefix = new_prefix()
        made = RedisStore(f"redis://127.0.0.1:6379/{TEST_DB}", key_prefix=prefix)
    await made.start()
    try:
        yield made
    finally:
        await made.close()
        if prefix is not None:
            delete_keys(prefix)
