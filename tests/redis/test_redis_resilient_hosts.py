"""Resilient background responses across two replicas on one Redis, served by real uvicorn servers in
this process: a run that exits for recovery is re-entered by a replica within a lease scan, its log
continued; a cancel reaches a response awaiting recovery from any replica. (The SIGKILL of a real
replica process is in tests/recovery/.)"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from support.polling import WAIT, poll
from support.redis_support import TEST_DB
from support.servers import ThreadServer, serve_in_thread
from support.sse import check_complete_stream, parse_sse

from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions

pytestmark = pytest.mark.slow


def _replica(prefix: str, seen: list[dict[str, Any]], *, leave: bool) -> ResponsesAgentServerHost:
    """A replica whose handler runs three phases, checkpointing after each; with ``leave``, a first
    run exits for recovery after phase 1 (a recovery never does)."""
    app = ResponsesAgentServerHost(
        options=ResponsesServerOptions(
            store_url=f"redis://127.0.0.1:6379/{TEST_DB}?key_prefix={prefix}",
            resilient_background=True,
            lease_seconds=0.5,
            shutdown_grace_period_seconds=0.2,
        )
    )

    @app.response_handler
    async def handler(request, context, cancellation_signal):
        if context.is_recovery:
            stream = ResponseEventStream(response_id=context.response_id, response=context.persisted_response)
        else:
            stream = ResponseEventStream(response_id=context.response_id, request=request)
        seen.append({"recovery": context.is_recovery, "metadata": dict(stream.internal_metadata)})
        yield stream.emit_created()
        yield stream.emit_in_progress()
        for phase in range(stream.internal_metadata.get("phase", 0) + 1, 4):
            for event in stream.output_item_message(f"phase {phase}"):
                yield event
            stream.internal_metadata["phase"] = phase
            yield stream.checkpoint()
            if leave and not context.is_recovery:
                await context.exit_for_recovery()
        yield stream.emit_completed()

    return app


@contextlib.contextmanager
def _two_replicas(prefix: str, seen: list, *, leave: bool) -> Iterator[tuple[ThreadServer, ThreadServer]]:
    with (
        serve_in_thread(_replica(prefix, seen, leave=leave)) as a,
        serve_in_thread(_replica(prefix, seen, leave=leave)) as b,
    ):
        yield a, b


def _client(server: ThreadServer) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
    )


def test_a_run_that_exits_for_recovery_is_re_entered_by_a_replica_and_its_log_continues(prefix: str):
    seen: list[dict[str, Any]] = []
    with _two_replicas(prefix, seen, leave=True) as (a, b):
        created = _client(a).responses.create(model="m", input="go", background=True)
        done = poll(
            lambda: (r := _client(b).responses.retrieve(created.id)).status == "completed" and r,
            what="the response re-entered and completed",
        )
        assert [item.content[0].text for item in done.output] == ["phase 1", "phase 2", "phase 3"]
        first_id = done.output[0].id
        replay = httpx.get(f"{b.url}/responses/{created.id}", params={"stream": "true"}, timeout=WAIT)
        sse = parse_sse(replay.content)
        check_complete_stream(sse)
        assert sse.types.count("response.created") == 1
        in_progress = [f for f in sse.frames if f.event == "response.in_progress"]
        assert [item["id"] for item in in_progress[-1].data["response"]["output"]] == [first_id]
    assert [s["recovery"] for s in seen] == [False, True]
    assert seen[1]["metadata"] == {"phase": 1}


def test_a_cancel_from_any_replica_ends_a_response_awaiting_recovery(prefix: str):
    seen: list[dict[str, Any]] = []
    # The handler of these replicas is never re-entered: a cancel on B takes the response over
    # (its lease expired when its run left) and ends it.
    with _two_replicas(prefix, seen, leave=True) as (a, b):
        app_a = a.server.config.app
        app_b = b.server.config.app
        for app in (app_a, app_b):  # reported, never re-entered: the response stays awaiting recovery
            app.store.on_recoverable = lambda response_id: None
        created = _client(a).responses.create(model="m", input="go", background=True)
        poll(
            lambda: len(seen) == 1 and _client(b).responses.retrieve(created.id).output, what="phase 1 stored"
        )
        poll(lambda: not app_a._runs, what="the first run left")
        cancelled = _client(b).responses.cancel(created.id)
        assert cancelled.status == "cancelled"
        assert [item.content[0].text for item in cancelled.output] == ["phase 1"]
        sse = parse_sse(
            httpx.get(f"{a.url}/responses/{created.id}", params={"stream": "true"}, timeout=WAIT).content
        )
        check_complete_stream(sse)
        assert sse.types.count("response.created") == 1
    assert len(seen) == 1
