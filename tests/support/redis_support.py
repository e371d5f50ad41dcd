"""Redis for tests: a fresh key prefix per store (so tests never see each other's keys), deleted at exit."""

from __future__ import annotations

import atexit
import secrets

from support.services import require_redis

#: Tests use their own database number, away from anything else on the developer's Redis.
TEST_DB = 9
_prefixes: list[str] = []


def new_prefix() -> str:
    if not _prefixes:
        atexit.register(delete_test_keys)
    prefix = f"rktest:{secrets.token_hex(8)}:"
    _prefixes.append(prefix)
    return prefix


def redis_test_url(prefix: str | None = None, *, port: int = 6379, db: int = TEST_DB) -> str:
    """A store URL for one test: skips without Redis (fails under CI=true)."""
    if port == 6379:
        require_redis()
    return f"redis://127.0.0.1:{port}/{db}?key_prefix={prefix or new_prefix()}"


def delete_keys(prefix: str, *, port: int = 6379, db: int = TEST_DB) -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, db=db, socket_timeout=2, socket_connect_timeout=1)
    try:
        batch = []
        for key in client.scan_iter(match=prefix + "*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                client.unlink(*batch)
                batch = []
        if batch:
            client.unlink(*batch)
    except redis.RedisError:
        pass
    finally:
        client.close()


def delete_test_keys() -> None:
    while _prefixes:
        delete_keys(_prefixes.pop())
