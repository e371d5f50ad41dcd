"""Delivery of a stream over time: response.queued, keep-alives, cursors past the end, concurrent readers.

One long background stream is watched once per run (``_watched``): the suite times the gaps between
its events and counts the comments in each, and two replay readers tail the same response meanwhile.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from responsekit.conformance import ordering
from responsekit.conformance.client import StreamCapture
from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, SHOULD, Failed, Skipped, check
from responsekit.conformance.replies import frame_payload

#: A stream silent for longer than this should have carried a keep-alive comment: responsekit and
#: the hosted-agent server send one after 15 s of silence by default; 5 s more is the margin.
KEEP_ALIVE_WITHIN_S = 20.0
#: How far past the last event the resume cursor is put.
BEYOND = 5


@dataclass
class _Gap:
    seconds: float
    comments: int  # comment lines that arrived in the gap
    after: Any  # sequence_number of the event before it


@dataclass
class _Watched:
    response_id: str
    original: StreamCapture
    gaps: list[_Gap] = field(default_factory=list)
    readers: list[StreamCapture | Exception] = field(default_factory=list)  # an exchange that broke


def _watch(ctx: Context) -> _Watched:
    body = ctx.body(ctx.config.prompt_long, stream=True, background=True)
    with ThreadPoolExecutor(2) as pool, ctx.http.open_stream("POST", "/responses", json_body=body) as live:
        cap = live.capture
        if cap.status != 200 or not cap.is_sse:
            raise Failed(
                f"POST /responses stream=true background=true answered {cap.status} {cap.content_type!r}",
                **cap.summary(),
            )
        watched: _Watched | None = None
        futures = []
        last_at, last_comments, last_seq = time.monotonic(), 0, None
        for frame in live:
            now = time.monotonic()
            if frame.data == "[DONE]":
                continue
            event = frame_payload(frame.data)
            if watched is not None:
                watched.gaps.append(_Gap(now - last_at, cap.comments - last_comments, last_seq))
            elif isinstance(event.get("response"), dict) and event["response"].get("id"):
                watched = _Watched(event["response"]["id"], cap)
                # Two readers of the same response, opened together while it (most likely) runs.
                futures = [pool.submit(ctx.replay, watched.response_id) for _ in range(2)]
            last_at, last_comments, last_seq = now, cap.comments, event.get("sequence_number")
        if watched is None:
            raise Failed("the stream has no event carrying the response id", **cap.summary())
        watched.readers = [f.exception() or f.result() for f in futures]
    return watched


def _watched(ctx: Context) -> _Watched:
    """The watched stream; one the server could not make is create.stream_background's finding."""
    with ctx.precondition("create.stream_background"):
        return ctx.memo("watched_long_background_stream", lambda: _watch(ctx))


# -- response.queued -----------------------------------------------------------------------------------


@check(
    "background.queued",
    "response.queued, when sent, comes once, before in_progress, with the queued background response",
    level=MUST,
    fact="A background response may wait in a queue: response.queued then reports it with status "
    "queued (the same response, background true), after response.created and before "
    "response.in_progress. It is optional (a server that starts at once never sends it); when sent, "
    "MUST: both references define it as that state transition.",
)
def queued(ctx: Context) -> str:
    what = "POST /responses stream=true background=true"
    with ctx.precondition("create.stream_background"):
        events = ctx.expect_stream(ctx.bg_stream(), what)
    created = next((e for e in events if e.get("type") == "response.created"), {})
    rid = created.get("response", {}).get("id") if isinstance(created.get("response"), dict) else None
    found = [n for n, e in enumerate(events) if e.get("type") == "response.queued"]
    if not found:
        raise Skipped(
            "the background stream carried no response.queued (it is optional: the response never waited)"
        )
    progress = next((n for n, e in enumerate(events) if e.get("type") == "response.in_progress"), len(events))
    for n in found:
        response = events[n].get("response") if isinstance(events[n].get("response"), dict) else {}
        problem = ""
        if n != found[0]:
            problem = "a second response.queued"
        elif not any(e.get("type") == "response.created" for e in events[:n]):
            problem = "response.queued before response.created"
        elif n > progress:
            problem = "response.queued after response.in_progress"
        elif response.get("status") != "queued":
            problem = f"response.queued carries status {response.get('status')!r}, expected 'queued'"
        elif response.get("id") != rid:
            problem = f"response.queued names response {response.get('id')!r}, the stream is {rid!r}"
        elif response.get("background") is not True:
            problem = f"response.queued carries background {response.get('background')!r}, expected true"
        if problem:
            raise Failed(
                f"{what}: {problem}",
                timeline=ordering.timeline(events, n),
                sequence_number=events[n].get("sequence_number"),
            )
    return "response.queued sent once, in place"


# -- keep-alives ---------------------------------------------------------------------------------------


