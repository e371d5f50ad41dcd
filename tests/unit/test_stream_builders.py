"""The streaming API: every builder's emit_* methods, convenience generators, ids, and misuse."""

from __future__ import annotations

import asyncio
import copy
import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from stream_oracle import StreamChecker, check_events

from responsekit.streaming._generated_builders import EVENT_TYPES
from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.events import StreamEvent
from responsekit.streaming.stream import ResponseEventStream

ANNOTATION = {
    "type": "url_citation",
    "url": "https://example.com",
    "title": "t",
    "start_index": 0,
    "end_index": 1,
}
SHELL_ACTION = {"commands": ["ls"], "timeout_ms": None, "max_output_length": None}
SHELL_OUTPUT = [{"stdout": "x", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}]
USAGE = {
    "input_tokens": 3,
    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
    "output_tokens": 5,
    "output_tokens_details": {"reasoning_tokens": 1},
    "total_tokens": 8,
}


def started(**kwargs: Any) -> tuple[ResponseEventStream, list[StreamEvent]]:
    stream = ResponseEventStream(**kwargs)
    return stream, [stream.emit_created(), stream.emit_in_progress()]


def output_of(event: StreamEvent) -> list[dict[str, Any]]:
    return json.loads(event.json)["response"]["output"]


# --------------------------------------------------------------------------- every emit_* method
def every_event_program() -> tuple[ResponseEventStream, list[StreamEvent]]:
    """One stream that calls every builder's every emit_* method (except the other two terminals)."""
    s = ResponseEventStream(model="m")
    ev = [s.emit_created(), s.emit_queued(), s.emit_in_progress()]
    ev += [
        s.emit_audio_delta("AAAA"),
        s.emit_audio_done(),
        s.emit_audio_transcript_delta("hi"),
        s.emit_audio_transcript_done(),
        s.emit_error("careful", code="server_error"),
    ]
    m = s.add_output_item_message()
    ev.append(m.emit_added())
    t = m.add_text_content()
    ev += [
        t.emit_added(),
        t.emit_delta("Hel"),
        t.emit_delta("lo"),
        t.emit_annotation_added(ANNOTATION),
        t.emit_text_done(),
        t.emit_done(),
    ]
    r = m.add_refusal_content()
    ev += [r.emit_added(), r.emit_delta("no"), r.emit_refusal_done(), r.emit_done(), m.emit_done()]
    rs = s.add_output_item_reasoning_item()
    ev.append(rs.emit_added())
    sp = rs.add_summary_part()
    ev += [sp.emit_added(), sp.emit_text_delta("think"), sp.emit_text_done(), sp.emit_done()]
    rt = rs.add_text_content()
    ev += [rt.emit_added(), rt.emit_delta("deep"), rt.emit_text_done(), rt.emit_done(), rs.emit_done()]
    fc = s.add_output_item_function_call("get_weather", "call_1")
    ev += [
        fc.emit_added(),
        fc.emit_arguments_delta('{"city":'),
        fc.emit_arguments_delta('"Oslo"}'),
        fc.emit_arguments_done(),
        fc.emit_done(),
    ]
    fs = s.add_output_item_file_search_call(["q"])
    ev += [fs.emit_added(), fs.emit_in_progress(), fs.emit_searching(), fs.emit_completed(), fs.emit_done()]
    ws = s.add_output_item_web_search_call()
    ev += [ws.emit_added(), ws.emit_in_progress(), ws.emit_searching(), ws.emit_completed(), ws.emit_done()]
    ci = s.add_output_item_code_interpreter_call("cntr_1")
    ev += [
        ci.emit_added(),
        ci.emit_in_progress(),
        ci.emit_code_delta("print(1)"),
        ci.emit_code_done(),
        ci.emit_interpreting(),
        ci.emit_completed(),
        ci.emit_done(),
    ]
    ig = s.add_output_item_image_gen_call()
    ev += [
        ig.emit_added(),
        ig.emit_in_progress(),
        ig.emit_generating(),
        ig.emit_partial_image("cDA="),
        ig.emit_partial_image("cDE=", size="1024x1024"),
    ]
    ig.set_result("ZmluYWw=")
    ev += [ig.emit_completed(), ig.emit_done()]
    mc = s.add_output_item_mcp_call("server", "tool")
    ev += [
        mc.emit_added(),
        mc.emit_in_progress(),
        mc.emit_arguments_delta("{}"),
        mc.emit_arguments_done(),
        mc.emit_failed(),
        mc.emit_completed(),
    ]
    mc.set_output("result")
    ev.append(mc.emit_done())
    ml = s.add_output_item_mcp_list_tools("server")
    ev += [ml.emit_added(), ml.emit_in_progress(), ml.emit_failed(), ml.emit_completed()]
    ml.set_tools([{"name": "tool", "input_schema": {"type": "object"}}])
    ev.append(ml.emit_done())
    ct = s.add_output_item_custom_tool_call("grammar", "call_2")
    ev += [
        ct.emit_added(),
        ct.emit_input_delta("x = "),
        ct.emit_input_delta("1"),
        ct.emit_input_done(),
        ct.emit_done(),
    ]
    sh = s.add_output_item_shell_call("call_3", SHELL_ACTION)
    ev += [
        sh.emit_added(),
        sh.emit_command_added(0, ""),
        sh.emit_command_delta(0, "ls"),
        sh.emit_command_done(0, "ls"),
        sh.emit_done(),
    ]
    so = s.add_output_item_shell_call_output("call_3")
    ev += [
        so.emit_added(),
        so.emit_output_delta(0, {"stdout": "x", "stderr": ""}),
        so.emit_output_done(0, SHELL_OUTPUT),
        so.emit_done(),
    ]
    cp = s.add_output_item_compaction("opaque")
    ev += [cp.emit_added(), cp.emit_compacting(), cp.emit_done()]
    g = s.add_output_item(
        {"type": "mcp_approval_request", "server_label": "server", "name": "tool", "arguments": "{}"}
    )
    ev += [g.emit_added(), g.emit_done()]
    ev.append(s.emit_completed(usage=USAGE))
    return s, ev


