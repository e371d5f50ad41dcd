"""Bad input of every kind, on a real server: never a 5xx, and every 4xx is the four-key envelope.

One table of requests (bodies, paths, queries, headers) runs against one uvicorn server per store,
reused across the cases. Each request goes over its own loopback connection with ``http.client``,
which sends the request target, duplicate headers and body bytes exactly as written. Where the
answer is known, the case also names the status (and the envelope's ``param``).

Also here: a client that hangs up in the middle of its body (not an error: no ERROR log), and a
trailing slash under a hostile ``Host`` header (a 404, never a redirect).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from http_helpers import ENVELOPE_KEYS
from support.hosts import WAIT, echo_handler, host_with
from support.polling import poll
from support.servers import ThreadServer, serve_in_thread

LIMIT = 16 * 1024  # max_request_body_bytes of the server under test
MISSING_ID = "resp_" + "0" * 48
HUGE = "9" * 5000  # past Python's 4,300-digit int-string limit
WIDE = "9" * 30  # past 64 bits
RID = "{rid}"  # replaced by the id of a stored, completed response with three input items


@dataclass
class Case:
    id: str
    method: str = "POST"
    target: str = "/responses"
    body: bytes | None = None
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", "application/json")])
    status: int | None = None  # None: any status below 500
    param: Any = ...  # ...: not checked


def body(
    case_id: str, raw: bytes | str | dict, status: int | None = 400, param: Any = ..., **kw: Any
) -> Case:
    if isinstance(raw, dict):
        raw = json.dumps({"model": "m", **raw})
    if isinstance(raw, str):
        raw = raw.encode()
    return Case(f"body-{case_id}", body=raw, status=status, param=param, **kw)


# -- bodies ------------------------------------------------------------------------------------------------
MALFORMED = [
    body("truncated", b"{"),
    body("empty", b""),
    body("missing-value", b'{"model": }'),
    body("single-quotes", b"{'model': 'm'}"),
    body("trailing-comma", b'{"model": "m",}'),
    body("trailing-garbage", b'{"model": "m"} x'),
    body("two-objects", b"{}{}"),
    body("nan", b'{"model": "m", "temperature": NaN}', param=None),
    body("infinity", b'{"model": "m", "temperature": Infinity}', param=None),
    body("minus-infinity", b'{"model": "m", "zz": -Infinity}', param=None),
    body("nan-unknown", b'{"model": "m", "zz": NaN}', param=None),
    body("not-utf8", b"\xff\xfe{}"),
    body("utf16", '{"model": "m"}'.encode("utf-16")),
    body("latin1-string", b'{"model": "m", "input": "caf\xe9"}'),
    body("lone-surrogate", b'{"model": "m", "input": "\\ud800"}', param=None),
    body("lone-surrogate-unknown", b'{"model": "m", "zz": "\\udfff x"}', param=None),
    body("raw-control-char", b'{"model": "m", "input": "a\x01b"}'),
    body("bad-escape", b'{"model": "m", "input": "\\q"}'),
    body("bom", b'\xef\xbb\xbf{"model": "m", "input": "hi"}', status=200),
    body("comment", b'{"model": "m" /* x */}'),
    body("nul-byte", b'{"model": "m"}\x00'),
]
NON_OBJECT = [
    body("array", b"[]", param=None),
    body("string", b'"text"', param=None),
    body("number", b"42", param=None),
    body("null", b"null", param=None),
    body("true", b"true", param=None),
    body("whitespace", b"   \n\t", param=None),
]
# Wrong JSON types at many fields (validation is strict).
WRONG_TYPES = [
    body(f"{name}-{label}", {name: value}, param=name)
    for name, values in {
        "model": [5, [], {}],
        "input": [5, True, {}],
        "instructions": [5, ["a"]],
        "stream": ["yes", 1],
        "background": ["true", 0],
        "store": ["no", []],
        "temperature": ["1", [], True],
        "top_p": ["0.5", {}],
        "max_output_tokens": ["100", 1.5, []],
        "top_logprobs": ["5", 2.5],
        "max_tool_calls": ["3", -1.5],
        "metadata": [[], "x", 5],
        "tools": [{}, "x", 5],
        "tool_choice": [5, []],
        "text": [5, "x", []],
        "reasoning": [5, []],
        "include": ["x", 5],
        "previous_response_id": [5, []],
        "truncation": [5, "sometimes"],
        "parallel_tool_calls": ["true", 1],
        "service_tier": [5, "gold"],
        "user": [5, []],
        "prompt": [5, "x"],
    }.items()
    for label, value in zip(["a", "b", "c"], values, strict=False)
] + [
    body("metadata-value", {"metadata": {"k": 1}}, param="metadata.k"),
    body("conversation-id", {"conversation": {"id": 3}}, param="conversation.id"),
    body("tools-0", {"tools": [5]}, param="tools[0]"),
    body("tool-name", {"tools": [{"type": "function", "name": 5}]}, param="tools[0].name"),
    body("text-format", {"text": {"format": {"type": 5}}}, param="text.format.type"),
    body("reasoning-effort", {"reasoning": {"effort": []}}, param="reasoning.effort"),
]


def _item(**fields: Any) -> dict:
    return {"input": [{"role": "user", "content": "x", **fields}]}


def _part(part: Any) -> dict:
    return {"input": [{"role": "user", "content": [{"type": "input_text", "text": "a"}, part]}]}


ITEMS = [
    *(
        body(
            f"item-type-{label}",
            {"input": [{"type": value, "role": "user", "content": "x"}]},
            param="input[0].type",
        )
        for label, value in [
            ("array", []),
            ("object", {}),
            ("number", 5),
            ("bool", True),
            ("unknown", "bogus"),
        ]
    ),
    body("item-type-empty", {"input": [{"type": ""}]}, param="input[0].type"),
    body("item-type-array-2nd", {"input": ["x", {"type": ["message"]}]}),
    *(
        body(f"part-type-{label}", _part({"type": value, "text": "b"}), param="input[0].content[1].type")
        for label, value in [
            ("array", []),
            ("object", {}),
            ("number", 5),
            ("null", None),
            ("unknown", "bogus"),
        ]
    ),
    body("part-not-object", _part(5)),
    body("item-not-object", {"input": [5]}),
    body("items-nested-array", {"input": [[{"role": "user", "content": "x"}]]}),
    *(
        body(f"item-id-{label}", _item(id=value), param="input[0].id")
        for label, value in [("number", 5), ("array", []), ("object", {"a": 1}), ("bool", False)]
    ),
    body(
        "item-id-duplicate",
        {
            "input": [
                {"role": "user", "content": "a", "id": "msg_1"},
                {"role": "user", "content": "b", "id": "msg_1"},
            ]
        },
        param="input[1].id",
    ),
    body(
        "item-id-duplicate-kinds",
        {
            "input": [
                {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}", "id": "fc_1"},
                {"role": "user", "content": "b", "id": "fc_1"},
            ]
        },
        param="input[1].id",
    ),
    body("item-id-unique", {"input": [{"role": "user", "content": "a", "id": "msg_1"}]}, status=200),
    body("item-empty-object", {"input": [{}]}, param="input[0].type"),
    body("text-format-untyped", {"text": {"format": {"strict": True}}}, param="text.format.type"),
    body("tool-choice-untyped", {"tool_choice": {"name": "f"}}, param="tool_choice.type"),
    body("item-role-wizard", {"input": [{"role": "wizard", "content": "x"}]}, param="input[0].role"),
    body("item-missing-fields", {"input": [{"type": "function_call"}]}),
]
NUMBERS = [
    body(
        "huge-max-output-tokens", f'{{"model": "m", "max_output_tokens": {HUGE}}}', param="max_output_tokens"
    ),
    body("huge-negative", f'{{"model": "m", "max_output_tokens": -{HUGE}}}', param="max_output_tokens"),
    body("huge-temperature", f'{{"model": "m", "temperature": {HUGE}}}', param="temperature"),
    body("huge-top-logprobs", f'{{"model": "m", "top_logprobs": {HUGE}}}', param="top_logprobs"),
    body("huge-in-metadata", f'{{"model": "m", "metadata": {{"k": {HUGE}}}}}', param="metadata.k"),
    body(
        "huge-in-item",
        f'{{"model": "m", "input": [{{"type": "message", "role": "user", "content": {HUGE}}}]}}',
    ),
    body("huge-unknown-field", f'{{"model": "m", "input": "hi", "zz": {HUGE}}}', status=200),
    body("huge-unknown-nested", f'{{"model": "m", "input": "hi", "zz": {{"a": [1, {HUGE}]}}}}', status=200),
    body(
        "wide-max-output-tokens", f'{{"model": "m", "max_output_tokens": {WIDE}}}', param="max_output_tokens"
    ),
    body("wide-max-tool-calls", f'{{"model": "m", "max_tool_calls": {WIDE}}}', param="max_tool_calls"),
    body("wide-temperature", f'{{"model": "m", "temperature": {WIDE}}}', param="temperature"),
    body("wide-top-logprobs", f'{{"model": "m", "top_logprobs": {WIDE}}}', param="top_logprobs"),
    body("wide-unknown-field", f'{{"model": "m", "input": "hi", "zz": {WIDE}}}', status=200),
    body("inf-temperature", '{"model": "m", "temperature": 1e999}', param="temperature"),
    body("inf-top-p", '{"model": "m", "top_p": -1e999}', param="top_p"),
    body("inf-max-output-tokens", '{"model": "m", "max_output_tokens": 1e999}', param="max_output_tokens"),
    body("inf-unknown-field", '{"model": "m", "input": "hi", "zz": 1e999}', status=200),
    body("tiny-temperature", '{"model": "m", "input": "hi", "temperature": 1e-999}', status=200),
    body(
        "whole-float-max-output-tokens", '{"model": "m", "input": "hi", "max_output_tokens": 1e2}', status=200
    ),
    body("whole-float-top-logprobs", '{"model": "m", "input": "hi", "top_logprobs": 20.0}', status=200),
    body(
        "fraction-max-output-tokens", '{"model": "m", "max_output_tokens": 100.5}', param="max_output_tokens"
    ),
    body("whole-float-too-big", '{"model": "m", "max_output_tokens": 1e300}', param="max_output_tokens"),
    body("negative-max-output-tokens", {"max_output_tokens": -1}, param="max_output_tokens"),
    body("long-float", '{"model": "m", "input": "hi", "temperature": 0.' + "5" * 5000 + "}", status=200),
]
DEEP = [
    body("deep-array", b"[" * 10_000, param=None),
    body("deep-object", b'{"a":' * 3000, param=None),
    body("deep-metadata", b'{"metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}", param=None),
    body("deep-unknown-150", b'{"model": "m", "zz": ' + b"[" * 150 + b"]" * 150 + b"}", param=None),
    body(
        "deep-unknown-300", b'{"model": "m", "zz": ' + b'{"a":' * 300 + b"1" + b"}" * 300 + b"}", param=None
    ),
    body("nested-90-ok", b'{"model": "m", "input": "hi", "zz": ' + b"[" * 90 + b"]" * 90 + b"}", status=200),
]
CONTENT_TYPES = [
    body("form", b"model=x&input=y", headers=[("Content-Type", "application/x-www-form-urlencoded")]),
    body(
        "multipart", b"--b\r\n\r\nx\r\n--b--", headers=[("Content-Type", "multipart/form-data; boundary=b")]
    ),
    body(
        "text-plain-json",
        b'{"model": "m", "input": "hi"}',
        status=None,
        headers=[("Content-Type", "text/plain")],
    ),
    body("no-content-type", b'{"model": "m", "input": "hi"}', status=None, headers=[]),
    body("xml", b"<model>m</model>", headers=[("Content-Type", "application/xml")]),
    body(
        "charset-latin1",
        b'{"model": "m", "input": "hi"}',
        status=None,
        headers=[("Content-Type", "application/json; charset=latin-1")],
    ),
    body(
        "content-type-twice",
        b'{"model": "m", "input": "hi"}',
        status=None,
        headers=[("Content-Type", "application/json"), ("Content-Type", "text/plain")],
    ),
]
RUNTIME_RULES = [
    body("background-unstored", {"background": True, "store": False}, param="background"),
    body("previous-and-conversation", {"previous_response_id": MISSING_ID, "conversation": "c"}),
    body("previous-unknown", {"previous_response_id": MISSING_ID}, param="previous_response_id"),
    body("previous-malformed", {"previous_response_id": "../../etc"}, param="previous_response_id"),
    body("stream-still-json", {"stream": True, "temperature": 9}, param="temperature"),
]
SIZE = [
    Case(
        "body-over-limit-declared",
        body=None,
        headers=[("Content-Type", "application/json"), ("Content-Length", str(10 * 1024 * 1024))],
        status=413,
    ),
    body("over-limit-actual", json.dumps({"model": "m", "input": "x" * LIMIT}), status=413),
]

# -- paths -------------------------------------------------------------------------------------------------
BAD_IDS = {
    "unknown": MISSING_ID,
    "no-prefix": "nope",
    "short": "resp_short",
    "long": "resp_" + "x" * 5000,
    "nul": "resp_%00",
    "bad-percent": "resp_%ZZ",
    "encoded-slash": "resp_%2F..%2F",
    "dot-dot": "..",
    "unicode": quote("resp_é\u202e"),
    "bad-utf8": "resp_%C0%AE%FF",
    "space": "resp_%20",
    "other-prefix": "msg_" + "0" * 48,
}
PATHS = [
    Case(
        f"path-{method.lower()}{suffix.replace('/', '-')}-{label}",
        method,
        f"/responses/{rid}{suffix}",
        status=404,
    )
    for label, rid in BAD_IDS.items()
    for method, suffix in [("GET", ""), ("DELETE", ""), ("POST", "/cancel"), ("GET", "/input_items")]
] + [
    Case("path-trailing-slash-create", "POST", "/responses/", body=b'{"model": "m"}', status=404),
    Case("path-trailing-slash-get", "GET", f"/responses/{RID}/", status=404),
    Case("path-trailing-slash-cancel", "POST", f"/responses/{RID}/cancel/", status=404),
    Case("path-trailing-slash-items", "GET", f"/responses/{RID}/input_items/", status=404),
    Case("path-double-slash", "GET", f"//responses/{RID}", status=404),
    Case("path-unknown-route", "GET", "/nothing/%FF%00", status=404),
    Case("path-unknown-suffix", "GET", f"/responses/{RID}/unknown", status=404),
    Case("path-put", "PUT", "/responses", status=405),
    Case("path-patch-id", "PATCH", f"/responses/{RID}", status=405),
    Case("path-options", "OPTIONS", "/responses", status=405),
    Case("path-get-cancel", "GET", f"/responses/{RID}/cancel", status=405),
]


# -- queries -----------------------------------------------------------------------------------------------
def _q(value: str) -> str:
    return quote(value, safe="")


BAD_INTEGERS = {
    "word": "ten",
    "leading-space": _q(" 5"),
    "trailing-space": _q("5 "),
    "plus": _q("+5"),
    "underscore": "5_0",
    "arabic-digits": _q("١٢"),
    "fullwidth-digits": _q("１２"),
    "float": "1.5",
    "exponent": "1e3",
    "hex": "0x10",
    "nul": "%00",
    "double-minus": "--1",
}
QUERIES = [
    *(
        Case(
            f"query-starting-after-{label}",
            "GET",
            f"/responses/{RID}?stream=true&starting_after={v}",
            status=400,
            param="starting_after",
        )
        for label, v in BAD_INTEGERS.items()
    ),
    *(
        Case(
            f"query-limit-{label}",
            "GET",
            f"/responses/{RID}/input_items?limit={v}",
            status=400,
            param="limit",
        )
        for label, v in {
            **BAD_INTEGERS,
            "zero": "0",
            "101": "101",
            "negative": "-1",
            "wide": WIDE,
            "huge": HUGE,
            "empty": "",
        }.items()
    ),
    Case(
        "query-starting-after-negative",
        "GET",
        f"/responses/{RID}?stream=true&starting_after=-5",
        status=400,
        param="starting_after",
    ),
    Case(
        "query-starting-after-empty",
        "GET",
        f"/responses/{RID}?stream=true&starting_after=",
        status=400,
        param="starting_after",
    ),
    Case(
        "query-starting-after-wide", "GET", f"/responses/{RID}?stream=true&starting_after={WIDE}", status=200
    ),
    Case(
        "query-starting-after-huge", "GET", f"/responses/{RID}?stream=true&starting_after={HUGE}", status=200
    ),
    Case(
        "query-starting-after-past-end",
        "GET",
        f"/responses/{RID}?stream=true&starting_after=1000",
        status=200,
    ),
    Case(
        "query-starting-after-leading-zeros",
        "GET",
        f"/responses/{RID}?stream=true&starting_after=0002",
        status=200,
    ),
    Case("query-stream-maybe", "GET", f"/responses/{RID}?stream=maybe", status=400, param="stream"),
    Case("query-stream-twice", "GET", f"/responses/{RID}?stream=true&stream=maybe", status=None),
    Case("query-include-bogus", "GET", f"/responses/{RID}?include=bogus", status=400, param="include"),
    Case("query-include-brackets", "GET", f"/responses/{RID}?include[]=%00", status=400, param="include"),
    Case("query-include-obfuscation-junk", "GET", f"/responses/{RID}?include_obfuscation=%FF", status=None),
    Case("query-garbage", "GET", f"/responses/{RID}?%ZZ=%ZZ&&=&a", status=200),
    Case(
        "query-order-sideways",
        "GET",
        f"/responses/{RID}/input_items?order=sideways",
        status=400,
        param="order",
    ),
    Case("query-order-empty", "GET", f"/responses/{RID}/input_items?order=", status=400, param="order"),
    Case("query-order-upper", "GET", f"/responses/{RID}/input_items?order=ASC", status=400, param="order"),
    Case(
        "query-after-unknown",
        "GET",
        f"/responses/{RID}/input_items?after=msg_nope",
        status=400,
        param="after",
    ),
    Case(
        "query-before-unknown",
        "GET",
        f"/responses/{RID}/input_items?before=msg_nope",
        status=400,
        param="before",
    ),
    Case(
        "query-after-long",
        "GET",
        f"/responses/{RID}/input_items?after={'x' * 5000}",
        status=400,
        param="after",
    ),
    Case("query-after-nul", "GET", f"/responses/{RID}/input_items?after=%00", status=400, param="after"),
    Case(
        "query-before-unicode",
        "GET",
        f"/responses/{RID}/input_items?before={_q('١٢')}",
        status=400,
        param="before",
    ),
    Case("query-after-empty", "GET", f"/responses/{RID}/input_items?after=", status=200),
    Case(
        "query-items-include-bogus",
        "GET",
        f"/responses/{RID}/input_items?include=bogus",
        status=400,
        param="include",
    ),
    Case(
        "query-create-junk",
        "POST",
        "/responses?stream=%FF&x=%00",
        body=b'{"model": "m", "input": "hi"}',
        status=200,
    ),
]


# -- headers -----------------------------------------------------------------------------------------------
def _replay(*headers: tuple[str, str], status: int | None = None, param: Any = ..., label: str) -> Case:
    return Case(
        f"header-{label}",
        "GET",
        f"/responses/{RID}?stream=true",
        headers=list(headers),
        status=status,
        param=param,
    )


HEADERS = [
    *(
        _replay(("Last-Event-ID", v), status=400, param="Last-Event-ID", label=f"last-event-id-{label}")
        for label, v in {
            "word": "x",
            "plus": "+1",
            "underscore": "1_0",
            "arabic-digits": "١٢",
            "float": "1.5",
            "negative": "-5",
        }.items()
    ),
    _replay(("Last-Event-ID", WIDE), status=200, label="last-event-id-wide"),
    _replay(("Last-Event-ID", "1"), ("Last-Event-ID", "x"), status=None, label="last-event-id-twice"),
    _replay(("Last-Event-ID", ""), status=200, label="last-event-id-empty"),
    _replay(
        ("x-agent-user-isolation-key", "a"),
        ("x-agent-user-isolation-key", "b"),
        status=None,
        label="isolation-key-twice",
    ),
    _replay(("x-agent-user-isolation-key", "k" * 4000), status=None, label="isolation-key-long"),
    _replay(("Host", "[::1"), status=200, label="host-unparseable"),
    Case("header-host-unparseable-404", "GET", "/nowhere/", headers=[("Host", "[::1")], status=404),
    Case(
        "header-accept-sse-create",
        body=b'{"model": "m", "input": "hi"}',
        headers=[("Content-Type", "application/json"), ("Accept", "text/event-stream")],
        status=200,
    ),
    Case(
        "header-expect-continue",
        body=b'{"model": "m", "input": "hi"}',
        headers=[("Content-Type", "application/json"), ("Expect", "100-continue")],
        status=None,
    ),
    Case(
        "header-chunked-body",
        body=b'{"model": "m", "input": "hi"}',
        headers=[("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
        status=200,
    ),
]

CASES = MALFORMED + NON_OBJECT + WRONG_TYPES + ITEMS + NUMBERS + DEEP + CONTENT_TYPES + RUNTIME_RULES + SIZE
CASES += PATHS + QUERIES + HEADERS
assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"

#: Words that would mean an error message leaks Python internals.
INTERNALS = (
    "int_parsing",
    "set_int_max_str_digits",
    "Traceback",
    "Error(",
    "ValueError",
    "TypeError",
    "KeyError",
    "unhashable",
    "NoneType",
    "pydantic",
    "json_invalid",
    "errors.pydantic.dev",
)
#: A bytes repr (``b'...'``) in a message; not a word ending in b before a quote, as an id may.
BYTES_REPR = re.compile(r"(?<![0-9A-Za-z_])b'")


# -- the server -------------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def send(url: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None) -> Reply:
    """One request over its own connection, sent as written (target, duplicate headers, body)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    try:
        names = {name.lower() for name, _ in headers}
        conn.putrequest(method, target, skip_host="host" in names, skip_accept_encoding=True)
        chunked = ("transfer-encoding", "chunked") in {(n.lower(), v) for n, v in headers}
        if body is not None and "content-length" not in names and not chunked:
            headers = [*headers, ("Content-Length", str(len(body)))]
        for name, value in headers:
            conn.putheader(name, value.encode("utf-8"))
        conn.endheaders()
        if body is not None:
            conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if chunked else body)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def _servers() -> Iterator[tuple[contextlib.ExitStack, dict[str, tuple[ThreadServer, str]]]]:
    with contextlib.ExitStack() as stack:
        yield stack, {}


