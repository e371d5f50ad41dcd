"""The streaming API: ResponseEventStream and its builders, TextResponse, events and SSE framing."""

from responsekit.streaming.builders import (
    CodeInterpreterCallItemBuilder,
    CompactionItemBuilder,
    ContentPartBuilder,
    CustomToolCallItemBuilder,
    FileSearchCallItemBuilder,
    FunctionCallItemBuilder,
    GenericItemBuilder,
    ImageGenCallItemBuilder,
    McpCallItemBuilder,
    McpListToolsItemBuilder,
    MessageItemBuilder,
    OutputItemBuilder,
    ReasoningItemBuilder,
    ReasoningSummaryPartBuilder,
    ReasoningTextContentBuilder,
    RefusalContentBuilder,
    ShellCallItemBuilder,
    ShellCallOutputItemBuilder,
    TextContentBuilder,
    WebSearchCallItemBuilder,
)
from responsekit.streaming.errors import StreamOrderError
from responsekit.streaming.events import StreamEvent, sse_frame
from responsekit.streaming.snapshot import ResponseSnapshot
from responsekit.streaming.stream import ResponseEventStream
from responsekit.streaming.text_response import TextResponse

__all__ = [
    "CodeInterpreterCallItemBuilder",
    "CompactionItemBuilder",
    "ContentPartBuilder",
    "CustomToolCallItemBuilder",
    "FileSearchCallItemBuilder",
    "FunctionCallItemBuilder",
    "GenericItemBuilder",
    "ImageGenCallItemBuilder",
    "McpCallItemBuilder",
    "McpListToolsItemBuilder",
    "MessageItemBuilder",
    "OutputItemBuilder",
    "ReasoningItemBuilder",
    "ReasoningSummaryPartBuilder",
    "ReasoningTextContentBuilder",
    "RefusalContentBuilder",
    "ResponseEventStream",
    "ResponseSnapshot",
    "ShellCallItemBuilder",
    "ShellCallOutputItemBuilder",
    "StreamEvent",
    "StreamOrderError",
    "TextContentBuilder",
    "TextResponse",
    "WebSearchCallItemBuilder",
    "sse_frame",
]
