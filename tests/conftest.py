"""Project-wide test configuration.

``store_kind`` parametrizes tests over the stores responsekit ships: the runtime suite runs once
per store so every store keeps one behaviour. A store whose service is absent skips (fails under
CI=true); see support/services.py.

``tests`` and ``tests/property`` are on ``sys.path`` through the ``pythonpath`` setting in
pyproject.toml; the Hypothesis profile (support/hypothesis_profiles.py) is loaded here, once, for
every test package. Tests that spawn server processes carry the ``slow`` marker.
"""

from __future__ import annotations

import pytest
from support import hypothesis_profiles
from support.services import require_redis

hypothesis_profiles.load()

#: Stores the runtime suite runs against. The Redis store adds itself here once it exists.
STORE_KINDS = ["memory"]
try:
    import responsekit.store.redis  # noqa: F401

    STORE_KINDS.append("redis")
except ImportError:
    pass


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        require_redis()
    return request.param


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio only: the runtime is uvicorn's (trio is installed, by selenium)."""
    return "asyncio"
