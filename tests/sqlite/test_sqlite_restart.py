"""A server on the SQLite store, stopped (or killed) and started again on the same file: what it
stored before serves as it did, through the strict ``openai`` client and raw SSE.

Each server is its own process (tests/sqlite/durable_app.py).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from support.polling import WAIT, poll
from support.servers import ProcessServer, spawn_server
from support.sse import LiveSSE, check_complete_stream, parse_sse

from responsekit.streaming.terminal import FAILURE_MESSAGES

pytestmark = pytest.mark.slow

APP = Path(__file__).with_name("durable_app.py")


@contextlib.contextmanager
def _serving(store_url: str, cwd: Path | None = None) -> Iterator[ProcessServer]:
    with spawn_server([sys.executable, str(APP)], env={"RESPONSEKIT_STORE": store_url}, cwd=cwd) as server:
        yield server


def _client(server: ProcessServer) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.url, api_key="x", max_retries=0, timeout=WAIT, _strict_response_validation=True
    )


def _text(response) -> str:
    return "".join(part.text for item in response.output for part in item.content)


def _replay(server: ProcessServer, response_id: str, **headers: str) -> bytes:
    params = {"stream": "true"} if headers else {"stream": "true", "starting_after": "2"}
    reply = httpx.get(f"{server.url}/responses/{response_id}", params=params, headers=headers, timeout=WAIT)
    assert reply.status_code == 200, reply.text
    return reply.content


def test_responses_of_every_mode_chains_and_conversations_survive_a_restart(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'store.db'}"  # an absolute path: sqlite:////...
    assert store_url.startswith("sqlite:////")
    with _serving(store_url) as first:
        client = _client(first)
        default = client.responses.create(model="echo", input="one")
        streamed = [event for event in client.responses.create(model="echo", input="two", stream=True)]
        background = client.responses.create(model="echo", input="three", background=True)
        poll(lambda: client.responses.retrieve(background.id).status == "completed", what="background done")
        both = [e for e in client.responses.create(model="echo", input="four", background=True, stream=True)]
        chained = client.responses.create(model="history", input="five", previous_response_id=default.id)
        conversation = client.conversations.create(
            items=[{"type": "message", "role": "user", "content": "hello"}], metadata={"k": "v"}
        )
        in_conversation = client.responses.create(model="history", input="six", conversation=conversation.id)
        ids = [default.id, streamed[0].response.id, background.id, both[0].response.id, chained.id]
        ids.append(in_conversation.id)
        assert _text(chained) == "one | Echo: one"
        assert _text(in_conversation) == "hello"
        before = {rid: httpx.get(f"{first.url}/responses/{rid}").json() for rid in ids}
        replays = {rid: _replay(first, rid) for rid in ids}
        inputs = {rid: client.responses.input_items.list(rid, order="asc").model_dump() for rid in ids}
        conversation_items = client.conversations.items.list(conversation.id, order="asc").model_dump()
    # stopped (SIGTERM); started again on the same file
    with _serving(store_url) as second:
        client = _client(second)
        for rid in ids:
            retrieved = client.responses.retrieve(rid)
            assert retrieved.status == "completed"
            assert httpx.get(f"{second.url}/responses/{rid}").json() == before[rid]
            assert _replay(second, rid) == replays[rid]
            assert _replay(second, rid, **{"Last-Event-ID": "2"}) == replays[rid]
            assert client.responses.input_items.list(rid, order="asc").model_dump() == inputs[rid]
        replayed = list(client.responses.retrieve(default.id, stream=True, starting_after=2))
        assert [event.sequence_number for event in replayed][0] == 3
        assert replayed[-1].type == "response.completed" and replayed[-1].response.id == default.id
        whole = parse_sse(httpx.get(f"{second.url}/responses/{streamed[0].response.id}?stream=true").content)
        check_complete_stream(whole)
        assert [(frame.event, frame.seq) for frame in whole.frames] == [
            (event.type, event.sequence_number) for event in streamed
        ]
        # chaining and conversations go on from what was stored before the restart
        later = client.responses.create(model="history", input="seven", previous_response_id=chained.id)
        assert _text(later) == "one | Echo: one | five | one | Echo: one"
        assert client.conversations.retrieve(conversation.id).metadata == {"k": "v"}
        assert (
            client.conversations.items.list(conversation.id, order="asc").model_dump() == conversation_items
        )
        again = client.responses.create(model="history", input="eight", conversation=conversation.id)
        assert _text(again) == "hello | six | hello"


def test_a_response_running_when_the_process_is_killed_ends_failed_as_lost_after_the_restart(
    tmp_path: Path,
) -> None:
    store_url = "sqlite:///state/store.db"  # relative to the server's working directory
    (tmp_path / "state").mkdir()
    with _serving(store_url, cwd=tmp_path) as first:
        client = _client(first)
        kept = client.responses.create(model="echo", input="kept")
        body = {"model": "hang", "input": "x", "background": True, "stream": True}
        with httpx.stream("POST", f"{first.url}/responses", json=body, timeout=WAIT) as reply:
            live = LiveSSE(reply)
            # A live reader sees only frames the store has committed: these survive the kill.
            seen = live.until(lambda sse: sse.types.count("response.output_text.delta") == 3, "3 deltas")
            seen_frames = list(seen.frames)
            first.kill()  # SIGKILL: no drain, no terminal event
    rid = seen_frames[0].data["response"]["id"]
    assert (tmp_path / "state" / "store.db").exists()
    with _serving(store_url, cwd=tmp_path) as second:
        client = _client(second)
        lost = client.responses.retrieve(rid)
        assert lost.status == "failed"
        assert lost.error.code == "server_error" and lost.error.message == FAILURE_MESSAGES["lost"]
        replay = parse_sse(httpx.get(f"{second.url}/responses/{rid}?stream=true", timeout=WAIT).content)
        terminal = check_complete_stream(replay)  # contiguous, exactly one terminal event, last
        assert terminal.event == "response.failed"
        assert terminal.data["response"] == httpx.get(f"{second.url}/responses/{rid}").json()
        assert [frame.raw for frame in replay.frames[: len(seen_frames)]] == [f.raw for f in seen_frames]
        last_seen = seen_frames[-1].seq
        tail = parse_sse(
            httpx.get(
                f"{second.url}/responses/{rid}?stream=true", headers={"Last-Event-ID": str(last_seen)}
            ).content
        )
        assert tail.frames == replay.frames[last_seen + 1 :]
        assert client.responses.retrieve(kept.id).status == "completed"
    with _serving(store_url, cwd=tmp_path) as third:  # ended once: a later start changes nothing
        again = parse_sse(httpx.get(f"{third.url}/responses/{rid}?stream=true", timeout=WAIT).content)
        assert again.frames == replay.frames
