"""Output-item and content-part builders: the state machines behind the generated emit_* methods.

Each generated method calls ``_pre_<role>`` (check the rules, raise before anything is emitted),
commits the payload to the stream, then ``_post_<role>`` (advance the state). The rules:

- an item is added once, then its events, then done once; a part likewise inside an open item;
- a streamed value (text, arguments, code, input) gets its ``*.done`` event once, after which no
  more deltas; a part is done only after its text is done; an item is done only when all its parts
  are done and its streamed field, if any, is done;
- item events need ``response.in_progress`` first and nothing may follow the terminal event.

The builders live in :mod:`~responsekit.streaming.output_item_builder` (the item state machine),
:mod:`~responsekit.streaming.part_builders` (the part state machines) and
:mod:`~responsekit.streaming.item_builders` (one builder per item kind); this module gathers them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any  # noqa: F401  (re-exported: importable from here before the split)

from responsekit.streaming._generated_builders import (  # noqa: F401  (re-exported)
    _CodeInterpreterCallItemBuilderEvents,
    _CompactionItemBuilderEvents,
    _ContentPartBuilderEvents,
    _CustomToolCallItemBuilderEvents,
    _FileSearchCallItemBuilderEvents,
    _FunctionCallItemBuilderEvents,
    _ImageGenCallItemBuilderEvents,
    _McpCallItemBuilderEvents,
    _McpListToolsItemBuilderEvents,
    _OutputItemBuilderEvents,
    _ReasoningSummaryPartBuilderEvents,
    _ReasoningTextContentBuilderEvents,
    _RefusalContentBuilderEvents,
    _ShellCallItemBuilderEvents,
    _ShellCallOutputItemBuilderEvents,
    _TextContentBuilderEvents,
    _WebSearchCallItemBuilderEvents,
)
from responsekit.streaming.errors import StreamOrderError  # noqa: F401  (re-exported)
from responsekit.streaming.events import StreamEvent, _plain  # noqa: F401  (re-exported)
from responsekit.streaming.item_builders import (  # noqa: F401  (re-exported)
    CodeInterpreterCallItemBuilder,
    CompactionItemBuilder,
    CustomToolCallItemBuilder,
    FileSearchCallItemBuilder,
    FunctionCallItemBuilder,
    GenericItemBuilder,
    ImageGenCallItemBuilder,
    McpCallItemBuilder,
    McpListToolsItemBuilder,
    MessageItemBuilder,
    ReasoningItemBuilder,
    ShellCallItemBuilder,
    ShellCallOutputItemBuilder,
    WebSearchCallItemBuilder,
)
from responsekit.streaming.output_item_builder import (  # noqa: F401  (re-exported)
    _RUNNING,
    DONE,
    NEW,
    OPEN,
    OutputItemBuilder,
)
from responsekit.streaming.part_builders import (  # noqa: F401  (re-exported)
    ContentPartBuilder,
    ReasoningSummaryPartBuilder,
    ReasoningTextContentBuilder,
    RefusalContentBuilder,
    TextContentBuilder,
    _PartBuilder,
)
