"""The coverage checks (request fields, emitted content, stream delivery, isolation) pass against
compliant servers and fail against faulty ones.

Each fault is the reference app (or one emitting reasoning, annotations and refusals) behind a
middleware that breaks exactly one rule, served over real loopback HTTP; only the check under test
runs, so each case costs a handful of requests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from typing import Any

import pytest
from conformance_support import (
    SERVER_OPTIONS,
    EventRewriter,
    FaultMiddleware,
    make_reference_app,
    serve,
    suite_config,
)

from responsekit.conformance.checks import all_checks, streaming
from responsekit.conformance.cli import build_run_parser
from responsekit.conformance.registry import FAIL, PASS, SKIP, WARN, Result
from responsekit.conformance.runner import run_suite, select

COVERAGE = (
    "fields",
    "content",
    "background.queued",
    "sse.keep_alive",
    "replay.beyond_end",
    "replay.concurrent_readers",
    "isolation",
)
ISOLATION_HEADER = b"x-agent-user-isolation-key"

# -- servers ---------------------------------------------------------------------------------------------

TEXT = "See report.pdf and the Responses API reference."
ANNOTATIONS = [
    {
        "type": "file_citation",
        "file_id": "file-report",
        "filename": "report.pdf",
        "index": TEXT.index("report"),
    },
    {
        "type": "url_citation",
        "url": "https://example.com/responses",
        "title": "Responses API reference",
        "start_index": TEXT.index("Responses"),
        "end_index": len(TEXT) - 1,
    },
]
SUMMARIES = ("Read the question.", "Chose a short answer.")
REFUSAL = "I cannot help with that."
PAUSE_PROMPT = "pause"
PAUSE_S = 0.4


def make_content_app() -> Any:
    """Every response holds a reasoning item (two summary parts and reasoning text), an annotated
    message and a refused message: what the content checks judge."""
    from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions

    app = ResponsesAgentServerHost(options=ResponsesServerOptions(**SERVER_OPTIONS))

    @app.response_handler
    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        reasoning = stream.add_output_item_reasoning_item()
        yield reasoning.emit_added()
        for text in SUMMARIES:
            part = reasoning.add_summary_part()
            yield part.emit_added()
            yield part.emit_text_delta(text)
            yield part.emit_text_done()
            yield part.emit_done()
        thought = reasoning.add_text_content()
        yield thought.emit_added()
        yield thought.emit_delta("The user wants a citation.")
        yield thought.emit_text_done()
        yield thought.emit_done()
        yield reasoning.emit_done()
        for event in stream.output_item_message(TEXT, annotations=ANNOTATIONS):
            yield event
        for event in stream.output_item_refusal(REFUSAL):
            yield event
        yield stream.emit_completed()

    return app


def make_pausing_app(keep_alive_s: float) -> Any:
    """Answers "pause" with two deltas PAUSE_S apart: a stream that goes quiet in the middle."""
    from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions

    app = ResponsesAgentServerHost(
        options=ResponsesServerOptions(sse_keep_alive_interval_seconds=keep_alive_s)
    )

    @app.response_handler
    async def handler(request, context, cancellation_signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        yield stream.emit_in_progress()
        message = stream.add_output_item_message()
        yield message.emit_added()
        part = message.add_text_content()
        yield part.emit_added()
        yield part.emit_delta("before the pause, ")
        if await context.get_input_text() == PAUSE_PROMPT:
            await asyncio.sleep(PAUSE_S)  # the silence under test, not a wait for something
        yield part.emit_delta("after it")
        yield part.emit_text_done()
        yield part.emit_done()
        yield message.emit_done()
        yield stream.emit_completed()

    return app


def _run(app: Any, *patterns: str, **config: Any) -> dict[str, Result]:
    with serve(app) as url:
        cfg = dataclasses.replace(suite_config(url), **config)
        return {r.id: r for r in run_suite(cfg, select(all_checks(), patterns))}


def _describe(r: Result) -> str:
    return f"{r.verdict} {r.id}: {r.message} {json.dumps(r.evidence, default=str)}"


# -- the deliberate faults -------------------------------------------------------------------------------


def _is_create(scope) -> bool:
    return scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/responses")


def _on_body(edit):
    """A request rewriter applying ``edit(body)`` to create bodies."""

    def rewrite(scope, body):
        if _is_create(scope) and isinstance(body, dict):
            edit(body)
        return scope, body

    return rewrite


def _on_answer(edit):
    """A JSON rewriter applying ``edit(body)`` to every 200 Response answer."""

    def rewrite(scope, status, body):
        if status == 200 and isinstance(body, dict) and body.get("object") == "response":
            edit(body)
        return status, body

    return rewrite


def _ignore_include(body):
    body.pop("include", None)


def _keep_16_metadata_pairs(body):
    if isinstance(body.get("metadata"), dict):
        body["metadata"] = dict(list(body["metadata"].items())[:16])


def _shorten_metadata_values(body):
    if isinstance(body.get("metadata"), dict):
        body["metadata"] = {k: v[:500] for k, v in body["metadata"].items()}


def _report_truncation_disabled(body):
    body["truncation"] = "disabled"


def _store_off_by_default(body):
    body.setdefault("store", False)


def _forget_text_format(body):
    body["text"] = {"format": {"type": "text"}}


async def _refuse_bracket_include(scope, inner):
    if scope["method"] == "GET" and b"include%5B%5D" in scope.get("query_string", b""):
        return 400, {
            "error": {
                "message": "Unknown parameter: 'include[]'.",
                "type": "invalid_request_error",
                "param": "include[]",
                "code": "unknown_parameter",
            }
        }
    return None


class _EditSummary(EventRewriter):
    """The finished reasoning item's first summary part says something else than was streamed."""

    def feed(self, event):
        item = event.get("item") if isinstance(event, dict) else None
        if event_type(event) == "response.output_item.done" and item.get("type") == "reasoning":
            item["summary"][0]["text"] += " (edited)"
        return [event]


