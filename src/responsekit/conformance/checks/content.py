"""Content that only appears when the server's handler emits it: reasoning, annotations, refusals.

The suite's prompts cannot make a model reason, cite or refuse, so each check judges what the shared
streams and the shared JSON answer carry, and is SKIPPED (saying so) when nothing of its kind was
emitted. What the ordering rules already judge (bracketing, deltas against their done values) is
left to them; these checks judge what belongs to the kind of content.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from responsekit.conformance import ordering
from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, Failed, Skipped, check

REASONING_EVENTS = frozenset(
    {
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
    }
)
REFUSAL_EVENTS = frozenset({"response.refusal.delta", "response.refusal.done"})
OUTPUT_TEXT_EVENTS = frozenset(
    {"response.output_text.delta", "response.output_text.done", "response.output_text.annotation.added"}
)
NOTHING_EMITTED = "the suite's prompts cannot make a model emit it; run a handler that does to judge it"


@dataclass
class _Streamed:
    """What one stream said about its items: their types, their parts' types, the finished items."""

    item_types: dict[Any, Any] = field(default_factory=dict)  # output_index -> item type
    part_types: dict[tuple[Any, Any], Any] = field(default_factory=dict)  # (output, content) -> part type
    finished: dict[Any, Mapping[str, Any]] = field(default_factory=dict)  # output_index -> item

    def follow(self, ev: Mapping[str, Any]) -> None:
        etype = ev.get("type")
        item = ev.get("item") if isinstance(ev.get("item"), Mapping) else {}
        part = ev.get("part") if isinstance(ev.get("part"), Mapping) else {}
        if etype == "response.output_item.added":
            self.item_types[ev.get("output_index")] = item.get("type")
        elif etype == "response.content_part.added":
            self.part_types[(ev.get("output_index"), ev.get("content_index"))] = part.get("type")
        elif etype == "response.output_item.done":
            self.finished[ev.get("output_index")] = item


def _streams(ctx: Context) -> list[tuple[str, list[dict[str, Any]]]]:
    """The shared streams that answered SSE (a broken one is judged by the create checks), and the
    tool stream when the run has made it (a model often reasons before it calls a tool)."""
    sources = [
        ("POST /responses stream=true", ctx.hello_stream, "create.stream"),
        ("POST /responses stream=true background=true", ctx.bg_stream, "create.stream_background"),
    ]
    if ctx.memoized("tool_stream"):
        sources.append(
            (
                "POST /responses stream=true with a function tool",
                ctx.tool_stream,
                "tools.function_call_stream",
            )
        )
    out = []
    for what, get, judged_by in sources:
        with ctx.precondition(judged_by):
            cap = get()
        if cap.status == 200 and cap.is_sse:
            out.append((what, cap.events))
    return out


def _walk(events: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any], _Streamed]]:
    """Each event with the stream's state as it stood before the event."""
    state = _Streamed()
    for n, ev in enumerate(events):
        yield n, ev, state
        state.follow(ev)


def _json_items(ctx: Context) -> list[Mapping[str, Any]]:
    reply = ctx.hello_json()
    data = reply.json if reply.status == 200 and isinstance(reply.json, dict) else {}
    output = data.get("output") if isinstance(data.get("output"), list) else []
    return [item for item in output if isinstance(item, Mapping)]


def _fail(events: list[dict[str, Any]], n: int, what: str, message: str, **evidence: Any) -> Failed:
    return Failed(
        f"{what}: {message}",
        timeline=ordering.timeline(events, n),
        sequence_number=events[n].get("sequence_number"),
        **evidence,
    )


# -- reasoning -----------------------------------------------------------------------------------------


def _reasoning_item_matches(item: Mapping[str, Any], summaries: dict[Any, Any], texts: dict[Any, Any]) -> str:
    """Why a finished reasoning item disagrees with its streamed parts ('' when it agrees)."""
    summary = item.get("summary")
    if not isinstance(summary, list):
        return f"the finished reasoning item's summary is {summary!r}, expected a list"
    if len(summary) != len(summaries):
        return f"the finished item has {len(summary)} summary part(s); {len(summaries)} were streamed"
    for k, text in sorted(summaries.items()):
        part = summary[k] if isinstance(k, int) and 0 <= k < len(summary) else None
        if not isinstance(part, Mapping) or part.get("type") != "summary_text" or part.get("text") != text:
            return f"summary[{k}] is {part!r}, expected {{'type': 'summary_text', 'text': {text!r}}}"
    content = item.get("content") if isinstance(item.get("content"), list) else []
    for k, text in sorted(texts.items()):
        part = content[k] if isinstance(k, int) and 0 <= k < len(content) else None
        if not isinstance(part, Mapping) or part.get("type") != "reasoning_text" or part.get("text") != text:
            return f"content[{k}] is {part!r}, expected {{'type': 'reasoning_text', 'text': {text!r}}}"
    return ""


