"""Resilient background responses on real processes: SIGKILL mid-response, then recovery.

- SQLite: the process is killed after phase 1's checkpoint; the next start on the same file
  re-enters the handler, and the response completes.
- Redis: replica A is killed after phase 1's checkpoint; replica B (same key prefix) re-enters it
  once A's lease expires; a reader attached to B before the kill (Last-Event-ID) reads on to the
  terminal event.
- max_recovery_attempts: a handler that kills its process after every first checkpoint ends
  ``failed`` (``server_error``, the "lost too many times" message) and is not re-entered again.

Every run of the handler leaves marks (tests/recovery/resilient_app.py); each wait is bounded and
every process started is stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from support.polling import poll
from support.redis_support import delete_keys, new_prefix, redis_test_url
from support.servers import ProcessServer, free_port, spawn_server
from support.services import require_redis

from responsekit.streaming.terminal import FAILURE_MESSAGES

pytestmark = pytest.mark.slow  # every test here runs server processes

APP = str(Path(__file__).with_name("resilient_app.py"))
WAIT = 15.0
LEASE = 1.0
REQUEST = {"input": "go", "background": True}


# -- helpers -----------------------------------------------------------------------------------------
def app_env(store_url: str, marks: Path, name: str = "replica", **extra: str) -> dict[str, str]:
    return {
        "RESPONSEKIT_STORE": store_url,
        "RECOVERY_MARKS": str(marks),
        "REPLICA_NAME": name,
        "RECOVERY_LEASE_SECONDS": str(LEASE),
        **extra,
    }


@contextmanager
def server(env: dict[str, str]) -> Iterator[ProcessServer]:
    with spawn_server([sys.executable, APP], env=env) as running:
        yield running


def client_of(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
    )


def wait_for_mark(marks: Path, response_id: str, name: str, timeout: float = WAIT) -> str:
    path = marks / f"{response_id}.{name}"
    poll(path.exists, timeout=timeout, interval=0.005, what=f"mark {name!r} of {response_id}")
    return path.read_text()


def runs(marks: Path, response_id: str) -> list[dict[str, Any]]:
    """The handler's runs of a response, in order: {"replica", "is_recovery", "phase"} each."""
    found = []
    while (marks / f"{response_id}.run{len(found)}").exists():
        found.append(json.loads((marks / f"{response_id}.run{len(found)}").read_text()))
    return found


def sigkill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)  # no drain, no terminal event, no lease release
    process.wait(WAIT)
    assert process.returncode == -signal.SIGKILL


def read_until_killed(events, seen: list) -> None:
    """Read a live stream of a process that is being killed until its connection breaks."""
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        for event in events:
            seen.append(event)
    assert seen[-1].type not in ("response.completed", "response.failed", "response.incomplete")


def read_through_phase_1(events, seen: list) -> str:
    """Read a live create stream up to phase 1's ``output_item.done``; returns the response id."""
    for event in events:
        seen.append(event)
        if event.type == "response.output_item.done":
            assert event.output_index == 0
            return seen[0].response.id
    raise AssertionError("the stream ended before phase 1 was done")


def terminal(client: openai.OpenAI, response_id: str, timeout: float = WAIT):
    def ended():
        response = client.responses.retrieve(response_id)
        return response if response.status not in ("queued", "in_progress") else None

    return poll(ended, timeout=timeout, interval=0.05, what=f"{response_id} terminal")


def dumped(events) -> list[dict]:
    return [event.model_dump(mode="json", exclude_unset=True) for event in events]


def check_gapless_replay(
    client: openai.OpenAI, response_id: str, seen_before: list, terminal_type: str
) -> list:
    """The replay from sequence 0: contiguous, one response.created, one terminal event (last), and
    what a reader saw before the crash as its beginning."""
    replay = list(client.responses.retrieve(response_id, stream=True))
    types = [e.type for e in replay]
    assert [e.sequence_number for e in replay] == list(range(len(replay))), [
        e.sequence_number for e in replay
    ]
    assert types.count("response.created") == 1 and types[0] == "response.created"
    assert types[-1] == terminal_type
    assert sum(t in ("response.completed", "response.failed", "response.incomplete") for t in types) == 1
    assert dumped(replay[: len(seen_before)]) == dumped(seen_before)
    return replay


def check_completed(final, phase_1_id: str) -> None:
    assert final.status == "completed", final.model_dump_json(indent=1)
    texts = [item.content[0].text for item in final.output]
    assert texts == [
        "phase 1 (first run) .1 .2 .3",
        "phase 2 (recovery) .1 .2 .3",
        "phase 3 (recovery) .1 .2 .3",
    ]
    assert final.output[0].id == phase_1_id  # the checkpointed item kept its id
    assert len({item.id for item in final.output}) == 3


