"""Fixtures of the store contract: one store of each kind responsekit ships, through its protocols only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.redis_support import TEST_DB, delete_keys, new_prefix
from support.services import require_redis

from responsekit.store.memory import MemoryStore
from responsekit.store.protocols import Store


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """A started store (memory, or Redis on a key prefix of this test's own, deleted afterwards)."""
    if request.param == "memory":
        made: Store = MemoryStore()
        prefix = None
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
