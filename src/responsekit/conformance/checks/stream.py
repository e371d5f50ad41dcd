"""The ordering rules, one check per rule, judged on the shared streams (see ordering.py)."""

from __future__ import annotations

from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, check


def _judge(ctx: Context, rule: str) -> None:
    for what, cap in ctx.shared_streams():
        ctx.judge_events(cap.events, {rule}, what)


@check(
    "stream.sequence",
    "sequence_number runs 0, 1, ..., n-1 without gaps or repeats",
    level=MUST,
    fact="sequence_number is 0-based and contiguous per response.",
)
def sequence(ctx: Context) -> None:
    _judge(ctx, "sequence")


@check(
    "stream.lifecycle",
    "response.created comes first; response.in_progress precedes every item event",
    level=MUST,
    fact="A response moves created -> (queued) -> in_progress -> terminal; items stream while "
    "it is in progress.",
)
def lifecycle(ctx: Context) -> None:
    _judge(ctx, "lifecycle")


@check(
    "stream.bracketing",
    "Item, content-part and summary-part events sit between their added and done events",
    level=MUST,
    fact="output_item.added opens an item and output_item.done closes it; content_part.added/done "
    "and reasoning_summary_part.added/done bracket the deltas of a part; indexes are assigned "
    "in order.",
)
def bracketing(ctx: Context) -> None:
    _judge(ctx, "bracketing")


@check(
    "stream.deltas",
    "Deltas concatenate to their *.done value, which the closed part and item repeat",
    level=MUST,
    fact="A *.done event carries the full value its deltas built up; the part and item done events "
    "carry the same value.",
)
def deltas(ctx: Context) -> None:
    _judge(ctx, "deltas")


@check(
    "stream.terminal",
    "Exactly one terminal event, last, with a status matching its type",
    level=MUST,
    fact="Every response ends with exactly one of response.completed / .failed / .incomplete, and "
    "nothing follows it.",
)
def terminal(ctx: Context) -> None:
    _judge(ctx, "terminal")


@check(
    "stream.output",
    "The terminal response.output equals the finished items, in order",
    level=MUST,
    fact="The final Response's output lists the items exactly as their output_item.done events "
    "delivered them.",
)
def output(ctx: Context) -> None:
    _judge(ctx, "output")


@check(
    "stream.ids",
    "The response id and every item id stay the same from first mention to the terminal event",
    level=MUST,
    fact="Ids identify one response and one item across all of its events.",
)
def ids(ctx: Context) -> None:
    _judge(ctx, "ids")