def test_every_emit_method_of_every_builder_gives_a_valid_event():
    _, events = every_event_program()
    checker = check_events(events)
    # Each event type has exactly one emit_* method (test_codegen), so this is every method.
    assert checker.types_seen == EVENT_TYPES - {"response.failed", "response.incomplete"}
    for event in events:  # and the spec's own models accept them too
        assert event.as_model().type == event.type


@pytest.mark.parametrize("ending", ["failed", "incomplete"])
def test_the_other_terminal_events(ending):
    stream, events = started()
    events += stream.output_item_message("partial")
    if ending == "failed":
        events.append(stream.emit_failed(code="rate_limit_exceeded", message="slow down", usage=USAGE))
        response = json.loads(events[-1].json)["response"]
        assert response["error"] == {"code": "rate_limit_exceeded", "message": "slow down"}
    else:
        events.append(stream.emit_incomplete(reason="content_filter"))
        response = json.loads(events[-1].json)["response"]
        assert response["incomplete_details"] == {"reason": "content_filter"}
    check_events(events)
    assert response["status"] == ending


def test_a_cancelled_response_ends_with_failed_and_status_cancelled():
    stream, events = started()
    events.append(stream.emit_cancelled())
    check_events(events)
    assert events[-1].type == "response.failed" and output_of(events[-1]) == []
    assert json.loads(events[-1].json)["response"]["status"] == "cancelled"


def test_the_error_event_sends_flat_and_nested_fields():
    stream = ResponseEventStream()
    stream.emit_created()
    data = json.loads(stream.emit_error("bad", code="invalid_prompt", param="input").json)
    assert data["code"] == "invalid_prompt" and data["message"] == "bad" and data["param"] == "input"
    assert data["error"] == {"code": "invalid_prompt", "message": "bad", "param": "input"}


