"""A replay cursor past the end of the log, on every store: nothing is replayed, the stream then tails
(keep-alives) and ends with ``[DONE]`` once the response ends, or at once if it has ended. Never a
5xx, however large the number (the Redis store caps it to a valid stream id).

On the Redis store the running case is read on a second host sharing the store (another replica),
so the reader tails Redis rather than the running replica's local copy of the log.
"""

from __future__ import annotations

import contextlib

import httpx
from http_helpers import LiveSSE, check_complete_stream, parse_sse
from support.hosts import WAIT, Probe, gated_handler, host_with, make_host
from support.servers import serve_in_thread

HUGE = "99999999999999999999999"


def _other_replica(store_kind: str, host):
    """A second host on the same store (Redis), or the same host (memory: nothing is shared)."""
    if store_kind != "redis":
        return None
    return make_host("redis", store_url=host.options.store_url, sse_keep_alive_interval_seconds=0.05)


def test_a_cursor_past_the_end_of_a_finished_log_replays_nothing_and_ends_at_once(store_kind):
    probe = Probe()
    host = host_with(store_kind, gated_handler(probe, before=1, after=1))
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as client:
        probe.set("release")
        created = client.post("/responses", json={"model": "m", "input": "x", "stream": True})
        events = parse_sse(created.content)
        last = check_complete_stream(events).seq
        rid = events.frames[0].data["response"]["id"]
        for after in (str(last), str(last + 1), "1000000", str(2**64 - 1), str(2**64), HUGE):
            reply = client.get(f"/responses/{rid}", params={"stream": "true", "starting_after": after})
            assert reply.status_code == 200, (after, reply.text)
            assert reply.content == b"data: [DONE]\n\n", (after, reply.content[:300])
        # the header form is the same cursor
        reply = client.get(f"/responses/{rid}", params={"stream": "true"}, headers={"last-event-id": HUGE})
        assert reply.status_code == 200 and reply.content == b"data: [DONE]\n\n", reply.content[:300]


def test_a_cursor_past_the_end_of_a_running_log_tails_then_ends_with_the_response(store_kind):
    probe = Probe()
    host = host_with(store_kind, gated_handler(probe), sse_keep_alive_interval_seconds=0.05)
    reader_host = _other_replica(store_kind, host)
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(serve_in_thread(host))
        reader_url = stack.enter_context(serve_in_thread(reader_host)).url if reader_host else server.url
        client = stack.enter_context(httpx.Client(timeout=WAIT))
        body = {"model": "m", "input": "x", "background": True}
        rid = client.post(f"{server.url}/responses", json=body).json()["id"]
        probe.wait("waiting")
        url = f"{reader_url}/responses/{rid}"
        with client.stream("GET", url, params={"stream": "true", "starting_after": "1000000"}) as first:
            live = LiveSSE(first)
            live.until(lambda sse: sse.comments >= 2, "keep-alives")  # tailing, nothing replayed
            assert live.sse.frames == [] and not live.sse.done
        with client.stream("GET", url, params={"stream": "true", "starting_after": HUGE}) as tail:
            live = LiveSSE(tail)
            live.until(lambda sse: sse.comments >= 2, "keep-alives")
            assert live.sse.frames == [] and not live.sse.done
            probe.set("release")
            sse = live.to_end()  # bounded by the client's timeout
        assert sse.frames == [] and sse.done
        assert client.get(url).json()["status"] == "completed"
