"""The README's first command, `make run`, serves the echo sample: it answers a create like the README
shows. (The second command, `make test`, is the run this test is part of.)"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from support.servers import free_port, wait_until_ready

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_serves_the_echo_sample() -> None:
    if shutil.which("make") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("make is not installed")
        pytest.skip("make is not installed")
    port = free_port()
    # Its own process group: make, then `responsekit serve`, both stopped together.
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # `make run` first brings .venv up to date (a no-op once `make install` has run).
        wait_until_ready(f"http://127.0.0.1:{port}/readiness", timeout=600, process=process)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/responses", json={"model": "m", "input": "hi"}, timeout=10
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(15)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["status"] == "completed"
    assert data["output"][0]["content"][0]["text"] == "Echo: hi"