class _SkipAnnotationIndex(EventRewriter):
    """Annotations numbered 0, 2, ...: the second one claims index 2."""

    def feed(self, event):
        if event_type(event) == "response.output_text.annotation.added" and event["annotation_index"] >= 1:
            event["annotation_index"] += 1
        return [event]


class _RefusalInTextPart(EventRewriter):
    """The refusal part is opened as an output_text part."""

    def feed(self, event):
        part = event.get("part") if isinstance(event, dict) else None
        if event_type(event) == "response.content_part.added" and part.get("type") == "refusal":
            event["part"] = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        return [event]


class _QueuedInProgress(EventRewriter):
    def feed(self, event):
        if event_type(event) == "response.queued":
            event["response"]["status"] = "in_progress"
        return [event]


class _EditDeltas(EventRewriter):
    def feed(self, event):
        if event_type(event) == "response.output_text.delta":
            event["delta"] += "!"
        return [event]


def _every_second_replay():
    """Readers of a replay alternate: every second one gets its deltas with a "!" added."""
    count = iter(range(1_000_000))
    lock = threading.Lock()

    def rewriter(scope):
        if scope["method"] != "GET":
            return None
        with lock:
            n = next(count)
        return _EditDeltas() if n % 2 else None

    return rewriter


def _drop_cursor_header(scope, body):
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"last-event-id"]
    return {**scope, "headers": headers}, body


async def _refuse_cursors(scope, inner):
    """Answers a resume cursor with 400: allowed past the end, and the only cursor the check sends."""
    query = scope.get("query_string", b"")
    has_header = any(k.lower() == b"last-event-id" for k, _ in scope["headers"])
    if scope["method"] == "GET" and b"stream=true" in query and (b"starting_after" in query or has_header):
        return 400, {
            "error": {
                "message": "The cursor is past the end of the stream.",
                "type": "invalid_request_error",
                "param": "starting_after",
                "code": "invalid_value",
            }
        }
    return None


def _responses_shared(scope, body):
    """The isolation key is ignored: every user sees every response."""
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != ISOLATION_HEADER]
    return {**scope, "headers": headers}, body


def event_type(event: Any) -> Any:
    return event.get("type") if isinstance(event, dict) else None


#: The compliant servers the faults are made from.
APPS = {
    "reference": lambda: make_reference_app(**SERVER_OPTIONS),
    "content": make_content_app,
}

