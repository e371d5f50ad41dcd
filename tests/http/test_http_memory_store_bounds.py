"""The in-memory store: bounded by bytes as well as by count, and conversations kept per owner.

Real uvicorn servers on loopback (the store lives in the server's thread; the tests read its
counters, which only that thread writes).
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from http_helpers import check_envelope, poll
from support.hosts import WAIT, Probe, host_with, stalling_handler
from support.servers import serve_in_thread

from responsekit import ResponsesServerOptions, TextResponse
from responsekit.store.memory import MemoryStore

PAD = "p" * 4000
BOUND = 150_000


def _padded_or_stalling(probe: Probe):
    stall = stalling_handler(probe)

    async def handler(request, context, cancellation_signal):
        if await context.get_input_text() == "stall":
            async for event in stall(request, context, cancellation_signal):
                yield event
            return
        text = TextResponse(context, request, text=PAD)
        async for event in text:
            yield event

    return handler


def _recount(store: MemoryStore) -> int:
    """The store's byte count recomputed from what it holds (log frames, record estimates)."""
    records, events = store.records, store.events
    assert set(records._sizes) == set(records._records)
    return sum(len(f) for log in events._logs.values() for f in log.frames) + sum(records._sizes.values())


def _post(client: httpx.Client, **body) -> httpx.Response:
    reply = client.post("/responses", json={"model": "m", "input": "hello", **body})
    assert reply.status_code == 200, reply.text
    return reply


@pytest.mark.parametrize("value", [0, -1, 1.5, "1024", True])
def test_max_stored_bytes_is_validated(value):
    with pytest.raises(ValueError, match="max_stored_bytes"):
        ResponsesServerOptions(max_stored_bytes=value)


def test_max_stored_bytes_defaults_to_one_gib():
    assert ResponsesServerOptions().max_stored_bytes == 1024**3


def test_oldest_finished_responses_are_evicted_by_bytes_and_running_ones_survive():
    probe = Probe()
    host = host_with("memory", _padded_or_stalling(probe), max_stored_bytes=BOUND)
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as client:
        store = host.store
        running = _post(client, input="stall", background=True).json()["id"]
        probe.wait("started")
        ids = []
        for i in range(30):
            if i % 2:
                ids.append(_post(client).json()["id"])
            else:
                reply = _post(client, stream=True)
                ids.append(reply.text.split('"id":"', 1)[1].split('"', 1)[0])
        one_response = store.events._logs[ids[-1]].size + store.records._sizes[ids[-1]]
        assert 20_000 < one_response < BOUND // 3  # several fit, 30 do not
        assert store.stored_bytes == _recount(store)
        assert store.stored_bytes <= BOUND + one_response, (store.stored_bytes, one_response)
        # The oldest finished ones are gone (record and log), the newest are kept.
        for rid in ids[:10]:
            check_envelope(client.get(f"/responses/{rid}"), 404)
            check_envelope(client.get(f"/responses/{rid}?stream=true"), 404)
        assert client.get(f"/responses/{ids[-1]}").json()["status"] == "completed"
        assert "data: [DONE]" in client.get(f"/responses/{ids[-1]}?stream=true").text
        # The running one was never evicted, though it is the oldest.
        assert client.get(f"/responses/{running}").json()["status"] == "in_progress"
        assert running in store.events._logs

        # Once finished it is evictable like the others.
        assert client.post(f"/responses/{running}/cancel").json()["status"] == "cancelled"
        for _ in range(10):
            _post(client)
        check_envelope(client.get(f"/responses/{running}"), 404)

        # Deletes give their bytes back; an empty store counts nothing.
        kept = [rid for rid in ids if client.get(f"/responses/{rid}").status_code == 200]
        kept += [rid for rid in list(store.records._records) if rid not in kept]
        for rid in kept:
            assert client.delete(f"/responses/{rid}").status_code == 200
        assert store.stored_bytes == _recount(store) == 0
        assert not store._bound.finished


def test_expiry_releases_the_bytes_it_held():
    probe = Probe()
    host = host_with(
        "memory",
        _padded_or_stalling(probe),
        response_retention_seconds=0.05,
        event_log_retention_seconds=0.05,
    )
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as client:
        store = host.store
        first = _post(client, stream=True)
        assert first.status_code == 200

        def expired() -> bool:
            time.sleep(0.06)  # past the retention of the previous responses
            _post(client)  # each write sweeps what has expired, oldest first
            return len(store.records) == 1 and len(store.events) == 1

        poll(expired, what="expired responses swept")
        assert store.stored_bytes == _recount(store)
        assert len(store._bound.finished) <= 1


# -- conversations belong to their owner ---------------------------------------------------------------
def _history_reporter():
    """Answers with the texts of ``context.get_history()`` (a JSON list)."""

    async def handler(request, context, cancellation_signal):
        seen = []
        for item in await context.get_history():
            data = item.model_dump(mode="json")
            seen += [part["text"] for part in data.get("content") or [] if part.get("text")]
        return TextResponse(context, request, text=json.dumps(seen))

    return handler


def _turn(client: httpx.Client, text: str, conversation: str, **headers: str) -> list[str]:
    reply = client.post(
        "/responses",
        json={"model": "m", "input": text, "conversation": conversation},
        headers=headers,
    )
    assert reply.status_code == 200, reply.text
    return json.loads(reply.json()["output"][0]["content"][0]["text"])


def test_the_same_conversation_id_under_two_users_is_two_conversations():
    host = host_with("memory", _history_reporter())
    alice = {"x-agent-user-isolation-key": "alice"}
    bob = {"x-agent-user-isolation-key": "bob"}
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as client:
        assert _turn(client, "a1", "conv_shared", **alice) == []
        assert _turn(client, "a2", "conv_shared", **alice) == ["a1", "[]"]
        # Bob names Alice's conversation id: he gets a conversation of his own, empty.
        assert _turn(client, "b1", "conv_shared", **bob) == []
        assert _turn(client, "b2", "conv_shared", **bob) == ["b1", "[]"]
        # What Bob posted never shows up in Alice's history.
        assert _turn(client, "a3", "conv_shared", **alice) == ["a1", "[]", "a2", json.dumps(["a1", "[]"])]
        # Nor does it show up for a caller without a user key.
        assert _turn(client, "n1", "conv_shared") == []


def test_a_conversation_is_scoped_by_the_chat_key_too():
    host = host_with("memory", _history_reporter())
    user = {"x-agent-user-isolation-key": "carol"}
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as client:
        assert _turn(client, "c1", "conv_x", **user, **{"x-agent-chat-isolation-key": "chat-1"}) == []
        assert _turn(client, "c2", "conv_x", **user, **{"x-agent-chat-isolation-key": "chat-2"}) == []
        assert _turn(client, "c3", "conv_x", **user, **{"x-agent-chat-isolation-key": "chat-1"}) == [
            "c1",
            "[]",
        ]