@pytest.fixture
def server(store_kind: str, _servers) -> tuple[ThreadServer, str]:
    """(a server on this store, shared by the module's cases; the id of a response it holds)."""
    stack, started = _servers
    if store_kind not in started:
        host = host_with(
            store_kind, echo_handler(), max_request_body_bytes=LIMIT, shutdown_grace_period_seconds=0.5
        )
        running = stack.enter_context(serve_in_thread(host))
        items = [{"role": "user", "content": f"m{i}"} for i in range(3)]
        reply = httpx.post(f"{running.url}/responses", json={"model": "m", "input": items}, timeout=WAIT)
        assert reply.status_code == 200, reply.text
        started[store_kind] = (running, reply.json()["id"])
    return started[store_kind]


def check_reply(reply: Reply, case: Case) -> None:
    assert reply.status < 500, (reply.status, reply.body[:500])
    assert not 300 <= reply.status < 400 and "location" not in reply.headers, (reply.status, reply.headers)
    if case.status is not None:
        assert reply.status == case.status, (reply.status, reply.body[:500])
    if 400 <= reply.status < 500:
        assert reply.headers["content-type"].startswith("application/json"), reply.headers["content-type"]
        envelope = json.loads(reply.body)
        assert set(envelope) == {"error"} and set(envelope["error"]) == ENVELOPE_KEYS, envelope
        error = envelope["error"]
        assert isinstance(error["message"], str) and error["message"], error
        leaked = [word for word in INTERNALS if word in error["message"]]
        leaked += BYTES_REPR.findall(error["message"])
        assert not leaked, (leaked, error["message"])
        if case.param is not ...:
            assert error["param"] == case.param, error


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_never_5xx_and_4xx_is_the_envelope(server, case: Case) -> None:
    running, rid = server
    target = case.target.replace(RID, rid)
    reply = send(running.url, case.method, target, case.headers, case.body)
    check_reply(reply, case)


