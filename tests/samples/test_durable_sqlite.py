"""durable_sqlite: responses, their replay, input_items and previous_response_id chains survive a
restart of the server on the same SQLite file (a clean stop, and a SIGKILL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sample_support import run_readme, start_sample, strict_client
from support.servers import ProcessServer
from support.sse import check_complete_stream, parse_sse

SAMPLE = "durable_sqlite"


def store_env(db: Path) -> dict[str, str]:
    return {"RESPONSEKIT_STORE": f"sqlite:///{db}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessServer]:
    """The sample on a file of this module's own (its default, ./responses.db, would land in the
    repository)."""
    db = tmp_path_factory.mktemp("durable_sqlite") / "responses.db"
    with start_sample(SAMPLE, env=store_env(db)) as running:
        yield running


def raw_replay(base_url: str, response_id: str, **params) -> bytes:
    """The replay's SSE body, bytes as sent."""
    query = {"stream": "true", **{k: str(v) for k, v in params.items()}}
    with httpx.Client(timeout=15) as http:
        got = http.get(f"{base_url}/responses/{response_id}", params=query)
    assert got.status_code == 200, got.text
    return got.content


def test_notes_chain(client):
    first = client.responses.create(model="notebook", input="alpha")
    assert first.output_text == "Note 1 saved. Notes: alpha."
    second = client.responses.create(model="notebook", input="beta", previous_response_id=first.id)
    assert second.output_text == "Note 2 saved. Notes: alpha; beta."


def test_readme_commands(base_url):
    got, _ = run_readme(SAMPLE, base_url)
    assert json.loads(got)["output"][0]["content"][0]["text"] == "Note 1 saved. Notes: buy milk."


def _made_before_the_restart(client, base_url: str) -> dict:
    """A chain of three notes (plain, background, streamed) and what the store answers about them."""
    first = client.responses.create(model="notebook", input="alpha")
    second = client.responses.create(
        model="notebook", input="beta", previous_response_id=first.id, background=True
    )
    second = list(client.responses.retrieve(second.id, stream=True))[-1].response  # tails to the end
    streamed = list(
        client.responses.create(model="notebook", input="gamma", previous_response_id=second.id, stream=True)
    )
    third = streamed[-1].response
    assert third.output_text == "Note 3 saved. Notes: alpha; beta; gamma."
    ids = [first.id, second.id, third.id]
    with httpx.Client(timeout=15) as http:
        return {
            "ids": ids,
            "json": {rid: http.get(f"{base_url}/responses/{rid}").json() for rid in ids},
            "input_items": {rid: http.get(f"{base_url}/responses/{rid}/input_items").json() for rid in ids},
            "replay": {rid: raw_replay(base_url, rid) for rid in ids},
            "replay_after_3": raw_replay(base_url, third.id, starting_after=3),
        }


def _check_after_the_restart(client, base_url: str, before: dict) -> None:
    ids = before["ids"]
    with httpx.Client(timeout=15) as http:
        for rid in ids:
            assert http.get(f"{base_url}/responses/{rid}").json() == before["json"][rid]
            assert http.get(f"{base_url}/responses/{rid}/input_items").json() == before["input_items"][rid]
            replay = raw_replay(base_url, rid)
            assert replay == before["replay"][rid]  # byte for byte
            assert check_complete_stream(parse_sse(replay)).event == "response.completed"
        after_3 = raw_replay(base_url, ids[2], starting_after=3)
        assert after_3 == before["replay_after_3"]
        assert parse_sse(after_3).seqs[0] == 4
        by_header = http.get(
            f"{base_url}/responses/{ids[2]}", params={"stream": "true"}, headers={"Last-Event-ID": "3"}
        )
        assert by_header.content == before["replay_after_3"]
    # The strict client reads them as before; the chain goes on with every earlier note.
    assert [item.content[0].text for item in client.responses.input_items.list(ids[1]).data] == ["beta"]
    assert client.responses.retrieve(ids[0]).output_text == "Note 1 saved. Notes: alpha."
    replayed = list(client.responses.retrieve(ids[2], stream=True))
    assert [e.sequence_number for e in replayed] == list(range(len(replayed)))
    fourth = client.responses.create(model="notebook", input="delta", previous_response_id=ids[2])
    assert fourth.output_text == "Note 4 saved. Notes: alpha; beta; gamma; delta."


@pytest.mark.slow  # server processes of its own
@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_everything_survives_a_restart(tmp_path, stop):
    db = tmp_path / "responses.db"
    with start_sample(SAMPLE, env=store_env(db)) as first:
        before = _made_before_the_restart(strict_client(first.url), first.url)
        getattr(first.process, stop)()  # SIGTERM: a clean stop; SIGKILL: no chance to flush anything
        first.process.wait(15)
    with start_sample(SAMPLE, env=store_env(db)) as second:
        _check_after_the_restart(strict_client(second.url), second.url, before)
