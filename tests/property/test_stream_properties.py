"""@given tests: random well-formed item programs, interleaved at random, through the builder API.

Each item kind has a small program (its legal sequence of calls, drawn with random text chunks,
part counts, annotations and progress events); the programs of several items are merged in a random
order that keeps each item's own order. Every resulting stream must satisfy the independent oracle
(``stream_oracle``): sequence numbers, ordering, open/close discipline, done text equals the deltas,
one terminal event last, terminal output equals the finished items, every event valid for openai.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from stream_oracle import check_events

from responsekit.streaming.stream import ResponseEventStream

CHUNKS = st.lists(st.text(max_size=8), max_size=4)
ANNOTATION = {
    "type": "url_citation",
    "url": "https://example.com",
    "title": "t",
    "start_index": 0,
    "end_index": 1,
}
USAGE = {
    "input_tokens": 1,
    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
    "output_tokens": 2,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 3,
}
SHELL_ACTION = {"commands": ["ls"], "timeout_ms": None, "max_output_length": None}

Step = Callable[[], Any]


def message_program(stream: ResponseEventStream, draw: Any) -> list[Step]:
    msg = stream.add_output_item_message()
    steps: list[Step] = [msg.emit_added]
    for kind in draw(st.lists(st.sampled_from(["text", "refusal"]), max_size=3)):
        part = msg.add_text_content() if kind == "text" else msg.add_refusal_content()
        steps.append(part.emit_added)
        steps += [lambda p=part, c=c: p.emit_delta(c) for c in draw(CHUNKS)]
        if kind == "text":
            steps += [lambda p=part: p.emit_annotation_added(ANNOTATION)] * draw(st.integers(0, 2))
            steps.append(part.emit_text_done)
        else:
            steps.append(part.emit_refusal_done)
        steps.append(part.emit_done)
    return [*steps, msg.emit_done]


def reasoning_program(stream: ResponseEventStream, draw: Any) -> list[Step]:
    item = stream.add_output_item_reasoning_item()
    steps: list[Step] = [item.emit_added]
    for kind in draw(st.lists(st.sampled_from(["summary", "text"]), max_size=3)):
        part = item.add_summary_part() if kind == "summary" else item.add_text_content()
        delta = part.emit_text_delta if kind == "summary" else part.emit_delta
        steps += [
            part.emit_added,
            *[lambda d=delta, c=c: d(c) for c in draw(CHUNKS)],
            part.emit_text_done,
            part.emit_done,
        ]
    return [*steps, item.emit_done]


def streamed_program(factory: str, args: tuple, delta: str, final: str, before=(), after=()):
    def program(stream: ResponseEventStream, draw: Any) -> list[Step]:
        item = getattr(stream, factory)(*args)
        chunks = draw(CHUNKS)
        steps: list[Step] = [item.emit_added, *[getattr(item, name) for name in before]]
        steps += [lambda c=c: getattr(item, delta)(c) for c in chunks]
        if chunks or draw(st.booleans()):
            steps.append(getattr(item, final))
        return [*steps, *[getattr(item, name) for name in after], item.emit_done]

    return program


def progress_program(factory: str, args: tuple, names: tuple[str, ...]):
    def program(stream: ResponseEventStream, draw: Any) -> list[Step]:
        item = getattr(stream, factory)(*args)
        chosen = [n for n in names if draw(st.booleans())]
        return [item.emit_added, *[getattr(item, n) for n in chosen], item.emit_done]

    return program


def image_program(stream: ResponseEventStream, draw: Any) -> list[Step]:
    item = stream.add_output_item_image_gen_call()
    partials = [
        lambda i=i: item.emit_partial_image(f"cGFydGlhbA{i}", size="1024x1024")
        for i in range(draw(st.integers(0, 3)))
    ]
    return [
        item.emit_added,
        item.emit_in_progress,
        item.emit_generating,
        *partials,
        lambda: item.set_result("ZmluYWw=") or item.emit_completed(),
        item.emit_done,
    ]


def shell_program(stream: ResponseEventStream, draw: Any) -> list[Step]:
    call = stream.add_output_item_shell_call("call_sh", SHELL_ACTION)
    return [
        call.emit_added,
        lambda: call.emit_command_added(0, ""),
        lambda: call.emit_command_delta(0, "ls"),
        lambda: call.emit_command_done(0, "ls"),
        call.emit_done,
    ]


def shell_output_program(stream: ResponseEventStream, draw: Any) -> list[Step]:
    out = stream.add_output_item_shell_call_output("call_sh")
    content = [{"stdout": "x", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}]
    return [
        out.emit_added,
        lambda: out.emit_output_delta(0, {"stdout": "x", "stderr": ""}),
        lambda: out.emit_output_done(0, content),
        out.emit_done,
    ]


def whole_program(factory: str, *args: Any):
    def program(stream: ResponseEventStream, draw: Any) -> list[Step]:
        item = getattr(stream, factory)(*args)
        return [item.emit_added, item.emit_done]

    return program


PROGRAMS = {
    "message": message_program,
    "reasoning": reasoning_program,
    "function_call": streamed_program(
        "add_output_item_function_call",
        ("get_weather", "call_1"),
        "emit_arguments_delta",
        "emit_arguments_done",
    ),
    "custom_tool_call": streamed_program(
        "add_output_item_custom_tool_call", ("grammar", "call_2"), "emit_input_delta", "emit_input_done"
    ),
    "code_interpreter_call": streamed_program(
        "add_output_item_code_interpreter_call",
        ("cntr",),
        "emit_code_delta",
        "emit_code_done",
        ("emit_in_progress",),
        ("emit_interpreting", "emit_completed"),
    ),
    "mcp_call": streamed_program(
        "add_output_item_mcp_call",
        ("server", "tool"),
        "emit_arguments_delta",
        "emit_arguments_done",
        ("emit_in_progress",),
        ("emit_completed",),
    ),
    "file_search_call": progress_program(
        "add_output_item_file_search_call", (["q"],), ("emit_in_progress", "emit_searching", "emit_completed")
    ),
    "web_search_call": progress_program(
        "add_output_item_web_search_call", (), ("emit_in_progress", "emit_searching", "emit_completed")
    ),
    "mcp_list_tools": progress_program(
        "add_output_item_mcp_list_tools", ("server",), ("emit_in_progress", "emit_failed", "emit_completed")
    ),
    "compaction": progress_program("add_output_item_compaction", ("opaque",), ("emit_compacting",)),
    "image_generation_call": image_program,
    "shell_call": shell_program,
    "shell_call_output": shell_output_program,
    "structured_outputs": whole_program("add_output_item_structured_outputs", {"answer": [1, {"b": None}]}),
    "function_call_output": whole_program("add_output_item_function_call_output", "call_1", "sunny"),
}


def run_interleaved(
    data: st.DataObject, kinds: list[str], ending: str
) -> tuple[ResponseEventStream, list[Any]]:
    stream = ResponseEventStream(model="test-model")
    queues = [PROGRAMS[kind](stream, data.draw) for kind in kinds]
    events = [stream.emit_created(), stream.emit_in_progress()]
    while any(queues):
        i = data.draw(st.sampled_from([i for i, q in enumerate(queues) if q]), label="next item")
        events.append(queues[i].pop(0)())
    if ending == "completed":
        events.append(stream.emit_completed(usage=USAGE))
    elif ending == "incomplete":
        events.append(stream.emit_incomplete(reason="max_output_tokens"))
    else:
        events.append(stream.emit_failed(code="server_error", message="boom"))
    return stream, events


@given(
    data=st.data(),
    kinds=st.lists(st.sampled_from(sorted(PROGRAMS)), max_size=5),
    ending=st.sampled_from(["completed", "incomplete", "failed"]),
)
def test_any_interleaving_of_item_programs_is_a_valid_stream(data, kinds, ending):
    stream, events = run_interleaved(data, kinds, ending)
    checker = check_events(events)
    assert sorted(item.type for item in checker.items) == sorted(kinds)  # kinds are named by item type
    assert stream.response.to_dict()["output"] == json.loads(events[-1].json)["response"]["output"]


@given(
    data=st.data(),
    kinds=st.lists(st.sampled_from(sorted(PROGRAMS)), min_size=1, max_size=4),
    ending=st.sampled_from(["failed", "cancelled", "incomplete"]),
)
def test_a_response_ended_early_closes_every_open_item(data, kinds, ending):
    """The runtime's early-end path: stop anywhere, close what is open, end; still a valid stream."""
    stream = ResponseEventStream()
    queues = [PROGRAMS[kind](stream, data.draw) for kind in kinds]
    events = [stream.emit_created()]
    if data.draw(st.booleans(), label="in progress"):
        events.append(stream.emit_in_progress())
        for _ in range(data.draw(st.integers(0, 12), label="steps before the end")):
            open_queues = [i for i, q in enumerate(queues) if q]
            if not open_queues:
                break
            events.append(queues[data.draw(st.sampled_from(open_queues))].pop(0)())
    events += stream.close_open_items()
    if ending == "failed":
        events.append(stream.emit_failed())
    elif ending == "cancelled":
        events.append(stream.emit_cancelled())
    else:
        events.append(stream.emit_incomplete(reason="content_filter"))
    check_events(events)