# -- SQLite: SIGKILL, then the next start recovers ---------------------------------------------------
def test_sqlite_sigkill_mid_response_then_restart_completes_it(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    env = app_env(f"sqlite:///{tmp_path / 'responses.db'}", marks)
    seen: list = []
    with server(env) as first:
        events = client_of(first.url).responses.create(model="phases", stream=True, **REQUEST)
        rid = read_through_phase_1(events, seen)
        wait_for_mark(marks, rid, "checkpoint1")  # phase 1 is durably checkpointed
        sigkill(first.process)
        read_until_killed(events, seen)
    last_seen = seen[-1].sequence_number
    assert [e.sequence_number for e in seen] == list(range(last_seen + 1))
    phase_1_id = next(e.item.id for e in seen if e.type == "response.output_item.done")

    with server(env) as second:
        client = client_of(second.url)
        # A reader resuming after the last event it saw: the rest, no gap, no repeat, to the end.
        rest = list(client.responses.retrieve(rid, stream=True, starting_after=last_seen))
        assert [e.sequence_number for e in rest] == list(range(last_seen + 1, last_seen + 1 + len(rest)))
        assert rest[-1].type == "response.completed"
        final = terminal(client, rid)
        check_completed(final, phase_1_id)
        replay = check_gapless_replay(client, rid, seen, "response.completed")
        assert dumped(replay[len(seen) :]) == dumped(rest)
        # The recovered run's in_progress carries the checkpointed item.
        in_progress = [e for e in rest if e.type == "response.in_progress"]
        assert len(in_progress) == 1 and [i.id for i in in_progress[0].response.output] == [phase_1_id]

    assert runs(marks, rid) == [
        {"replica": "replica", "is_recovery": False, "phase": 0},
        {"replica": "replica", "is_recovery": True, "phase": 1},
    ]


# -- Redis: SIGKILL one of two replicas, the other recovers ------------------------------------------
def test_redis_sigkill_of_one_replica_the_other_completes_it(tmp_path):
    require_redis()
    marks = tmp_path / "marks"
    marks.mkdir()
    prefix = new_prefix()
    url = redis_test_url(prefix)
    seen: list = []
    try:
        with ExitStack() as stack:
            a = stack.enter_context(server(app_env(url, marks, "A")))
            b = stack.enter_context(server(app_env(url, marks, "B")))
            client_b = client_of(b.url)
            events = client_of(a.url).responses.create(model="phases", stream=True, **REQUEST)
            rid = read_through_phase_1(events, seen)
            wait_for_mark(marks, rid, "checkpoint1")
            attached_after = seen[-1].sequence_number
            # A reader on B, attached before the kill, resuming after what the first reader saw.
            live_b = client_b.responses.retrieve(
                rid, stream=True, extra_headers={"Last-Event-ID": str(attached_after)}
            )
            sigkill(a.process)
            read_until_killed(events, seen)
            last_seen = seen[-1].sequence_number
            phase_1_id = next(e.item.id for e in seen if e.type == "response.output_item.done")

            on_b = list(live_b)  # to the terminal event, across A's death and B's recovery
            assert [e.sequence_number for e in on_b] == list(
                range(attached_after + 1, attached_after + 1 + len(on_b))
            )
            assert on_b[-1].type == "response.completed"

            final = terminal(client_b, rid)
            check_completed(final, phase_1_id)
            replay = check_gapless_replay(client_b, rid, seen, "response.completed")
            assert dumped(replay[attached_after + 1 :]) == dumped(on_b)
            rest = list(client_b.responses.retrieve(rid, stream=True, starting_after=last_seen))
            assert dumped(rest) == dumped(replay[last_seen + 1 :])
        assert runs(marks, rid) == [
            {"replica": "A", "is_recovery": False, "phase": 0},
            {"replica": "B", "is_recovery": True, "phase": 1},
        ]
    finally:
        delete_keys(prefix)


# -- max_recovery_attempts ----------------------------------------------------------------------------
def run_until_it_dies(env: dict[str, str], timeout: float = WAIT) -> int:
    """Start the app; it re-enters the crashy response at startup and dies: its exit status."""
    full_env = {**os.environ, **env, "PORT": str(free_port()), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, APP], env=full_env)
    try:
        return process.wait(timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)


def test_past_max_recovery_attempts_the_response_fails_and_is_not_reentered(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    env = app_env(f"sqlite:///{tmp_path / 'responses.db'}", marks, RECOVERY_MAX_ATTEMPTS="1")
    seen: list = []
    with server(env) as first:
        events = client_of(first.url).responses.create(model="crashy", stream=True, **REQUEST)
        read_until_killed(events, seen)  # the handler kills the process after its first checkpoint
        first.process.wait(WAIT)
        assert first.process.returncode == -signal.SIGKILL
    rid = seen[0].response.id

    # Recovery 1 of at most 1: the handler is re-entered (at startup) and kills the process again.
    assert run_until_it_dies(env) == -signal.SIGKILL
    assert [run["is_recovery"] for run in runs(marks, rid)] == [False, True]

    with server(env) as last:  # attempt 2 > 1: ended failed at startup, without the handler
        client = client_of(last.url)
        final = terminal(client, rid)
        assert final.status == "failed"
        assert final.error.code == "server_error"
        assert final.error.message == FAILURE_MESSAGES["unrecoverable"]
        assert "max_recovery_attempts" in final.error.message
        # What was checkpointed stays: phase 1 (first run) and phase 2 (the recovery), with the ids
        # their items had in the log (the process died right after the checkpoint: the first
        # reader may not have got phase 1's done event, the log has it).
        assert [item.content[0].text for item in final.output] == [
            "phase 1 (first run) .1 .2 .3",
            "phase 2 (recovery) .1 .2 .3",
        ]
        replay = check_gapless_replay(client, rid, seen, "response.failed")
        done_ids = [e.item.id for e in replay if e.type == "response.output_item.done"]
        assert [item.id for item in final.output] == done_ids
        assert [e.response.model_dump(mode="json") for e in replay[-1:]] == [final.model_dump(mode="json")]
        stored = final.model_dump(mode="json")
    assert len(runs(marks, rid)) == 2  # the handler was not called a third time

    with server(env) as again:  # a further start leaves it alone
        client = client_of(again.url)
        time.sleep(0.3)
        assert client.responses.retrieve(rid).model_dump(mode="json") == stored
    assert len(runs(marks, rid)) == 2
