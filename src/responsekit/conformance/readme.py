"""The README's table of checks, generated from the check definitions so it never drifts."""

from __future__ import annotations

from pathlib import Path

__all__ = ["START", "END", "table", "section_of", "replace_section"]

START = "<!-- conformance-checks:start -->"
END = "<!-- conformance-checks:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    """The markdown table of every check: id, level per profile, what it verifies, what it rests on.

    The levels and the source come from the check's rule (``rules.RULES``); "-" marks a profile the
    rule does not apply under.
    """
    from responsekit.conformance.checks import all_checks
    from responsekit.conformance.rules import PROFILES, SOURCE_NAMES

    lines = [
        "| Check | " + " | ".join(f"`{p}`" for p in PROFILES) + " | Verifies | Rests on |",
        "|---|" + "---|" * len(PROFILES) + "---|---|",
    ]
    for chk in all_checks():
        levels = " | ".join(chk.level_under(p) or "-" for p in PROFILES)
        rests_on = chk.fact
        if chk.rule is not None:
            rests_on += f" ({SOURCE_NAMES[chk.rule.source]}: {chk.rule.section})"
        lines.append(f"| `{chk.id}` | {levels} | {_cell(chk.title)} | {_cell(rests_on)} |")
    return "\n".join(lines) + "\n"


def section_of(text: str) -> str | None:
    """What sits between the markers of ``text`` (None when the markers are absent)."""
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def replace_section(path: str | Path) -> bool:
    """Rewrite the table between the markers of ``path``; False when the markers are absent."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if section_of(text) is None:
        return False
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{START}\n{table()}{END}{tail}", encoding="utf-8")
    return True
