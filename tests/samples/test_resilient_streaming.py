"""resilient_streaming: a three-phase background response checkpointed after each phase; the process
kills itself mid-run (SIMULATE_CRASH_MS), the next start on the same SQLite file re-enters the
handler, and the response completes with the finished phases keeping their ids and one gapless log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from sample_support import run_readme, sse_events, start_sample, strict_client
from support.servers import ProcessServer

SAMPLE = "resilient_streaming"
PHASE_TEXTS = [
    "Phase 1: gathered the sources.",
    "Phase 2: drafted the summary.",
    "Phase 3: checked the facts.",
]
CRASH_MS = 2500  # phases take about a second each: the process dies during phase 3
REQUEST = {"model": "writer", "input": "Summarize the report", "background": True}


def store_env(db: Path, crash_ms: int = 0) -> dict[str, str]:
    # "": no simulated crash, whatever the environment of the test run says
    return {"RESPONSEKIT_STORE": f"sqlite:///{db}", "SIMULATE_CRASH_MS": str(crash_ms) if crash_ms else ""}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessServer]:
    """The sample on a file of this module's own (its default, ./resilient_streaming.db, would land
    in the repository)."""
    db = tmp_path_factory.mktemp("resilient_streaming") / "responses.db"
    with start_sample(SAMPLE, env=store_env(db)) as running:
        yield running


def dumped(events) -> list[dict]:
    return [event.model_dump(mode="json", exclude_unset=True) for event in events]


def test_three_phases_without_a_crash(client):
    events = list(client.responses.create(stream=True, **REQUEST))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    done = [e.item for e in events if e.type == "response.output_item.done"]
    assert [item.content[0].text for item in done] == PHASE_TEXTS
    final = events[-1]
    assert final.type == "response.completed"
    assert [item.id for item in final.response.output] == [item.id for item in done]
    assert client.responses.retrieve(final.response.id).status == "completed"


def test_readme_commands(base_url):
    curl_output, _ = run_readme(SAMPLE, base_url)
    events = sse_events(curl_output)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[-1]["type"] == "response.completed"
    assert [item["content"][0]["text"] for item in events[-1]["response"]["output"]] == PHASE_TEXTS


@pytest.mark.slow  # server processes of its own: one that dies, one that recovers
def test_a_crash_mid_response_is_recovered_at_the_next_start(tmp_path):
    db = tmp_path / "responses.db"
    seen: list = []  # what a streaming client got before the process died
    with start_sample(SAMPLE, env=store_env(db, CRASH_MS)) as first:
        stream = strict_client(first.url).responses.create(stream=True, **REQUEST)
        with pytest.raises((httpx.HTTPError, openai.APIError)):  # the connection dies with the process
            for event in stream:
                seen.append(event)
        first.process.wait(15)
        assert first.process.returncode == -9, "the sample did not kill itself with SIGKILL"

    assert seen and seen[0].type == "response.created"
    response_id = seen[0].response.id
    last_seen = seen[-1].sequence_number
    assert [e.sequence_number for e in seen] == list(range(len(seen)))
    assert not any(e.type.startswith("response.completed") for e in seen)
    before = [e.item for e in seen if e.type == "response.output_item.done"]
    assert [item.content[0].text for item in before] == PHASE_TEXTS[:2], (
        "the crash was meant to come after phase 2's checkpoint (during phase 3)"
    )

    with start_sample(SAMPLE, env=store_env(db)) as second:
        client = strict_client(second.url)
        # A reader resuming after the last event it saw: the rest, no gap, no repeat, to the end.
        rest = list(client.responses.retrieve(response_id, stream=True, starting_after=last_seen))
        assert [e.sequence_number for e in rest] == list(range(last_seen + 1, last_seen + 1 + len(rest)))
        assert rest[-1].type == "response.completed"
        assert "response.created" not in [e.type for e in rest]
        # The recovered run's in_progress carries the checkpointed phases, with their ids.
        in_progress = [e for e in rest if e.type == "response.in_progress"]
        assert len(in_progress) == 1
        assert [item.id for item in in_progress[0].response.output] == [item.id for item in before]

        final = client.responses.retrieve(response_id)
        assert final.status == "completed"
        assert [item.content[0].text for item in final.output] == PHASE_TEXTS
        assert [item.id for item in final.output[:2]] == [item.id for item in before]
        assert final.output_text == "".join(PHASE_TEXTS)
        assert rest[-1].response.model_dump(mode="json") == final.model_dump(mode="json")

        # The replay from the start: 0..N with no gap, one response.created, what the first client
        # saw before the crash as its beginning and what the resuming one saw as its end.
        replay = list(client.responses.retrieve(response_id, stream=True))
        assert [e.sequence_number for e in replay] == list(range(len(replay)))
        assert [e.type for e in replay].count("response.created") == 1
        assert [e.type for e in replay].count("response.completed") == 1
        assert dumped(replay[: len(seen)]) == dumped(seen)
        assert dumped(replay[len(seen) :]) == dumped(rest)

        # Last-Event-ID resumes as starting_after does.
        headers = {"Last-Event-ID": str(last_seen)}
        by_header = list(client.responses.retrieve(response_id, stream=True, extra_headers=headers))
        assert dumped(by_header) == dumped(rest)