def test_usage_is_carried_by_the_terminal_event():
    stream, events = started()
    events.append(stream.emit_completed(usage=USAGE))
    assert json.loads(events[-1].json)["response"]["usage"] == USAGE


# ---------------------------------------------------------------------------- convenience generators
def _whole_items(s: ResponseEventStream) -> list[StreamEvent]:
    ev: list[StreamEvent] = []
    ev += s.output_item_computer_call("call_c", {"type": "click", "button": "left", "x": 1, "y": 2})
    ev += s.output_item_computer_call_output(
        "call_c", {"type": "computer_screenshot", "image_url": "https://x/y.png"}
    )
    ev += s.output_item_local_shell_call("call_l", {"type": "exec", "command": ["ls"], "env": {}})
    ev += s.output_item_local_shell_call_output("call_l", "file.txt")
    ev += s.output_item_function_shell_call("call_s", SHELL_ACTION)
    ev += s.output_item_function_shell_call_output("call_s", SHELL_OUTPUT)
    ev += s.output_item_apply_patch_call("call_p", {"type": "delete_file", "path": "a.txt"})
    ev += s.output_item_apply_patch_call_output("call_p", output="done")
    ev += s.output_item_custom_tool_call_output("call_t", "ok")
    ev += s.output_item_mcp_approval_request("server", "tool", "{}")
    ev += s.output_item_mcp_approval_response("mcpr_1", True)
    ev += s.output_item_compaction("opaque")
    return ev


SYNC_GENERATORS: dict[str, Callable[[ResponseEventStream], Any]] = {
    "message": lambda s: s.output_item_message("Hello", annotations=[ANNOTATION]),
    "refusal": lambda s: s.output_item_refusal("I can't"),
    "function_call": lambda s: s.output_item_function_call("get_weather", "call_1", '{"city":"Oslo"}'),
    "function_call_output": lambda s: s.output_item_function_call_output("call_1", "sunny"),
    "reasoning_item": lambda s: s.output_item_reasoning_item("Because."),
    "image_gen_call": lambda s: s.output_item_image_gen_call("ZmluYWw=", partial_images=["cDA=", "cDE="]),
    "structured_outputs": lambda s: s.output_item_structured_outputs({"answer": 42, "list": [1, None]}),
    "generic": lambda s: s.output_item(
        {"type": "mcp_approval_request", "server_label": "a", "name": "b", "arguments": "{}"}
    ),
    "whole_items": _whole_items,
}


@pytest.mark.parametrize("name", sorted(SYNC_GENERATORS))
def test_convenience_generators(name):
    stream, events = started()
    made = list(SYNC_GENERATORS[name](stream))
    events += made
    events.append(stream.emit_completed())
    checker = check_events(events)
    assert all(not item.open for item in checker.items)
    for event in events:
        event.as_model()
    assert output_of(events[-1]) == [
        json.loads(e.json)["item"] for e in made if e.type == "response.output_item.done"
    ]


def test_convenience_generators_fill_in_the_text():
    stream, events = started()
    events += stream.output_item_message("Hello", annotations=[ANNOTATION])
    events += stream.output_item_reasoning_item("Because.")
    events += stream.output_item_function_call("f", "call_1", "{}")
    events += stream.output_item_image_gen_call("ZmluYWw=", partial_images=["cDA=", "cDE="])
    events.append(stream.emit_completed())
    message, reasoning, call, image = output_of(events[-1])
    assert message["content"] == [
        {"type": "output_text", "text": "Hello", "annotations": [ANNOTATION], "logprobs": []}
    ]
    assert message["status"] == "completed" and message["role"] == "assistant"
    assert reasoning["summary"] == [{"type": "summary_text", "text": "Because."}]
    assert call["arguments"] == "{}" and call["name"] == "f" and call["call_id"] == "call_1"
    assert image["result"] == "ZmluYWw=" and image["status"] == "completed"
    partials = [json.loads(e.json) for e in events if e.type.endswith("partial_image")]
    assert [p["partial_image_index"] for p in partials] == [0, 1]