@given(
    chunks=st.lists(st.text(), max_size=6),
    twin=st.sampled_from(["message", "function_call", "reasoning"]),
    asynchronous=st.booleans(),
)
def test_convenience_generators_carry_the_joined_chunks(chunks, twin, asynchronous):
    stream = ResponseEventStream()
    events = [stream.emit_created(), stream.emit_in_progress()]

    async def agen():
        for chunk in chunks:
            await asyncio.sleep(0)
            yield chunk

    async def collect(gen) -> list[Any]:
        return [event async for event in gen]

    if asynchronous:
        gen = {
            "message": lambda: stream.aoutput_item_message(agen()),
            "function_call": lambda: stream.aoutput_item_function_call("f", "call_1", agen()),
            "reasoning": lambda: stream.aoutput_item_reasoning_item(agen()),
        }[twin]()
        events += asyncio.run(collect(gen))
    else:
        text = "".join(chunks)
        events += {
            "message": lambda: stream.output_item_message(text),
            "function_call": lambda: stream.output_item_function_call("f", "call_1", text),
            "reasoning": lambda: stream.output_item_reasoning_item(text),
        }[twin]()
    events.append(stream.emit_completed())
    check_events(events)
    item = json.loads(events[-1].json)["response"]["output"][0]
    value = {
        "message": lambda: item["content"][0]["text"],
        "function_call": lambda: item["arguments"],
        "reasoning": lambda: item["summary"][0]["text"],
    }[twin]()
    assert value == "".join(chunks)


@given(text=st.text())
def test_any_text_frames_as_one_sse_event(text):
    stream = ResponseEventStream()
    stream.emit_created()
    stream.emit_in_progress()
    message = stream.add_output_item_message()
    part = message.add_text_content()
    message.emit_added()
    part.emit_added()
    event = part.emit_delta(text)
    head, _, rest = event.frame.partition(b"\n")
    assert head == b"event: response.output_text.delta"
    assert rest.startswith(b"data: ") and rest.endswith(b"\n\n") and rest.count(b"\n") == 2
    assert json.loads(rest[len(b"data: ") :])["delta"] == text
