"""The hot path: one ``response.output_text.delta`` from the builder to the bytes of its SSE frame.

Three contenders, measured in the same run (interleaved batches, medians, ``time.perf_counter_ns``):

- responsekit: ``text_part.emit_delta("tok").frame``;
- openai (the pydantic path): ``ResponseTextDeltaEvent(...)`` + ``.model_dump_json()`` + SSE framing;
- peer: ``azure-ai-agentserver-responses`` 2.3.0, its text builder's ``emit_delta("tok")`` +
  ``encode_sse_event(event)`` (from ``streaming/_sse.py``; ``pip install '.[bench]'``).

Every contender ends at the bytes of one frame (``.encode()`` where a path yields ``str``). Each
batch starts from a fresh stream with an open text part (set up outside the timed loop). Targets:
responsekit / openai <= 0.5 and responsekit / peer <= 0.25. Prints numbers; never asserts them.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

TOKEN = "tok"
TARGETS = {"openai": 0.5, "peer": 0.25}
BATCH_NS = 15_000_000  # aim for ~15 ms per timed batch
REPS, QUICK_REPS = 201, 15

Batch = Callable[[int], int]  # run n ops (after an untimed setup), return the timed ns


# ------------------------------------------------------------------------------------- contenders
def responsekit_batch() -> Batch:
    from responsekit.streaming.stream import ResponseEventStream

    def batch(n: int) -> int:
        stream = ResponseEventStream()
        stream.emit_created()
        stream.emit_in_progress()
        message = stream.add_output_item_message()
        message.emit_added()
        part = message.add_text_content()
        part.emit_added()
        emit = part.emit_delta
        start = time.perf_counter_ns()
        for _ in range(n):
            emit(TOKEN).frame  # noqa: B018 - the frame's bytes are the point
        return time.perf_counter_ns() - start

    return batch


def openai_batch() -> Batch:
    from openai.types.responses import ResponseTextDeltaEvent

    item_id = "msg_" + "0" * 48

    def batch(n: int) -> int:
        start = time.perf_counter_ns()
        for seq in range(n):
            event = ResponseTextDeltaEvent(
                type="response.output_text.delta",
                item_id=item_id,
                output_index=0,
                content_index=0,
                delta=TOKEN,
                logprobs=[],
                sequence_number=seq,
            )
            f"event: {event.type}\ndata: {event.model_dump_json()}\n\n".encode()
        return time.perf_counter_ns() - start

    return batch


def peer_batch() -> Batch:
    from azure.ai.agentserver.responses.streaming import ResponseEventStream
    from azure.ai.agentserver.responses.streaming._sse import encode_sse_event

    def batch(n: int) -> int:
        stream = ResponseEventStream(response_id="resp_" + "0" * 48)
        stream.emit_created()
        stream.emit_in_progress()
        message = stream.add_output_item_message()
        message.emit_added()
        part = message.add_text_content()
        part.emit_added()
        emit = part.emit_delta
        start = time.perf_counter_ns()
        for _ in range(n):
            encode_sse_event(emit(TOKEN)).encode()
        return time.perf_counter_ns() - start

    return batch


def peer_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("azure-ai-agentserver-responses")
    except PackageNotFoundError:
        return None


def sample_frames() -> dict[str, bytes]:
    """One frame from each contender, to show they produce the same kind of bytes."""
    from openai.types.responses import ResponseTextDeltaEvent

    from responsekit.streaming.stream import ResponseEventStream

    stream = ResponseEventStream()
    stream.emit_created()
    stream.emit_in_progress()
    message = stream.add_output_item_message()
    message.emit_added()
    part = message.add_text_content()
    part.emit_added()
    event = ResponseTextDeltaEvent(
        type="response.output_text.delta",
        item_id=message.item_id,
        output_index=0,
        content_index=0,
        delta=TOKEN,
        logprobs=[],
        sequence_number=4,
    )
    return {
        "responsekit": part.emit_delta(TOKEN).frame,
        "openai": f"event: {event.type}\ndata: {event.model_dump_json()}\n\n".encode(),
    }


# ------------------------------------------------------------------------------------- measuring
def calibrate(batch: Batch) -> int:
    """How many ops make one batch last about BATCH_NS."""
    n = 64
    while True:
        elapsed = batch(n)
        if elapsed >= BATCH_NS / 8 or n >= 1 << 22:
            return max(16, int(n * BATCH_NS / max(elapsed, 1)))
        n *= 4


def measure(contenders: dict[str, Batch], reps: int) -> dict[str, list[float]]:
    """ns per op for each rep; batches interleaved, the order rotating every rep."""
    gc.collect()
    gc.freeze()  # keep what exists out of later collections, so the per-batch collect is cheap
    sizes = {name: calibrate(batch) for name, batch in contenders.items()}
    for name, batch in contenders.items():  # warm up
        batch(sizes[name] // 4 or 1)
    names = list(contenders)
    per_op: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            gc.collect()
            per_op[name].append(contenders[name](sizes[name]) / sizes[name])
    return per_op


def describe(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=4)
    return f"{statistics.median(samples):9.0f} ns/op  (IQR {q[0]:.0f}-{q[2]:.0f}, {len(samples)} batches)"


def run(quick: bool = False) -> None:
    contenders: dict[str, Batch] = {"responsekit": responsekit_batch(), "openai": openai_batch()}
    version = peer_version()
    try:
        contenders["peer"] = peer_batch()
        if version != "2.3.0":
            print(f"note: peer package is azure-ai-agentserver-responses {version}, not the pinned 2.3.0")
    except Exception as exc:  # not installed, or its import broke: report and go on without it
        print(
            f"peer package unavailable ({type(exc).__name__}: {exc}); install it with "
            "`pip install 'azure-ai-agentserver-responses==2.3.0'` (the `bench` extra). Skipping the peer ratio."
        )
    frames = sample_frames()
    print(f"frame sizes: responsekit {len(frames['responsekit'])} B, openai {len(frames['openai'])} B")
    per_op = measure(contenders, QUICK_REPS if quick else REPS)
    medians = {name: statistics.median(samples) for name, samples in per_op.items()}
    print("one response.output_text.delta -> SSE frame bytes:")
    for name, samples in per_op.items():
        print(f"  {name:<12}{describe(samples)}")
    for baseline, target in TARGETS.items():
        if baseline not in medians:
            print(f"  responsekit / {baseline:<7} n/a        (target <= {target})")
            continue
        ratio = medians["responsekit"] / medians[baseline]
        paired = statistics.median(
            r / b for r, b in zip(per_op["responsekit"], per_op[baseline], strict=True)
        )
        verdict = "PASS" if ratio <= target else "MISS"
        print(
            f"  responsekit / {baseline:<7} {ratio:6.3f}  (paired {paired:.3f})  target <= {target}  {verdict}"
        )