def test_the_matrix_is_large_enough() -> None:
    assert len(CASES) >= 100


# -- specific promises --------------------------------------------------------------------------------------
def test_input_items_pages_end_with_duplicate_free_ids(server) -> None:
    """`after=` paging visits every item once and stops (repeated ids used to make it loop)."""
    running, _ = server
    items = [{"role": "user", "content": f"m{i}", "id": f"msg_{i}"} for i in range(5)]
    items.append({"type": "item_reference", "id": "msg_2"})  # a reference repeats an id: allowed
    reply = httpx.post(f"{running.url}/responses", json={"model": "m", "input": items}, timeout=WAIT)
    assert reply.status_code == 200, reply.text
    rid = reply.json()["id"]
    seen: list[str] = []
    after = None
    for _ in range(len(items) + 2):  # bounded: a loop would exceed it
        query = {"limit": 1, "order": "asc", **({"after": after} if after else {})}
        page = httpx.get(f"{running.url}/responses/{rid}/input_items", params=query, timeout=WAIT).json()
        seen += [item["id"] for item in page["data"]]
        if not page["has_more"]:
            break
        after = page["last_id"]
    else:
        raise AssertionError(f"paging did not end: {seen}")
    assert seen == [f"msg_{i}" for i in range(5)], seen


def test_non_string_item_ids_are_not_echoed(server) -> None:
    running, _ = server
    reply = httpx.post(
        f"{running.url}/responses",
        json={"model": "m", "input": [{"role": "user", "content": "x", "id": 12}]},
        timeout=WAIT,
    )
    assert reply.status_code == 400 and reply.json()["error"]["param"] == "input[0].id", reply.text