async def _chunks(parts):
    for part in parts:
        await asyncio.sleep(0)
        yield part


@pytest.mark.parametrize("source", ["async", "sync"])
def test_async_twins_take_chunks(source):
    parts = ["Hel", "lo", " wor", "ld"]

    async def run() -> list[StreamEvent]:
        stream, events = started()

        def chunks():
            return _chunks(parts) if source == "async" else iter(parts)

        events += [e async for e in stream.aoutput_item_message(chunks(), annotations=[ANNOTATION])]
        events += [e async for e in stream.aoutput_item_function_call("f", "call_1", chunks())]
        events += [e async for e in stream.aoutput_item_reasoning_item(chunks())]
        events.append(stream.emit_completed())
        return events

    events = asyncio.run(run())
    check_events(events)
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert [json.loads(d.json)["delta"] for d in deltas] == parts
    message, call, reasoning = output_of(events[-1])
    assert (
        message["content"][0]["text"] == call["arguments"] == reasoning["summary"][0]["text"] == "Hello world"
    )


# ------------------------------------------------------------------------------------- ids
PREFIXES = {
    "response": "resp_",
    "message": "msg_",
    "function_call": "fc_",
    "reasoning": "rs_",
}


def random_bits(suffix: str) -> float:
    alphabet = 16 if re.fullmatch(r"[0-9a-f]+", suffix) else 64
    return len(suffix) * math.log2(alphabet)


def item_ids(stream: ResponseEventStream) -> dict[str, str]:
    builders = {
        "message": stream.add_output_item_message(),
        "function_call": stream.add_output_item_function_call("f", "c"),
        "reasoning": stream.add_output_item_reasoning_item(),
        "file_search_call": stream.add_output_item_file_search_call(),
        "web_search_call": stream.add_output_item_web_search_call(),
        "code_interpreter_call": stream.add_output_item_code_interpreter_call(),
        "image_generation_call": stream.add_output_item_image_gen_call(),
        "mcp_call": stream.add_output_item_mcp_call("s", "t"),
        "mcp_list_tools": stream.add_output_item_mcp_list_tools("s"),
        "custom_tool_call": stream.add_output_item_custom_tool_call("n", "c"),
        "shell_call": stream.add_output_item_shell_call("c", SHELL_ACTION),
        "shell_call_output": stream.add_output_item_shell_call_output("c"),
        "compaction": stream.add_output_item_compaction(),
        "structured_outputs": stream.add_output_item_structured_outputs({}),
        "function_call_output": stream.add_output_item_function_call_output("c", "o"),
        "computer_call": stream.add_output_item({"type": "computer_call"}),
    }
    return {kind: b.item_id for kind, b in builders.items()}


def test_ids_have_the_usual_prefixes_and_at_least_128_random_bits():
    stream = ResponseEventStream()
    ids = {"response": stream.response_id, **item_ids(stream)}
    for kind, value in ids.items():
        assert kind not in PREFIXES or value.startswith(PREFIXES[kind]), (kind, value)
        prefix, _, suffix = value.partition("_")
        assert prefix.isalnum() and suffix, value
        assert random_bits(suffix) >= 128, (kind, value)
    assert len(set(ids.values())) == len(ids)


def test_ids_do_not_repeat_across_streams():
    seen = set()
    for _ in range(200):
        stream = ResponseEventStream()
        seen.add(stream.response_id)
        seen.add(stream.add_output_item_message().item_id)
    assert len(seen) == 400


def test_a_given_response_id_is_kept():
    stream = ResponseEventStream(response_id="resp_given")
    assert json.loads(stream.emit_created().json)["response"]["id"] == "resp_given"


# -------------------------------------------------------------------------- text, indexes, output
def test_done_text_equals_the_deltas():
    stream, events = started()
    message = stream.add_output_item_message()
    part = message.add_text_content()
    events += [message.emit_added(), part.emit_added()]
    chunks = ["a", "", "ü\n", '"quoted"', "😀"]
    events += [part.emit_delta(c) for c in chunks]
    done = part.emit_text_done()
    assert json.loads(done.json)["text"] == "".join(chunks) == part.text
    events += [done, part.emit_done(), message.emit_done(), stream.emit_completed()]
    check_events(events)
    assert output_of(events[-1])[0]["content"][0]["text"] == "".join(chunks)


