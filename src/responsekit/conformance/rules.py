"""The protocol's rules, each with its source and its level per profile: the one place levels live.

A check judges one rule; the rule says how much its verdict counts under each ``--profile``:

- ``MUST``: a FAIL fails the run (exit 1);
- ``SHOULD``: a failure is reported as WARN and never fails the run;
- ``None``: the rule does not apply under that profile; its checks are SKIPPED there.

Every rule names the check(s) that judge it and every registered check is named by exactly one rule
(``tests/conformance/test_conformance_rules.py`` holds the table to that), so a check's level is
never stated twice. Where one observation carries two strengths (a non-background cancel must be
refused with a 4xx and should be refused with exactly 400), they are two rules with a check each.

The ``section`` of a rule points into its source as the reference documents name things: an
operation (``POST /responses/{response_id}/cancel``), a schema (``ResponseStreamEvent``) or a
heading of the Open Responses prose (``§ WebSocket Continuation``).

Calibration: the ``open-responses`` profile defines ``POST /responses`` and ``POST
/responses/compact`` only, so rules about the other endpoints (retrieve, replay, cancel, delete,
input items, input tokens, conversations) are SHOULD there. Hosted-agent extensions are SHOULD under
both profiles: the protocol owner's API does not implement them.
"""

from __future__ import annotations

from dataclasses import dataclass

from responsekit.conformance.registry import MUST, SHOULD

__all__ = ["Rule", "RULES", "SOURCES", "SOURCE_NAMES", "PROFILES", "rule_for", "rules_by_check"]

PROFILES = ("openai", "open-responses")

#: Where a rule comes from (``Rule.source``) -> what that source is.
SOURCES = {
    "api-reference": "the protocol owner's API reference (reference/openai-openapi.json)",
    "open-responses": "the Open Responses specification "
    "(reference/openresponses-specification-2026-04-24.mdx and its OpenAPI file)",
    "hosted-agent": "the Azure AI hosted-agent extensions (spec/README.md, Hosted-agent extensions)",
}

#: A source's name in a sentence ("... (Open Responses: § Errors)").
SOURCE_NAMES = {
    "api-reference": "API reference",
    "open-responses": "Open Responses",
    "hosted-agent": "hosted-agent extensions",
}

API, OPEN_RESPONSES, HOSTED = "api-reference", "open-responses", "hosted-agent"


@dataclass(frozen=True)
class Rule:
    id: str
    statement: str  # one line: what the server must (or should) do
    source: str  # a key of SOURCES
    section: str  # where in the source
    openai: str | None  # level under --profile openai (None: does not apply)
    open_responses: str | None  # level under --profile open-responses (None: does not apply)
    checks: tuple[str, ...]  # the ids of the checks that judge it

    def level(self, profile: str) -> str | None:
        """The rule's level under ``profile``; None when it does not apply there."""
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r} (one of {', '.join(PROFILES)})")
        return self.openai if profile == "openai" else self.open_responses

    @property
    def strongest(self) -> str:
        """MUST when the rule is MUST under some profile, else SHOULD."""
        return MUST if MUST in (self.openai, self.open_responses) else SHOULD

    @property
    def profiles(self) -> tuple[str, ...]:
        """The profiles the rule applies under."""
        return tuple(p for p in PROFILES if self.level(p) is not None)


