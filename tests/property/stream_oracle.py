"""An independent checker of one response's event stream: the tests' oracle.

It reads only what goes on the wire (each event's JSON bytes and SSE frame) and knows the protocol's
rules by itself; it never imports the library's rule code. Feed it events one by one
(``checker.feed(event)``) and call ``checker.finish()`` when the stream should be complete.

Every event is also validated against the ``openai`` package's model for its type (the independent
oracle of the wire shape), through ``pydantic.TypeAdapter(openai.types.responses.ResponseStreamEvent)``.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field
from typing import Any

import openai.types.responses as oai
import pydantic

OPENAI_ADAPTER = pydantic.TypeAdapter(oai.ResponseStreamEvent)
# event type -> the openai model class, for readable errors and to know which types openai lacks.
OPENAI_EVENT_MODELS: dict[str, type[pydantic.BaseModel]] = {
    literal: cls
    for cls in typing.get_args(typing.get_args(oai.ResponseStreamEvent)[0])
    for literal in typing.get_args(cls.model_fields["type"].annotation)
}
# Output item types of the hosted-agent extensions that the openai package does not model.
EXTENSION_ITEM_TYPES = {"structured_outputs"}

LIFECYCLE = {"response.created", "response.queued", "response.in_progress"}
TERMINAL = {"response.completed", "response.failed", "response.incomplete"}
NOTICES = {
    "error",
    "response.audio.delta",
    "response.audio.done",
    "response.audio.transcript.delta",
    "response.audio.transcript.done",
}
TERMINAL_STATUS = {
    "response.completed": {"completed"},
    "response.failed": {"failed", "cancelled"},
    "response.incomplete": {"incomplete"},
}

# Content-part events: event type -> (list the part lives in, part type(s), what the event does).
PART_EVENTS = {
    "response.output_text.delta": ("content", {"output_text"}, "delta"),
    "response.output_text.done": ("content", {"output_text"}, "final"),
    "response.refusal.delta": ("content", {"refusal"}, "delta"),
    "response.refusal.done": ("content", {"refusal"}, "final"),
    "response.reasoning_text.delta": ("content", {"reasoning_text"}, "delta"),
    "response.reasoning_text.done": ("content", {"reasoning_text"}, "final"),
    "response.reasoning_summary_text.delta": ("summary", {"summary_text"}, "delta"),
    "response.reasoning_summary_text.done": ("summary", {"summary_text"}, "final"),
    "response.output_text.annotation.added": ("content", {"output_text"}, "annotation"),
}
PART_FINAL_FIELD = {"response.refusal.done": "refusal"}  # the others carry `text`
PART_OPEN_CLOSE = {
    "response.content_part.added": ("content", "open"),
    "response.content_part.done": ("content", "close"),
    "response.reasoning_summary_part.added": ("summary", "open"),
    "response.reasoning_summary_part.done": ("summary", "close"),
}
# Item-level streamed fields: event type -> (item type, item field, delta or final).
ITEM_STREAMS = {
    "response.function_call_arguments.delta": ("function_call", "arguments", "delta"),
    "response.function_call_arguments.done": ("function_call", "arguments", "final"),
    "response.mcp_call_arguments.delta": ("mcp_call", "arguments", "delta"),
    "response.mcp_call_arguments.done": ("mcp_call", "arguments", "final"),
    "response.custom_tool_call_input.delta": ("custom_tool_call", "input", "delta"),
    "response.custom_tool_call_input.done": ("custom_tool_call", "input", "final"),
    "response.code_interpreter_call_code.delta": ("code_interpreter_call", "code", "delta"),
    "response.code_interpreter_call_code.done": ("code_interpreter_call", "code", "final"),
}
# Item progress events: event-type prefix -> the item type they belong to.
PROGRESS_PREFIXES = {
    "response.file_search_call.": "file_search_call",
    "response.web_search_call.": "web_search_call",
    "response.code_interpreter_call.": "code_interpreter_call",
    "response.image_generation_call.": "image_generation_call",
    "response.mcp_call.": "mcp_call",
    "response.mcp_list_tools.": "mcp_list_tools",
    "response.shell_call_command.": "shell_call",
    "response.shell_call_output_content.": "shell_call_output",
    "response.compaction.": "compaction",
}


class Violation(AssertionError):
    """The stream broke a rule of the protocol."""


def validate_wire(data: dict[str, Any], raw: bytes) -> None:
    """Validate one event's JSON against the openai package's model for its type."""
    event_type = data["type"]
    if event_type not in OPENAI_EVENT_MODELS:
        # The openai package lacks this event type: validate against responsekit's generated model
        # (derived from spec/, which adds it) instead.
        from responsekit.models import ResponseStreamEvent

        ResponseStreamEvent.model_validate_json(raw)
        return
    extension = _extension_items(data)
    if extension:
        # The openai package does not model the hosted-agent extension items (structured_outputs):
        # validate the whole event against responsekit's generated model, and the rest of it
        # (extension items left out of `response.output`) against openai's.
        from responsekit.models import ResponseStreamEvent

        ResponseStreamEvent.model_validate_json(raw)
        if "item" in data:
            return
        data = {
            **data,
            "response": {
                **data["response"],
                "output": [
                    i for i in data["response"]["output"] if i.get("type") not in EXTENSION_ITEM_TYPES
                ],
            },
        }
        raw = json.dumps(data).encode()
    try:
        parsed = OPENAI_ADAPTER.validate_json(raw)
    except pydantic.ValidationError:
        # Re-validate against the one model of that type for a readable error.
        OPENAI_EVENT_MODELS[event_type].model_validate_json(raw)
        raise
    if parsed.type != event_type or not isinstance(parsed, OPENAI_EVENT_MODELS[event_type]):
        raise Violation(f"{event_type} validated as {type(parsed).__name__}")


def closest_errors(exc: pydantic.ValidationError) -> str:
    """A union's errors, cut down to the member that came closest (the one with fewest errors)."""
    branches: dict[str, list[dict]] = {}
    for error in exc.errors():
        branch = next((str(p) for p in error["loc"] if isinstance(p, str) and p[:1].isupper()), "")
        branches.setdefault(branch, []).append(error)
    branch, errors = min(branches.items(), key=lambda kv: len(kv[1]))
    lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:8]]
    return f"{exc.error_count()} errors; closest member {branch or '-'}:\n    " + "\n    ".join(lines)


