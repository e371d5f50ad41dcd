"""Isolation headers of hosted agents: a response belongs to the user isolation key it was made under.

Only judged when the run is told the server supports them (``--isolation-headers``): the header is
an extension of hosted-agent platforms, not part of the OpenAI API or of Open Responses.
"""

from __future__ import annotations

import secrets

from responsekit.conformance.context import Context
from responsekit.conformance.registry import SHOULD, Failed, Skipped, check

ISOLATION_HEADER = "x-agent-user-isolation-key"


@check(
    "isolation.responses",
    "A response made under one isolation key is 404 under another key and without one",
    level=SHOULD,
    fact="On a hosted-agent server the x-agent-user-isolation-key header scopes every stored object: "
    "a response is visible only under the key it was created with; other callers get 404 (never "
    "its content), cannot delete it, and cannot continue from it. SHOULD: the header is a "
    "hosted-agent extension, absent from the OpenAI API and Open Responses.",
)
def responses(ctx: Context) -> str:
    if not ctx.config.isolation_headers:
        raise Skipped("the server was not declared to support isolation headers (pass --isolation-headers)")
    owner = {ISOLATION_HEADER: "conformance-owner-" + secrets.token_hex(8)}
    other = {ISOLATION_HEADER: "conformance-other-" + secrets.token_hex(8)}
    with ctx.precondition("create.default"):
        created = ctx.http.request("POST", "/responses", json_body=ctx.body(), headers=owner)
        rid = ctx.read_response(
            created, "POST /responses under an isolation key", judged_by="create.default"
        )["id"]
    strangers = {"under another isolation key": other}
    if not any(name.lower() == ISOLATION_HEADER for name in ctx.config.headers):
        strangers["without an isolation key"] = {}
    for who, headers in strangers.items():
        for method, path, params in (
            ("GET", f"/responses/{rid}", None),
            ("GET", f"/responses/{rid}/input_items", None),
            ("GET", f"/responses/{rid}", {"stream": "true"}),
        ):
            what = f"{method} {path}{'?stream=true' if params else ''} {who}"
            if params:  # read as a stream: a server that wrongly answers one must not hang the check
                reply = ctx.http.stream(method, path, params=params, headers=headers).as_reply()
            else:
                reply = ctx.http.request(method, path, headers=headers)
            ctx.expect_error(reply, what, (404,))
    reply = ctx.http.request(
        "POST", "/responses", json_body=ctx.body(previous_response_id=rid), headers=other
    )
    ctx.expect_error(reply, "POST /responses continuing another isolation key's response", (400, 404))
    reply = ctx.http.request("DELETE", f"/responses/{rid}", headers=other)
    ctx.expect_error(reply, f"DELETE /responses/{rid} under another isolation key", (404,))
    again = ctx.http.request("GET", f"/responses/{rid}", headers=owner)
    data = ctx.read_response(
        again, f"GET /responses/{rid} under its own isolation key", judged_by="retrieve.body"
    )
    if data.get("id") != rid:
        raise Failed(f"GET under the owner's key returned id {data.get('id')!r} for {rid!r}")
    return f"invisible to {len(strangers)} other caller(s) on every endpoint, intact for its owner"
