"""Usage completion: fill the counters a terminal event's usage object may leave out."""

from __future__ import annotations

from typing import Any


def _complete_usage(usage: Any) -> Any:
    """Fill the detail counters a usage object may leave out (upstreams often do) with zeros."""
    if not isinstance(usage, dict):
        return usage
    usage = dict(usage)
    usage["input_tokens_details"] = {
        "cached_tokens": 0,
        "cache_write_tokens": 0,
        **(usage.get("input_tokens_details") or {}),
    }
    usage["output_tokens_details"] = {"reasoning_tokens": 0, **(usage.get("output_tokens_details") or {})}
    if (
        "total_tokens" not in usage
        and isinstance(usage.get("input_tokens"), int)
        and isinstance(usage.get("output_tokens"), int)
    ):
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    return usage
