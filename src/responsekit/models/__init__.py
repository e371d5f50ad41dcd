"""The protocol's models, generated from spec/openapi.json (see ``_generated.py``; never edit it).

The names users reach for are re-exported here; every generated model is available as
``responsekit.models.<Name>``.
"""

from responsekit.models import _generated as _models
from responsekit.models._generated import *  # noqa: F403
from responsekit.models._generated import OutputItem, Response, ResponseStreamEvent  # noqa: F401
from responsekit.models.request import CreateResponse  # noqa: F401

#: The response object (the peer package calls it ResponseObject).
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
globals().update({alias: getattr(_models, name) for alias, name in PEER_ALIASES.items()})

__all__ = sorted(
    {name for name, value in vars(_models).items() if getattr(value, "__module__", None) == _models.__name__}
    | set(PEER_ALIASES)
    | {"CreateResponse", "OutputItem", "Response", "ResponseObject", "ResponseStreamEvent"}
)