def test_the_terminal_output_is_the_finished_items_in_order():
    stream, events = started()
    first = stream.add_output_item_function_call("a", "call_a")
    second = stream.add_output_item_message()
    events += [first.emit_added(), second.emit_added()]
    events += [
        second.emit_done(),
        first.emit_arguments_delta("{}"),
        first.emit_arguments_done(),
        first.emit_done(),
    ]
    events.append(stream.emit_completed())
    check_events(events)
    done = {
        json.loads(e.json)["output_index"]: json.loads(e.json)["item"]
        for e in events
        if e.type == "response.output_item.done"
    }
    assert output_of(events[-1]) == [done[0], done[1]]
    assert [i["type"] for i in output_of(events[-1])] == ["function_call", "message"]
    assert stream.response.output == output_of(events[-1])


def test_items_take_output_indexes_in_the_order_they_are_added():
    """Regression: indexes used to be fixed when the builder was made, not when it was added."""
    stream, events = started()
    made_first = stream.add_output_item_message()
    made_second = stream.add_output_item_function_call("f", "call_1")
    assert made_first.output_index is None
    events.append(made_second.emit_added())
    events.append(made_first.emit_added())
    assert (made_second.output_index, made_first.output_index) == (0, 1)
    events += [made_first.emit_done(), made_second.emit_done(), stream.emit_completed()]
    check_events(events)
    assert [i["type"] for i in output_of(events[-1])] == ["function_call", "message"]


def test_parts_take_content_indexes_in_the_order_they_are_added():
    """Regression: a part made before another but added after it used to keep the lower index."""
    stream, events = started()
    message = stream.add_output_item_message()
    early = message.add_text_content()  # made before the message is added
    events.append(message.emit_added())
    late = message.add_refusal_content()
    events += [late.emit_added(), early.emit_added()]
    assert (late.content_index, early.content_index) == (0, 1)
    events += [early.emit_delta("hi"), early.emit_text_done(), early.emit_done()]
    events += [late.emit_refusal_done(), late.emit_done(), message.emit_done(), stream.emit_completed()]
    check_events(events)
    assert [p["type"] for p in output_of(events[-1])[0]["content"]] == ["refusal", "output_text"]
    assert json.loads(events[4].json)["output_index"] == 0  # the part made early knows its item's index


def test_summary_and_reasoning_text_parts_count_separately():
    stream, events = started()
    item = stream.add_output_item_reasoning_item()
    events.append(item.emit_added())
    for make in (item.add_summary_part, item.add_text_content, item.add_summary_part):
        part = make()
        events.append(part.emit_added())
        events.append(part.emit_text_done())
        events.append(part.emit_done())
    events += [item.emit_done(), stream.emit_completed()]
    check_events(events)
    indexes = [
        (e.type, json.loads(e.json).get("summary_index", json.loads(e.json).get("content_index")))
        for e in events
        if e.type.endswith("part.added")
    ]
    assert indexes == [
        ("response.reasoning_summary_part.added", 0),
        ("response.content_part.added", 0),
        ("response.reasoning_summary_part.added", 1),
    ]


def test_response_properties_set_before_created_are_sent():
    stream = ResponseEventStream(
        request={"model": "gpt-test", "metadata": {"k": "v"}, "instructions": "be brief"}
    )
    stream.response.temperature = 0.5
    with pytest.raises(AttributeError, match="no field"):
        stream.response.not_a_field = 1
    response = json.loads(stream.emit_created().json)["response"]
    assert response["model"] == "gpt-test" and response["metadata"] == {"k": "v"}
    assert response["instructions"] == "be brief" and response["temperature"] == 0.5


