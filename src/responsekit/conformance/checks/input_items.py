"""GET /responses/{id}/input_items: the list shape, order, limits and cursors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from responsekit.conformance import schemas
from responsekit.conformance.context import Context
from responsekit.conformance.registry import MUST, SHOULD, Failed, check

WORDS = ("one", "two", "three", "four", "five")


def _stored_id(ctx: Context) -> str:
    """A stored response whose input is five messages (so limit=2 makes three pages)."""
    items = [{"type": "message", "role": "user", "content": word} for word in WORDS]
    reply = ctx.memo("items_response", lambda: ctx.create(ctx.body(items)))
    return ctx.read_response(reply, "POST /responses with five input messages", judged_by="create.default")[
        "id"
    ]


def _response_id(ctx: Context) -> str:
    """The same, for the checks after input_items.shape (which fails when it cannot be made)."""
    with ctx.precondition("input_items.shape"):
        return _stored_id(ctx)


def _page(ctx: Context, rid: str, **params: Any) -> dict[str, Any]:
    path = f"/responses/{rid}/input_items"
    reply = ctx.http.request("GET", path, params=params or None)
    what = f"GET {path}" + (f" {params}" if params else "")
    if reply.status != 200 or not isinstance(reply.json, dict):
        raise Failed(f"{what} answered {reply.status}, expected 200 with a list", **reply.summary())
    return reply.json


def _ids(page: dict[str, Any]) -> list[Any]:
    return [item.get("id") for item in page.get("data", []) if isinstance(item, dict)]


def _consistent(page: dict[str, Any], what: str) -> None:
    ids = _ids(page)
    if not isinstance(page.get("has_more"), bool):
        raise Failed(f"{what}: has_more is {page.get('has_more')!r}, expected a boolean")
    want = (ids[0] if ids else None, ids[-1] if ids else None)
    if (page.get("first_id"), page.get("last_id")) != want:
        raise Failed(
            f"{what}: first_id/last_id are {page.get('first_id')!r}/{page.get('last_id')!r}, "
            f"expected {want[0]!r}/{want[1]!r} (the ids of the first and last items)",
            ids=ids,
        )


def _all_asc(ctx: Context, rid: str) -> list[Any]:
    return _ids(_page(ctx, rid, order="asc", limit=100))


@check(
    "input_items.shape",
    "input_items lists every input item, with ids, as a valid list object",
    level=MUST,
    fact="The list is {object: list, data, first_id, last_id, has_more}; each input item appears "
    "once, with an id.",
)
def shape(ctx: Context) -> None:
    rid = _stored_id(ctx)
    page = _page(ctx, rid)
    problem = schemas.item_list_errors(page)
    if problem:
        raise Failed(f"the list does not validate: {problem}", body=page)
    _consistent(page, "GET input_items")
    ids = _ids(page)
    if len(ids) != len(WORDS) or None in ids or len(set(ids)) != len(ids):
        raise Failed(f"expected {len(WORDS)} items with distinct ids, saw ids {ids}", ids=ids)
    if page["has_more"]:
        raise Failed("has_more is true though all items fit the default limit of 20")


@check(
    "input_items.order",
    "The default order is `desc`; `asc` lists items in the order they were sent",
    level=MUST,
    fact="order defaults to desc (newest first); asc is input order.",
)
def order(ctx: Context) -> None:
    rid = _response_id(ctx)
    default = _ids(_page(ctx, rid))
    asc_page = _page(ctx, rid, order="asc")
    asc = _ids(asc_page)
    texts = [_text(item) for item in asc_page.get("data", [])]
    if texts != list(WORDS):
        raise Failed(f"order=asc lists the messages as {texts}, expected {list(WORDS)}")
    if default != asc[::-1]:
        raise Failed("the default order is not the reverse of order=asc", default=default, asc=asc)
    desc = _ids(_page(ctx, rid, order="desc"))
    if desc != default:
        raise Failed("order=desc differs from the default order", default=default, desc=desc)


def _text(item: Any) -> Any:
    content = item.get("content") if isinstance(item, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("text")
    return None


@check(
    "input_items.limit_bounds",
    "limit must be 1..100: 0 and 101 are 400, 1 returns one item and has_more",
    level=MUST,
    fact="limit ranges from 1 to 100 (default 20); out-of-range values are rejected.",
)
def limit_bounds(ctx: Context) -> None:
    rid = _response_id(ctx)
    path = f"/responses/{rid}/input_items"
    for bad in (0, 101):
        ctx.expect_error(
            ctx.http.request("GET", path, params={"limit": bad}), f"GET {path}?limit={bad}", (400,)
        )
    one = _page(ctx, rid, limit=1)
    _consistent(one, "limit=1")
    if len(_ids(one)) != 1 or one["has_more"] is not True:
        raise Failed(
            f"limit=1 returned {len(_ids(one))} item(s) with has_more={one.get('has_more')!r}, "
            "expected 1 item and has_more true"
        )
    if len(_ids(_page(ctx, rid, limit=100))) != len(WORDS):
        raise Failed("limit=100 did not return every item")


@check(
    "input_items.after",
    "`after` pages through the list; has_more and first/last ids agree on every page",
    level=MUST,
    fact="after=<id> starts the page after that item; has_more says whether items remain.",
)
def after(ctx: Context) -> None:
    rid = _response_id(ctx)
    walk_after(lambda **params: _page(ctx, rid, **params), _all_asc(ctx, rid))


def walk_after(fetch: Callable[..., dict[str, Any]], everything: list[Any], limit_note: str = "") -> None:
    """Page with ``order=asc, limit=2, after=<last_id>`` through a list whose ids (ascending) are
    ``everything``: every page consistent, ``has_more`` right on each, every item visited once."""
    walked: list[Any] = []
    cursor = None
    for page_no in range(len(WORDS) + 1):  # bounded: never more pages than items (WORDS)
        params: dict[str, Any] = {"order": "asc", "limit": 2}
        if cursor:
            params["after"] = cursor
        page = fetch(**params)
        _consistent(page, f"page {page_no}")
        ids = _ids(page)
        walked += ids
        expect_more = len(walked) < len(everything)
        if page["has_more"] != expect_more:
            raise Failed(
                f"page {page_no} ({limit_note}after={cursor}) has has_more={page['has_more']}, "
                f"expected {expect_more}",
                walked=walked,
                all=everything,
            )
        if not page["has_more"] or not ids:
            break
        cursor = page["last_id"]
    if walked != everything:
        raise Failed(
            "walking with `after` did not visit every item once, in order", walked=walked, all=everything
        )


@check(
    "input_items.before",
    "`before` lists the items preceding a cursor",
    level=SHOULD,
    fact="before=<id> ends the page at the item before that one (in the requested order).",
)
def before(ctx: Context) -> None:
    rid = _response_id(ctx)
    everything = _all_asc(ctx, rid)
    page = _page(ctx, rid, order="asc", before=everything[3])
    if _ids(page) != everything[:3]:
        raise Failed(f"before={everything[3]} (order=asc) listed {_ids(page)}, expected {everything[:3]}")
    _consistent(page, "before page")


@check(
    "input_items.paginator",
    "The openai client's paginator walks every page",
    level=MUST,
    fact="Cursor pagination works with the reference client: each page's last id is the next "
    "page's `after`, until has_more is false.",
)
def paginator(ctx: Context) -> None:
    rid = _response_id(ctx)
    everything = _all_asc(ctx, rid)
    try:
        pages = ctx.openai().responses.input_items.list(rid, limit=2, order="asc")
        seen = []
        for item in pages:  # auto-pagination; bounded by the check below
            seen.append(item.id)
            if len(seen) > len(everything) * 2:
                break
    except Exception as exc:  # noqa: BLE001 - any rejection by the oracle is the finding
        raise Failed(f"the openai paginator failed: {type(exc).__name__}: {exc}") from None
    if seen != everything:
        raise Failed(
            "the openai paginator did not yield every item once, in order", seen=seen, expected=everything
        )
