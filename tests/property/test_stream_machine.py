"""A hypothesis state machine over the builder API: it writes the programs, the oracle checks them.

The machine keeps its own model of what is legal (which items and parts are open, what is done), so
it can call the API legally and also deliberately illegally. Legal calls must succeed; illegal
calls must raise StreamOrderError, emit nothing and leave the response untouched. Every event is fed
to the independent checker in ``stream_oracle`` as it is emitted; at the end the stream is closed
and must be complete.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from stream_oracle import StreamChecker

from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.stream import ResponseEventStream

TEXT = st.text(max_size=12)
MAX_ITEMS = 6
MAX_PARTS = 3
MAX_ILLEGAL = 4  # per program, so misuse checks do not crowd out the legal steps
LONG_ENOUGH = 24  # events before a program may end itself (teardown ends every program anyway)

# Item kinds -> (factory call, parts it can hold, whether it streams a field, progress calls).
SHELL_ACTION = {"commands": ["ls"], "timeout_ms": None, "max_output_length": None}
SHELL_OUTPUT = [{"stdout": "x", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}]
ANNOTATION = {
    "type": "url_citation",
    "url": "https://example.com",
    "title": "t",
    "start_index": 0,
    "end_index": 1,
}
KINDS: dict[str, dict[str, Any]] = {
    "message": {"new": lambda s: s.add_output_item_message(), "parts": ("text", "refusal")},
    "reasoning": {
        "new": lambda s: s.add_output_item_reasoning_item(),
        "parts": ("summary", "reasoning_text"),
    },
    "function_call": {
        "new": lambda s: s.add_output_item_function_call("get_weather", "call_1"),
        "delta": "emit_arguments_delta",
        "final": "emit_arguments_done",
    },
    "custom_tool_call": {
        "new": lambda s: s.add_output_item_custom_tool_call("grammar", "call_2"),
        "delta": "emit_input_delta",
        "final": "emit_input_done",
    },
    "code_interpreter_call": {
        "new": lambda s: s.add_output_item_code_interpreter_call("cntr_1"),
        "delta": "emit_code_delta",
        "final": "emit_code_done",
        "progress": ("emit_in_progress", "emit_interpreting", "emit_completed"),
    },
    "mcp_call": {
        "new": lambda s: s.add_output_item_mcp_call("server", "tool"),
        "delta": "emit_arguments_delta",
        "final": "emit_arguments_done",
        "progress": ("emit_in_progress", "emit_completed", "emit_failed"),
    },
    "file_search_call": {
        "new": lambda s: s.add_output_item_file_search_call(["query"]),
        "progress": ("emit_in_progress", "emit_searching", "emit_completed"),
    },
    "web_search_call": {
        "new": lambda s: s.add_output_item_web_search_call(),
        "progress": ("emit_in_progress", "emit_searching", "emit_completed"),
    },
    "image_generation_call": {
        "new": lambda s: s.add_output_item_image_gen_call(),
        "progress": ("emit_in_progress", "emit_generating", "emit_completed", "partial_image"),
    },
    "mcp_list_tools": {
        "new": lambda s: s.add_output_item_mcp_list_tools("server"),
        "progress": ("emit_in_progress", "emit_completed", "emit_failed"),
    },
    "shell_call": {
        "new": lambda s: s.add_output_item_shell_call("call_3", SHELL_ACTION),
        "progress": ("command_added", "command_delta", "command_done"),
    },
    "shell_call_output": {
        "new": lambda s: s.add_output_item_shell_call_output("call_3"),
        "progress": ("output_delta", "output_done"),
    },
    "compaction": {"new": lambda s: s.add_output_item_compaction("opaque"), "progress": ("emit_compacting",)},
    "structured_outputs": {"new": lambda s: s.add_output_item_structured_outputs({"answer": [1, 2]})},
    "function_call_output": {"new": lambda s: s.add_output_item_function_call_output("call_1", "sunny")},
}


def progress(builder: Any, name: str) -> Any:
    if name == "partial_image":
        return builder.emit_partial_image("aW1n")
    if name == "command_added":
        return builder.emit_command_added(0, "")
    if name == "command_delta":
        return builder.emit_command_delta(0, "ls")
    if name == "command_done":
        return builder.emit_command_done(0, "ls")
    if name == "output_delta":
        return builder.emit_output_delta(0, {"stdout": "x", "stderr": ""})
    if name == "output_done":
        return builder.emit_output_done(0, SHELL_OUTPUT)
    return getattr(builder, name)()


@dataclass
class PartModel:
    builder: Any
    kind: str  # text | refusal | summary | reasoning_text
    state: str = "new"  # new | open | done
    final: bool = False

    def delta(self, text: str) -> Any:
        return self.builder.emit_text_delta(text) if self.kind == "summary" else self.builder.emit_delta(text)

    def emit_final(self) -> Any:
        if self.kind == "refusal":
            return self.builder.emit_refusal_done()
        return self.builder.emit_text_done()


@dataclass
class ItemModel:
    builder: Any
    kind: str
    state: str = "new"
    parts: list[PartModel] = field(default_factory=list)
    chunks: int = 0
    final: bool = False

    @property
    def spec(self) -> dict[str, Any]:
        return KINDS[self.kind]

    def closable(self) -> bool:
        return all(p.state == "done" for p in self.parts) and (self.chunks == 0 or self.final)


class StreamMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stream = ResponseEventStream(model="test-model")
        self.checker = StreamChecker()
        self.events: list[Any] = []
        self.created = self.queued = self.in_progress = self.terminal = False
        self.items: list[ItemModel] = []
        self.illegal_calls = 0

    # -- plumbing -------------------------------------------------------------------------------------
    def emit(self, event: Any) -> None:
        self.events.append(event)
        self.checker.feed(event)

    def items_in(self, *states: str) -> list[ItemModel]:
        return [i for i in self.items if i.state in states]

    def parts_in(self, *states: str, kinds: tuple[str, ...] | None = None) -> list[PartModel]:
        return [
            p
            for i in self.items
            if i.state == "open"
            for p in i.parts
            if p.state in states and (kinds is None or p.kind in kinds)
        ]

    def all_parts(self) -> list[PartModel]:
        return [p for i in self.items for p in i.parts]

    # -- response lifecycle -------------------------------------------------------------------------------
    @initialize(
        start=st.sampled_from(["fresh", "created", "queued", "in_progress", "in_progress", "in_progress"])
    )
    def start(self, start: str) -> None:
        """Most programs start in progress, so their steps go to items; some start from nothing."""
        if start != "fresh":
            self.lifecycle_created()
        if start == "queued":
            self.lifecycle_queued()
        if start == "in_progress":
            self.lifecycle_in_progress()

    @precondition(lambda self: not self.created)
    @rule()
    def lifecycle_created(self) -> None:
        self.emit(self.stream.emit_created())
        self.created = True

    @precondition(
        lambda self: self.created and not self.queued and not self.in_progress and not self.terminal
    )
    @rule()
    def lifecycle_queued(self) -> None:
        self.emit(self.stream.emit_queued())
        self.queued = True

    @precondition(lambda self: self.created and not self.in_progress and not self.terminal)
    @rule()
    def lifecycle_in_progress(self) -> None:
        self.emit(self.stream.emit_in_progress())
        self.in_progress = True

    @precondition(lambda self: self.created and not self.terminal)
    @rule(kind=st.sampled_from(["error", "error_with_code", "audio_transcript", "audio"]), text=TEXT)
    def notice(self, kind: str, text: str) -> None:
        """Response-level events that belong to no item."""
        if kind == "error":
            self.emit(self.stream.emit_error(text))
        elif kind == "error_with_code":
            self.emit(self.stream.emit_error(text, code="server_error", param="input"))
        elif kind == "audio_transcript":
            self.emit(self.stream.emit_audio_transcript_delta(text))
            self.emit(self.stream.emit_audio_transcript_done())
        else:
            self.emit(self.stream.emit_audio_delta("AAAA"))
            self.emit(self.stream.emit_audio_done())

    def may_end(self) -> bool:
        return not self.terminal and (len(self.items) >= 3 or len(self.events) >= LONG_ENOUGH)

    @precondition(lambda self: self.created and self.may_end() and all(i.state == "done" for i in self.items))
    @rule(kind=st.sampled_from(["completed", "failed", "incomplete"]))
    def terminal_event(self, kind: str) -> None:
        if kind == "completed":
            event = self.stream.emit_completed()
        elif kind == "failed":
            event = self.stream.emit_failed(code="server_error", message="boom")
        else:
            event = self.stream.emit_incomplete(reason="max_output_tokens")
        self.emit(event)
        self.terminal = True

    @precondition(lambda self: self.may_end())
    @rule(cancelled=st.booleans())
    def close_open_items_and_end(self, cancelled: bool) -> None:
        """The runtime's path when a handler stops early: close what is open, then end."""
        for event in self.stream.close_open_items():
            self.emit(event)
        self.emit(self.stream.emit_cancelled() if cancelled else self.stream.emit_failed())
        self.created = self.in_progress = self.terminal = True
        for item in self.items:
            item.state = "done"
            for part in item.parts:
                part.state = "done"

    # -- items ----------------------------------------------------------------------------------------------
    @precondition(lambda self: not self.terminal and len(self.items) < MAX_ITEMS)
    @rule(kind=st.sampled_from(sorted(KINDS)), add_now=st.booleans())
    def new_item(self, kind: str, add_now: bool) -> None:
        item = ItemModel(KINDS[kind]["new"](self.stream), kind)
        self.items.append(item)
        if add_now and self.in_progress:
            self.emit(item.builder.emit_added())
            item.state = "open"

    @precondition(lambda self: self.in_progress and not self.terminal and self.items_in("new"))
    @rule(data=st.data())
    def add_item(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.items_in("new")))
        self.emit(item.builder.emit_added())
        item.state = "open"

    @precondition(
        lambda self: any("parts" in i.spec and len(i.parts) < MAX_PARTS for i in self.items_in("new", "open"))
    )
    @rule(data=st.data())
    def new_part(self, data: st.DataObject) -> None:
        item = data.draw(
            st.sampled_from(
                [i for i in self.items_in("new", "open") if "parts" in i.spec and len(i.parts) < MAX_PARTS]
            )
        )
        kind = data.draw(st.sampled_from(item.spec["parts"]))
        factory = {
            "text": "add_text_content",
            "refusal": "add_refusal_content",
            "summary": "add_summary_part",
            "reasoning_text": "add_text_content",
        }[kind]
        part = PartModel(getattr(item.builder, factory)(), kind)
        item.parts.append(part)
        if item.state == "open" and data.draw(st.booleans(), label="add now"):
            self.emit(part.builder.emit_added())
            part.state = "open"

    @precondition(lambda self: self.parts_in("new"))
    @rule(data=st.data())
    def add_part(self, data: st.DataObject) -> None:
        part = data.draw(st.sampled_from(self.parts_in("new")))
        self.emit(part.builder.emit_added())
        part.state = "open"

    @precondition(lambda self: [p for p in self.parts_in("open") if not p.final])
    @rule(data=st.data(), texts=st.lists(TEXT, min_size=1, max_size=3))
    def part_delta(self, data: st.DataObject, texts: list[str]) -> None:
        part = data.draw(st.sampled_from([p for p in self.parts_in("open") if not p.final]))
        for text in texts:
            self.emit(part.delta(text))

    @precondition(lambda self: self.parts_in("open", kinds=("text",)))
    @rule(data=st.data())
    def annotation(self, data: st.DataObject) -> None:
        part = data.draw(st.sampled_from(self.parts_in("open", kinds=("text",))))
        self.emit(part.builder.emit_annotation_added(ANNOTATION))

    @precondition(lambda self: [p for p in self.parts_in("open") if not p.final])
    @rule(data=st.data())
    def part_final(self, data: st.DataObject) -> None:
        part = data.draw(st.sampled_from([p for p in self.parts_in("open") if not p.final]))
        self.emit(part.emit_final())
        part.final = True

    @precondition(lambda self: [p for p in self.parts_in("open") if p.final])
    @rule(data=st.data())
    def part_done(self, data: st.DataObject) -> None:
        part = data.draw(st.sampled_from([p for p in self.parts_in("open") if p.final]))
        self.emit(part.builder.emit_done())
        part.state = "done"

    def streaming_items(self) -> list[ItemModel]:
        return [i for i in self.items_in("open") if "delta" in i.spec and not i.final]

    @precondition(lambda self: self.streaming_items())
    @rule(data=st.data(), texts=st.lists(TEXT, min_size=1, max_size=3))
    def item_delta(self, data: st.DataObject, texts: list[str]) -> None:
        item = data.draw(st.sampled_from(self.streaming_items()))
        for text in texts:
            self.emit(getattr(item.builder, item.spec["delta"])(text))
            item.chunks += 1

    @precondition(lambda self: self.streaming_items())
    @rule(data=st.data())
    def item_final(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.streaming_items()))
        self.emit(getattr(item.builder, item.spec["final"])())
        item.final = True

    @precondition(lambda self: [i for i in self.items_in("open") if "progress" in i.spec])
    @rule(data=st.data())
    def item_progress(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from([i for i in self.items_in("open") if "progress" in i.spec]))
        self.emit(progress(item.builder, data.draw(st.sampled_from(item.spec["progress"]))))

    @precondition(lambda self: [i for i in self.items_in("open") if i.closable()])
    @rule(data=st.data())
    def item_done(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from([i for i in self.items_in("open") if i.closable()]))
        self.emit(item.builder.emit_done())
        item.state = "done"

    # -- misuse ---------------------------------------------------------------------------------------------
    def illegal_candidates(self) -> list[tuple[str, Any]]:
        s = self.stream
        out: list[tuple[str, Any]] = []
        if self.created:
            out.append(("created twice", s.emit_created))
        if not self.created or self.in_progress:
            out.append(("in_progress out of order", s.emit_in_progress))
        if not self.created or self.in_progress or self.queued:
            out.append(("queued out of order", s.emit_queued))
        if not self.created or self.terminal:
            out.append(("notice out of order", lambda: s.emit_error("x")))
        if not self.created or self.terminal or any(i.state != "done" for i in self.items):
            out.append(("terminal out of order", s.emit_completed))
            out.append(("failed out of order", s.emit_failed))
        if self.terminal:
            out.append(("item after terminal", s.add_output_item_message))
        for item in self.items:
            b = item.builder
            if item.state != "new" or not self.in_progress:
                out.append(("item added again / before in_progress", b.emit_added))
            if item.state != "open" or not item.closable():
                out.append(("item done too early / twice", b.emit_done))
            if "delta" in item.spec and (item.state != "open" or item.final):
                out.append(("item delta when closed", lambda b=b, n=item.spec["delta"]: getattr(b, n)("x")))
                out.append(("item final when closed", getattr(b, item.spec["final"])))
            if "delta" in item.spec and item.state == "open" and not item.final:
                out.append(("item delta not a str", lambda b=b, n=item.spec["delta"]: getattr(b, n)(42)))
            if "progress" in item.spec and item.state != "open":
                out.append(
                    ("progress on a closed item", lambda b=b, n=item.spec["progress"][0]: progress(b, n))
                )
            for part in item.parts:
                p = part.builder
                if part.state != "new" or item.state != "open":
                    out.append(("part added again / outside its item", p.emit_added))
                if part.state != "open" or part.final:
                    out.append(("delta after done", lambda part=part: part.delta("x")))
                    out.append(("final twice", part.emit_final))
                if part.state != "open" or not part.final:
                    out.append(("part done too early", p.emit_done))
                if part.kind == "text" and part.state != "open":
                    out.append(
                        ("annotation outside an open part", lambda p=p: p.emit_annotation_added(ANNOTATION))
                    )
        return out

    @precondition(lambda self: self.illegal_calls < MAX_ILLEGAL and self.illegal_candidates())
    @rule(data=st.data())
    def illegal_call(self, data: st.DataObject) -> None:
        label, call = data.draw(st.sampled_from(self.illegal_candidates()), label="illegal call")
        before_seq = self.stream.sequence_number
        before_response = copy.deepcopy(self.stream.response.to_dict())
        with pytest.raises(StreamOrderError, match="refused: ") as info:
            call()
        assert self.stream.sequence_number == before_seq, f"{label}: a refused call advanced the sequence"
        assert self.stream.response.to_dict() == before_response, (
            f"{label}: a refused call changed the response"
        )
        assert str(info.value).strip(), label
        self.illegal_calls += 1

    @precondition(lambda self: self.terminal)
    @rule()
    def after_the_end(self) -> None:
        """Keeps a finished program able to take steps (misuse after the end is the other option)."""
        assert self.stream.is_terminal

    # -- checks ---------------------------------------------------------------------------------------------
    @invariant()
    def every_event_was_checked(self) -> None:
        assert self.checker.count == len(self.events) == self.stream.sequence_number

    @invariant()
    def snapshot_holds_the_finished_items(self) -> None:
        """The live snapshot's output is the items finished so far, in output order."""
        finished = [i.done_item for i in self.checker.items if not i.open]
        assert self.stream.response.to_dict()["output"] == finished

    def teardown(self) -> None:
        """Finish the program legally, then the whole stream must satisfy the oracle."""
        if not self.terminal:
            if not self.created:
                self.emit(self.stream.emit_created())
            if not self.in_progress and self.items:
                self.emit(self.stream.emit_in_progress())
            for item in self.items:
                if item.state == "new":
                    self.emit(item.builder.emit_added())
                if item.state == "done":
                    continue
                for part in item.parts:
                    if part.state == "new":
                        self.emit(part.builder.emit_added())
                    if part.state != "done":
                        if not part.final:
                            self.emit(part.emit_final())
                        self.emit(part.builder.emit_done())
                if item.chunks and not item.final:
                    self.emit(getattr(item.builder, item.spec["final"])())
                self.emit(item.builder.emit_done())
            self.emit(self.stream.emit_completed())
        self.checker.finish()
        assert self.stream.is_terminal


StreamMachine.TestCase.settings = settings(stateful_step_count=100)  # the rest: the loaded profile
TestStreamMachine = StreamMachine.TestCase
