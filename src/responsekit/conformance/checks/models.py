"""Bodies against both model sets: what one of them rejects though the run's verdicts let it pass.

The checks judge each body by what the `openai` client accepts (``--client-validation``); a body
only the spec models reject, or (under ``default``) one the openai models reject but the lenient
client builds anyway, passes them. This check gathers those deviations from every check that ran
before it, so it runs last (``checks.MODULES``), and WARNs naming the fields.
"""

from __future__ import annotations

from responsekit.conformance.context import Context
from responsekit.conformance.registry import SHOULD, Failed, Skipped, check, observations
from responsekit.conformance.schemas import Deviation

SHOWN = 5  # deviations named in the message; the evidence lists them all


@check(
    "models.deviations",
    "Every body the run received validates against both model sets, the openai ones strictly",
    level=SHOULD,
    fact="The protocol description (responsekit's spec models, with the hosted-agent extensions) and the "
    "openai package's models describe the same bodies; a body a model set rejects that the run's "
    "--client-validation lets pass is a deviation, not a MUST failure.",
)
def deviations(ctx: Context) -> str:
    seen = [(check_id, obs) for check_id, obs in observations(ctx) if check_id != "models.deviations"]
    judged = sum(obs.judged for _, obs in seen)
    if not judged:
        raise Skipped("no check before this one validated a body (run it with the others)")
    # The same defect seen by several checks (a shared exchange, a field every body lacks) is one.
    found: dict[Deviation, list[str]] = {}
    for check_id, obs in seen:
        for dev in obs.deviations:
            found.setdefault(dev, []).append(check_id)
    if found:
        named = "; ".join(f"{dev} (seen by {', '.join(ids)})" for dev, ids in list(found.items())[:SHOWN])
        more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        raise Failed(
            f"{len(found)} deviation(s) in {judged} bodies judged: {named}{more}",
            deviations=[{**dev.as_dict(), "seen_by": ids} for dev, ids in found.items()],
        )
    return f"no body rejected by either model set ({judged} judged)"
