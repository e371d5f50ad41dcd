"""The ordering validator: silent on streams the builders produce, precise on each broken rule."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responsekit.conformance.ordering import first_difference, timeline, validate
from responsekit.streaming.stream import ResponseEventStream


def build(kinds: list[str] = ("reasoning", "message", "function_call"), *, chunks: int = 3) -> list[dict]:
    """A complete stream from the real builders (so the fixtures follow the protocol by construction)."""
    s = ResponseEventStream(request={"model": "m"})
    events = [s.emit_created(), s.emit_in_progress()]
    for kind in kinds:
        if kind == "message":
            msg = s.add_output_item_message()
            events.append(msg.emit_added())
            part = msg.add_text_content()
            events.append(part.emit_added())
            events += [part.emit_delta(f"w{n} ") for n in range(chunks)]
            events += [part.emit_text_done(), part.emit_done(), msg.emit_done()]
        elif kind == "reasoning":
            events += list(s.output_item_reasoning_item("thinking"))
        elif kind == "refusal":
            events += list(s.output_item_refusal("no"))
        elif kind == "function_call":
            call = s.add_output_item_function_call("get_weather", "call_1")
            events.append(call.emit_added())
            events += [call.emit_arguments_delta(c) for c in ('{"city"', ':"Paris', '"}')]
            events += [call.emit_arguments_done(), call.emit_done()]
    events.append(s.emit_completed())
    return [e.data for e in events]


def renumber(events: list[dict]) -> list[dict]:
    for n, ev in enumerate(events):
        ev["sequence_number"] = n
    return events


def rules(events: list[dict], **kw) -> set[str]:
    return {v.rule for v in validate(events, **kw)}


def index_of(events: list[dict], etype: str, nth: int = 0) -> int:
    return [n for n, e in enumerate(events) if e["type"] == etype][nth]


def test_builder_streams_are_valid() -> None:
    assert validate(build()) == []
    assert validate(build(["refusal", "message", "message"])) == []
    assert validate(build([])) == []


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["message", "reasoning", "refusal", "function_call"]), max_size=5),
    st.integers(min_value=0, max_value=4),
)
def test_any_builder_program_is_valid(kinds: list[str], chunks: int) -> None:
    assert validate(build(kinds, chunks=chunks)) == []


def test_cancelled_stream_is_valid() -> None:
    s = ResponseEventStream(request={"model": "m"})
    events = [s.emit_created(), s.emit_in_progress()]
    msg = s.add_output_item_message()
    events.append(msg.emit_added())
    part = msg.add_text_content()
    events += [part.emit_added(), part.emit_delta("partial")]
    events += s.close_open_items()
    events.append(s.emit_cancelled())
    assert validate([e.data for e in events]) == []


def test_sequence_gap_is_reported_once_with_expected_and_seen() -> None:
    events = build()
    for ev in events[5:]:
        ev["sequence_number"] += 1
    found = validate(events)
    assert [v.rule for v in found] == ["sequence"]
    assert found[0].index == 5 and "expected sequence_number 5, saw 6 (a gap)" in found[0].message


def test_repeat_and_non_integer_sequence_numbers() -> None:
    events = build()
    events[3]["sequence_number"] = 2
    assert "repeat" in validate(events)[0].message
    events = build()
    events[3]["sequence_number"] = "3"
    assert rules(events) == {"sequence"}


def test_delta_before_output_item_added() -> None:
    events = build(["message"])
    added, delta = (
        index_of(events, "response.output_item.added"),
        index_of(events, "response.output_text.delta"),
    )
    events.insert(added, events.pop(delta))
    found = validate(renumber(events))
    assert {v.rule for v in found} == {"bracketing"}  # the text still adds up: only the brackets are wrong
    assert (
        "response.output_text.delta for output_index 0 before its response.output_item.added"
        in found[0].message
    )


def test_delta_outside_content_part() -> None:
    events = build(["message"])
    events.insert(
        index_of(events, "response.content_part.added"),
        copy.deepcopy(events[index_of(events, "response.output_text.delta")]),
    )
    assert "bracketing" in rules(renumber(events))


def test_missing_terminal_event() -> None:
    found = validate(build()[:-1])
    assert [v.rule for v in found] == ["terminal"]
    assert "the last event is response.output_item.done" in found[0].message


def test_two_terminal_events() -> None:
    events = build()
    events.append(copy.deepcopy(events[-1]))
    found = validate(renumber(events))
    assert [v.rule for v in found] == ["terminal"]
    assert "a second terminal event" in found[0].message and found[0].index == len(events) - 1


def test_event_after_terminal() -> None:
    events = build(["message"])
    events.append(copy.deepcopy(events[index_of(events, "response.output_text.delta")]))
    assert "an event after the terminal event" in validate(renumber(events))[0].message


def test_done_text_differs_from_deltas() -> None:
    events = build(["message"])
    done = events[index_of(events, "response.output_text.done")]
    done["text"] = "something else"
    found = validate(events)
    assert found[0].rule == "deltas"
    assert (
        "response.output_text.done.text is 'something else' but its 3 delta(s) concatenate to 'w0 w1 w2 '"
        in found[0].message
    )


def test_arguments_done_differs_from_deltas() -> None:
    events = build(["function_call"])
    events[index_of(events, "response.function_call_arguments.done")]["arguments"] = "{}"
    assert rules(events) == {"deltas"}


def test_part_and_item_must_repeat_the_final_text() -> None:
    events = build(["message"])
    events[index_of(events, "response.content_part.done")]["part"]["text"] = "x"
    assert rules(events) == {"deltas"}
    events = build(["message"])
    events[index_of(events, "response.output_item.done")]["item"]["content"][0]["text"] = "x"
    assert rules(events) == {"deltas", "output"}


def test_terminal_output_must_match_finished_items() -> None:
    events = build(["message", "function_call"])
    events[-1]["response"]["output"][1]["arguments"] = "{}"
    found = validate(events)
    assert [v.rule for v in found] == ["output"]
    assert "response.output[1] differs from its output_item.done item at .arguments" in found[0].message
    events = build(["message"])
    events[-1]["response"]["output"] = []
    assert "holds 0 item(s); 1 were finished" in validate(events)[0].message


def test_null_and_absent_are_the_same_in_output() -> None:
    events = build(["message"])
    events[-1]["response"]["output"][0]["extra"] = None
    assert validate(events) == []


def test_ids_must_stay_stable() -> None:
    events = build(["message"])
    events[index_of(events, "response.output_item.done")]["item"]["id"] = "msg_other"
    assert "ids" in rules(events)
    events = build(["message"])
    events[-1]["response"]["id"] = "resp_other"
    found = [v for v in validate(events) if v.rule == "ids"]
    assert "response id changed" in found[0].message
    events = build(["message"])
    events[index_of(events, "response.output_text.delta")]["item_id"] = "msg_other"
    assert rules(events) == {"ids"}


def test_created_must_come_first_and_in_progress_before_items() -> None:
    events = build(["message"])
    events[0], events[1] = events[1], events[0]
    assert "expected response.created first" in validate(renumber(events))[0].message
    events = build(["message"])
    del events[1]
    found = validate(renumber(events))
    assert [v.rule for v in found] == ["lifecycle"]
    assert "before response.in_progress" in found[0].message


def test_terminal_status_must_match_its_type() -> None:
    events = build([])
    events[-1]["response"]["status"] = "failed"
    assert "response.completed carries response.status 'failed'" in validate(events)[0].message


def test_output_indexes_in_order_and_items_closed() -> None:
    events = build(["message"])
    for ev in events:
        if "output_index" in ev:
            ev["output_index"] = 1
    assert "expected output_index 0 for the next item, saw 1" in validate(events)[0].message
    events = build(["message"])
    del events[index_of(events, "response.output_item.done")]
    assert "bracketing" in rules(renumber(events))


def test_unclosed_content_part() -> None:
    events = build(["message"])
    del events[index_of(events, "response.content_part.done")]
    assert "output_item.done while parts are open" in validate(renumber(events))[0].message


@pytest.mark.parametrize("cut", [0, 4, 10])
def test_resumed_tail_checks_numbering_and_terminal_only(cut: int) -> None:
    events = build()
    assert validate(events[cut + 1 :], first_sequence_number=cut + 1, complete=False) == []
    restarted = renumber(copy.deepcopy(events[cut + 1 :]))
    found = validate(restarted, first_sequence_number=cut + 1, complete=False)
    assert found[0].rule == "sequence" and f"expected sequence_number {cut + 1}, saw 0" in found[0].message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 5) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "type",
        "sequence_number",
        "output_index",
        "content_index",
        "summary_index",
        "item_id",
        "item",
        "response",
        "delta",
        "text",
        "part",
        "arguments",
    ]
)
TYPES = st.sampled_from(
    sorted(
        {
            "response.created",
            "response.in_progress",
            "response.completed",
            "response.failed",
            "response.output_item.added",
            "response.output_item.done",
            "response.content_part.added",
            "response.content_part.done",
            "response.output_text.delta",
            "response.output_text.done",
            "x",
        }
    )
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(KEYS, JSON, max_size=6).flatmap(lambda d: TYPES.map(lambda t: {**d, "type": t})),
        max_size=8,
    )
)
def test_validate_never_raises_on_arbitrary_payloads(events: list[dict]) -> None:
    # A broken server can send anything; the validator must report, never crash.
    for v in validate(events):
        assert v.rule in ("sequence", "lifecycle", "bracketing", "deltas", "terminal", "output", "ids")


def test_timeline_marks_the_offending_event() -> None:
    events = build()
    rows = timeline(events, 8, radius=2)
    assert [r["index"] for r in rows] == [6, 7, 8, 9, 10]
    assert [r["offending"] for r in rows] == [False, False, True, False, False]
    assert rows[2]["type"] == events[8]["type"]


def test_first_difference() -> None:
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == ".a[1].b (2 vs 3)"
    assert first_difference({"a": 1}, {"a": 1, "b": None}) is None
    assert first_difference({"a": 1}, {}) == ".a (missing)"


def test_summary_and_content_parts_sharing_an_index_are_judged_apart() -> None:
    """A reasoning item has summary part 0 and reasoning-text part 0: each closes against its own text."""
    s = ResponseEventStream(request={"model": "m"})
    events = [s.emit_created(), s.emit_in_progress()]
    item = s.add_output_item_reasoning_item()
    events.append(item.emit_added())
    summary = item.add_summary_part()
    events += [summary.emit_added(), summary.emit_text_delta("a summary"), summary.emit_text_done()]
    events.append(summary.emit_done())
    content = item.add_text_content()
    events += [content.emit_added(), content.emit_delta("the reasoning"), content.emit_text_done()]
    events.append(content.emit_done())
    events += [item.emit_done(), s.emit_completed()]
    assert validate([e.data for e in events]) == []