@check(
    "content.reasoning",
    "Reasoning events target reasoning items; summary parts are summary_text and fill item.summary",
    level=MUST,
    fact="A reasoning item streams its summary as reasoning_summary_part.added/done (part type "
    "summary_text) and reasoning_summary_text deltas; the finished item's summary lists those parts "
    "in summary_index order with their final text, and its content the reasoning_text parts. MUST: "
    "the event and item schemas of both references (Open Responses § Reasoning).",
)
def reasoning(ctx: Context) -> str:
    judged = 0
    for what, events in _streams(ctx):
        summaries: dict[Any, dict[Any, Any]] = {}  # output_index -> summary_index -> final text
        texts: dict[Any, dict[Any, Any]] = {}  # output_index -> content_index -> final text
        for n, ev, state in _walk(events):
            etype, idx = ev.get("type"), ev.get("output_index")
            if etype in REASONING_EVENTS and state.item_types.get(idx) != "reasoning":
                raise _fail(
                    events, n, what, f"{etype} targets output {idx}, a {state.item_types.get(idx)!r} item"
                )
            if etype in ("response.reasoning_summary_part.added", "response.reasoning_summary_part.done"):
                part = ev.get("part") if isinstance(ev.get("part"), Mapping) else {}
                if part.get("type") != "summary_text":
                    raise _fail(
                        events, n, what, f"{etype} carries a {part.get('type')!r} part, expected summary_text"
                    )
                if etype.endswith(".done"):
                    summaries.setdefault(idx, {})[ev.get("summary_index")] = part.get("text")
            elif etype == "response.reasoning_text.done":
                texts.setdefault(idx, {})[ev.get("content_index")] = ev.get("text")
            elif etype == "response.output_item.done" and state.item_types.get(idx) == "reasoning":
                judged += 1
                item = ev.get("item") if isinstance(ev.get("item"), Mapping) else {}
                problem = _reasoning_item_matches(item, summaries.get(idx, {}), texts.get(idx, {}))
                if problem:
                    raise _fail(events, n, what, problem, item=item)
    judged += sum(1 for item in _json_items(ctx) if item.get("type") == "reasoning")
    if not judged:
        raise Skipped(f"no reasoning item was emitted; {NOTHING_EMITTED}")
    return f"{judged} reasoning item(s) judged"


# -- annotations ---------------------------------------------------------------------------------------


def _span_problem(annotation: Any, text: Any) -> str:
    """Why an annotation does not point into ``text`` ('' when it does)."""
    if not isinstance(annotation, Mapping) or not isinstance(annotation.get("type"), str):
        return f"the annotation {annotation!r} is not an object with a type"
    if not isinstance(text, str):
        return ""
    # Indexes count characters; a UTF-16 count is longer for text outside the BMP, so allow either.
    length = max(len(text), len(text.encode("utf-16-le")) // 2)
    kind = annotation["type"]
    if kind in ("url_citation", "container_file_citation"):
        start, end = annotation.get("start_index"), annotation.get("end_index")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= length):
            return f"{kind} spans [{start!r}, {end!r}], outside the text's {length} characters"
    elif kind in ("file_citation", "file_path"):
        index = annotation.get("index")
        if not (isinstance(index, int) and 0 <= index <= length):
            return f"{kind} index {index!r} is outside the text's {length} characters"
    return ""


