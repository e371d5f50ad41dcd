"""Fixtures of the SQLite store tests: stores on a file of the test's own, opened and reopened."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from responsekit.store.sqlite import SqliteStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def opened(db: Path) -> Callable[..., AbstractAsyncContextManager[SqliteStore]]:
    """``async with opened(**options) as store``: the store on the test's file, started, then closed
    (open it again for a restart)."""

    @asynccontextmanager
    async def opening(**options: Any) -> AsyncIterator[SqliteStore]:
        store = SqliteStore(db, **options)
        await store.start()
        try:
            yield store
        finally:
            await store.close()

    return opening
