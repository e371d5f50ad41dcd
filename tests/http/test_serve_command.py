"""``responsekit serve module:app``: the command's flags and errors, one worker serving, and
``--workers N`` pre-forked on one port (Redis shared; workers replaced when they die; SIGTERM stops all).

Every server here is a real process started the way users start it; each test writes its own app
module (the test app adds an ``x-worker-pid`` header to every HTTP response, so a test sees which
worker answered).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from support.polling import poll
from support.redis_support import redis_test_url
from support.servers import free_port, wait_until_ready

APP = '''
import asyncio
import os

from responsekit import ResponsesAgentServerHost, ResponsesServerOptions, TextResponse


class PidHost(ResponsesAgentServerHost):
    """Every HTTP response says which process served it."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        pid = str(os.getpid()).encode()

        async def send_pid(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), (b"x-worker-pid", pid)]}
            await send(message)

        await super().__call__(scope, receive, send_pid)


app = PidHost(options=ResponsesServerOptions(shutdown_grace_period_seconds=1.0))


@app.response_handler
async def handler(request, context, cancellation_signal: asyncio.Event):
    return TextResponse(context, request, text=f"Echo: {await context.get_input_text()}")


def make_app():
    return app


if __name__ == "__main__":
    app.run(workers=int(os.environ.get("WORKERS", "1")))