@check(
    "content.annotations",
    "Annotations are numbered per text part, point into its text, and end up in the finished part",
    level=MUST,
    fact="response.output_text.annotation.added adds annotation number annotation_index (0, 1, ...) "
    "to one output_text part; the finished part lists the annotations in that order, and each "
    "citation's indexes fall inside the part's text. MUST: the event's indexes and the part's "
    "annotations list describe one sequence in both references.",
)
def annotations(ctx: Context) -> str:
    judged = 0
    for what, events in _streams(ctx):
        added: dict[tuple[Any, Any], list[Any]] = {}  # (output, content) -> annotations in order
        texts: dict[tuple[Any, Any], Any] = {}  # (output, content) -> final text
        for n, ev, state in _walk(events):
            etype, key = ev.get("type"), (ev.get("output_index"), ev.get("content_index"))
            if etype == "response.output_text.done":
                texts[key] = ev.get("text")
            elif etype == "response.output_text.annotation.added":
                if state.part_types.get(key) != "output_text":
                    raise _fail(
                        events, n, what, f"an annotation added to a {state.part_types.get(key)!r} part {key}"
                    )
                seen = added.setdefault(key, [])
                if ev.get("annotation_index") != len(seen):
                    raise _fail(
                        events,
                        n,
                        what,
                        f"annotation_index {ev.get('annotation_index')!r} where {len(seen)} comes next",
                    )
                seen.append(ev.get("annotation"))
                judged += 1
            elif etype == "response.content_part.done" and key in added:
                part = ev.get("part") if isinstance(ev.get("part"), Mapping) else {}
                problem = _annotations_problem(part, added[key], texts.get(key, part.get("text")))
                if problem:
                    raise _fail(events, n, what, f"content part {key}: {problem}", part=part)
            elif etype == "response.output_item.done":
                item = ev.get("item") if isinstance(ev.get("item"), Mapping) else {}
                content = item.get("content") if isinstance(item.get("content"), list) else []
                for (idx, ci), streamed in added.items():
                    if idx == key[0] and isinstance(ci, int) and ci < len(content):
                        part = content[ci] if isinstance(content[ci], Mapping) else {}
                        problem = _annotations_problem(part, streamed, part.get("text"))
                        if problem:
                            raise _fail(events, n, what, f"item.content[{ci}]: {problem}", item=item)
    for item in _json_items(ctx):
        for ci, part in enumerate(item.get("content") or []):
            if isinstance(part, Mapping) and part.get("annotations"):
                for annotation in part["annotations"]:
                    problem = _span_problem(annotation, part.get("text"))
                    if problem:
                        raise Failed(
                            f"POST /responses: output item {item.get('id')} content[{ci}]: {problem}"
                        )
                    judged += 1
    if not judged:
        raise Skipped(f"no annotation was emitted; {NOTHING_EMITTED}")
    return f"{judged} annotation(s) judged"


def _annotations_problem(part: Mapping[str, Any], streamed: list[Any], text: Any) -> str:
    listed = part.get("annotations")
    if listed != streamed:
        return f"annotations {listed!r} differ from the {len(streamed)} streamed by annotation.added"
    for annotation in streamed:
        problem = _span_problem(annotation, text)
        if problem:
            return problem
    return ""


# -- refusals ------------------------------------------------------------------------------------------


@check(
    "content.refusal",
    "Refusal text streams into refusal parts of a message, and only there",
    level=MUST,
    fact="A refusal is a message content part of type refusal: response.refusal.delta/done fill a part "
    "that content_part.added opened as refusal, output_text events never target it, and the finished "
    "message holds {type: refusal, refusal: <the done text>}. MUST: the refusal events and "
    "RefusalContent of both references.",
)
def refusal(ctx: Context) -> str:
    judged = 0
    for what, events in _streams(ctx):
        refused: dict[tuple[Any, Any], Any] = {}  # (output, content) -> refusal.done text
        for n, ev, state in _walk(events):
            etype, key = ev.get("type"), (ev.get("output_index"), ev.get("content_index"))
            part_type = state.part_types.get(key)
            if etype in REFUSAL_EVENTS and (
                part_type != "refusal" or state.item_types.get(key[0]) != "message"
            ):
                raise _fail(
                    events,
                    n,
                    what,
                    f"{etype} targets a {part_type!r} part of a {state.item_types.get(key[0])!r} item; "
                    "expected a refusal part of a message",
                )
            if etype in OUTPUT_TEXT_EVENTS and part_type == "refusal":
                raise _fail(events, n, what, f"{etype} targets the refusal part {key}")
            if etype == "response.refusal.done":
                refused[key] = ev.get("refusal")
            elif etype == "response.content_part.done" and key in refused:
                part = ev.get("part") if isinstance(ev.get("part"), Mapping) else {}
                if part.get("type") != "refusal":
                    raise _fail(
                        events, n, what, f"the refusal part {key} closes as a {part.get('type')!r} part"
                    )
            elif etype == "response.output_item.done":
                item = ev.get("item") if isinstance(ev.get("item"), Mapping) else {}
                content = item.get("content") if isinstance(item.get("content"), list) else []
                for (idx, ci), text in refused.items():
                    if idx != key[0]:
                        continue
                    judged += 1
                    part = content[ci] if isinstance(ci, int) and 0 <= ci < len(content) else None
                    want = {"type": "refusal", "refusal": text}
                    if not isinstance(part, Mapping) or {k: part.get(k) for k in want} != want:
                        raise _fail(events, n, what, f"item.content[{ci}] is {part!r}, expected {want!r}")
    for item in _json_items(ctx):
        for part in item.get("content") or []:
            if isinstance(part, Mapping) and part.get("type") == "refusal":
                if item.get("type") != "message" or not isinstance(part.get("refusal"), str):
                    raise Failed(f"POST /responses: a refusal part {part!r} in a {item.get('type')!r} item")
                judged += 1
    if not judged:
        raise Skipped(f"no refusal was emitted; {NOTHING_EMITTED}")
    return f"{judged} refusal part(s) judged"
