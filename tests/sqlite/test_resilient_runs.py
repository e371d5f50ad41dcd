"""Resilient background responses on the SQLite store, served by real uvicorn servers in this process.

A handler in three phases checkpoints after each. Its first run leaves with
``context.exit_for_recovery()`` (or the server shuts down under it); the next server on the same
file re-enters it with ``context.is_recovery`` and the last checkpoint, and its events continue the
same log. (The SIGKILL of a real process is in tests/recovery/.)
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from support.polling import WAIT, poll
from support.servers import ThreadServer, serve_in_thread
from support.sse import check_complete_stream, parse_sse

from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions
from responsekit.streaming.terminal import FAILURE_MESSAGES

pytestmark = pytest.mark.slow

PHASES = 3


def _host(
    db: Path, seen: list[dict[str, Any]], *, leave_after: int | None, **options: Any
) -> ResponsesAgentServerHost:
    """A server whose handler runs three phases (a message each), checkpointing after each; its first
    run exits for recovery after phase ``leave_after`` (with ``always``, every run after its first
    phase)."""
    always = options.pop("always", False)
    hold = options.pop("hold", None)
    eager = options.pop("eager", False)
    app = ResponsesAgentServerHost(
        options=ResponsesServerOptions(
            store_url=f"sqlite:///{db}",
            resilient_background=True,
            shutdown_grace_period_seconds=0.2,
            **options,
        )
    )

    @app.response_handler
    async def handler(request, context, cancellation_signal):
        if context.is_recovery:
            stream = ResponseEventStream(response_id=context.response_id, response=context.persisted_response)
        else:
            stream = ResponseEventStream(response_id=context.response_id, request=request)
        seen.append(
            {
                "recovery": context.is_recovery,
                "metadata": dict(stream.internal_metadata),
                "output_ids": [item["id"] for item in stream.response.output],
            }
        )
        if eager:  # events emitted ahead of their yield: the run renumbers them after the log's last
            for event in [stream.emit_created(), stream.emit_in_progress()]:
                yield event
        else:
            yield stream.emit_created()
            yield stream.emit_in_progress()
        start = stream.internal_metadata.get("phase", 0) + 1
        for phase in range(start, PHASES + 1):
            for event in stream.output_item_message(f"phase {phase}"):
                yield event
            stream.internal_metadata["phase"] = phase
            yield stream.checkpoint()
            if (always and phase == start) or (phase == leave_after and not context.is_recovery):
                if hold is not None:  # wait for the server's shutdown instead of leaving
                    hold.set()
                    await asyncio.sleep(60)
                await context.exit_for_recovery()
        yield stream.emit_completed()

    return app


@contextlib.contextmanager
def _serving(app: ResponsesAgentServerHost) -> Iterator[ThreadServer]:
    with serve_in_thread(app) as server:
        yield server


def _client(server: ThreadServer) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
    )


def _replay(server: ThreadServer, response_id: str, after: int | None = None) -> bytes:
    params = {"stream": "true"}
    if after is not None:
        params["starting_after"] = str(after)
    reply = httpx.get(f"{server.url}/responses/{response_id}", params=params, timeout=WAIT)
    assert reply.status_code == 200, reply.text
    return reply.content


@pytest.mark.parametrize("eager", [False, True], ids=["yielded-as-emitted", "emitted-ahead"])
def test_a_response_left_for_recovery_is_re_entered_at_the_next_start_and_continues_its_log(
    tmp_path: Path, eager: bool
):
    db = tmp_path / "store.db"
    seen: list[dict[str, Any]] = []
    with _serving(_host(db, seen, leave_after=1, eager=eager)) as first:
        client = _client(first)
        created = client.responses.create(model="m", input="go", background=True)
        poll(lambda: len(seen) == 1 and client.responses.retrieve(created.id).output, what="phase 1 stored")
        before = parse_sse(_replay(first, created.id))
        # the first run is gone: its response stays in progress (not failed), its log open
        assert client.responses.retrieve(created.id).status == "in_progress"
        first_item = client.responses.retrieve(created.id).output[0]
    assert [frame.event for frame in before.frames][:2] == ["response.created", "response.in_progress"]
    assert not before.done  # read while the log was open: no terminal event yet
    last_seq = before.frames[-1].seq
    with _serving(_host(db, seen, leave_after=1, eager=eager)) as second:
        client = _client(second)
        done = poll(
            lambda: (r := client.responses.retrieve(created.id)).status == "completed" and r,
            what="the recovered response completed",
        )
        assert [item.id for item in done.output][0] == first_item.id  # the checkpointed item kept its id
        assert [item.content[0].text for item in done.output] == ["phase 1", "phase 2", "phase 3"]
        full = parse_sse(_replay(second, created.id))
        check_complete_stream(full)  # gapless from 0, one terminal event, last
        assert [f.event for f in full.frames].count("response.created") == 1
        in_progress = [f for f in full.frames if f.event == "response.in_progress"]
        assert len(in_progress) == 2
        # the recovered run's in_progress is its reset point: the checkpointed items
        assert [item["id"] for item in in_progress[1].data["response"]["output"]] == [first_item.id]
        assert in_progress[1].seq == last_seq + 1
        assert full.frames[: len(before.frames)] == before.frames  # what was logged before stays as it was
        rest = parse_sse(_replay(second, created.id, after=last_seq))  # a reader resuming across the stop
        check_complete_stream(rest, first_seq=last_seq + 1)
    assert seen[0] == {"recovery": False, "metadata": {}, "output_ids": []}
    assert seen[1] == {"recovery": True, "metadata": {"phase": 1}, "output_ids": [first_item.id]}


def test_a_shutdown_leaves_a_resilient_response_for_recovery_instead_of_failing_it(tmp_path: Path):
    db = tmp_path / "store.db"
    seen: list[dict[str, Any]] = []
    hold = threading.Event()
    with _serving(_host(db, seen, leave_after=2, hold=hold)) as first:
        client = _client(first)
        created = client.responses.create(model="m", input="go", background=True)
        assert hold.wait(WAIT)
    # the server shut down with the handler still running: the response was not failed
    with _serving(_host(db, seen, leave_after=None)) as second:
        client = _client(second)
        done = poll(
            lambda: (r := client.responses.retrieve(created.id)).status == "completed" and r,
            what="the recovered response completed",
        )
        assert [item.content[0].text for item in done.output] == ["phase 1", "phase 2", "phase 3"]
        check_complete_stream(parse_sse(_replay(second, created.id)))
    assert seen[1]["metadata"] == {"phase": 2}


def test_past_max_recovery_attempts_the_response_fails_and_is_not_re_entered_again(tmp_path: Path):
    db = tmp_path / "store.db"
    seen: list[dict[str, Any]] = []
    with _serving(_host(db, seen, leave_after=1, always=True, max_recovery_attempts=2)) as server:
        client = _client(server)
        created = client.responses.create(model="m", input="go", background=True)
        poll(lambda: len(seen) == 1 and client.responses.retrieve(created.id).output, what="first run left")
    for attempt in (1, 2):
        with _serving(_host(db, seen, leave_after=1, always=True, max_recovery_attempts=2)):
            poll(lambda n=attempt + 1: len(seen) == n, what=f"recovery {attempt}")
    with _serving(_host(db, seen, leave_after=1, always=True, max_recovery_attempts=2)) as server:
        client = _client(server)
        failed = poll(
            lambda: (r := client.responses.retrieve(created.id)).status == "failed" and r,
            what="the response failed past max_recovery_attempts",
        )
        assert failed.error.code == "server_error"
        assert failed.error.message == FAILURE_MESSAGES["unrecoverable"]
        # each run checkpointed one phase before it left: the checkpointed items stay
        assert [item.content[0].text for item in failed.output] == ["phase 1", "phase 2", "phase 3"]
        ended = parse_sse(_replay(server, created.id))
        check_complete_stream(ended)
        assert ended.types.count("response.created") == 1
    assert len(seen) == 3  # the first run and two recoveries; not a third
    with _serving(_host(db, seen, leave_after=1, always=True, max_recovery_attempts=2)) as server:
        assert _client(server).responses.retrieve(created.id).status == "failed"
    assert len(seen) == 3


@pytest.mark.parametrize("action", ["cancel", "delete"])
def test_cancel_and_delete_work_on_a_response_awaiting_recovery(tmp_path: Path, action: str):
    db = tmp_path / "store.db"
    seen: list[dict[str, Any]] = []
    with _serving(_host(db, seen, leave_after=1)) as server:
        client = _client(server)
        created = client.responses.create(model="m", input="go", background=True)
        poll(lambda: len(seen) == 1 and client.responses.retrieve(created.id).output, what="first run left")
        # nothing runs it in this process (SQLite re-enters it at the next start)
        if action == "cancel":
            cancelled = client.responses.cancel(created.id)
            assert cancelled.status == "cancelled"
            assert [item.content[0].text for item in cancelled.output] == ["phase 1"]
            ended = parse_sse(_replay(server, created.id))
            check_complete_stream(ended)
            assert ended.types.count("response.created") == 1
        else:
            client.responses.delete(created.id)
            with pytest.raises(openai.NotFoundError):
                client.responses.retrieve(created.id)
    with _serving(_host(db, seen, leave_after=1)) as server:  # and it is not re-entered
        client = _client(server)
        if action == "cancel":
            assert client.responses.retrieve(created.id).status == "cancelled"
        else:
            with pytest.raises(openai.NotFoundError):
                client.responses.retrieve(created.id)
    assert len(seen) == 1


def test_exit_for_recovery_outside_a_resilient_response_fails_it(tmp_path: Path):
    app = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url=f"sqlite:///{tmp_path / 's.db'}"))

    @app.response_handler
    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        await context.exit_for_recovery()

    with _serving(app) as server:
        client = _client(server)
        created = client.responses.create(model="m", input="go", background=True)
        failed = poll(
            lambda: (r := client.responses.retrieve(created.id)).status == "failed" and r, what="failed"
        )
        assert failed.error.code == "server_error"
