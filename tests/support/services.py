"""External services tests may need: skip with a reason when absent, fail instead under CI=true."""

from __future__ import annotations

import os
import socket

import pytest


def service_reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip the calling test when ``name`` is not listening; under CI=true, fail instead."""
    if service_reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: services must be running; .ci/run starts them)")
    pytest.skip(f"{message}; start it to run this test")


def require_redis() -> None:
    require_service("Redis", "127.0.0.1", 6379)
