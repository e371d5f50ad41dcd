"""Query strings of the read endpoints, parsed strictly (a bad value is a 400 naming it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from responsekit.models._generated_constants import INCLUDE_VALUES  # generated from the spec
from responsekit.server.errors import bad_request


def _bool(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    value = raw.lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0", ""):
        return False
    raise bad_request(
        f"Invalid value for '{name}': expected true or false, got {raw!r}.", param=name, code="invalid_value"
    )


#: Cursors past this are all "after the end" (no log holds 2**63 events); clamping keeps every store's
#: arithmetic on them in 64 bits.
CURSOR_MAX = 2**63 - 1


def _int(raw: str, name: str, minimum: int, maximum: int | None = None) -> int:
    """A decimal integer in plain ASCII digits (int() would also take " 5", "+5", "5_0" and "١٢")."""
    negative = raw.startswith("-")
    digits = raw[1:] if negative else raw
    if not (digits.isascii() and digits.isdigit()):
        raise bad_request(
            f"Invalid value for '{name}': expected an integer, got {raw[:40]!r}.",
            param=name,
            code="invalid_value",
        )
    digits = digits.lstrip("0") or "0"
    # Beyond 19 digits only the sign matters (and int() refuses over 4,300 digits).
    value = min(int(digits), CURSOR_MAX) if len(digits) <= 19 else CURSOR_MAX
    value = -value if negative else value
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise bad_request(
            f"Invalid value for '{name}': must be {bound}, got {raw[:40]}.", param=name, code="invalid_value"
        )
    return value


def check_include(request: Request) -> list[str]:
    """``include`` may come as ``include=a&include=b`` or ``include[]=a``; both mean the same."""
    values = request.query_params.getlist("include") + request.query_params.getlist("include[]")
    for value in values:
        if value not in INCLUDE_VALUES:
            raise bad_request(
                f"Invalid value for 'include': {value!r} is not one of {sorted(INCLUDE_VALUES)}.",
                param="include",
                code="invalid_value",
            )
    return values


def parse_retrieve_query(request: Request) -> tuple[bool, int]:
    """(stream, starting_after): the cursor comes from ``starting_after`` or ``Last-Event-ID``."""
    check_include(request)
    stream = _bool(request, "stream")
    raw = request.query_params.get("starting_after")
    header = request.headers.get("last-event-id")
    after = -1
    if raw is not None:
        after = _int(raw, "starting_after", -1)
    elif header:
        after = _int(header, "Last-Event-ID", -1)
    return stream, after


@dataclass(frozen=True)
class ItemsQuery:
    limit: int = 20
    order: str = "desc"
    after: str | None = None
    before: str | None = None


def parse_input_items_query(request: Request) -> ItemsQuery:
    check_include(request)
    params = request.query_params
    limit = _int(params["limit"], "limit", 1, 100) if "limit" in params else 20
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise bad_request(
            f"Invalid value for 'order': expected 'asc' or 'desc', got {order!r}.",
            param="order",
            code="invalid_value",
        )
    return ItemsQuery(limit, order, params.get("after") or None, params.get("before") or None)


def page_items(items: list[dict[str, Any]], query: ItemsQuery) -> dict[str, Any]:
    """One page of a list in the protocol's cursor style (``after``/``before`` are item ids)."""
    # Ids are unique per request (validation refuses repeats), but a cursor must never be
    # ambiguous, whatever a store holds: an id seen before (or not a string) is listed once only.
    seen: set[str] = set()
    unique = []
    for item in items:
        item_id = item.get("id")
        if isinstance(item_id, str) and item_id not in seen:
            seen.add(item_id)
            unique.append(item)
    ordered = unique if query.order == "asc" else unique[::-1]
    ids = [item["id"] for item in ordered]
    start, stop = 0, len(ordered)
    for name, cursor in (("after", query.after), ("before", query.before)):
        if cursor is not None and cursor not in ids:
            raise bad_request(
                f"Invalid value for '{name}': no input item has id {cursor[:80]!r}.",
                param=name,
                code="invalid_value",
            )
    if query.after is not None:
        start = ids.index(query.after) + 1
    if query.before is not None:
        stop = ids.index(query.before)
    if query.before is not None and query.after is None:
        # Paging backwards: the `limit` items closest to the cursor, still in the requested order.
        first = max(start, stop - query.limit)
        data = ordered[first:stop]
        has_more = first > start
    else:
        data = ordered[start : min(stop, start + query.limit)]
        has_more = start + query.limit < stop
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }
