"""Payload validation against the spec's models and the openai package's models."""

from __future__ import annotations

from responsekit.conformance import schemas
from responsekit.streaming.stream import ResponseEventStream


def stream_events() -> list[dict]:
    s = ResponseEventStream(request={"model": "m"})
    events = [s.emit_created(), s.emit_in_progress()]
    events += list(s.output_item_reasoning_item("thinking"))
    events += list(s.output_item_message("hello"))
    events += list(s.output_item_function_call("get_weather", "call_1", '{"city": "Paris"}'))
    events += list(s.output_item_structured_outputs({"answer": 42}))  # an extension item type
    events.append(s.emit_completed())
    return [e.data for e in events]


def test_builder_events_and_response_validate() -> None:
    events = stream_events()
    assert [schemas.event_errors(e) for e in events] == [None] * len(events)
    assert schemas.response_errors(events[-1]["response"]) is None


def test_problems_are_precise() -> None:
    response = {**stream_events()[-1]["response"], "output": [{"type": "message", "id": "msg_1"}]}
    problem = schemas.response_errors(response)
    assert problem.startswith("output[0] (message): spec models: content: Field required")
    assert "and 9" not in problem  # not every member of the union
    delta = {"type": "response.output_text.delta", "sequence_number": 1}
    assert "item_id: Field required" in schemas.event_errors(delta)
    assert "neither the spec nor the openai models" in schemas.event_errors({"type": "response.nope"})


def test_extension_types_are_judged_by_the_spec_alone() -> None:
    item = {"type": "structured_outputs", "id": "so_1", "output": {"a": 1}}
    assert schemas._typed("output", item, "item") is None
    assert "neither" in schemas._typed("output", {"type": "acme_thing", "id": "x"}, "item")


def test_envelope() -> None:
    ok = {"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": None}}
    assert schemas.envelope_errors(ok) is None
    assert schemas.envelope_errors({"error": {"message": "m", "type": "t", "code": None}}) == (
        "error envelope lacks 'param' (has ['code', 'message', 'type'])"
    )
    assert "no `error` object" in schemas.envelope_errors({"detail": "x"})
    assert "wrong type" in schemas.envelope_errors({"error": {**ok["error"], "message": 3}})
