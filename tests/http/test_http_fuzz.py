"""Property-based fuzzing of the endpoints from spec/openapi.json (schemathesis), on a real server.

Requests are generated from the OpenAPI description: positive cases (what the schema allows) and
negative ones (what it forbids: wrong types, missing parts, junk bytes). Whatever comes in, the
server answers below 500, every 4xx is the four-key error envelope, and every 2xx that carries a
Response (JSON, or inside SSE events) validates with the strict ``openai`` models, the oracle of
what a client accepts.

The CreateResponse body is fuzzed over its declared fields only (the schema allows any extra field,
so generation would spend most examples on unknown keys, which the server ignores). Path ids are
either generated or the ids of responses the server holds, so the 2xx paths are fuzzed too.

Bounded for CI: a fixed number of derandomized examples per operation, one server per store.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai.types.responses as oa
import pytest
import schemathesis
from http_helpers import ENVELOPE_KEYS, parse_sse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from schemathesis import GenerationMode
from support.hosts import WAIT, echo_handler, host_with
from support.servers import ThreadServer, serve_in_thread

SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.json"
# schemathesis's negative generation draws from `random` (seeded by hypothesis, so still derandomized).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning"
)

#: Words that would mean an error message leaks Python internals.
INTERNALS = (
    "int_parsing",
    "set_int_max_str_digits",
    "Traceback",
    "ValueError",
    "TypeError",
    "KeyError",
    "unhashable",
    "NoneType",
    "pydantic",
    "json_invalid",
    "errors.pydantic.dev",
)
STREAM_EVENT = TypeAdapter(oa.ResponseStreamEvent)


def _declared_fields_only(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with POST /responses taking an object of CreateResponse's declared fields, no others."""
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    properties: dict[str, Any] = {}
    pending = [schemas["CreateResponse"]]
    while pending:
        schema = pending.pop()
        if "$ref" in schema:
            pending.append(schemas[schema["$ref"].rsplit("/", 1)[-1]])
            continue
        pending.extend(schema.get("allOf", []))
        properties.update(schema.get("properties", {}))
    body = {"type": "object", "properties": properties, "additionalProperties": False}
    spec["paths"]["/responses"]["post"]["requestBody"]["content"]["application/json"]["schema"] = body
    return spec


SCHEMA = schemathesis.openapi.from_dict(_declared_fields_only(json.loads(SPEC.read_text())))
FUZZ = settings(
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure reports its example as found
    report_multiple_bugs=False,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def strategy(path: str, method: str) -> st.SearchStrategy:
    operation = SCHEMA[path][method]
    return st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )


# -- the server ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def _servers() -> Iterator[tuple[contextlib.ExitStack, dict[str, tuple[ThreadServer, list[str]]]]]:
    with contextlib.ExitStack() as stack:
        yield stack, {}


def _create(url: str, **body: Any) -> str:
    reply = httpx.post(f"{url}/responses", json={"model": "m", "input": "hi", **body}, timeout=WAIT)
    assert reply.status_code == 200, reply.text
    return reply.json()["id"]


@pytest.fixture
def server(store_kind: str, _servers) -> tuple[ThreadServer, list[str]]:
    """(a server on this store, shared by the module; ids of responses it holds, of each mode)."""
    stack, started = _servers
    if store_kind not in started:
        host = host_with(store_kind, echo_handler(), shutdown_grace_period_seconds=0.5)
        running = stack.enter_context(serve_in_thread(host))
        items = [{"role": "user", "content": f"m{i}", "id": f"msg_{i}"} for i in range(3)]
        ids = [
            _create(running.url, input=items),
            _create(running.url, background=True),
            _create(running.url, store=True, metadata={"k": "v"}),
        ]
        started[store_kind] = (running, ids)
    return started[store_kind]


# -- the oracle -------------------------------------------------------------------------------------------
def check(response: Any, kind: str) -> None:
    """No 5xx; a 4xx is the envelope; a 2xx validates with the openai models (``kind`` says which)."""
    status = response.status_code
    content_type = response.headers.get("content-type") or [""]  # schemathesis: a list per header
    content_type = content_type if isinstance(content_type, str) else content_type[0]
    assert status < 500, (status, response.content[:500])
    assert not 300 <= status < 400, status
    if 400 <= status < 500:
        assert content_type.startswith("application/json"), content_type
        envelope = json.loads(response.content)
        assert set(envelope) == {"error"} and set(envelope["error"]) == ENVELOPE_KEYS, envelope
        message = envelope["error"]["message"]
        assert isinstance(message, str) and message, envelope
        assert not [w for w in INTERNALS if w in message], message
        return
    if content_type.startswith("text/event-stream"):
        assert response.content.endswith(b"data: [DONE]\n\n"), response.content[-200:]
        sse = parse_sse(response.content)  # strict framing; no events when replaying past the last
        assert sse.done, response.content[-200:]
        for event in sse.events:
            STREAM_EVENT.validate_python(event)
        return
    body = json.loads(response.content)
    if kind == "deleted":
        assert body["deleted"] is True and body["object"] == "response", body
    elif kind == "items":
        oa.ResponseItemList.model_validate(body)
    else:
        oa.Response.model_validate(body)


def call(case: Any, url: str) -> Any:
    return case.call(base_url=url, timeout=WAIT)


def _with_id(data: st.DataObject, case: Any, ids: list[str]) -> Any:
    """Half the time, point the case at one of ``ids`` (responses the server holds)."""
    if data.draw(st.booleans()):
        case.path_parameters = {
            **(case.path_parameters or {}),
            "response_id": data.draw(st.sampled_from(ids)),
        }
    return case


# -- the operations ---------------------------------------------------------------------------------------
@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_fuzz_create(server, data: st.DataObject) -> None:
    running, _ = server
    case = data.draw(strategy("/responses", "POST"))
    check(call(case, running.url), "response")


@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_fuzz_retrieve(server, data: st.DataObject) -> None:
    running, ids = server
    case = _with_id(data, data.draw(strategy("/responses/{response_id}", "GET")), ids)
    check(call(case, running.url), "response")


@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_fuzz_input_items(server, data: st.DataObject) -> None:
    running, ids = server
    case = _with_id(data, data.draw(strategy("/responses/{response_id}/input_items", "GET")), ids)
    check(call(case, running.url), "items")


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzz_cancel(server, data: st.DataObject) -> None:
    running, ids = server
    case = _with_id(data, data.draw(strategy("/responses/{response_id}/cancel", "POST")), ids)
    check(call(case, running.url), "response")


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzz_delete(server, data: st.DataObject) -> None:
    running, ids = server
    fresh = _create(running.url, background=data.draw(st.booleans()))  # the held ones must stay
    case = _with_id(data, data.draw(strategy("/responses/{response_id}", "DELETE")), [fresh])
    check(call(case, running.url), "deleted")


def test_a_prompt_image_variable_without_detail_is_echoed_with_the_default(server):
    """Found by fuzzing: the request may leave an input image's ``detail`` out; the echoed prompt
    must still satisfy clients, which require it on a response."""
    running, _ = server
    image = {"type": "input_image", "image_url": "https://example.com/cat.png"}
    body = {"model": "m", "input": "hi", "prompt": {"id": "pmpt_1", "variables": {"picture": image}}}
    reply = httpx.post(running.url + "/responses", json=body, timeout=WAIT)
    assert reply.status_code == 200, reply.text
    echoed = oa.Response.model_validate(reply.json())
    assert echoed.prompt.variables["picture"].detail == "auto"