def test_huge_unknown_field_is_ignored_and_known_ones_are_plain_400s(server) -> None:
    running, _ = server
    ok = send(
        running.url,
        "POST",
        "/responses",
        [("Content-Type", "application/json")],
        f'{{"model": "m", "input": "hi", "zz": {HUGE}}}'.encode(),
    )
    assert ok.status == 200 and json.loads(ok.body)["status"] == "completed", ok.body[:300]
    refused = send(
        running.url,
        "POST",
        "/responses",
        [("Content-Type", "application/json")],
        f'{{"model": "m", "max_output_tokens": {HUGE}}}'.encode(),
    )
    error = json.loads(refused.body)["error"]
    assert refused.status == 400 and error["param"] == "max_output_tokens", error
    assert "digits" in error["message"] and "sys." not in error["message"], error


def test_a_cursor_past_the_end_of_a_finished_log_replays_nothing(server) -> None:
    running, rid = server
    for query in (f"starting_after={WIDE}", f"starting_after={HUGE}"):
        reply = send(running.url, "GET", f"/responses/{rid}?stream=true&{query}", [], None)
        assert reply.status == 200 and reply.body == b"data: [DONE]\n\n", (reply.status, reply.body[:300])


def _await_idle(running: ThreadServer) -> None:
    """Until the server has no request in flight (bounded poll: a hang fails the test)."""
    state = running.server.server_state
    poll(lambda: not (state.tasks or state.connections), what="no request in flight on the server")