'''

SERVE = [sys.executable, "-m", "responsekit.cli", "serve"]


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "serve_test_app.py"
    path.write_text(APP)
    return path


def run(
    argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=30, cwd=cwd, env={**os.environ, **(env or {})}
    )


class Served:
    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def stderr(self) -> str:
        return self.log.read_text()

    def pid_of_next_connection(self) -> int:
        """The pid of the worker that serves a new connection."""
        response = httpx.get(self.url + "/readiness", timeout=5)
        assert response.status_code == 200
        return int(response.headers["x-worker-pid"])

    def worker_pids(self, count: int) -> set[int]:
        """Poll new connections until ``count`` distinct workers answered."""
        seen: set[int] = set()

        def all_seen() -> bool:
            seen.add(self.pid_of_next_connection())
            return len(seen) >= count

        poll(all_seen, timeout=15, interval=0.0, what=lambda: f"{count} workers answering (saw {seen})")
        return seen


@contextlib.contextmanager
def serving(argv: list[str], tmp_path: Path, *, port: int, cwd: Path | None = None) -> Iterator[Served]:
    log = tmp_path / f"serve-{port}.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            argv, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
    served = Served(process, port, log)
    try:
        wait_until_ready(served.url + "/readiness", process=process)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(15)


def sdk(url: str) -> openai.OpenAI:
    """A new client, so a new connection (and any worker may answer it)."""
    return openai.OpenAI(base_url=url, api_key="x", max_retries=0, _strict_response_validation=True)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# -- the command ------------------------------------------------------------------------------------------
def test_help_lists_every_flag_and_the_environment():
    result = run([*SERVE, "--help"])
    assert result.returncode == 0
    for flag in ("--host", "--port", "--store", "--workers", "--reload", "--factory", "--log-level"):
        assert flag in result.stdout
    for mentioned in ("RESPONSEKIT_STORE", "PORT", "ResponsesServerOptions", "module:app", "file.py:app"):
        assert mentioned in result.stdout
    usage = run([sys.executable, "-m", "responsekit.cli", "--help"])
    assert "serve" in usage.stdout


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("no_such_module_here:app", "cannot import 'no_such_module_here'"),
        ("{app_file}:nope", "has no attribute 'nope'"),
        ("{tmp}/missing.py:app", "no such file"),
        ("{app_file}", "expected module:app"),
    ],
)
def test_a_target_that_does_not_import_is_one_line_and_status_2(app_file, tmp_path, target, says):
    result = run([*SERVE, target.format(app_file=app_file, tmp=tmp_path)])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr
    assert "Traceback" not in result.stderr


def test_an_app_whose_import_fails_is_one_line_and_status_2(tmp_path):
    (tmp_path / "broken_app.py").write_text("import no_such_dependency_here\napp = None\n")
    result = run([*SERVE, "broken_app:app"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no_such_dependency_here" in result.stderr


def test_serves_a_file_target_for_the_strict_openai_client(app_file, tmp_path):
    port = free_port()
    with serving([*SERVE, f"{app_file}:app", "--port", str(port)], tmp_path, port=port) as served:
        client = sdk(served.url)
        created = client.responses.create(model="m", input="hello")
        assert created.status == "completed" and created.output_text == "Echo: hello"
        assert client.responses.retrieve(created.id) == created
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(15) == 0


def test_serves_a_module_target_from_the_working_directory_and_a_factory(app_file, tmp_path):
    port = free_port()
    argv = [*SERVE, "serve_test_app:make_app", "--factory", "--port", str(port), "--log-level", "warning"]
    with serving(argv, tmp_path, port=port, cwd=app_file.parent) as served:
        assert served.pid_of_next_connection() == served.process.pid  # one worker: no fork
        assert sdk(served.url).responses.create(model="m", input="hi").output_text == "Echo: hi"


@pytest.mark.parametrize("store", [None, "memory", "sqlite:///serve-test.db"])
def test_more_than_one_worker_needs_a_store_shared_by_processes(app_file, tmp_path, store):
    argv = [*SERVE, f"{app_file}:app", "--workers", "2", "--port", str(free_port())]
    result = run([*argv, "--store", store] if store else argv, cwd=tmp_path, env={"RESPONSEKIT_STORE": ""})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "--workers 2 needs a store shared by processes: Redis (--store redis://" in result.stderr
    assert "RESPONSEKIT_STORE" in result.stderr and "ResponsesServerOptions(store_url=" in result.stderr


def test_app_run_with_workers_refuses_the_memory_store_the_same_way(app_file, tmp_path):
    result = run(
        [sys.executable, str(app_file)],
        env={"WORKERS": "2", "RESPONSEKIT_STORE": "", "PORT": str(free_port())},
    )
    assert result.returncode == 2
    assert "--workers 2 needs a store shared by processes" in result.stderr


def test_reload_runs_one_worker(app_file):
    result = run([*SERVE, f"{app_file}:app", "--reload", "--workers", "2"])
    assert result.returncode == 2 and "--reload" in result.stderr


def test_the_app_own_store_url_wins_over_store_and_says_so(tmp_path):
    (tmp_path / "pinned_app.py").write_text(
        "from responsekit import ResponsesAgentServerHost, ResponsesServerOptions\n"
        "app = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url='memory'))\n"
    )
    result = run(
        [*SERVE, "pinned_app:app", "--workers", "2", "--store", "redis://127.0.0.1:1/0"], cwd=tmp_path
    )
    assert "store_url='memory' explicitly; it wins over --store" in result.stderr
    assert result.returncode == 2  # and it is the memory store: one process only


# -- workers ----------------------------------------------------------------------------------------------
@pytest.mark.redis
def test_workers_share_one_port_and_the_redis_store_then_stop_on_sigterm(app_file, tmp_path):
    port = free_port()
    argv = [*SERVE, f"{app_file}:app", "--port", str(port), "--workers", "2", "--store", redis_test_url()]
    with serving(argv, tmp_path, port=port) as served:
        pids = served.worker_pids(2)
        assert served.process.pid not in pids

        # Created through one worker, retrieved and replayed through the other.
        raw = sdk(served.url).responses.with_raw_response.create(model="m", input="shared")
        creator, created = int(raw.headers["x-worker-pid"]), raw.parse()
        assert created.output_text == "Echo: shared"

        def through_the_other(call):
            def attempt():
                result = call(sdk(served.url))
                return result if int(result.headers["x-worker-pid"]) != creator else None

            return poll(attempt, timeout=15, interval=0.0, what="a request served by the other worker")

        retrieved = through_the_other(lambda c: c.responses.with_raw_response.retrieve(created.id))
        assert retrieved.parse() == created
        replayed = through_the_other(
            lambda c: c.responses.with_raw_response.retrieve(created.id, stream=True)
        )
        events = list(replayed.parse())
        assert events[0].type == "response.created" and events[-1].type == "response.completed"
        assert events[-1].response == created

        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(15) == 0
        assert all(gone(pid) for pid in pids)
        assert "stopping 2 workers" in served.stderr()


@pytest.mark.redis
def test_a_worker_that_dies_is_replaced_and_the_port_keeps_answering(app_file, tmp_path):
    port = free_port()
    argv = [*SERVE, f"{app_file}:app", "--port", str(port), "--workers", "2", "--store", redis_test_url()]
    with serving(argv, tmp_path, port=port) as served:
        first, second = sorted(served.worker_pids(2))
        os.kill(first, signal.SIGKILL)
        poll(lambda: gone(first), what=f"worker {first} gone")
        # The port keeps answering (the survivor, or already the replacement), never the dead one.
        assert served.pid_of_next_connection() != first

        def replaced() -> int | None:
            pid = served.pid_of_next_connection()
            return pid if pid != second else None

        replacement = poll(replaced, timeout=15, interval=0.0, what="a replacement worker answering")
        assert replacement != first and served.process.poll() is None
        assert f"worker {first} was killed by SIGKILL; started worker {replacement}" in served.stderr()
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(15) == 0
        assert gone(second) and gone(replacement)


@pytest.mark.redis
def test_app_run_with_workers_serves_from_forked_workers(app_file, tmp_path):
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, str(app_file)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "WORKERS": "2", "PORT": str(port), "RESPONSEKIT_STORE": redis_test_url()},
        )
    served = Served(process, port, log)
    try:
        wait_until_ready(served.url + "/readiness", process=process)
        assert process.pid not in served.worker_pids(2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(15)
