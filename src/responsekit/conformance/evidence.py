"""Evidence for a failure, in words a reader can follow: a broken rule as a ``Violation`` (rule, event
position, sequence number, expected vs seen), the first difference between two JSON values
(``first_difference``) and a compact timeline of the events around an offending one (``timeline``).
Pure code on decoded payloads; the ordering rules and the checks use it to say what was seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Violation", "first_difference", "timeline"]


@dataclass(frozen=True)
class Violation:
    rule: str
    index: int  # position of the offending event in the list
    sequence_number: Any  # as seen on that event
    event_type: str
    message: str  # expected vs seen, in words

    def __str__(self) -> str:
        return f"[{self.rule}] #{self.sequence_number} {self.event_type}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "index": self.index,
            "sequence_number": self.sequence_number,
            "event_type": self.event_type,
            "message": self.message,
        }


def _strip_nulls(value: Any) -> Any:
    # null and absent mean the same on the wire; a server may write either.
    if isinstance(value, Mapping):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def first_difference(expected: Any, seen: Any, path: str = "") -> str | None:
    """The path of the first difference between two JSON values (nulls equal absent keys), or None."""
    expected, seen = _strip_nulls(expected), _strip_nulls(seen)
    if isinstance(expected, Mapping) and isinstance(seen, Mapping):
        for key in list(expected) + [k for k in seen if k not in expected]:
            if key not in seen or key not in expected:
                where = "missing" if key not in seen else "unexpected"
                return f"{path}.{key} ({where})"
            diff = first_difference(expected[key], seen[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(expected, list) and isinstance(seen, list):
        if len(expected) != len(seen):
            return f"{path or '.'} (length {len(expected)} vs {len(seen)})"
        for n, (a, b) in enumerate(zip(expected, seen, strict=True)):
            diff = first_difference(a, b, f"{path}[{n}]")
            if diff:
                return diff
        return None
    if expected != seen:
        return f"{path or '.'} ({_short(expected)} vs {_short(seen)})"
    return None


def timeline(
    events: Sequence[Mapping[str, Any]], index: int | None = None, radius: int = 6
) -> list[dict[str, Any]]:
    """Compact rows of the events around ``index`` (all of them when index is None and few)."""
    if index is None:
        lo, hi = 0, min(len(events), 2 * radius + 1)
    else:
        lo, hi = max(0, index - radius), min(len(events), index + radius + 1)
    rows = []
    for n in range(lo, hi):
        ev = events[n]
        rows.append(
            {
                "index": n,
                "sequence_number": ev.get("sequence_number"),
                "type": ev.get("type"),
                "detail": _detail(ev),
                "offending": n == index,
            }
        )
    return rows


def _detail(ev: Mapping[str, Any]) -> str:
    bits = []
    for key in ("output_index", "content_index", "summary_index", "item_id"):
        if key in ev:
            bits.append(f"{key}={ev[key]}")
    for key in ("delta", "text", "arguments"):
        if isinstance(ev.get(key), str):
            bits.append(f"{key}={_short(ev[key])}")
    if isinstance(ev.get("item"), Mapping):
        bits.append(f"item={ev['item'].get('type')}:{ev['item'].get('id')}")
    if isinstance(ev.get("response"), Mapping):
        bits.append(f"status={ev['response'].get('status')}")
    return " ".join(bits)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