def test_client_leaving_mid_body_is_not_an_error(server, caplog: pytest.LogCaptureFixture) -> None:
    running, _ = server
    host, port = running.url.removeprefix("http://").split(":")
    caplog.set_level(logging.DEBUG, logger="responsekit")
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=WAIT) as sock:
            sock.sendall(
                b"POST /responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n" + b'{"model": '
            )
    _await_idle(running)
    errors = [r for r in caplog.records if r.name.startswith("responsekit") and r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    reply = httpx.post(f"{running.url}/responses", json={"model": "m", "input": "still here"}, timeout=WAIT)
    assert reply.status_code == 200 and reply.json()["status"] == "completed"


@pytest.mark.parametrize("path", ["/responses/", "/responses/{rid}/", "/responses/{rid}/input_items/"])
@pytest.mark.parametrize("host", ["evil.example", "[::1", "a b", "x:99999"])
def test_trailing_slash_is_never_a_redirect_whatever_the_host(server, path: str, host: str) -> None:
    running, rid = server
    method = "POST" if path == "/responses/" else "GET"
    reply = send(
        running.url, method, path.format(rid=rid), [("Host", host)], b"{}" if method == "POST" else None
    )
    assert reply.status == 404, (reply.status, reply.headers)
    assert "location" not in reply.headers
    check_reply(reply, Case("slash", status=404))
