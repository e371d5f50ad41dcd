"""Checks, verdicts and the runner.

A check is a function of the run context that judges one rule of ``rules.RULES``; the rule gives
its level under the run's profile (MUST, SHOULD, or not applicable). The check passes by returning
(optionally a note), and says otherwise by raising :class:`Failed` (the server broke the rule),
:class:`Skipped` (the rule could not be judged, e.g. the server never called the offered tool) or
:class:`Warned` (a soft deviation worth a look). Any other exception means the exchange itself
broke (timeout, refused connection) and counts as a failure.

Verdict semantics, fixed:

- a MUST check ends PASS, FAIL or SKIP, never WARN. A :class:`Warned` it raises means the rule was
  kept and something beside it looks off: the verdict is PASS, the message is the note (prefixed
  ``note:``) and the evidence is kept. What deserves a WARN is a SHOULD rule of its own.
- a SHOULD check ends PASS, WARN or SKIP: a failure, a warning and a broken exchange are all WARN.
- a check whose rule does not apply under the run's profile is SKIP.
- only a FAIL fails the run (exit 1).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from responsekit.conformance import schemas

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
    "observations",
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
    level: str  # as declared: its rule's strongest level (the run uses level_under)
    fact: str  # the protocol fact it rests on
    fn: Callable[[Any], Any] = field(repr=False, compare=False)
    profiles: tuple[str, ...] = ("openai", "open-responses")  # as declared: where its rule applies

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def rule(self) -> Any:
        """The ``rules.Rule`` this check judges (None for a check no rule names)."""
        from responsekit.conformance.rules import rule_for

        return rule_for(self.id)

    def level_under(self, profile: str) -> str | None:
        """The check's level under ``profile``: its rule's; None when it does not apply there.

        A check no rule names (a plugin's, a test's) keeps the level and profiles it declared.
        """
        rule = self.rule
        if rule is None:
            return self.level if profile in self.profiles else None
        return rule.level(profile)


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
    rule: str = ""  # the id of the rule judged (rules.RULES)

    def as_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "rule": self.rule,
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
            data.get("rule", ""),
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
    """Register the decorated function as a check.

    ``level`` and ``profiles`` restate the check's rule in ``rules.RULES`` for the reader (its
    strongest level, the profiles it applies under; a test holds them equal); the run takes the
    level under its profile from the rule.
    """
    if level not in (MUST, SHOULD):
        raise ValueError(f"level must be MUST or SHOULD, not {level!r}")

    def register(fn: Callable) -> Callable:
        if id in REGISTRY:
            raise ValueError(f"duplicate check id {id!r}")
        REGISTRY[id] = Check(id, title, level, fact, fn, tuple(profiles))
        return fn

    return register


def observations(ctx: Any) -> list[tuple[str, schemas.Observation]]:
    """(check id, what its validations saw) for every check run so far on ``ctx``'s run."""
    memo = getattr(ctx, "memo", None)
    return memo("schemas.observations", list) if memo is not None else []


def run_check(chk: Check, ctx: Any) -> Result:
    """Run one check and turn its outcome into a Result (never raises, except on Ctrl-C).

    The verdict follows the semantics in this module's docstring; the level is the check's rule's
    under the run's profile. The check's validations run under the run's client validation
    (``schemas.observing``); the deviations they let pass join the evidence.
    """
    level = chk.level_under(ctx.config.profile)
    rule = chk.rule
    result = Result(chk.id, chk.title, level or chk.level, chk.fact, PASS, rule=rule.id if rule else "")
    if level is None:
        where = rule.profiles if rule is not None else chk.profiles
        result.verdict = SKIP
        result.message = f"applies only under --profile {' or '.join(where)}"
        return result
    failed = FAIL if level == MUST else WARN
    validation = getattr(ctx.config, "client_validation", schemas.DEFAULT_CLIENT_VALIDATION)
    started = time.monotonic()
    with schemas.observing(validation) as seen:
        try:
            note = chk.fn(ctx)
            if isinstance(note, str):
                result.message = note
        except Failed as exc:
            result.verdict = failed
            result.message, result.evidence, result.timeline = exc.message, exc.evidence, exc.timeline
        except Skipped as exc:
            result.verdict, result.message = SKIP, str(exc)
        except Warned as exc:
            # Under a MUST rule the rule was kept: the warning is a note on a PASS (module docstring).
            result.verdict = WARN if level == SHOULD else PASS
            result.message = exc.message if level == SHOULD else f"note: {exc.message}"
            result.evidence = exc.evidence
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken exchange is the check's outcome, not a crash
            result.verdict = failed
            result.message = f"the exchange failed: {type(exc).__name__}: {exc}"
            result.evidence = {"exception": "".join(traceback.format_exception_only(type(exc), exc)).strip()}
    observations(ctx).append((chk.id, seen))
    if seen.deviations:  # what a model set rejects though the verdict let it pass (models.deviations)
        result.evidence = {**result.evidence, "schema_deviations": [str(d) for d in seen.deviations]}
    # What the check noted on its way (a schema problem another check judges) joins its evidence.
    notes = ctx.take_notes() if hasattr(ctx, "take_notes") else {}
    result.evidence = {**notes, **result.evidence}
    result.duration_s = time.monotonic() - started
    return result