#: fault -> (app, middleware keyword arguments, extra config, the check it must fail, words it must say)
FAULTS: dict[str, tuple[str, dict, dict, str, str]] = {
    "include_ignored": (
        "reference",
        {"request": _on_body(_ignore_include)},
        {},
        "fields.include",
        "include=['conformance.no_such_field'] answered 200, expected 400",
    ),
    "include_brackets_refused": (
        "reference",
        {"intercept": _refuse_bracket_include},
        {},
        "fields.include_query",
        "include[]=reasoning.encrypted_content answered 400, expected 200",
    ),
    "metadata_17_pairs_accepted": (
        "reference",
        {"request": _on_body(_keep_16_metadata_pairs)},
        {},
        "fields.metadata_limits",
        "metadata of 17 pairs answered 200, expected 400",
    ),
    "metadata_values_cut": (
        "reference",
        {"json": _on_answer(_shorten_metadata_values)},
        {},
        "fields.metadata_limits",
        "does not echo the metadata",
    ),
    "truncation_not_echoed": (
        "reference",
        {"json": _on_answer(_report_truncation_disabled)},
        {},
        "fields.truncation",
        "truncation='auto' is echoed as 'disabled'",
    ),
    "store_off_by_default": (
        "reference",
        {"request": _on_body(_store_off_by_default)},
        {},
        "fields.store_default",
        "reports store=False",
    ),
    "text_format_forgotten": (
        "reference",
        {"json": _on_answer(_forget_text_format)},
        {},
        "fields.text_format_echo",
        "text.format.type is 'text', sent 'json_schema'",
    ),
    "reasoning_summary_edited": (
        "content",
        {"events": lambda scope: _EditSummary()},
        {},
        "content.reasoning",
        "summary[0] is",
    ),
    "annotation_index_skips": (
        "content",
        {"events": lambda scope: _SkipAnnotationIndex()},
        {},
        "content.annotations",
        "annotation_index 2 where 1 comes next",
    ),
    "refusal_in_text_part": (
        "content",
        {"events": lambda scope: _RefusalInTextPart()},
        {},
        "content.refusal",
        "response.refusal.delta targets a 'output_text' part",
    ),
    "queued_with_wrong_status": (
        "reference",  # its background responses send response.queued
        {"events": lambda scope: _QueuedInProgress()},
        {},
        "background.queued",
        "response.queued carries status 'in_progress', expected 'queued'",
    ),
    "cursor_header_ignored": (
        "reference",
        {"request": _drop_cursor_header},
        {},
        "replay.beyond_end",
        "replayed",
    ),
    "readers_differ": (
        "reference",
        {"events": _every_second_replay()},
        {},
        "replay.concurrent_readers",
        "reader 1 and reader 2 differ at frame",
    ),
    "responses_not_isolated": (
        "reference",
        {"request": _responses_shared},
        {"isolation_headers": True},
        "isolation.responses",
        "under another isolation key answered 200, expected 404",
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_fails_its_check(fault: str) -> None:
    app, middleware, config, target, words = FAULTS[fault]
    assert _run(APPS[app](), target, **config)[target].verdict == PASS, f"{target} must pass unfaulted"
    hit = _run(FaultMiddleware(APPS[app](), **middleware), target, **config)[target]
    assert hit.verdict == (FAIL if hit.level == "MUST" else WARN), _describe(hit)
    assert words in hit.message + json.dumps(hit.evidence, default=str), _describe(hit)


# -- compliant servers -----------------------------------------------------------------------------------


def test_the_reference_app_passes_every_coverage_check() -> None:
    # It emits reasoning, annotations, a refusal and response.queued, and sends keep-alives often.
    results = _run(make_reference_app(**SERVER_OPTIONS), *COVERAGE, isolation_headers=True)
    assert {r.verdict for r in results.values()} == {PASS}, [_describe(r) for r in results.values()]
    assert "keep-alive comment(s) seen" in results["sse.keep_alive"].message


def test_content_checks_pass_against_a_handler_emitting_that_content() -> None:
    results = _run(make_content_app(), "content")
    assert {r.id: r.verdict for r in results.values()} == dict.fromkeys(results, PASS), [
        _describe(r) for r in results.values()
    ]
    # Two streams (foreground and background) and the JSON answer each carried one of each.
    assert results["content.reasoning"].message == "3 reasoning item(s) judged"
    assert results["content.annotations"].message == "6 annotation(s) judged"
    assert results["content.refusal"].message == "3 refusal part(s) judged"


def test_isolation_is_skipped_unless_the_server_declares_it() -> None:
    result = _run(make_reference_app(**SERVER_OPTIONS), "isolation", isolation_headers=False)
    result = result["isolation.responses"]
    assert result.verdict == SKIP and "--isolation-headers" in result.message
    assert build_run_parser().parse_args(["--base-url", "http://x", "--isolation-headers"]).isolation_headers
    assert not build_run_parser().parse_args(["--base-url", "http://x"]).isolation_headers


def test_a_queued_event_in_its_place_passes() -> None:
    result = _run(APPS["reference"](), "background.queued", "stream")
    assert {r.verdict for r in result.values()} == {PASS}, [_describe(r) for r in result.values()]


def test_a_cursor_past_the_end_may_be_refused_with_400() -> None:
    app = FaultMiddleware(make_reference_app(**SERVER_OPTIONS), intercept=_refuse_cursors)
    result = _run(app, "replay.beyond_end")["replay.beyond_end"]
    assert result.verdict == PASS, _describe(result)


@pytest.fixture
def short_idle_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pausing app is silent for PAUSE_S; judge gaps over half of that as idle.
    monkeypatch.setattr(streaming, "KEEP_ALIVE_WITHIN_S", PAUSE_S / 2)


def test_an_idle_stream_with_keep_alives_passes(short_idle_threshold: None) -> None:
    result = _run(make_pausing_app(keep_alive_s=0.05), "sse.keep_alive", prompt_long=PAUSE_PROMPT)
    assert result["sse.keep_alive"].verdict == PASS, _describe(result["sse.keep_alive"])
    assert "idle gap(s) over 0.2s, each with keep-alive comments" in result["sse.keep_alive"].message


@pytest.mark.parametrize("how", ["server sends none", "proxy drops comments"])
def test_an_idle_stream_without_keep_alives_warns(how: str, short_idle_threshold: None) -> None:
    if how == "server sends none":
        app = make_pausing_app(keep_alive_s=3600)
    else:  # the middleware re-frames events and, like a careless proxy, drops comment lines
        app = FaultMiddleware(
            make_pausing_app(keep_alive_s=0.05), events=lambda scope: EventRewriter(), drop_comments=True
        )
    result = _run(app, "sse.keep_alive", prompt_long=PAUSE_PROMPT)["sse.keep_alive"]
    assert result.verdict == WARN, _describe(result)
    assert "without a keep-alive comment" in result.message
