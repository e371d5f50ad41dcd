"""Project-wide test configuration.

``store_kind`` parametrizes tests over the stores responsekit ships: the runtime suite runs once
per store so every store keeps one behaviour. A store whose service is absent skips (fails under
CI=true); see support/services.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.services import require_redis  # noqa: E402

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