# Keep the order of the checks (create, sse, stream, ...); add new rules at the end.
RULES: list[Rule] = [
    # -- creating a response, in each mode ---------------------------------------------------------
    Rule(
        id="create.default",
        statement="A default-mode create answers 200 application/json with a finished Response",
        source=OPEN_RESPONSES,
        section="§ HTTP Responses (non-streaming bodies are application/json); POST /responses",
        openai=MUST,
        open_responses=MUST,
        checks=("create.default",),
    ),
    Rule(
        id="create.stream",
        statement="stream=true answers 200 text/event-stream carrying stream event objects",
        source=OPEN_RESPONSES,
        section="§ HTTP Responses, Streaming HTTP Responses",
        openai=MUST,
        open_responses=MUST,
        checks=("create.stream",),
    ),
    Rule(
        id="create.background",
        statement="background=true answers at once with a queued or in_progress Response",
        source=API,
        section="POST /responses (createResponse), `background`",
        openai=MUST,
        open_responses=MUST,
        checks=("create.background",),
    ),
    Rule(
        id="create.stream_background",
        statement="stream=true with background=true streams the response's events",
        source=API,
        section="POST /responses (createResponse), `background` with `stream`",
        openai=MUST,
        open_responses=MUST,
        checks=("create.stream_background",),
    ),
    Rule(
        id="background.completes",
        statement="A background response reaches a terminal status, observed by polling GET",
        source=API,
        section="GET /responses/{response_id} (getResponse)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("background.completes",),
    ),
    # -- server-sent events framing ----------------------------------------------------------------
    Rule(
        id="sse.event_field",
        statement="Every SSE frame has an `event:` line equal to its payload's `type`",
        source=OPEN_RESPONSES,
        section="§ HTTP Responses, Streaming HTTP Responses (the `event` field matches `type`)",
        # The protocol owner's API sends the lines but its SDK never reads them: SHOULD there.
        openai=SHOULD,
        open_responses=MUST,
        checks=("sse.event_field",),
    ),
    Rule(
        id="sse.data_json",
        statement="Every `data:` payload is one JSON event object with a `type`",
        source=OPEN_RESPONSES,
        section="§ HTTP Responses, Streaming HTTP Responses",
        openai=MUST,
        open_responses=MUST,
        checks=("sse.data_json",),
    ),
    Rule(
        id="sse.done_sentinel",
        statement="The stream ends with the literal `data: [DONE]`",
        source=OPEN_RESPONSES,
        section="§ HTTP Responses, Streaming HTTP Responses (the terminal event is `[DONE]`)",
        openai=None,
        open_responses=MUST,
        checks=("sse.done_sentinel",),
    ),
    # -- the event stream ----------------------------------------------------------------------------
    Rule(
        id="stream.sequence",
        statement="sequence_number runs 0, 1, ..., n-1 without gaps or repeats",
        source=API,
        section="ResponseStreamEvent, `sequence_number`",
        openai=MUST,
        open_responses=MUST,
        checks=("stream.sequence",),
    ),
    Rule(
        id="stream.lifecycle",
        statement="response.created comes first; response.in_progress precedes every item event",
        source=OPEN_RESPONSES,
        section="§ Streaming, State Machine events",
        openai=MUST,
        open_responses=MUST,
        checks=("stream.lifecycle",),
    ),
    Rule(
        id="stream.bracketing",
        statement="Item, content-part and summary-part events sit between their added and done events",
        source=OPEN_RESPONSES,
        section="§ Items are streamable",
        openai=MUST,
        open_responses=MUST,
        checks=("stream.bracketing",),
    ),
    Rule(
        id="stream.deltas",
        statement="Deltas concatenate to their done value, which the closed part and item repeat",
        source=OPEN_RESPONSES,
        section="§ Items are streamable; § Streaming, Delta Events",
        openai=MUST,
        open_responses=MUST,
        checks=("stream.deltas",),
    ),
    Rule(
        id="stream.terminal",
        statement="Exactly one terminal event ends the stream, its status matching its type",
        source=OPEN_RESPONSES,
        section="§ Streaming, State Machine events",
        openai=MUST,
        open_responses=MUST,
        checks=("stream.terminal",),
    ),
    Rule(
        id="stream.output",
        statement="The terminal event's response.output equals the finished items, in order",
        source=API,
        section="ResponseCompletedEvent, `response`",
        openai=MUST,
        open_responses=MUST,
        checks=("stream.output",),
    ),
    Rule(
        id="stream.ids",
        statement="The response id and every item id stay the same from first mention to the end",
        source=OPEN_RESPONSES,
        section="§ Items are state machines",
        openai=MUST,
        open_responses=MUST,
        checks=("stream.ids",),
    ),
    # -- retrieving and replaying --------------------------------------------------------------------
    Rule(
        id="retrieve.after_create",
        statement="GET after a default-mode create returns the same Response",
        source=API,
        section="GET /responses/{response_id} (getResponse)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("retrieve.after_create",),
    ),
    Rule(
        id="retrieve.after_stream",
        statement="GET after a streamed create returns the terminal event's Response",
        source=API,
        section="GET /responses/{response_id} (getResponse)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("retrieve.after_stream",),
    ),
    Rule(
        id="retrieve.body",
        statement="GET /responses/{id} answers 200 application/json with a Response the models accept",
        source=API,
        section="GET /responses/{response_id} (getResponse); Response",
        openai=MUST,
        open_responses=SHOULD,
        checks=("retrieve.body",),
    ),
    Rule(
        id="retrieve.unknown_404",
        statement="GET of an unknown id is 404 with the error envelope",
        source=API,
        section="GET /responses/{response_id} (getResponse); ErrorResponse",
        openai=MUST,
        open_responses=SHOULD,
        checks=("retrieve.unknown_404",),
    ),
    Rule(
        id="replay.full",
        statement="GET ?stream=true replays every event from the first, unchanged",
        source=API,
        section="GET /responses/{response_id} (getResponse), `stream`",
        openai=MUST,
        open_responses=SHOULD,
        checks=("replay.full",),
    ),
    Rule(
        id="replay.starting_after",
        statement="starting_after=N replays exactly the events after sequence number N",
        source=API,
        section="GET /responses/{response_id} (getResponse), `starting_after`",
        openai=MUST,
        open_responses=SHOULD,
        checks=("replay.starting_after",),
    ),
    Rule(
        id="replay.last_event_id",
        statement="A Last-Event-ID header resumes a replay like starting_after",
        source=API,
        section="GET /responses/{response_id} (getResponse); SSE resumption, not declared upstream",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("replay.last_event_id",),
    ),
    Rule(
        id="replay.live_tail",
        statement="Resuming a response in progress yields the events after N, then the live tail",
        source=API,
        section="GET /responses/{response_id} (getResponse), `stream` with `starting_after`",
        openai=MUST,
        open_responses=SHOULD,
        checks=("replay.live_tail",),
    ),
    # -- cancelling ----------------------------------------------------------------------------------
    Rule(
        id="cancel.background",
        statement="Cancelling an in-flight background response ends it `cancelled`",
        source=API,
        section="POST /responses/{response_id}/cancel (cancelResponse)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("cancel.background",),
    ),
    Rule(
        id="cancel.stream_end",
        statement="The live stream of a cancelled response ends with a terminal event saying cancelled",
        source=API,
        section="POST /responses/{response_id}/cancel (cancelResponse); ResponseStreamEvent",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("cancel.stream_end",),
    ),
    Rule(
        id="cancel.idempotent",
        statement="Cancelling a cancelled response again answers 200 with it, still cancelled",
        source=API,
        section="POST /responses/{response_id}/cancel (cancelResponse)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("cancel.idempotent",),
    ),
    Rule(
        id="cancel.foreground_rejected",
        statement="Cancelling a response not created in background is a 4xx with the error envelope",
        source=API,
        section="POST /responses/{response_id}/cancel (cancelResponse): only background responses",
        openai=MUST,
        open_responses=SHOULD,
        checks=("cancel.foreground_4xx",),
    ),
    Rule(
        id="cancel.foreground_400",
        statement="That refusal of a non-background cancel is exactly 400",
        source=API,
        section="POST /responses/{response_id}/cancel (cancelResponse); ErrorResponse",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("cancel.foreground_400",),
    ),
    Rule(
        id="cancel.body",
        statement="A successful cancel answers 200 application/json with a Response the models accept",
        source=API,
        section="POST /responses/{response_id}/cancel (cancelResponse); Response",
        openai=MUST,
        open_responses=SHOULD,
        checks=("cancel.body",),
    ),
    Rule(
        id="cancel.unknown_404",
        statement="Cancelling an unknown id is 404 with the error envelope",
        source=API,
        section="POST /responses/{response_id}/cancel (cancelResponse), 404",
        openai=MUST,
        open_responses=SHOULD,
        checks=("cancel.unknown_404",),
    ),
    # -- storage and chaining ------------------------------------------------------------------------
    Rule(
        id="delete.then_404",
        statement="A deleted response is gone: GET, input_items, cancel and a second DELETE answer 404",
        source=API,
        section="DELETE /responses/{response_id} (deleteResponse)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("delete.then_404",),
    ),
    Rule(
        id="delete.body",
        statement="DELETE answers 200 {id, object: response, deleted: true}",
        source=API,
        section="DELETE /responses/{response_id} (deleteResponse)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("delete.body",),
    ),
    Rule(
        id="store.false_not_retrievable",
        statement="A response created with store=false cannot be retrieved (404)",
        source=API,
        section="POST /responses (createResponse), `store`",
        openai=MUST,
        open_responses=SHOULD,
        checks=("store.false_not_retrievable",),
    ),
    Rule(
        id="chain.previous_response",
        statement="previous_response_id naming a stored response is accepted and echoed",
        source=OPEN_RESPONSES,
        section="§ previous_response_id",
        openai=MUST,
        open_responses=MUST,
        checks=("chain.previous_response",),
    ),
    Rule(
        id="chain.unknown_parent",
        statement="previous_response_id naming no response is a 4xx with the error envelope",
        source=OPEN_RESPONSES,
        section="§ previous_response_id (the server loads the prior response)",
        openai=MUST,
        open_responses=MUST,
        checks=("chain.unknown_parent",),
    ),
    Rule(
        id="chain.unstored_parent",
        statement="previous_response_id naming a store=false response is a 4xx",
        source=API,
        section="POST /responses (createResponse), `store` and `previous_response_id`",
        openai=MUST,
        open_responses=SHOULD,
        checks=("chain.unstored_parent",),
    ),
    Rule(
        id="chain.with_conversation",
        statement="previous_response_id together with conversation is 400",
        source=API,
        section="POST /responses (createResponse), `conversation` (cannot be used with previous_response_id)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("chain.with_conversation",),
    ),
    # -- input items -----------------------------------------------------------------------------------
    Rule(
        id="input_items.shape",
        statement="input_items lists every input item, with ids, as a list object",
        source=API,
        section="GET /responses/{response_id}/input_items (listInputItems)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("input_items.shape",),
    ),
    Rule(
        id="input_items.order",
        statement="input_items defaults to order=desc; asc lists items in the order they were sent",
        source=API,
        section="GET /responses/{response_id}/input_items (listInputItems), `order`",
        openai=MUST,
        open_responses=SHOULD,
        checks=("input_items.order",),
    ),
    Rule(
        id="input_items.limit_bounds",
        statement="input_items limit is 1..100: 0 and 101 are 400",
        source=API,
        section="GET /responses/{response_id}/input_items (listInputItems), `limit`",
        openai=MUST,
        open_responses=SHOULD,
        checks=("input_items.limit_bounds",),
    ),
    Rule(
        id="input_items.after",
        statement="`after` pages through input_items; has_more and first/last ids agree",
        source=API,
        section="GET /responses/{response_id}/input_items (listInputItems), `after`",
        openai=MUST,
        open_responses=SHOULD,
        checks=("input_items.after",),
    ),
    Rule(
        id="input_items.before",
        statement="`before` lists the input items preceding a cursor",
        source=API,
        section="GET /responses/{response_id}/input_items (listInputItems), `before` (prose only)",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("input_items.before",),
    ),
    Rule(
        id="input_items.paginator",
        statement="The openai client's paginator walks every page of input_items",
        source=API,
        section="GET /responses/{response_id}/input_items (listInputItems), ResponseItemList",
        openai=MUST,
        open_responses=SHOULD,
        checks=("input_items.paginator",),
    ),
    # -- rejected requests -------------------------------------------------------------------------------
    Rule(
        id="errors.malformed_json",
        statement="Malformed JSON is 400 with the error envelope",
        source=OPEN_RESPONSES,
        section="§ Errors, Error Types (invalid_request: 400)",
        openai=MUST,
        open_responses=MUST,
        checks=("errors.malformed_json",),
    ),
    Rule(
        id="errors.not_an_object",
        statement="A JSON body that is not an object is 400 with the error envelope",
        source=OPEN_RESPONSES,
        section="§ Errors, Error Types (invalid_request: 400)",
        openai=MUST,
        open_responses=MUST,
        checks=("errors.not_an_object",),
    ),
    Rule(
        id="errors.wrong_type",
        statement="A field of the wrong type is 400 with the error envelope",
        source=OPEN_RESPONSES,
        section="§ Errors (`param` names the input parameter), Error Types",
        openai=MUST,
        open_responses=MUST,
        checks=("errors.wrong_type",),
    ),
    Rule(
        id="errors.unknown_field",
        statement="An unknown top-level field is ignored or rejected with 400 and the envelope, never 5xx",
        source=OPEN_RESPONSES,
        section="§ Errors, Error Types; § Extending existing schemas",
        openai=MUST,
        open_responses=MUST,
        checks=("errors.unknown_field",),
    ),
    Rule(
        id="errors.unknown_item_type",
        statement="An input item of an unknown type is 400 with the error envelope",
        source=OPEN_RESPONSES,
        section="§ Items are polymorphic; § Errors",
        openai=MUST,
        open_responses=MUST,
        checks=("errors.unknown_item_type",),
    ),
    Rule(
        id="errors.prestream_json",
        statement="A request rejected before streaming starts is answered as JSON, even with stream=true",
        source=OPEN_RESPONSES,
        section="§ HTTP Responses; § Errors",
        openai=MUST,
        open_responses=MUST,
        checks=("errors.prestream_json",),
    ),
    Rule(
        id="errors.oversized_refused",
        statement="A body above the server's limit is a 4xx with the envelope, never a 5xx or a dropped connection",
        source=API,
        section="ErrorResponse (every 4xx answer carries it; upstream declares only 429)",
        openai=MUST,
        open_responses=MUST,
        checks=("errors.oversized_body",),
    ),
    Rule(
        id="errors.oversized_413",
        statement="That refusal of an oversized body is exactly 413",
        source=API,
        section="ErrorResponse; HTTP 413 Content Too Large",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("errors.oversized_413",),
    ),
    # -- function tools ----------------------------------------------------------------------------------
    Rule(
        id="tools.function_call_stream",
        statement="A function call streams added, argument deltas, arguments.done, item done",
        source=OPEN_RESPONSES,
        section="§ Items are streamable; § Externally-hosted tools",
        openai=MUST,
        open_responses=MUST,
        checks=("tools.function_call_stream",),
    ),
    Rule(
        id="tools.output_accepted",
        statement="A function_call_output continuing the call with previous_response_id is accepted",
        source=OPEN_RESPONSES,
        section="§ Externally-hosted tools; § previous_response_id",
        openai=MUST,
        open_responses=MUST,
        checks=("tools.output_accepted",),
    ),
    # -- the WebSocket transport (optional: skipped where the server has none) ----------------------------
    Rule(
        id="websocket.create",
        statement="A response.create message streams the same events as SSE, by the same rules",
        source=OPEN_RESPONSES,
        section="§ WebSocket Transport",
        openai=MUST,
        open_responses=MUST,
        checks=("websocket.create",),
    ),
    Rule(
        id="websocket.sequential",
        statement="A response.create sent while one runs is processed after it, never interleaved",
        source=OPEN_RESPONSES,
        section="§ WebSocket Transport (one in-flight response per connection)",
        openai=MUST,
        open_responses=MUST,
        checks=("websocket.sequential",),
    ),
    Rule(
        id="websocket.continuation",
        statement="A store=false response continues on the same socket with previous_response_id",
        source=OPEN_RESPONSES,
        section="§ WebSocket Continuation (connection-local state)",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("websocket.continuation",),
    ),
    Rule(
        id="websocket.previous_not_found",
        statement="store=false continuing an id the socket does not hold fails with previous_response_not_found",
        source=OPEN_RESPONSES,
        section="§ WebSocket Continuation",
        openai=MUST,
        open_responses=MUST,
        checks=("websocket.previous_not_found",),
    ),
    Rule(
        id="websocket.eviction",
        statement="A failed continuation evicts the id: continuing it again fails with previous_response_not_found",
        source=OPEN_RESPONSES,
        section="§ WebSocket Continuation (eviction after a 4xx or 5xx)",
        openai=MUST,
        open_responses=MUST,
        checks=("websocket.eviction",),
    ),
    # -- compaction and input tokens (optional) ------------------------------------------------------------
    Rule(
        id="compaction.shape",
        statement="POST /responses/compact answers a response.compaction object",
        source=API,
        section="POST /responses/compact (Compactconversation)",
        openai=MUST,
        open_responses=MUST,
        checks=("compaction.shape",),
    ),
    Rule(
        id="compaction.model_required",
        statement="POST /responses/compact without `model` is 400 with the envelope naming `model`",
        source=API,
        section="POST /responses/compact (Compactconversation), required `model`",
        openai=MUST,
        open_responses=MUST,
        checks=("compaction.model_required",),
    ),
    Rule(
        id="compaction.new_chain",
        statement="The compacted output, sent back as input without previous_response_id, starts a new response",
        source=OPEN_RESPONSES,
        section="§ WebSocket Compaction",
        openai=MUST,
        open_responses=MUST,
        checks=("compaction.new_chain",),
    ),
    Rule(
        id="input_tokens.shape",
        statement="POST /responses/input_tokens answers {object: response.input_tokens, input_tokens}",
        source=API,
        section="POST /responses/input_tokens (Getinputtokencounts)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("input_tokens.shape",),
    ),
    # -- conversations (optional) ----------------------------------------------------------------------------
    Rule(
        id="conversations.create",
        statement="POST /conversations answers a conversation object carrying the given metadata",
        source=API,
        section="POST /conversations (createConversation)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("conversations.create",),
    ),
    Rule(
        id="conversations.retrieve",
        statement="GET /conversations/{id} returns the conversation as created",
        source=API,
        section="GET /conversations/{conversation_id} (getConversation)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("conversations.retrieve",),
    ),
    Rule(
        id="conversations.update",
        statement="POST /conversations/{id} sets the metadata; the answer and later reads carry it",
        source=API,
        section="POST /conversations/{conversation_id} (updateConversation)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("conversations.update",),
    ),
    Rule(
        id="conversations.delete",
        statement="DELETE /conversations/{id} answers conversation.deleted; then it is 404",
        source=API,
        section="DELETE /conversations/{conversation_id} (deleteConversation)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("conversations.delete",),
    ),
    Rule(
        id="conversations.items_pagination",
        statement="Conversation items list in order and page with after/limit/order",
        source=API,
        section="GET /conversations/{conversation_id}/items (listConversationItems)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("conversations.items_pagination",),
    ),
    Rule(
        id="conversations.isolation",
        statement="A conversation made under one isolation key is not found under another",
        source=HOSTED,
        section="x-agent-user-isolation-key (per-user isolation of stored state)",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("conversations.isolation",),
    ),
    # -- bodies against both model sets ------------------------------------------------------------------------
    Rule(
        id="models.deviations",
        statement="Every body validates against the protocol description's models and, strictly, the openai models",
        source=API,
        section="components/schemas (Response, ResponseStreamEvent, ...); spec/openapi.json",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("models.deviations",),
    ),
    # -- request fields: include, metadata, truncation, store, text.format ---------------------------
    Rule(
        id="fields.include",
        statement="include takes the documented values; a value outside the enum is 400",
        source=API,
        section="POST /responses (createResponse), `include` (IncludeEnum); Open Responses IncludeEnum",
        openai=MUST,
        open_responses=MUST,
        checks=("fields.include",),
    ),
    Rule(
        id="fields.include_query",
        statement="The read endpoints take include as include= and as include[]=",
        source=API,
        section="GET /responses/{response_id}, GET /responses/{response_id}/input_items, `include` query",
        openai=MUST,
        open_responses=SHOULD,
        checks=("fields.include_query",),
    ),
    Rule(
        id="fields.metadata_limits",
        statement="metadata up to 16 pairs, 64-char keys, 512-char values is echoed; beyond is 400",
        source=API,
        section="Metadata; Open Responses MetadataParam",
        openai=MUST,
        open_responses=MUST,
        checks=("fields.metadata_limits",),
    ),
    Rule(
        id="fields.truncation",
        statement="truncation is echoed as sent ('disabled' by default); another value is 400",
        source=OPEN_RESPONSES,
        section="CreateResponseBody.truncation, ResponseResource.truncation (TruncationEnum)",
        openai=MUST,
        open_responses=MUST,
        checks=("fields.truncation",),
    ),
    Rule(
        id="fields.store_default",
        statement="store defaults to true: a response created without it is retrievable",
        source=API,
        section="POST /responses (createResponse), `store` (default true)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("fields.store_default",),
    ),
    Rule(
        id="fields.text_format_echo",
        statement="The Response echoes a json_schema text.format unchanged",
        source=API,
        section="Response.text (ResponseTextParam); Open Responses ResponseResource.text",
        openai=MUST,
        open_responses=MUST,
        checks=("fields.text_format_echo",),
    ),
    # -- content a handler emits: reasoning, annotations, refusals -------------------------------------
    Rule(
        id="content.reasoning",
        statement="Reasoning events target reasoning items; summary parts fill the item's summary",
        source=OPEN_RESPONSES,
        section="§ Reasoning; ResponseReasoningSummaryPartAddedEvent / DoneEvent",
        openai=MUST,
        open_responses=MUST,
        checks=("content.reasoning",),
    ),
    Rule(
        id="content.annotations",
        statement="Annotations are numbered per text part, point into its text, and end in the part",
        source=API,
        section="ResponseOutputTextAnnotationAddedEvent; OutputTextContent.annotations (Annotation)",
        openai=MUST,
        open_responses=MUST,
        checks=("content.annotations",),
    ),
    Rule(
        id="content.refusal",
        statement="Refusal text streams into refusal parts of a message, and only there",
        source=API,
        section="ResponseRefusalDeltaEvent / DoneEvent; RefusalContent",
        openai=MUST,
        open_responses=MUST,
        checks=("content.refusal",),
    ),
    # -- delivery over time: queued, keep-alives, cursors, concurrent readers --------------------------
    Rule(
        id="background.queued",
        statement="response.queued, if sent, comes once between created and in_progress, status queued",
        source=API,
        section="ResponseQueuedEvent; Open Responses § Streaming (state machine events)",
        openai=MUST,
        open_responses=MUST,
        checks=("background.queued",),
    ),
    Rule(
        id="sse.keep_alive",
        statement="A stream silent for a while carries SSE comment keep-alives",
        source=HOSTED,
        section="ResponsesServerOptions.sse_keep_alive_interval_seconds (default 15 s)",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("sse.keep_alive",),
    ),
    Rule(
        id="replay.beyond_end",
        statement="A resume cursor past the last event yields no events at once (or a 400)",
        source=API,
        section="GET /responses/{response_id}, `starting_after` (and Last-Event-ID as its SSE form)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("replay.beyond_end",),
    ),
    Rule(
        id="replay.concurrent_readers",
        statement="Concurrent readers of one response's stream receive identical bytes",
        source=API,
        section="GET /responses/{response_id}, `stream` (sequence_number identifies each event)",
        openai=MUST,
        open_responses=SHOULD,
        checks=("replay.concurrent_readers",),
    ),
    Rule(
        id="isolation.responses",
        statement="A response made under one isolation key is not found under another or none",
        source=HOSTED,
        section="x-agent-user-isolation-key (per-user isolation of stored state)",
        openai=SHOULD,
        open_responses=SHOULD,
        checks=("isolation.responses",),
    ),
]


def rules_by_check() -> dict[str, list[Rule]]:
    """Check id -> the rules naming it (exactly one for a registered check)."""
    table: dict[str, list[Rule]] = {}
    for rule in RULES:
        for check_id in rule.checks:
            table.setdefault(check_id, []).append(rule)
    return table


def rule_for(check_id: str) -> Rule | None:
    """The rule a check judges, or None when no rule names it (a check outside the table)."""
    for rule in RULES:
        if check_id in rule.checks:
            return rule
    return None