@check(
    "sse.keep_alive",
    f"A stream silent for over {KEEP_ALIVE_WITHIN_S:g}s carries keep-alive comments meanwhile",
    level=SHOULD,
    fact="SSE comment lines keep an idle stream open through proxies that drop silent connections; "
    "servers of this protocol send one after a quiet interval (15 s by default in responsekit and "
    "the hosted-agent server). Comments are optional in SSE, hence SHOULD.",
)
def keep_alive(ctx: Context) -> str:
    watched = _watched(ctx)
    threshold = KEEP_ALIVE_WITHIN_S
    idle = [gap for gap in watched.gaps if gap.seconds > threshold]
    silent = [gap for gap in idle if gap.comments == 0]
    if silent:
        gap = silent[0]
        raise Failed(
            f"the stream was silent for {gap.seconds:.1f}s after event #{gap.after} without a keep-alive "
            f"comment (expected one within {threshold:g}s)",
            idle_gaps=len(idle),
            silent_gaps=len(silent),
            **watched.original.summary(),
        )
    if not idle and watched.original.comments:  # never quiet for long, and keep-alives came anyway
        return f"the stream was never idle over {threshold:g}s; {watched.original.comments} keep-alive comment(s) seen"
    if not idle:
        longest = max((gap.seconds for gap in watched.gaps), default=0.0)
        raise Skipped(
            f"the stream was never idle for more than {threshold:g}s (longest gap {longest:.1f}s, "
            f"{watched.original.comments} comment(s) seen); give a --prompt-long whose answer pauses"
        )
    return f"{len(idle)} idle gap(s) over {threshold:g}s, each with keep-alive comments"


# -- a cursor past the end ---------------------------------------------------------------------------


@check(
    "replay.beyond_end",
    "A resume cursor past the last event ends the replay at once with no events (or is 400)",
    level=MUST,
    fact="Resuming after sequence number N yields only events numbered above N; past the end of a "
    "finished response there are none, so the stream ends straight away. A server may instead refuse "
    "the cursor with 400 and the error envelope; it must not repeat events, fail, or hang. MUST in "
    "the OpenAI API (starting_after), SHOULD under Open Responses, which has no replay.",
)
def beyond_end(ctx: Context) -> None:
    cap = ctx.bg_stream()
    with ctx.precondition("create.stream_background"):
        events = ctx.expect_stream(cap, "POST /responses stream=true background=true")
        if not events or not isinstance(events[0].get("response"), dict):
            raise Failed("the background stream has no response.created to take the id from")
        rid = events[0]["response"]["id"]
    with ctx.precondition("background.completes"):
        ctx.poll_terminal(rid)
    last = events[-1].get("sequence_number")
    cursor = (last if isinstance(last, int) else len(events) - 1) + BEYOND
    for label, tail in (
        (f"Last-Event-ID: {cursor}", ctx.replay(rid, headers={"Last-Event-ID": str(cursor)})),
        (f"starting_after={cursor}", ctx.replay(rid, starting_after=cursor)),
    ):
        what = f"GET /responses/{rid}?stream=true with {label} (the last event is #{last})"
        if tail.status == 400:
            ctx.expect_error(tail.as_reply(), what, (400,))
            continue
        ctx.expect_stream(tail, what)
        if tail.payload_frames:
            raise Failed(
                f"{what} replayed {len(tail.payload_frames)} event(s); nothing follows the last event",
                timeline=ordering.timeline(tail.events, 0),
                **tail.summary(),
            )


# -- concurrent readers --------------------------------------------------------------------------------


@check(
    "replay.concurrent_readers",
    "Two readers streaming one live response at once receive identical bytes",
    level=MUST,
    fact="Every reader of a response's stream gets the same events: the same payload bytes and "
    "sequence numbers in the same order, whoever else is reading and whenever they joined. MUST in "
    "the OpenAI API (sequence_number names one event), SHOULD under Open Responses (no replay).",
)
def concurrent_readers(ctx: Context) -> str:
    watched = _watched(ctx)
    rid = watched.response_id
    for n, reader in enumerate(watched.readers):
        what = f"GET /responses/{rid}?stream=true (reader {n + 1} of 2)"
        if isinstance(reader, Exception):
            raise Failed(f"{what}: the exchange failed: {type(reader).__name__}: {reader}")
        ctx.expect_stream(reader, what)
    first, second = (reader.payload_frames for reader in watched.readers)
    original = watched.original.payload_frames
    for label, a, b in (
        ("reader 1 and reader 2", first, second),
        ("reader 1 and the original", first, original),
    ):
        for n, (x, y) in enumerate(zip(a, b, strict=False)):
            if (x.event, x.data) != (y.event, y.data):
                raise Failed(
                    f"{label} differ at frame {n}",
                    timeline=ordering.timeline(watched.readers[0].events, n),
                    one=x.data[:600],
                    other=y.data[:600],
                )
        if len(a) != len(b):
            raise Failed(f"{label} differ in length: {len(a)} and {len(b)} event(s)")
    return f"both readers, opened at response.created, received the same {len(first)} event(s)"
