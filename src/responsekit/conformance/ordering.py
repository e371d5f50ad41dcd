"""The protocol's ordering rules for one response's event stream, as a pure function.

``validate(events)`` takes the decoded event payloads in wire order and returns every rule they
break, each as a :class:`Violation` naming the rule, the event's position and sequence number, and
what was expected versus seen. It knows nothing about HTTP, so it is tested on synthetic streams.

Rules (the ``rule`` of each violation):
- ``sequence``: ``sequence_number`` runs first, first+1, ... without gaps or repeats.
- ``lifecycle``: ``response.created`` first and once; ``response.queued`` only before
  ``response.in_progress``; ``response.in_progress`` before any item event.
- ``bracketing``: every item event sits between its ``output_item.added`` and ``output_item.done``;
  output indexes are 0, 1, 2, ... in order of addition; content parts and reasoning summary parts are
  opened (``*.added``) and closed (``*.done``) inside their item, indexes in order.
- ``deltas``: the deltas of a text/arguments/code/input stream concatenate to the value of its
  ``*.done`` event, which also matches the closed part and the finished item.
- ``terminal``: exactly one terminal event (completed, failed, incomplete), last, and its
  ``response.status`` agrees with its type.
- ``output``: the terminal ``response.output`` equals the finished items, in output-index order.
- ``ids``: the response id and each item's id stay the same from first mention to the terminal event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from responsekit.conformance.event_types import (
    CONTENT_PART_EVENTS,
    DELTAS,
    DONES,
    ITEM_FIELD,
    RESPONSE_LEVEL,
    SUMMARY_PART_EVENTS,
    TERMINAL_STATUS,
    TERMINAL_TYPES,
)
from responsekit.conformance.evidence import Violation, _short, first_difference, timeline

__all__ = ["Violation", "validate", "TERMINAL_TYPES", "RULES", "timeline", "first_difference"]

RULES = ("sequence", "lifecycle", "bracketing", "deltas", "terminal", "output", "ids")


#: The done events whose final text a closing part must match, by the kind of part.
_CONTENT_FINALS = (
    ("response.output_text.done", "text"),
    ("response.refusal.done", "refusal"),
    ("response.reasoning_text.done", "text"),
)
_SUMMARY_FINALS = (("response.reasoning_summary_text.done", "text"),)


@dataclass
class _Item:
    id: Any
    type: Any
    done: bool = False
    parts: dict[int, bool] = field(default_factory=dict)  # content_index -> closed
    summaries: dict[int, bool] = field(default_factory=dict)  # summary_index -> closed
    finals: dict[tuple[str, Any], str] = field(default_factory=dict)  # (done type, sub index) -> value


class _Validator:
    def __init__(self, events: Sequence[Mapping[str, Any]], first: int, complete: bool) -> None:
        self.events = events
        self.first = first
        self.complete = complete
        self.out: list[Violation] = []
        self.items: dict[int, _Item] = {}
        self.finished: dict[int, Any] = {}
        self.deltas: dict[tuple[str, int, Any], list[str]] = {}
        self.closed_streams: set[tuple[str, int, Any]] = set()
        self.response_id: Any = None
        self.seen_created = self.seen_progress = False
        self.terminal_at: int | None = None

    def add(self, rule: str, i: int, message: str) -> None:
        ev = self.events[i] if 0 <= i < len(self.events) else {}
        self.out.append(Violation(rule, i, ev.get("sequence_number"), str(ev.get("type")), message))

    def run(self) -> list[Violation]:
        self.sequence()
        for i, ev in enumerate(self.events):
            self.terminal(i, ev)
            self.response_ids(i, ev)
            # After the terminal event only the terminal rule speaks (one clear message).
            if self.complete and (self.terminal_at is None or i <= self.terminal_at):
                self.lifecycle(i, ev)
                self.bracketing(i, ev)
        if self.terminal_at is None:
            last = len(self.events) - 1
            seen = f"the last event is {self.events[last].get('type')}" if self.events else "no events at all"
            self.add("terminal", last, f"expected exactly one terminal event at the end; {seen}")
        elif self.complete:
            self.unclosed()
            self.output()
        return sorted(self.out, key=lambda v: (v.index, RULES.index(v.rule)))

    # -- rules ------------------------------------------------------------------------------------
    def sequence(self) -> None:
        expected = self.first
        for i, ev in enumerate(self.events):
            seq = ev.get("sequence_number")
            if not isinstance(seq, int) or isinstance(seq, bool):
                self.add("sequence", i, f"expected sequence_number {expected}, saw {seq!r} (not an integer)")
                expected += 1
                continue
            if seq != expected:
                what = "a gap" if seq > expected else "a repeat or step back"
                self.add("sequence", i, f"expected sequence_number {expected}, saw {seq} ({what})")
            expected = seq + 1

    def terminal(self, i: int, ev: Mapping[str, Any]) -> None:
        etype = ev.get("type")
        if self.terminal_at is not None:
            first = self.events[self.terminal_at]
            if etype in TERMINAL_TYPES:
                self.add(
                    "terminal",
                    i,
                    f"a second terminal event; {first.get('type')} "
                    f"(#{first.get('sequence_number')}) already ended the response",
                )
            elif i == self.terminal_at + 1:
                self.add(
                    "terminal",
                    i,
                    f"an event after the terminal event {first.get('type')}; the terminal event must be last",
                )
        if etype in TERMINAL_TYPES:
            if self.terminal_at is None:
                self.terminal_at = i
            status = (
                (ev.get("response") or {}).get("status") if isinstance(ev.get("response"), Mapping) else None
            )
            allowed = TERMINAL_STATUS[etype]
            if status not in allowed:
                self.add(
                    "terminal",
                    i,
                    f"{etype} carries response.status {status!r}; expected {' or '.join(sorted(allowed))}",
                )

    def response_ids(self, i: int, ev: Mapping[str, Any]) -> None:
        resp = ev.get("response")
        if not isinstance(resp, Mapping):
            return
        rid = resp.get("id")
        if self.response_id is None:
            if not rid:
                self.add("ids", i, "the response carries no id")
            self.response_id = rid
        elif rid != self.response_id:
            self.add(
                "ids", i, f"response id changed: expected {self.response_id!r} (as first seen), saw {rid!r}"
            )

    def lifecycle(self, i: int, ev: Mapping[str, Any]) -> None:
        etype = ev.get("type")
        if i == 0 and etype != "response.created":
            self.add("lifecycle", i, f"expected response.created first, saw {etype}")
        if etype == "response.created":
            if self.seen_created:
                self.add("lifecycle", i, "response.created appears more than once")
            self.seen_created = True
            status = (
                (ev.get("response") or {}).get("status") if isinstance(ev.get("response"), Mapping) else None
            )
            if status not in ("queued", "in_progress"):
                self.add(
                    "lifecycle",
                    i,
                    f"response.created carries status {status!r}; expected queued or in_progress",
                )
        elif etype == "response.queued" and self.seen_progress:
            self.add("lifecycle", i, "response.queued after response.in_progress")
        elif etype == "response.in_progress":
            if self.seen_progress:
                self.add("lifecycle", i, "response.in_progress appears more than once")
            self.seen_progress = True
        elif etype not in RESPONSE_LEVEL and "output_index" in ev and not self.seen_progress:
            self.seen_progress = True  # report the first such event only
            self.add(
                "lifecycle",
                i,
                f"{etype} before response.in_progress (expected in_progress before any item event)",
            )

    def bracketing(self, i: int, ev: Mapping[str, Any]) -> None:
        etype = ev.get("type")
        if etype in RESPONSE_LEVEL or "output_index" not in ev:
            return
        bad = [
            k for k in ("output_index", "content_index", "summary_index") if k in ev and not _is_index(ev[k])
        ]
        if bad:
            self.add("bracketing", i, f"{', '.join(bad)} must be a non-negative integer, saw {ev[bad[0]]!r}")
            return
        idx = ev.get("output_index")
        item = self.items.get(idx)
        if etype == "response.output_item.added":
            payload = ev.get("item") if isinstance(ev.get("item"), Mapping) else {}
            expected = len(self.items)
            if item is not None:
                self.add("bracketing", i, f"output_index {idx} was already added (#{item.id})")
                return
            if idx != expected:
                self.add("bracketing", i, f"expected output_index {expected} for the next item, saw {idx}")
            self.items[idx] = _Item(payload.get("id"), payload.get("type"))
            return
        if item is None or item.done:
            where = "after its response.output_item.done" if item else "before its response.output_item.added"
            self.add("bracketing", i, f"{etype} for output_index {idx} {where}")
            # Still follow its text, so a misplaced delta is not also reported as a missing one.
            self.text_stream(i, ev, idx, item or _Item(None, None))
            return
        item_id = ev.get("item_id")
        if item_id is not None and item.id is not None and item_id != item.id:
            self.add(
                "ids",
                i,
                f"item_id {item_id!r} differs from the id {item.id!r} its output_item.added announced",
            )
        if etype == "response.output_item.done":
            self.item_done(i, ev, idx, item)
        elif etype in ("response.content_part.added", "response.reasoning_summary_part.added"):
            self.part_open(i, ev, item)
        elif etype in ("response.content_part.done", "response.reasoning_summary_part.done"):
            self.part_close(i, ev, idx, item)
        else:
            if etype in CONTENT_PART_EVENTS and item.parts.get(ev.get("content_index")) is not False:
                self.add(
                    "bracketing",
                    i,
                    f"{etype} for content_index {ev.get('content_index')} outside an open content part",
                )
            if etype in SUMMARY_PART_EVENTS and item.summaries.get(ev.get("summary_index")) is not False:
                self.add(
                    "bracketing",
                    i,
                    f"{etype} for summary_index {ev.get('summary_index')} outside an open summary part",
                )
            self.text_stream(i, ev, idx, item)

    def part_open(self, i: int, ev: Mapping[str, Any], item: _Item) -> None:
        summary = ev.get("type") == "response.reasoning_summary_part.added"
        key = "summary_index" if summary else "content_index"
        parts = item.summaries if summary else item.parts
        sub = ev.get(key)
        if sub in parts:
            self.add("bracketing", i, f"{key} {sub} was already opened in this item")
        elif sub != len(parts):
            self.add("bracketing", i, f"expected {key} {len(parts)} for the next part, saw {sub}")
        parts[sub] = False

    def part_close(self, i: int, ev: Mapping[str, Any], idx: int, item: _Item) -> None:
        summary = ev.get("type") == "response.reasoning_summary_part.done"
        key = "summary_index" if summary else "content_index"
        parts = item.summaries if summary else item.parts
        sub = ev.get(key)
        if parts.get(sub) is not False:
            state = "already closed" if parts.get(sub) else "never opened"
            self.add("bracketing", i, f"{ev.get('type')} for {key} {sub}, which was {state}")
            return
        parts[sub] = True
        part = ev.get("part") if isinstance(ev.get("part"), Mapping) else {}
        # A summary part and a content part may share an index (a reasoning item has both kinds):
        # each is compared only with the done events of its own kind.
        for done_type, fld in _SUMMARY_FINALS if summary else _CONTENT_FINALS:
            final = item.finals.get((done_type, sub))
            if final is not None and fld in part and part[fld] != final:
                self.add(
                    "deltas", i, f"part.{fld} {_short(part[fld])} differs from {done_type} {_short(final)}"
                )

    def text_stream(self, i: int, ev: Mapping[str, Any], idx: int, item: _Item) -> None:
        etype = ev.get("type")
        if etype in DELTAS:
            done_type, _, sub_key = DELTAS[etype]
            key = (done_type, idx, ev.get(sub_key) if sub_key else None)
            if key in self.closed_streams:
                self.add("deltas", i, f"{etype} after its {done_type}")
            delta = ev.get("delta")
            self.deltas.setdefault(key, []).append(delta if isinstance(delta, str) else "")
        elif etype in DONES:
            _, fld, sub_key = DONES[etype]
            sub = ev.get(sub_key) if sub_key else None
            key = (etype, idx, sub)
            if key in self.closed_streams:
                self.add("deltas", i, f"{etype} appears twice for the same stream")
            self.closed_streams.add(key)
            joined = "".join(self.deltas.get(key, []))
            value = ev.get(fld)
            if value != joined:
                count = len(self.deltas.get(key, []))
                self.add(
                    "deltas",
                    i,
                    f"{etype}.{fld} is {_short(value)} but its {count} delta(s) concatenate to {_short(joined)}",
                )
            item.finals[(etype, sub)] = value if isinstance(value, str) else joined

    def item_done(self, i: int, ev: Mapping[str, Any], idx: int, item: _Item) -> None:
        payload = ev.get("item") if isinstance(ev.get("item"), Mapping) else {}
        if item.id is not None and payload.get("id") != item.id:
            self.add(
                "ids",
                i,
                f"item id changed: output_item.added said {item.id!r}, output_item.done says {payload.get('id')!r}",
            )
        open_parts = [k for k, closed in item.parts.items() if not closed]
        open_summaries = [k for k, closed in item.summaries.items() if not closed]
        if open_parts or open_summaries:
            self.add(
                "bracketing",
                i,
                f"output_item.done while parts are open (content {open_parts}, summary {open_summaries})",
            )
        content = payload.get("content") if isinstance(payload.get("content"), list) else []
        for (done_type, sub), final in item.finals.items():
            fld = ITEM_FIELD.get(done_type)
            if fld is not None and fld in payload and payload[fld] != final:
                self.add(
                    "deltas", i, f"item.{fld} {_short(payload[fld])} differs from {done_type} {_short(final)}"
                )
            if (
                done_type in ("response.output_text.done", "response.refusal.done")
                and isinstance(sub, int)
                and sub < len(content)
            ):
                part = content[sub] if isinstance(content[sub], Mapping) else {}
                fld = "refusal" if done_type == "response.refusal.done" else "text"
                if fld in part and part[fld] != final:
                    self.add(
                        "deltas",
                        i,
                        f"item.content[{sub}].{fld} {_short(part[fld])} differs from {done_type} {_short(final)}",
                    )
        item.done = True
        self.finished[idx] = payload

    def unclosed(self) -> None:
        for idx, item in sorted(self.items.items()):
            if not item.done:
                self.add(
                    "bracketing",
                    self.terminal_at,
                    f"output item {idx} ({item.id}) was never closed by response.output_item.done",
                )

    def output(self) -> None:
        ev = self.events[self.terminal_at]
        resp = ev.get("response") if isinstance(ev.get("response"), Mapping) else {}
        output = resp.get("output")
        if not isinstance(output, list):
            self.add(
                "output",
                self.terminal_at,
                f"the terminal response.output is {type(output).__name__}, not a list",
            )
            return
        finished = [self.finished[k] for k in sorted(self.finished)]
        if len(output) != len(finished):
            self.add(
                "output",
                self.terminal_at,
                f"response.output holds {len(output)} item(s); {len(finished)} were finished by output_item.done",
            )
            return
        for n, (got, want) in enumerate(zip(output, finished, strict=True)):
            diff = first_difference(want, got)
            if diff is not None:
                self.add(
                    "output",
                    self.terminal_at,
                    f"response.output[{n}] differs from its output_item.done item at {diff}",
                )


def validate(
    events: Sequence[Mapping[str, Any]], *, first_sequence_number: int = 0, complete: bool = True
) -> list[Violation]:
    """Every ordering rule ``events`` break (empty when the stream is well-formed).

    ``complete=False`` judges a resumed tail (events after a cursor): only numbering, the terminal
    event and ids are checked, since the items were opened before the tail began.
    """
    return _Validator(events, first_sequence_number, complete).run()


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
