"""The protocol's models, generated from spec/openapi.json (see ``_generated.py``; never edit it).

The names users reach for are re-exported here; every generated model is available as
``responsekit.models.<Name>``.
"""

# The models (and pydantic) load on first use of a name from here (PEP 562 ``__getattr__`` below),
# not with the package: importing it, or a small module in it such as ``_generated_constants``,
# stays cheap, so ``import responsekit`` does not pay for some 280 pydantic classes (the host
# builds the request's model at startup, before the first request).

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsekit.models._generated import *  # noqa: F403
    from responsekit.models._generated import OutputItem, Response, ResponseStreamEvent  # noqa: F401
    from responsekit.models.request import CreateResponse  # noqa: F401

    ResponseObject = Response

#: The peer package's names for models this package generates under the spec's own names
#: (``ItemMessage`` is :class:`Message`, ``MessageContentInputImageContent`` is
#: :class:`InputImageContent`, ...): the same classes, so ``isinstance`` and validation agree.
PEER_ALIASES: dict[str, str] = {
    "ConversationParam_2": "ConversationParam2",
    "DeleteResponseResult": "DeletedResponse",
    "ImageGenToolInputImageMask": "InputImageMask",
    "ItemCodeInterpreterToolCall": "CodeInterpreterToolCall",
    "ItemComputerToolCall": "ComputerToolCall",
    "ItemCustomToolCall": "CustomToolCall",
    "ItemCustomToolCallOutput": "CustomToolCallOutput",
    "ItemFieldAdditionalTools": "AdditionalTools",
    "ItemFieldApplyPatchToolCall": "ApplyPatchToolCall",
    "ItemFieldApplyPatchToolCallOutput": "ApplyPatchToolCallOutput",
    "ItemFieldCodeInterpreterToolCall": "CodeInterpreterToolCall",
    "ItemFieldCompactionBody": "CompactionBody",
    "ItemFieldComputerToolCall": "ComputerToolCall",
    "ItemFieldComputerToolCallOutput": "ComputerToolCallOutput",
    "ItemFieldCustomToolCall": "CustomToolCall",
    "ItemFieldCustomToolCallOutput": "CustomToolCallOutput",
    "ItemFieldFileSearchToolCall": "FileSearchToolCall",
    "ItemFieldFunctionShellCall": "FunctionShellCall",
    "ItemFieldFunctionShellCallOutput": "FunctionShellCallOutput",
    "ItemFieldFunctionToolCall": "FunctionToolCall",
    "ItemFieldFunctionToolCallOutput": "FunctionToolCallOutput",
    "ItemFieldImageGenToolCall": "ImageGenToolCall",
    "ItemFieldLocalShellToolCall": "LocalShellToolCall",
    "ItemFieldLocalShellToolCallOutput": "LocalShellToolCallOutput",
    "ItemFieldMcpApprovalRequest": "MCPApprovalRequest",
    "ItemFieldMcpApprovalResponseResource": "MCPApprovalResponseResource",
    "ItemFieldMcpListTools": "MCPListTools",
    "ItemFieldMcpToolCall": "MCPToolCall",
    "ItemFieldMessage": "Message",
    "ItemFieldProgram": "Program",
    "ItemFieldProgramOutput": "ProgramOutput",
    "ItemFieldReasoningItem": "ReasoningItem",
    "ItemFieldToolSearchCall": "ToolSearchCall",
    "ItemFieldToolSearchOutput": "ToolSearchOutput",
    "ItemFieldWebSearchToolCall": "WebSearchToolCall",
    "ItemFileSearchToolCall": "FileSearchToolCall",
    "ItemFunctionToolCall": "FunctionToolCall",
    "ItemImageGenToolCall": "ImageGenToolCall",
    "ItemLocalShellToolCall": "LocalShellToolCall",
    "ItemLocalShellToolCallOutput": "LocalShellToolCallOutput",
    "ItemMcpApprovalRequest": "MCPApprovalRequest",
    "ItemMcpListTools": "MCPListTools",
    "ItemMcpToolCall": "MCPToolCall",
    "ItemMessage": "EasyInputMessage",
    "ItemProgram": "Program",
    "ItemProgramOutput": "ProgramOutput",
    "ItemReasoningItem": "ReasoningItem",
    "ItemWebSearchToolCall": "WebSearchToolCall",
    "MessageContentInputFileContent": "InputFileContent",
    "MessageContentInputImageContent": "InputImageContent",
    "MessageContentInputTextContent": "InputTextContent",
    "MessageContentOutputTextContent": "OutputTextContent",
    "MessageContentReasoningTextContent": "ReasoningTextContent",
    "MessageContentRefusalContent": "RefusalContent",
    "OutputContentOutputTextContent": "OutputTextContent",
    "OutputContentReasoningTextContent": "ReasoningTextContent",
    "OutputContentRefusalContent": "RefusalContent",
    "OutputItemAdditionalTools": "AdditionalTools",
    "OutputItemApplyPatchToolCall": "ApplyPatchToolCall",
    "OutputItemApplyPatchToolCallOutput": "ApplyPatchToolCallOutput",
    "OutputItemCodeInterpreterToolCall": "CodeInterpreterToolCall",
    "OutputItemCompactionBody": "CompactionBody",
    "OutputItemComputerToolCall": "ComputerToolCall",
    "OutputItemComputerToolCallOutput": "ComputerToolCallOutput",
    "OutputItemFileSearchToolCall": "FileSearchToolCall",
    "OutputItemFunctionShellCall": "FunctionShellCall",
    "OutputItemFunctionShellCallOutput": "FunctionShellCallOutput",
    "OutputItemFunctionToolCall": "FunctionToolCall",
    "OutputItemFunctionToolCallOutput": "FunctionToolCallOutput",
    "OutputItemImageGenToolCall": "ImageGenToolCall",
    "OutputItemLocalShellToolCall": "LocalShellToolCall",
    "OutputItemLocalShellToolCallOutput": "LocalShellToolCallOutput",
    "OutputItemMcpApprovalRequest": "MCPApprovalRequest",
    "OutputItemMcpApprovalResponseResource": "MCPApprovalResponseResource",
    "OutputItemMcpListTools": "MCPListTools",
    "OutputItemMcpToolCall": "MCPToolCall",
    "OutputItemMessage": "Message",
    "OutputItemProgram": "Program",
    "OutputItemProgramOutput": "ProgramOutput",
    "OutputItemReasoningItem": "ReasoningItem",
    "OutputItemToolSearchCall": "ToolSearchCall",
    "OutputItemToolSearchOutput": "ToolSearchOutput",
    "OutputItemWebSearchToolCall": "WebSearchToolCall",
    "ResponseIncompleteDetails": "IncompleteDetails",
    "ResponseLogProbTopLogprobs": "TopLogprob",
    "ResponseUsageInputTokensDetails": "InputTokensDetails",
    "ResponseUsageOutputTokensDetails": "OutputTokensDetails",
    "StructuredOutputsOutputItem": "StructuredOutputsItem",
    "TextResponseFormatConfigurationResponseFormatJsonObject": "ResponseFormatJsonObject",
    "TextResponseFormatConfigurationResponseFormatText": "ResponseFormatText",
}

