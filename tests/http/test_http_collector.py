"""The collector set for serving (server/collector.py): a process app.run() or `responsekit serve`
runs gets the higher first-generation threshold and frozen startup objects; 0 leaves it alone; a
host served by another ASGI server changes nothing."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from support.hosts import echo_handler, host_with
from support.servers import serve_in_thread, spawn_server

from responsekit import ResponsesServerOptions
from responsekit.server.collector import SERVING_GC_THRESHOLD

# The handler answers with the collector's settings in the process that serves it.
APP = textwrap.dedent(
    """
    import gc, json, os
    from responsekit import ResponsesAgentServerHost, TextResponse

    app = ResponsesAgentServerHost()

    @app.response_handler
    def report(request, context, cancellation_signal):
        state = {"threshold": gc.get_threshold()[0], "frozen": gc.get_freeze_count()}
        return TextResponse(context, request, text=json.dumps(state))

    if __name__ == "__main__":
        app.run(host="127.0.0.1", log_level="warning")
    """
)


def _state(url: str) -> dict:
    answer = httpx.post(url + "/responses", json={"model": "m", "input": "gc?"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return json.loads(answer.json()["output"][0]["content"][0]["text"])


@pytest.fixture
def app_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("RESPONSEKIT_GC_THRESHOLD", raising=False)
    path = tmp_path / "gc_app.py"
    path.write_text(APP)
    return path


def test_app_run_sets_the_collector_for_serving(app_file: Path) -> None:
    with spawn_server([sys.executable, str(app_file)]) as server:
        state = _state(server.url)
    assert state["threshold"] == SERVING_GC_THRESHOLD
    assert state["frozen"] > 10_000  # the modules, the models' validators, the store


def test_responsekit_serve_sets_it_too(app_file: Path) -> None:
    with spawn_server([sys.executable, "-m", "responsekit.cli", "serve", f"{app_file}:app"]) as server:
        state = _state(server.url)
    assert state["threshold"] == SERVING_GC_THRESHOLD and state["frozen"] > 10_000


def _fresh_interpreter_freeze_count() -> int:
    """What a new interpreter reports frozen before any code runs (0, but 375 on CPython 3.12.1)."""
    command = [sys.executable, "-c", "import gc; print(gc.get_freeze_count())"]
    return int(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def test_zero_leaves_the_collector_alone(app_file: Path) -> None:
    default = gc.get_threshold()[0]  # this interpreter's, as a fresh one starts
    with spawn_server([sys.executable, str(app_file)], env={"RESPONSEKIT_GC_THRESHOLD": "0"}) as server:
        state = _state(server.url)
    assert state == {"threshold": default, "frozen": _fresh_interpreter_freeze_count()}


def test_another_asgi_server_changes_nothing() -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    host = host_with("memory", echo_handler())
    with serve_in_thread(host) as server:  # plain uvicorn, as a user's own deployment
        assert httpx.post(server.url + "/responses", json={"model": "m", "input": "hi"}).status_code == 200
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_the_option_is_checked() -> None:
    assert ResponsesServerOptions(gc_threshold=0).gc_threshold == 0
    for bad in (-1, 1.5, True, "10000"):
        with pytest.raises(ValueError, match="gc_threshold"):
            ResponsesServerOptions(gc_threshold=bad)