def _extension_items(data: dict[str, Any]) -> bool:
    item = data.get("item")
    if isinstance(item, dict) and item.get("type") in EXTENSION_ITEM_TYPES:
        return True
    response = data.get("response")
    if isinstance(response, dict):
        return any(i.get("type") in EXTENSION_ITEM_TYPES for i in response.get("output") or [])
    return False


@dataclass
class Part:
    kind: str  # "content" or "summary"
    type: str
    open: bool = True
    deltas: list[str] = field(default_factory=list)
    final: str | None = None
    annotations: list[Any] = field(default_factory=list)
    done_part: dict[str, Any] | None = None


@dataclass
class Item:
    output_index: int
    id: str
    type: str
    added: dict[str, Any]
    open: bool = True
    parts: dict[tuple[str, int], Part] = field(default_factory=dict)
    deltas: list[str] = field(default_factory=list)
    final: str | None = None
    partial_images: int = 0
    done_item: dict[str, Any] | None = None


class StreamChecker:
    """Feeds on one response's events; raises :class:`Violation` at the first broken rule."""

    def __init__(self, *, validate: bool = True) -> None:
        self.validate = validate
        self.count = 0
        self.response_id: str | None = None
        self.created = self.queued = self.in_progress = False
        self.terminal: dict[str, Any] | None = None
        self.items: list[Item] = []
        self.item_ids: set[str] = set()
        self.types_seen: set[str] = set()

    # -- helpers -------------------------------------------------------------------------------------
    def fail(self, data: dict[str, Any], rule: str) -> None:
        raise Violation(f"event #{self.count} {data.get('type')}: {rule}\n  {json.dumps(data)[:400]}")

    def _item(self, data: dict[str, Any]) -> Item:
        index = data.get("output_index")
        if not isinstance(index, int) or not 0 <= index < len(self.items):
            self.fail(data, f"output_index {index!r} names no added item")
        item = self.items[index]
        if not item.open:
            self.fail(data, f"item #{index} is already done")
        if "item_id" in data and data["item_id"] != item.id:
            self.fail(data, f"item_id {data['item_id']!r} is not item #{index}'s id {item.id!r}")
        return item

    def _part(self, data: dict[str, Any], kind: str, item: Item) -> tuple[int, Part | None]:
        index_key = "summary_index" if kind == "summary" else "content_index"
        index = data.get(index_key)
        if not isinstance(index, int):
            self.fail(data, f"{index_key} missing")
        return index, item.parts.get((kind, index))

    # -- the rules -----------------------------------------------------------------------------------
    def feed(self, event: Any) -> dict[str, Any]:
        raw: bytes = event.json
        if b"\n" in raw or b"\r" in raw:
            raise Violation(f"event JSON spans lines: {raw[:200]!r}")
        data = json.loads(raw)
        event_type = data.get("type")
        if event.type != event_type or event.sequence_number != data.get("sequence_number"):
            self.fail(data, "the event object's type/sequence_number differ from its JSON")
        expected_frame = b"event: " + event_type.encode() + b"\ndata: " + raw + b"\n\n"
        if event.frame != expected_frame:
            self.fail(data, f"bad SSE frame {event.frame[:120]!r}")
        if data.get("sequence_number") != self.count:
            self.fail(data, f"sequence_number {data.get('sequence_number')} where {self.count} was due")
        if self.validate:
            problem = None
            try:
                validate_wire(data, raw)
            except pydantic.ValidationError as exc:
                problem = closest_errors(exc)
            if problem:
                self.fail(data, f"the model for its type rejects it: {problem}")
        if self.terminal is not None:
            self.fail(data, f"an event after the terminal {self.terminal['type']}")
        if not self.created and event_type != "response.created":
            self.fail(data, "response.created must come first")
        self.types_seen.add(event_type)
        self._dispatch(event_type, data)
        self.count += 1
        return data

    def _dispatch(self, event_type: str, data: dict[str, Any]) -> None:
        if event_type in LIFECYCLE or event_type in TERMINAL:
            self._response_event(event_type, data)
        elif event_type in NOTICES:
            pass
        else:
            if not self.in_progress:
                self.fail(data, "an item event before response.in_progress")
            self._item_event(event_type, data)

    def _response_event(self, event_type: str, data: dict[str, Any]) -> None:
        response = data.get("response")
        if not isinstance(response, dict):
            self.fail(data, "no response object")
        if self.response_id is None:
            self.response_id = response.get("id")
        elif response.get("id") != self.response_id:
            self.fail(data, f"response id changed from {self.response_id}")
        status = response.get("status")
        if event_type == "response.created":
            if self.created:
                self.fail(data, "a second response.created")
            if status not in ("in_progress", "queued"):
                self.fail(data, f"created with status {status!r}")
            self.created = True
        elif event_type == "response.queued":
            if self.queued or self.in_progress:
                self.fail(data, "response.queued after queued/in_progress")
            if status != "queued":
                self.fail(data, f"queued with status {status!r}")
            self.queued = True
        elif event_type == "response.in_progress":
            if self.in_progress:
                self.fail(data, "a second response.in_progress")
            if status != "in_progress":
                self.fail(data, f"in_progress with status {status!r}")
            self.in_progress = True
        else:
            if status not in TERMINAL_STATUS[event_type]:
                self.fail(data, f"{event_type} with status {status!r}")
            still_open = [i.output_index for i in self.items if i.open]
            if still_open:
                self.fail(data, f"terminal event while items {still_open} are open")
            finished = [i.done_item for i in self.items]
            if response.get("output") != finished:
                self.fail(
                    data,
                    "the terminal response's output is not the finished items in order:\n"
                    f"  output   {json.dumps(response.get('output'))[:600]}\n"
                    f"  finished {json.dumps(finished)[:600]}",
                )
            self.terminal = data

    def _item_event(self, event_type: str, data: dict[str, Any]) -> None:
        if event_type == "response.output_item.added":
            return self._item_added(data)
        item = self._item(data)
        if event_type == "response.output_item.done":
            return self._item_done(item, data)
        if event_type in PART_OPEN_CLOSE:
            kind, action = PART_OPEN_CLOSE[event_type]
            return (
                self._part_open(item, kind, data) if action == "open" else self._part_close(item, kind, data)
            )
        if event_type in PART_EVENTS:
            kind, part_types, action = PART_EVENTS[event_type]
            index, part = self._part(data, kind, item)
            if part is None or not part.open:
                self.fail(data, f"{kind} part #{index} of item #{item.output_index} is not open")
            if part.type not in part_types:
                self.fail(data, f"{event_type} on a {part.type} part")
            if action == "annotation":
                if data.get("annotation_index") != len(part.annotations):
                    self.fail(
                        data,
                        f"annotation_index {data.get('annotation_index')} where {len(part.annotations)} was due",
                    )
                part.annotations.append(data.get("annotation"))
            elif part.final is not None:
                self.fail(data, f"{kind} part #{index}'s text is already done")
            elif action == "delta":
                part.deltas.append(data["delta"])
            else:
                text = data[PART_FINAL_FIELD.get(event_type, "text")]
                if text != "".join(part.deltas):
                    self.fail(data, f"done text {text!r} is not the deltas joined {''.join(part.deltas)!r}")
                part.final = text
            return None
        if event_type in ITEM_STREAMS:
            item_type, field_name, action = ITEM_STREAMS[event_type]
            if item.type != item_type:
                self.fail(data, f"{event_type} on a {item.type} item")
            if item.final is not None:
                self.fail(data, f"the item's {field_name} is already done")
            if action == "delta":
                item.deltas.append(data["delta"])
            else:
                if item.deltas and data[field_name] != "".join(item.deltas):
                    self.fail(data, f"{field_name} {data[field_name]!r} is not the deltas joined")
                item.final = data[field_name]
            return None
        for prefix, item_type in PROGRESS_PREFIXES.items():
            if event_type.startswith(prefix):
                if item.type != item_type:
                    self.fail(data, f"{event_type} on a {item.type} item")
                if event_type == "response.image_generation_call.partial_image":
                    if data.get("partial_image_index") != item.partial_images:
                        self.fail(
                            data,
                            f"partial_image_index {data.get('partial_image_index')} where "
                            f"{item.partial_images} was due",
                        )
                    item.partial_images += 1
                return None
        self.fail(data, "an event type the oracle does not know")
        return None

    def _item_added(self, data: dict[str, Any]) -> None:
        item = data.get("item")
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            self.fail(data, "the added item has no id")
        if data.get("output_index") != len(self.items):
            self.fail(
                data,
                f"output_index {data.get('output_index')} where {len(self.items)} was due "
                "(items are added at the next output index)",
            )
        if item["id"] in self.item_ids:
            self.fail(data, f"item id {item['id']} is used twice")
        self.item_ids.add(item["id"])
        self.items.append(Item(len(self.items), item["id"], item["type"], item))

    def _part_open(self, item: Item, kind: str, data: dict[str, Any]) -> None:
        index, part = self._part(data, kind, item)
        if part is not None:
            self.fail(data, f"{kind} part #{index} added twice")
        due = sum(1 for k, _ in item.parts if k == kind)
        if index != due:
            self.fail(data, f"{kind} index {index} where {due} was due")
        if kind == "summary" and item.type != "reasoning":
            self.fail(data, f"a summary part on a {item.type} item")
        if kind == "content" and item.type not in ("message", "reasoning"):
            self.fail(data, f"a content part on a {item.type} item")
        added = data["part"]
        item.parts[(kind, index)] = Part(kind, added["type"])

    def _part_close(self, item: Item, kind: str, data: dict[str, Any]) -> None:
        index, part = self._part(data, kind, item)
        if part is None or not part.open:
            self.fail(data, f"{kind} part #{index} is not open")
        if part.final is None and part.deltas:
            self.fail(data, f"{kind} part #{index} closed before its text's done event")
        done = data["part"]
        if done.get("type") != part.type:
            self.fail(data, f"part type changed from {part.type} to {done.get('type')}")
        text = done.get("refusal" if part.type == "refusal" else "text")
        if part.final is not None and text != part.final:
            self.fail(data, f"the done part's text {text!r} is not the done text {part.final!r}")
        if part.type == "output_text" and done.get("annotations") != part.annotations:
            self.fail(data, "the done part's annotations are not the annotations emitted")
        part.open = False
        part.done_part = done

    def _item_done(self, item: Item, data: dict[str, Any]) -> None:
        done = data.get("item")
        if not isinstance(done, dict) or done.get("id") != item.id or done.get("type") != item.type:
            self.fail(data, "the done item's id/type differ from the added item's")
        still_open = [key for key, part in item.parts.items() if part.open]
        if still_open:
            self.fail(data, f"item done while parts {still_open} are open")
        if item.deltas and item.final is None:
            self.fail(data, "item done before its streamed field's done event")
        for kind in ("content", "summary"):
            parts = [item.parts[key].done_part for key in sorted(k for k in item.parts if k[0] == kind)]
            if parts and done.get(kind) != parts:
                self.fail(data, f"the done item's {kind} is not its finished parts")
        for event_prefix, (item_type, field_name, _) in ITEM_STREAMS.items():
            if item_type == item.type and item.final is not None and done.get(field_name) != item.final:
                self.fail(data, f"the done item's {field_name} is not the streamed value ({event_prefix})")
        item.open = False
        item.done_item = done

    def finish(self) -> None:
        """The stream is over: it must have had exactly one terminal event, last."""
        if self.terminal is None:
            raise Violation(f"no terminal event after {self.count} events")


def check_events(events: list[Any], *, complete: bool = True, validate: bool = True) -> StreamChecker:
    checker = StreamChecker(validate=validate)
    for event in events:
        checker.feed(event)
    if complete:
        checker.finish()
    return checker
