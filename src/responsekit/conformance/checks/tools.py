"""Function calling, judged only when the server actually calls the offered tool."""

from __future__ import annotations

import json
from typing import Any

from responsekit.conformance import ordering
from responsekit.conformance.context import WEATHER_TOOL, Context
from responsekit.conformance.registry import MUST, Failed, Skipped, check


def _calls(ctx: Context) -> tuple[list[dict[str, Any]], list[int]]:
    """The tool stream's events and the output indexes of its function_call items (Skipped if none)."""
    events = ctx.expect_stream(ctx.tool_stream(), "POST /responses stream=true with a function tool")
    indexes = [
        e.get("output_index")
        for e in events
        if e.get("type") == "response.output_item.added"
        and isinstance(e.get("item"), dict)
        and e["item"].get("type") == "function_call"
    ]
    if not indexes:
        raise Skipped("the server did not call the offered tool (give a prompt that makes it: --prompt-tool)")
    return events, indexes


@check(
    "tools.function_call_stream",
    "A function call streams added, argument deltas, arguments.done, item done",
    level=MUST,
    fact="A function_call item is announced (with name and call_id), its arguments arrive as "
    "deltas whose concatenation is the arguments.done value and the finished item's arguments.",
)
def function_call_stream(ctx: Context) -> None:
    events, indexes = _calls(ctx)
    ctx.judge_events(events, set(ordering.RULES), "the function-calling stream")
    for idx in indexes:
        mine = [(n, e) for n, e in enumerate(events) if e.get("output_index") == idx]
        types = [e.get("type") for _, e in mine]
        added = mine[0][1]["item"]
        if added.get("name") != WEATHER_TOOL["name"] or not added.get("call_id"):
            raise Failed(
                f"the function_call announces name {added.get('name')!r} and call_id "
                f"{added.get('call_id')!r}; expected the offered tool's name and a call_id",
                timeline=ordering.timeline(events, mine[0][0]),
            )
        for needed in (
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
        ):
            if needed not in types:
                raise Failed(
                    f"the function_call at output_index {idx} has no {needed}",
                    events_of_item=types,
                    timeline=ordering.timeline(events, mine[-1][0]),
                )
        done = next(e for _, e in mine if e.get("type") == "response.function_call_arguments.done")
        try:
            json.loads(done.get("arguments", ""))
        except ValueError:
            raise Failed(f"the arguments are not JSON: {done.get('arguments')!r}") from None


@check(
    "tools.output_accepted",
    "A function_call_output continuing the call (previous_response_id) is accepted",
    level=MUST,
    fact="The client runs the function and sends its output as a function_call_output item with "
    "the call_id, continuing from the response that made the call.",
)
def output_accepted(ctx: Context) -> None:
    with ctx.precondition("tools.function_call_stream"):
        events, indexes = _calls(ctx)
        terminal = events[-1].get("response") or {}
        done = [
            e["item"]
            for e in events
            if e.get("type") == "response.output_item.done"
            and e.get("output_index") == indexes[0]
            and isinstance(e.get("item"), dict)
        ]
        if not done:
            raise Failed(f"the function_call at output_index {indexes[0]} has no response.output_item.done")
    call = done[0]
    item = {
        "type": "function_call_output",
        "call_id": call.get("call_id"),
        "output": json.dumps({"temp_c": 18}),
    }
    body = ctx.body([item], previous_response_id=terminal.get("id"), tools=[WEATHER_TOOL])
    ctx.read_response(
        ctx.create(body), "POST /responses with the function_call_output", judged_by="create.default"
    )