#: Submodules the package imported when it loaded the models eagerly (reachable as attributes).
_SUBMODULES = frozenset({"request", "_base", "_generated"})


def _all_names() -> list[str]:
    models = importlib.import_module("responsekit.models._generated")
    return sorted(
        {
            name
            for name, value in vars(models).items()
            if getattr(value, "__module__", None) == models.__name__
        }
        | set(PEER_ALIASES)
        | {"CreateResponse", "OutputItem", "Response", "ResponseObject", "ResponseStreamEvent"}
    )


def __getattr__(name: str) -> Any:
    """A model (or ``__all__``), loading the generated models on first use (PEP 562); cached."""
    if name == "CreateResponse":
        value: Any = importlib.import_module("responsekit.models.request").CreateResponse
    elif name == "__all__":
        value = _all_names()
    elif name in _SUBMODULES:  # importing the package used to import these
        return importlib.import_module(f"{__name__}.{name}")
    elif name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    else:
        models = importlib.import_module("responsekit.models._generated")
        if name == "ResponseObject":  # the response object (the peer package calls it ResponseObject)
            value = models.Response
        elif name in PEER_ALIASES:
            value = getattr(models, PEER_ALIASES[name])
        else:  # what ``from responsekit.models._generated import *`` gave this module
            try:
                value = getattr(models, name)
            except AttributeError:
                raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})
