"""Several real server processes sharing one Redis: what a load balancer in front of them needs.

Replicas A and B (module-wide) run tests/redis/replica_app.py on one key prefix; a test that kills
or starves a replica starts its own. Every wait is bounded; every process is stopped.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from support.polling import poll
from support.redis_support import delete_keys, new_prefix, redis_test_url
from support.servers import ProcessServer, spawn_server
from support.services import require_redis
from support.sse import LiveSSE, parse_frame, parse_sse

pytestmark = pytest.mark.slow  # every test here runs server processes

APP = str(Path(__file__).with_name("replica_app.py"))
WAIT = 15.0
LEASE = 1.0  # short, so a killed replica's responses are declared lost quickly
ALICE = {"x-agent-user-isolation-key": "alice"}
BOB = {"x-agent-user-isolation-key": "bob"}


@contextmanager
def replica(name: str, store_url: str, marks: Path, lease: float = LEASE) -> Iterator[ProcessServer]:
    env = {
        "RESPONSEKIT_STORE": store_url,
        "REPLICA_NAME": name,
        "REPLICA_MARKS": str(marks),
        "REPLICA_LEASE_SECONDS": str(lease),
    }
    with spawn_server([sys.executable, APP], env=env) as server:
        yield server


@pytest.fixture(scope="module")
def marks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("marks")


@pytest.fixture(scope="module")
def shared(marks: Path) -> Iterator[tuple[str, ProcessServer, ProcessServer]]:
    require_redis()
    prefix = new_prefix()
    url = redis_test_url(prefix)
    with ExitStack() as stack:
        a = stack.enter_context(replica("A", url, marks))
        b = stack.enter_context(replica("B", url, marks))
        yield url, a, b
    delete_keys(prefix)


def wait_for_mark(marks: Path, response_id: str, name: str, timeout: float = WAIT) -> str:
    """Which replica left the mark; fails after ``timeout`` seconds."""
    path = marks / f"{response_id}.{name}"
    poll(path.exists, timeout=timeout, interval=0.005, what=f"mark {name!r} for {response_id}")
    return path.read_text()


def frames_of(body: bytes) -> list[bytes]:
    """The event frames of an SSE body (keep-alive comments and [DONE] left out), bytes as sent."""
    assert body.endswith(b"data: [DONE]\n\n"), body[-200:]
    sse = parse_sse(body)
    assert sse.done, body[-200:]
    return [frame.raw for frame in sse.frames]


def event_of(frame: bytes) -> dict:
    return parse_frame(frame).data


def create(server: ProcessServer, headers: dict = ALICE, **body) -> httpx.Response:
    body.setdefault("model", "echo")
    body.setdefault("input", "hello")
    return httpx.post(f"{server.url}/responses", json=body, headers=headers, timeout=WAIT)


# -- records ----------------------------------------------------------------------------------------
def test_a_response_made_on_one_replica_is_at_once_visible_on_another_with_isolation_intact(shared):
    _, a, b = shared
    made = create(a, input="hello there")
    assert made.status_code == 200, made.text
    rid = made.json()["id"]
    got = httpx.get(f"{b.url}/responses/{rid}", headers=ALICE, timeout=WAIT)
    assert got.status_code == 200 and got.json() == made.json()
    for headers in (BOB, {}):
        assert httpx.get(f"{b.url}/responses/{rid}", headers=headers, timeout=WAIT).status_code == 404
        assert (
            httpx.get(f"{b.url}/responses/{rid}/input_items", headers=headers, timeout=WAIT).status_code
            == 404
        )
    items = httpx.get(f"{b.url}/responses/{rid}/input_items", headers=ALICE, timeout=WAIT).json()
    assert [part["text"] for item in items["data"] for part in item["content"]] == ["hello there"]
    # the history of previous_response_id crosses replicas, for its owner only
    follow = create(b, model="history", input="next", previous_response_id=rid)
    assert follow.status_code == 200, follow.text
    assert follow.json()["output"][0]["content"][0]["text"] == "hello there | Echo: hello there"
    refused = create(b, headers=BOB, model="history", input="next", previous_response_id=rid)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "previous_response_not_found"
    # a background response is there for the other replica as soon as its creation answers
    queued = create(a, model="slow", input="3", background=True).json()
    assert httpx.get(f"{b.url}/responses/{queued['id']}", headers=ALICE, timeout=WAIT).status_code == 200


# -- replay -----------------------------------------------------------------------------------------
def test_replay_on_another_replica_of_a_running_response_is_byte_identical_and_tails_live(shared, marks):
    _, a, b = shared
    body = {"model": "slow", "input": "40", "stream": True, "background": True}
    with (
        httpx.Client(timeout=WAIT) as client,
        client.stream("POST", f"{a.url}/responses", json=body, headers=ALICE) as live,
    ):
        on_live = LiveSSE(live)
        on_live.until(lambda sse: len(sse.frames) >= 8, "eight events", timeout=WAIT)
        rid = on_live.sse.frames[0].data["response"]["id"]
        assert not (marks / f"{rid}.delta39").exists()  # still running when B starts reading
        with client.stream(
            "GET", f"{b.url}/responses/{rid}", params={"stream": "true", "starting_after": 3}, headers=ALICE
        ) as tail:
            assert tail.status_code == 200
            seen_on_b = tail.read()
        on_live.to_end()
        seen_on_a = on_live.raw
    on_a, on_b = frames_of(seen_on_a), frames_of(seen_on_b)
    assert [event_of(f)["sequence_number"] for f in on_a] == list(range(len(on_a)))
    assert event_of(on_a[-1])["type"] == "response.completed"
    assert on_b == on_a[4:]
    # and the whole log, replayed later from B, is what A's client saw
    replay = httpx.get(f"{b.url}/responses/{rid}", params={"stream": "true"}, headers=ALICE, timeout=WAIT)
    assert replay.content == seen_on_a


# -- cancel -----------------------------------------------------------------------------------------
def test_a_cancel_on_another_replica_reaches_the_handler_within_a_second(shared, marks):
    _, a, b = shared
    rid = create(a, model="stall", background=True).json()["id"]
    assert wait_for_mark(marks, rid, "delta0") == "A"
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        sent = pool.submit(httpx.post, f"{b.url}/responses/{rid}/cancel", headers=ALICE, timeout=WAIT)
        assert wait_for_mark(marks, rid, "cancelled", timeout=1.0 - (time.monotonic() - started)) == "A"
        response = sent.result(WAIT)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert httpx.get(f"{a.url}/responses/{rid}", headers=ALICE, timeout=WAIT).json()["status"] == "cancelled"


# -- crash ------------------------------------------------------------------------------------------
def test_when_a_replica_is_killed_another_fails_its_responses_and_wakes_their_readers(shared, marks):
    url, a, b = shared
    with replica("C", url, marks) as c:
        rid = create(c, model="stall", background=True).json()["id"]
        assert wait_for_mark(marks, rid, "delta0") == "C"
        with (
            httpx.Client(timeout=WAIT) as client,
            client.stream(
                "GET", f"{a.url}/responses/{rid}", params={"stream": "true"}, headers=ALICE
            ) as tail,
        ):
            on_tail = LiveSSE(tail)
            on_tail.until_type("response.output_text.delta", timeout=WAIT)
            c.kill()  # SIGKILL: no drain, no terminal event, no lease release
            on_tail.to_end()  # returns once a replica declares C lost (bounded by WAIT)
    frames = frames_of(on_tail.raw)
    assert [event_of(f)["sequence_number"] for f in frames] == list(range(len(frames)))
    terminal = event_of(frames[-1])
    assert terminal["type"] == "response.failed"
    assert terminal["response"]["status"] == "failed"
    assert terminal["response"]["error"]["code"] == "server_error"
    assert "lost" in terminal["response"]["error"]["message"]
    record = httpx.get(f"{b.url}/responses/{rid}", headers=ALICE, timeout=WAIT).json()
    assert record["status"] == "failed" and record["error"] == terminal["response"]["error"]


# -- Redis unavailable ------------------------------------------------------------------------------
def test_without_redis_requests_get_503_quickly_and_the_replica_recovers_when_it_returns(
    private_redis, marks
):
    url = redis_test_url(new_prefix(), port=private_redis.port, db=0)
    with replica("D", url, marks) as d:
        assert create(d).status_code == 200
        private_redis.stop()
        for attempt in (
            lambda: create(d),
            lambda: httpx.get(f"{d.url}/responses/resp_{'0' * 48}", headers=ALICE, timeout=WAIT),
        ):
            reply = attempt()  # answered within WAIT (the client's timeout), not hanging
            assert reply.status_code == 503, reply.text
            error = reply.json()["error"]
            assert set(error) == {"message", "type", "param", "code"} and error["message"]
        assert httpx.get(f"{d.url}/liveness", timeout=WAIT).status_code == 200
        readiness = httpx.get(f"{d.url}/readiness", timeout=WAIT)  # a balancer routes elsewhere
        assert readiness.status_code == 503 and readiness.json() == {"status": "store_unavailable"}
        assert d.process.poll() is None
        private_redis.start()

        def created() -> httpx.Response | None:
            reply = create(d)
            assert reply.status_code in (200, 503), reply.text
            return reply if reply.status_code == 200 else None

        reply = poll(created, timeout=WAIT, interval=0.05, what="a create answered 200 once Redis is back")
        rid = reply.json()["id"]
        assert httpx.get(f"{d.url}/responses/{rid}", headers=ALICE, timeout=WAIT).status_code == 200
        assert httpx.get(f"{d.url}/readiness", timeout=WAIT).status_code == 200