def test_events_are_serialized_once():
    stream, events = started()
    message = stream.add_output_item_message()
    added = message.emit_added()
    before = added.json
    message.item["status"] = "changed later"
    assert added.json == before and b"changed later" not in added.frame
    assert added.output_index == 0 and added["item"]["type"] == "message"


# ------------------------------------------------------------------------------------------- misuse
def _open_message(s):
    m = s.add_output_item_message()
    m.emit_added()
    return m


def _open_text(s):
    m = _open_message(s)
    t = m.add_text_content()
    t.emit_added()
    return m, t


def _text_done(s):
    m, t = _open_text(s)
    t.emit_delta("x")
    t.emit_text_done()
    return t


def _part_done(s):
    t = _text_done(s)
    t.emit_done()
    return t


def _args_done(s):
    f = s.add_output_item_function_call("f", "c")
    f.emit_added()
    f.emit_arguments_delta("{}")
    f.emit_arguments_done()
    return f


def _args_streaming(s):
    f = s.add_output_item_function_call("f", "c")
    f.emit_added()
    f.emit_arguments_delta("{")
    return f


def _item_done(s):
    f = s.add_output_item_file_search_call()
    f.emit_added()
    f.emit_done()
    return f


def _nothing(s):
    return None


def _completed(s):
    s.emit_completed()


# name: (phase to start in, setup(stream) -> x, the refused call(x, stream), words of the rule it breaks)
# phase: "new" (nothing emitted), "created", or "in_progress".
MISUSE: dict[str, tuple[str, Callable[[Any], Any], Callable[[Any, Any], Any], str]] = {
    "delta after text done": (
        "in_progress",
        _text_done,
        lambda t, s: t.emit_delta("y"),
        "its text is already done",
    ),
    "delta after part done": ("in_progress", _part_done, lambda t, s: t.emit_delta("y"), "already done"),
    "text done twice": (
        "in_progress",
        _text_done,
        lambda t, s: t.emit_text_done(),
        "its text is already done",
    ),
    "message done while a part is open": (
        "in_progress",
        _open_text,
        lambda mt, s: mt[0].emit_done(),
        "emit that part's done first",
    ),
    "part done before its text": (
        "in_progress",
        _open_text,
        lambda mt, s: mt[1].emit_done(),
        "its text has no done event yet",
    ),
    "delta before the part is added": (
        "in_progress",
        lambda s: _open_message(s).add_text_content(),
        lambda t, s: t.emit_delta("x"),
        "emit_added() the part first",
    ),
    "part added outside an open item": (
        "in_progress",
        lambda s: s.add_output_item_message().add_text_content(),
        lambda t, s: t.emit_added(),
        "parts live inside an open item",
    ),
    "annotation after the part is done": (
        "in_progress",
        _part_done,
        lambda t, s: t.emit_annotation_added(ANNOTATION),
        "annotations belong to an open text part",
    ),
    "event after the terminal event": (
        "in_progress",
        _completed,
        lambda _, s: s.emit_error("late"),
        "nothing may follow the terminal event",
    ),
    "item after the terminal event": (
        "in_progress",
        _completed,
        lambda _, s: s.add_output_item_message(),
        "nothing may follow the terminal event",
    ),
    "two terminal events": ("in_progress", _completed, lambda _, s: s.emit_failed(), "one terminal event"),
    "terminal while an item is open": (
        "in_progress",
        _open_message,
        lambda _, s: s.emit_completed(),
        "output items still open",
    ),
    "item event before emit_in_progress": (
        "created",
        _nothing,
        lambda _, s: s.add_output_item_message().emit_added(),
        "item events come after emit_in_progress()",
    ),
    "in_progress before created": (
        "new",
        _nothing,
        lambda _, s: s.emit_in_progress(),
        "emit_created() comes first",
    ),
    "terminal before created": (
        "new",
        _nothing,
        lambda _, s: s.emit_completed(),
        "emit_created() comes first",
    ),
    "error before created": ("new", _nothing, lambda _, s: s.emit_error("x"), "emit_created() comes first"),
    "created twice": ("created", _nothing, lambda _, s: s.emit_created(), "emitted once"),
    "in_progress twice": ("in_progress", _nothing, lambda _, s: s.emit_in_progress(), "already in progress"),
    "queued after in_progress": (
        "in_progress",
        _nothing,
        lambda _, s: s.emit_queued(),
        "already in progress",
    ),
    "item added twice": ("in_progress", _open_message, lambda m, s: m.emit_added(), "added only once"),
    "item done twice": ("in_progress", _item_done, lambda f, s: f.emit_done(), "already done"),
    "item event before it is added": (
        "in_progress",
        lambda s: s.add_output_item_function_call("f", "c"),
        lambda f, s: f.emit_arguments_delta("x"),
        "emit_added() the item first",
    ),
    "progress after the item is done": (
        "in_progress",
        _item_done,
        lambda f, s: f.emit_searching(),
        "already done",
    ),
    "arguments delta after done": (
        "in_progress",
        _args_done,
        lambda f, s: f.emit_arguments_delta("x"),
        "already done",
    ),
    "arguments done twice": ("in_progress", _args_done, lambda f, s: f.emit_arguments_done(), "already done"),
    "item done before its arguments": (
        "in_progress",
        _args_streaming,
        lambda f, s: f.emit_done(),
        "has no done event yet",
    ),
    "delta that is not a str": (
        "in_progress",
        _open_text,
        lambda mt, s: mt[1].emit_delta(42),
        "a delta is a str",
    ),
    "failed with an unknown code": (
        "in_progress",
        _nothing,
        lambda _, s: s.emit_failed(code="oops"),
        "not one of the protocol's codes",
    ),
    "incomplete with an unknown reason": (
        "in_progress",
        _nothing,
        lambda _, s: s.emit_incomplete(reason="tired"),
        "is not one of",
    ),
}


