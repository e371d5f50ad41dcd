"""Checks, verdicts and the runner.

A check is a function of the run context. It passes by returning (optionally a note), and says
otherwise by raising: :class:`Failed` (the server broke the rule; the verdict is FAIL for a MUST
check, WARN for a SHOULD check), :class:`Skipped` (the check could not be judged, e.g. the server
never called the offered tool), :class:`Warned` (a soft deviation worth a look). Any other
exception means the exchange itself broke (timeout, refused connection) and counts as a failure.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Check",
    "Result",
    "Failed",
    "Skipped",
    "Warned",
    "check",
    "REGISTRY",
    "run_check",
    "MUST",
    "SHOULD",
    "PASS",
    "FAIL",
    "SKIP",
    "WARN",
]

MUST, SHOULD = "MUST", "SHOULD"
PASS, FAIL, SKIP, WARN = "PASS", "FAIL", "SKIP", "WARN"


class Failed(Exception):
    """The server broke the check's rule. ``evidence`` says what was observed."""

    def __init__(
        self, message: str, *, timeline: list[dict[str, Any]] | None = None, **evidence: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.evidence = evidence
        self.timeline = timeline


class Skipped(Exception):
    """The check could not be judged against this server (the reason says why)."""


class Warned(Exception):
    """A deviation that is not a rule violation; reported as WARN."""

    def __init__(self, message: str, **evidence: Any) -> None:
        super().__init__(message)
        self.message = message
        self.evidence = evidence


@dataclass(frozen=True)
class Check:
    id: str
    title: str  # one line: what the check verifies
    level: str  # MUST or SHOULD
    fact: str  # the protocol fact it rests on
    fn: Callable[[Any], Any] = field(repr=False, compare=False)
    profiles: tuple[str, ...] = ("openai", "open-responses")

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass
class Result:
    id: str
    title: str
    level: str
    fact: str
    verdict: str
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    timeline: list[dict[str, Any]] | None = None
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "title": self.title,
            "level": self.level,
            "fact": self.fact,
            "verdict": self.verdict,
            "message": self.message,
            "evidence": self.evidence,
            "duration_s": round(self.duration_s, 3),
        }
        if self.timeline:
            data["timeline"] = self.timeline
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        return cls(
            data["id"],
            data.get("title", ""),
            data.get("level", MUST),
            data.get("fact", ""),
            data["verdict"],
            data.get("message", ""),
            data.get("evidence") or {},
            data.get("timeline"),
            data.get("duration_s", 0.0),
        )


#: Every check, in definition order (which is also the order they run in).
REGISTRY: dict[str, Check] = {}


def check(
    id: str,
    title: str,
    *,
    level: str = MUST,
    fact: str,
    profiles: Iterable[str] = ("openai", "open-responses"),
) -> Callable[[Callable], Callable]:
    """Register the decorated function as a check."""
    if level not in (MUST, SHOULD):
        raise ValueError(f"level must be MUST or SHOULD, not {level!r}")

    def register(fn: Callable) -> Callable:
        if id in REGISTRY:
            raise ValueError(f"duplicate check id {id!r}")
        REGISTRY[id] = Check(id, title, level, fact, fn, tuple(profiles))
        return fn

    return register


def run_check(chk: Check, ctx: Any) -> Result:
    """Run one check and turn its outcome into a Result (never raises, except on Ctrl-C)."""
    result = Result(chk.id, chk.title, chk.level, chk.fact, PASS)
    if ctx.config.profile not in chk.profiles:
        result.verdict, result.message = SKIP, f"applies only under --profile {' or '.join(chk.profiles)}"
        return result
    started = time.monotonic()
    try:
        note = chk.fn(ctx)
        if isinstance(note, str):
            result.message = note
    except Failed as exc:
        result.verdict = FAIL if chk.level == MUST else WARN
        result.message, result.evidence, result.timeline = exc.message, exc.evidence, exc.timeline
    except Skipped as exc:
        result.verdict, result.message = SKIP, str(exc)
    except Warned as exc:
        result.verdict, result.message, result.evidence = WARN, exc.message, exc.evidence
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken exchange is the check's outcome, not a crash
        result.verdict = FAIL if chk.level == MUST else WARN
        result.message = f"the exchange failed: {type(exc).__name__}: {exc}"
        result.evidence = {"exception": "".join(traceback.format_exception_only(type(exc), exc)).strip()}
    result.duration_s = time.monotonic() - started
    return result