@pytest.mark.parametrize("name", sorted(MISUSE))
def test_misuse_raises_naming_the_rule_and_emits_nothing(name):
    phase, setup, bad_call, rule = MISUSE[name]
    stream = ResponseEventStream()
    if phase != "new":
        stream.emit_created()
    if phase == "in_progress":
        stream.emit_in_progress()
    prepared = setup(stream)
    before_seq = stream.sequence_number
    before_response = copy.deepcopy(stream.response.to_dict())
    with pytest.raises(StreamOrderError) as info:
        bad_call(prepared, stream)
    message = str(info.value)
    assert "refused: " in message and rule in message, message
    assert stream.sequence_number == before_seq, "a refused call emitted an event"
    assert stream.response.to_dict() == before_response, "a refused call changed the response"


def test_a_refused_call_leaves_the_stream_usable_and_valid():
    stream, events = started()
    message = stream.add_output_item_message()
    part = message.add_text_content()
    events += [message.emit_added(), part.emit_added(), part.emit_delta("a")]
    for bad in (message.emit_done, part.emit_done, stream.emit_completed, message.emit_added):
        with pytest.raises(StreamOrderError):
            bad()
    events += [part.emit_delta("b"), part.emit_text_done(), part.emit_done(), message.emit_done()]
    events.append(stream.emit_completed())
    checker = StreamChecker()
    for event in events:
        checker.feed(event)
    checker.finish()
    assert output_of(events[-1])[0]["content"][0]["text"] == "ab"


def test_close_open_items_ends_whatever_is_open():
    stream, events = started()
    message, part = _open_text_with(stream, events)
    events.append(part.emit_delta("half"))
    call = stream.add_output_item_function_call("f", "c")  # made, never added
    events += stream.close_open_items()
    events.append(stream.emit_incomplete(reason="max_output_tokens"))
    check_events(events)
    out = output_of(events[-1])
    assert out[0]["status"] == "incomplete" and out[0]["content"][0]["text"] == "half"
    assert out[1]["id"] == call.item_id


def _open_text_with(stream, events):
    message = stream.add_output_item_message()
    part = message.add_text_content()
    events += [message.emit_added(), part.emit_added()]
    return message, part
