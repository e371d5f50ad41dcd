# GENERATED FILE: DO NOT EDIT. Protocol models (pydantic v2).
# Source: spec/openapi.json (sha256 d24a43b340c1f4b9d5ae16728182dd36869d0b95b8f47dcfb3bedcd33d92db74), by `make codegen` (codegen/generate.py).
# To change it, edit spec/overlay.yaml, codegen/builders.yaml or codegen/templates/, then
# run `make codegen`.
from typing import Annotated, Any, Literal, Optional, Union


from responsekit.models._base import ProtocolModel


from typing_extensions import TypeAliasType


from pydantic import AnyUrl, ConfigDict, Field, RootModel, StringConstraints


ApplyPatchCallOutputStatus = TypeAliasType("ApplyPatchCallOutputStatus", Literal["completed", "failed"])


ApplyPatchCallOutputStatusParam = TypeAliasType(
    "ApplyPatchCallOutputStatusParam", Literal["completed", "failed"]
)


ApplyPatchCallStatus = TypeAliasType("ApplyPatchCallStatus", Literal["in_progress", "completed"])


ApplyPatchCallStatusParam = TypeAliasType("ApplyPatchCallStatusParam", Literal["in_progress", "completed"])


class ApplyPatchCreateFileOperation(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["create_file"] = "create_file"
    path: str
    diff: str


class ApplyPatchCreateFileOperationParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["create_file"] = "create_file"
    path: Annotated[str, Field(min_length=1)]
    diff: Annotated[str, Field(max_length=10485760)]


class ApplyPatchDeleteFileOperation(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["delete_file"] = "delete_file"
    path: str


class ApplyPatchDeleteFileOperationParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["delete_file"] = "delete_file"
    path: Annotated[str, Field(min_length=1)]


Output = TypeAliasType("Output", Annotated[str, Field(max_length=10485760)])


class ApplyPatchUpdateFileOperation(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["update_file"] = "update_file"
    path: str
    diff: str


class ApplyPatchUpdateFileOperationParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["update_file"] = "update_file"
    path: Annotated[str, Field(min_length=1)]
    diff: Annotated[str, Field(max_length=10485760)]


class ApproximateLocation(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["approximate"] = "approximate"
    country: str | None = None
    region: str | None = None
    city: str | None = None
    timezone: str | None = None


CallableToolAllowedCaller = TypeAliasType("CallableToolAllowedCaller", Literal["direct", "programmatic"])


ClickButtonType = TypeAliasType("ClickButtonType", Literal["left", "right", "wheel", "back", "forward"])


class ClickParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["click"] = "click"
    button: ClickButtonType
    x: int
    y: int
    keys: list[str] | None = None


class CodeInterpreterOutputImage(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["image"] = "image"
    url: AnyUrl


class CodeInterpreterOutputLogs(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["logs"] = "logs"
    logs: str


AllowedCallers = TypeAliasType(
    "AllowedCallers", Annotated[list[CallableToolAllowedCaller], Field(min_length=1)]
)


Outputs = TypeAliasType(
    "Outputs", Annotated[CodeInterpreterOutputLogs | CodeInterpreterOutputImage, Field(discriminator="type")]
)


class CodeInterpreterToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["code_interpreter_call"] = "code_interpreter_call"
    id: str
    status: Literal["in_progress", "completed", "incomplete", "interpreting", "failed"]
    container_id: str
    code: str | None
    outputs: list[Outputs] | None


Input = TypeAliasType("Input", Annotated[str, Field(max_length=10485760)])


PromptCacheKey = TypeAliasType("PromptCacheKey", Annotated[str, Field(max_length=64)])


class CompactionBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["compaction"] = "compaction"
    id: str
    encrypted_content: str
    created_by: str | None = None


class CompactionSummaryItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    type: Literal["compaction"] = "compaction"
    encrypted_content: Annotated[str, Field(max_length=20971520)]


class CompactionTriggerItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["compaction_trigger"] = "compaction_trigger"


class ComparisonFilter(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]
    key: str
    value: str | float | bool | list[str | float]


ComputerCallOutputStatus = TypeAliasType(
    "ComputerCallOutputStatus", Literal["completed", "incomplete", "failed"]
)


class ComputerCallSafetyCheckParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    code: str | None = None
    message: str | None = None


ComputerEnvironment = TypeAliasType(
    "ComputerEnvironment", Literal["windows", "mac", "linux", "ubuntu", "browser"]
)


class ComputerScreenshotImage(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["computer_screenshot"] = "computer_screenshot"
    image_url: AnyUrl | None = None
    file_id: str | None = None


class ComputerTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["computer"] = "computer"


class ComputerToolCallOutput(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["computer_call_output"] = "computer_call_output"
    id: str | None = None
    call_id: str
    acknowledged_safety_checks: list[ComputerCallSafetyCheckParam] | None = None
    output: ComputerScreenshotImage
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class ComputerToolCallOutputResource(ComputerToolCallOutput):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    status: ComputerCallOutputStatus
    created_by: str | None = None
    type: Literal["computer_call_output"] = "computer_call_output"


class ComputerUsePreviewTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["computer_use_preview"] = "computer_use_preview"
    environment: ComputerEnvironment
    display_width: int
    display_height: int


class ContainerFileCitationBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["container_file_citation"] = "container_file_citation"
    container_id: str
    file_id: str
    start_index: int
    end_index: int
    filename: str


ContainerMemoryLimit = TypeAliasType("ContainerMemoryLimit", Literal["1g", "4g", "16g", "64g"])


class ContainerNetworkPolicyDisabledParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["disabled"] = "disabled"


class ContainerNetworkPolicyDomainSecretParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    domain: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    value: Annotated[str, Field(max_length=10485760, min_length=1)]


class ContainerReferenceParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["container_reference"] = "container_reference"
    container_id: str


class ContainerReferenceResource(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["container_reference"] = "container_reference"
    container_id: str


CompactThreshold = TypeAliasType("CompactThreshold", Annotated[int, Field(ge=1000)])


class ContextManagementParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: str
    compact_threshold: CompactThreshold | None = None


class ConversationParam2(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str


class ConversationResource(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    object: Literal["conversation"] = "conversation"
    metadata: Any
    created_at: int


class CoordParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    x: int
    y: int


TopLogprobs = TypeAliasType("TopLogprobs", Annotated[int, Field(ge=0, le=20)])


TopLogprobs1 = TypeAliasType("TopLogprobs1", None)


ContextManagement = TypeAliasType(
    "ContextManagement", Annotated[list[ContextManagementParam], Field(min_length=1)]
)


MaxOutputTokens = TypeAliasType("MaxOutputTokens", Annotated[int, Field(ge=16)])


class CustomTextFormatParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["text"] = "text"


class DeletedConversationResource(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    object: Literal["conversation.deleted"] = "conversation.deleted"
    deleted: bool
    id: str


DetailEnum = TypeAliasType("DetailEnum", Literal["low", "high", "auto", "original"])


class DirectToolCallCaller(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["direct"] = "direct"


class DirectToolCallCallerParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["direct"] = "direct"


class DoubleClickAction(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["double_click"] = "double_click"
    x: int
    y: int
    keys: list[str] | None


class DragParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["drag"] = "drag"
    path: list[CoordParam]
    keys: list[str] | None = None


class EmptyModelParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )


class Error(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    code: str | None
    message: str
    param: str | None
    type: str


class ErrorResponse(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    error: Error


class FileCitationBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["file_citation"] = "file_citation"
    file_id: str
    index: int
    filename: str


FileDetailEnum = TypeAliasType("FileDetailEnum", Literal["auto", "low", "high"])


FileInputDetail = TypeAliasType("FileInputDetail", Literal["auto", "low", "high"])


class FilePath(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["file_path"] = "file_path"
    file_id: str
    index: int


FunctionCallItemStatus = TypeAliasType(
    "FunctionCallItemStatus", Literal["in_progress", "completed", "incomplete"]
)


CallId = TypeAliasType("CallId", Annotated[str, Field(max_length=64, min_length=1)])


Name = TypeAliasType("Name", Annotated[str, Field(max_length=128, min_length=1)])


Namespace = TypeAliasType(
    "Namespace",
    Annotated[str, Field(max_length=64, min_length=1, pattern="^[a-zA-Z0-9_-]+$")],
)


FunctionCallOutputStatusEnum = TypeAliasType(
    "FunctionCallOutputStatusEnum", Literal["in_progress", "completed", "incomplete"]
)


FunctionCallStatus = TypeAliasType("FunctionCallStatus", Literal["in_progress", "completed", "incomplete"])


class FunctionShellAction(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    commands: list[str]
    timeout_ms: int | None
    max_output_length: int | None


class FunctionShellActionParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    commands: list[str]
    timeout_ms: int | None = None
    max_output_length: int | None = None


FunctionShellCallItemStatus = TypeAliasType(
    "FunctionShellCallItemStatus", Literal["in_progress", "completed", "incomplete"]
)


class FunctionShellCallOutputExitOutcome(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["exit"] = "exit"
    exit_code: int


class FunctionShellCallOutputExitOutcomeParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["exit"] = "exit"
    exit_code: int


FunctionShellCallOutputStatusEnum = TypeAliasType(
    "FunctionShellCallOutputStatusEnum",
    Literal["in_progress", "completed", "incomplete"],
)


class FunctionShellCallOutputTimeoutOutcome(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["timeout"] = "timeout"


class FunctionShellCallOutputTimeoutOutcomeParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["timeout"] = "timeout"


FunctionShellCallStatus = TypeAliasType(
    "FunctionShellCallStatus", Literal["in_progress", "completed", "incomplete"]
)


class FunctionTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["function"] = "function"
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    strict: bool | None = True
    defer_loading: bool | None = None
    allowed_callers: list[CallableToolAllowedCaller] | None = None


class FunctionToolParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    name: Annotated[str, Field(max_length=128, min_length=1, pattern="^[a-zA-Z0-9_-]+$")]
    description: str | None = None
    parameters: EmptyModelParam | None = None
    strict: bool | None = True
    type: Literal["function"] = "function"
    output_schema: dict[str, Any] | None = None
    defer_loading: bool | None = None
    allowed_callers: AllowedCallers | None = None


GrammarSyntax1 = TypeAliasType("GrammarSyntax1", Literal["lark", "regex"])


class HTTPError(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["http_error"] = "http_error"
    code: int
    message: str


class HybridSearchOptions(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    embedding_weight: float
    text_weight: float


ImageDetail = TypeAliasType("ImageDetail", Literal["low", "high", "auto", "original"])


ImageGenActionEnum = TypeAliasType("ImageGenActionEnum", Literal["generate", "edit", "auto"])


class InputImageMask(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    image_url: str | None = None
    file_id: str | None = None


class ImageGenToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["image_generation_call"] = "image_generation_call"
    id: str
    status: Literal["in_progress", "completed", "generating", "failed"]
    result: str | None


IncludeEnum = TypeAliasType(
    "IncludeEnum",
    Literal[
        "file_search_call.results",
        "web_search_call.results",
        "web_search_call.action.sources",
        "message.input_image.image_url",
        "computer_call_output.output.image_url",
        "code_interpreter_call.outputs",
        "reasoning.encrypted_content",
        "message.output_text.logprobs",
    ],
)


class InlineSkillSourceParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["base64"] = "base64"
    media_type: Literal["application/zip"] = "application/zip"
    data: Annotated[str, Field(max_length=70254592, min_length=1)]


InputFidelity = TypeAliasType("InputFidelity", Literal["high", "low"])


FileData = TypeAliasType("FileData", Annotated[str, Field(max_length=73400320)])


ImageUrl = TypeAliasType("ImageUrl", AnyUrl)


class ItemReferenceParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["item_reference"] | None = None
    id: str


class KeyPressAction(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["keypress"] = "keypress"
    keys: list[str]


class LocalEnvironmentResource(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["local"] = "local"


class LocalShellExecAction(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["exec"] = "exec"
    command: list[str]
    timeout_ms: int | None = None
    working_directory: str | None = None
    env: dict[str, str]
    user: str | None = None


class LocalShellToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["local_shell_call"] = "local_shell_call"
    id: str
    call_id: str
    action: LocalShellExecAction
    status: Literal["in_progress", "completed", "incomplete"]


class LocalShellToolCallOutput(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["local_shell_call_output"] = "local_shell_call_output"
    id: str
    output: str
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class LocalShellToolParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["local_shell"] = "local_shell"


class LocalSkillParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    name: str
    description: str
    path: str


class MCPApprovalRequest(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["mcp_approval_request"] = "mcp_approval_request"
    id: str
    server_label: str
    name: str
    arguments: str


class MCPApprovalResponse(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["mcp_approval_response"] = "mcp_approval_response"
    id: str | None = None
    approval_request_id: str
    approve: bool
    reason: str | None = None


class MCPApprovalResponseResource(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["mcp_approval_response"] = "mcp_approval_response"
    id: str
    approval_request_id: str
    approve: bool
    reason: str | None = None


class MCPListToolsTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    name: str
    description: str | None = None
    input_schema: dict[str, Any]
    annotations: dict[str, Any] | None = None


class MCPProtocolError(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["mcp_protocol_error"] = "mcp_protocol_error"
    code: int
    message: str


MCPToolCallStatus = TypeAliasType(
    "MCPToolCallStatus",
    Literal["in_progress", "completed", "incomplete", "calling", "failed"],
)


class MCPToolExecutionError(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["mcp_tool_execution_error"] = "mcp_tool_execution_error"
    content: Any


class MCPToolFilter(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    tool_names: list[str] | None = None
    read_only: bool | None = None


MessagePhase = TypeAliasType("MessagePhase", Literal["commentary", "final_answer"])


MessagePhase2 = TypeAliasType("MessagePhase2", Literal["commentary", "final_answer"])


MessageRole = TypeAliasType(
    "MessageRole",
    Literal[
        "unknown",
        "user",
        "assistant",
        "system",
        "critic",
        "discriminator",
        "developer",
        "tool",
    ],
)


MessageStatus = TypeAliasType("MessageStatus", Literal["in_progress", "completed", "incomplete"])


ModelIdsShared = TypeAliasType(
    "ModelIdsShared",
    str
    | Literal[
        "gpt-5.6-sol",
        "gpt-5.6-terra",
        "gpt-5.6-luna",
        "gpt-5.5",
        "gpt-5.5-2026-04-23",
        "gpt-5.4",
        "gpt-5.4-mini",
        "gpt-5.4-nano",
        "gpt-5.4-mini-2026-03-17",
        "gpt-5.4-nano-2026-03-17",
        "gpt-5.3-chat-latest",
        "gpt-5.2",
        "gpt-5.2-2025-12-11",
        "gpt-5.2-chat-latest",
        "gpt-5.2-pro",
        "gpt-5.2-pro-2025-12-11",
        "gpt-5.1",
        "gpt-5.1-2025-11-13",
        "gpt-5.1-codex",
        "gpt-5.1-mini",
        "gpt-5.1-chat-latest",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-5-2025-08-07",
        "gpt-5-mini-2025-08-07",
        "gpt-5-nano-2025-08-07",
        "gpt-5-chat-latest",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "o4-mini",
        "o4-mini-2025-04-16",
        "o3",
        "o3-2025-04-16",
        "o3-mini",
        "o3-mini-2025-01-31",
        "o1",
        "o1-2024-12-17",
        "o1-preview",
        "o1-preview-2024-09-12",
        "o1-mini",
        "o1-mini-2024-09-12",
        "gpt-4o",
        "gpt-4o-2024-11-20",
        "gpt-4o-2024-08-06",
        "gpt-4o-2024-05-13",
        "gpt-4o-audio-preview",
        "gpt-4o-audio-preview-2024-10-01",
        "gpt-4o-audio-preview-2024-12-17",
        "gpt-4o-audio-preview-2025-06-03",
        "gpt-4o-mini-audio-preview",
        "gpt-4o-mini-audio-preview-2024-12-17",
        "gpt-4o-search-preview",
        "gpt-4o-mini-search-preview",
        "gpt-4o-search-preview-2025-03-11",
        "gpt-4o-mini-search-preview-2025-03-11",
        "chatgpt-4o-latest",
        "codex-mini-latest",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        "gpt-4-turbo",
        "gpt-4-turbo-2024-04-09",
        "gpt-4-0125-preview",
        "gpt-4-turbo-preview",
        "gpt-4-1106-preview",
        "gpt-4-vision-preview",
        "gpt-4",
        "gpt-4-0314",
        "gpt-4-0613",
        "gpt-4-32k",
        "gpt-4-32k-0314",
        "gpt-4-32k-0613",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-16k",
        "gpt-3.5-turbo-0301",
        "gpt-3.5-turbo-0613",
        "gpt-3.5-turbo-1106",
        "gpt-3.5-turbo-0125",
        "gpt-3.5-turbo-16k-0613",
    ],
)


TopLogprobs2 = TypeAliasType("TopLogprobs2", Annotated[int, Field(ge=0, le=20)])


Temperature = TypeAliasType("Temperature", Annotated[float, Field(ge=0.0, le=2.0)])


TopP = TypeAliasType("TopP", Annotated[float, Field(ge=0.0, le=1.0)])


SafetyIdentifier = TypeAliasType("SafetyIdentifier", Annotated[str, Field(max_length=64)])


class ModerationErrorBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["error"] = "error"
    code: str
    message: str


ModerationInputType = TypeAliasType("ModerationInputType", Literal["text", "image"])


ModerationMode = TypeAliasType("ModerationMode", Literal["score", "block"])


class ModerationResultBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["moderation_result"] = "moderation_result"
    model: str
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    category_applied_input_types: dict[str, list[ModerationInputType]]


class MoveParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["move"] = "move"
    x: int
    y: int
    keys: list[str] | None = None


PersonalityEnum = TypeAliasType("PersonalityEnum", str | Literal["friendly", "pragmatic"])


class Program(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["program"] = "program"
    id: str
    call_id: str
    code: str
    fingerprint: str


class ProgramItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    type: Literal["program"] = "program"
    call_id: Annotated[str, Field(max_length=64, min_length=1)]
    code: Annotated[str, Field(max_length=10485760)]
    fingerprint: Annotated[str, Field(max_length=10485760)]


ProgramOutputItemStatus = TypeAliasType("ProgramOutputItemStatus", Literal["completed", "incomplete"])


ProgramOutputStatus = TypeAliasType("ProgramOutputStatus", Literal["completed", "incomplete"])


class ProgramToolCallCaller(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["program"] = "program"
    caller_id: str


class ProgramToolCallCallerParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["program"] = "program"
    caller_id: Annotated[str, Field(max_length=64, min_length=1)]


class ProgrammaticToolCallingParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["programmatic_tool_calling"] = "programmatic_tool_calling"


class PromptCacheBreakpointConfig(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    mode: Literal["explicit"] = "explicit"


class PromptCacheBreakpointParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    mode: Literal["explicit"] = "explicit"


PromptCacheModeEnum = TypeAliasType("PromptCacheModeEnum", Literal["implicit", "explicit"])


PromptCacheRetentionEnum = TypeAliasType("PromptCacheRetentionEnum", Literal["in_memory", "24h"])


PromptCacheTTLEnum = TypeAliasType("PromptCacheTTLEnum", Literal["30m"])


RankerVersionType = TypeAliasType("RankerVersionType", Literal["auto", "default-2024-11-15"])


class RankingOptions(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    ranker: RankerVersionType | None = None
    score_threshold: float | None = None
    hybrid_search: HybridSearchOptions | None = None


ReasoningEffort = TypeAliasType(
    "ReasoningEffort",
    Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None,
)


ReasoningModeEnum = TypeAliasType("ReasoningModeEnum", str | Literal["standard", "pro"])


class ReasoningTextContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["reasoning_text"] = "reasoning_text"
    text: str


class RefusalContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["refusal"] = "refusal"
    refusal: str


class IncompleteDetails(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    reason: Literal["max_output_tokens", "content_filter"] | None = None


class ResponseAudioDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.audio.delta"] = "response.audio.delta"
    sequence_number: int
    delta: str


class ResponseAudioDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.audio.done"] = "response.audio.done"
    sequence_number: int


class ResponseAudioTranscriptDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.audio.transcript.delta"] = "response.audio.transcript.delta"
    delta: str
    sequence_number: int


class ResponseAudioTranscriptDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.audio.transcript.done"] = "response.audio.transcript.done"
    sequence_number: int


class ResponseCodeInterpreterCallCodeDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.code_interpreter_call_code.delta"] = "response.code_interpreter_call_code.delta"
    output_index: int
    item_id: str
    delta: str
    sequence_number: int


class ResponseCodeInterpreterCallCodeDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.code_interpreter_call_code.done"] = "response.code_interpreter_call_code.done"
    output_index: int
    item_id: str
    code: str
    sequence_number: int


class ResponseCodeInterpreterCallCompletedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.code_interpreter_call.completed"] = "response.code_interpreter_call.completed"
    output_index: int
    item_id: str
    sequence_number: int


class ResponseCodeInterpreterCallInProgressEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.code_interpreter_call.in_progress"] = "response.code_interpreter_call.in_progress"
    output_index: int
    item_id: str
    sequence_number: int


class ResponseCodeInterpreterCallInterpretingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.code_interpreter_call.interpreting"] = (
        "response.code_interpreter_call.interpreting"
    )
    output_index: int
    item_id: str
    sequence_number: int


class ResponseConversation(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str


class ResponseCustomToolCallInputDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.custom_tool_call_input.delta"] = "response.custom_tool_call_input.delta"
    sequence_number: int
    output_index: int
    item_id: str
    delta: str


class ResponseCustomToolCallInputDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.custom_tool_call_input.done"] = "response.custom_tool_call_input.done"
    sequence_number: int
    output_index: int
    item_id: str
    input: str


ResponseErrorCode = TypeAliasType(
    "ResponseErrorCode",
    Literal[
        "server_error",
        "rate_limit_exceeded",
        "invalid_prompt",
        "data_residency_mismatch",
        "bio_policy",
        "vector_store_timeout",
        "invalid_image",
        "invalid_image_format",
        "invalid_base64_image",
        "invalid_image_url",
        "image_too_large",
        "image_too_small",
        "image_parse_error",
        "image_content_policy_violation",
        "invalid_image_mode",
        "image_file_too_large",
        "unsupported_image_media_type",
        "empty_image_file",
        "failed_to_download_image",
        "image_file_not_found",
    ],
)


class ResponseFileSearchCallCompletedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.file_search_call.completed"] = "response.file_search_call.completed"
    output_index: int
    item_id: str
    sequence_number: int


class ResponseFileSearchCallInProgressEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.file_search_call.in_progress"] = "response.file_search_call.in_progress"
    output_index: int
    item_id: str
    sequence_number: int


class ResponseFileSearchCallSearchingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.file_search_call.searching"] = "response.file_search_call.searching"
    output_index: int
    item_id: str
    sequence_number: int


class ResponseFormatJsonObject(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["json_object"] = "json_object"


class ResponseFormatJsonSchemaSchema(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )


class ResponseFormatText(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["text"] = "text"


class ResponseFunctionCallArgumentsDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.function_call_arguments.delta"] = "response.function_call_arguments.delta"
    item_id: str
    output_index: int
    sequence_number: int
    delta: str


class ResponseFunctionCallArgumentsDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"
    item_id: str
    name: str
    output_index: int
    sequence_number: int
    arguments: str


class ResponseImageGenCallCompletedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.image_generation_call.completed"] = "response.image_generation_call.completed"
    output_index: int
    sequence_number: int
    item_id: str


class ResponseImageGenCallGeneratingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.image_generation_call.generating"] = "response.image_generation_call.generating"
    output_index: int
    item_id: str
    sequence_number: int


class ResponseImageGenCallInProgressEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.image_generation_call.in_progress"] = "response.image_generation_call.in_progress"
    output_index: int
    item_id: str
    sequence_number: int


class ResponseImageGenCallPartialImageEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.image_generation_call.partial_image"] = (
        "response.image_generation_call.partial_image"
    )
    output_index: int
    item_id: str
    sequence_number: int
    partial_image_index: int
    partial_image_b64: str
    size: str | None = None
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None


class TopLogprob(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    token: str | None = None
    logprob: float | None = None


class ResponseLogProb(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    token: str
    logprob: float
    top_logprobs: list[TopLogprob] | None = None


class ResponseMCPCallArgumentsDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.mcp_call_arguments.delta"] = "response.mcp_call_arguments.delta"
    output_index: int
    item_id: str
    delta: str
    sequence_number: int


class ResponseMCPCallArgumentsDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.mcp_call_arguments.done"] = "response.mcp_call_arguments.done"
    output_index: int
    item_id: str
    arguments: str
    sequence_number: int


class ResponseMCPCallCompletedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.mcp_call.completed"] = "response.mcp_call.completed"
    item_id: str
    output_index: int
    sequence_number: int


class ResponseMCPCallFailedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.mcp_call.failed"] = "response.mcp_call.failed"
    item_id: str
    output_index: int
    sequence_number: int


class ResponseMCPCallInProgressEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.mcp_call.in_progress"] = "response.mcp_call.in_progress"
    sequence_number: int
    output_index: int
    item_id: str


class ResponseMCPListToolsCompletedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.mcp_list_tools.completed"] = "response.mcp_list_tools.completed"
    item_id: str
    output_index: int
    sequence_number: int


class ResponseMCPListToolsFailedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.mcp_list_tools.failed"] = "response.mcp_list_tools.failed"
    item_id: str
    output_index: int
    sequence_number: int


class ResponseMCPListToolsInProgressEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.mcp_list_tools.in_progress"] = "response.mcp_list_tools.in_progress"
    item_id: str
    output_index: int
    sequence_number: int


class Part(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["summary_text"] = "summary_text"
    text: str


class ResponseReasoningSummaryPartAddedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.reasoning_summary_part.added"] = "response.reasoning_summary_part.added"
    item_id: str
    output_index: int
    summary_index: int
    sequence_number: int
    part: Part


class ResponseReasoningSummaryPartDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.reasoning_summary_part.done"] = "response.reasoning_summary_part.done"
    item_id: str
    output_index: int
    summary_index: int
    status: Literal["incomplete"] | None = None
    sequence_number: int
    part: Part


class ResponseReasoningSummaryTextDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.reasoning_summary_text.delta"] = "response.reasoning_summary_text.delta"
    item_id: str
    output_index: int
    summary_index: int
    delta: str
    sequence_number: int


class ResponseReasoningSummaryTextDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.reasoning_summary_text.done"] = "response.reasoning_summary_text.done"
    item_id: str
    output_index: int
    summary_index: int
    text: str
    sequence_number: int


class ResponseReasoningTextDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.reasoning_text.delta"] = "response.reasoning_text.delta"
    item_id: str
    output_index: int
    content_index: int
    delta: str
    sequence_number: int


class ResponseReasoningTextDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.reasoning_text.done"] = "response.reasoning_text.done"
    item_id: str
    output_index: int
    content_index: int
    text: str
    sequence_number: int


class ResponseRefusalDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.refusal.delta"] = "response.refusal.delta"
    item_id: str
    output_index: int
    content_index: int
    delta: str
    sequence_number: int


class ResponseRefusalDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.refusal.done"] = "response.refusal.done"
    item_id: str
    output_index: int
    content_index: int
    refusal: str
    sequence_number: int


class ResponseShellCallCommandAddedStreamingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.shell_call_command.added"] = "response.shell_call_command.added"
    sequence_number: int
    output_index: int
    command_index: int
    command: str


class ResponseShellCallCommandDeltaStreamingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.shell_call_command.delta"] = "response.shell_call_command.delta"
    sequence_number: int
    output_index: int
    command_index: int
    delta: str
    obfuscation: str | None = None


class ResponseShellCallCommandDoneStreamingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.shell_call_command.done"] = "response.shell_call_command.done"
    sequence_number: int
    output_index: int
    command_index: int
    command: str


class ResponseStreamOptions1(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    include_obfuscation: bool | None = None


ResponseStreamOptions = TypeAliasType("ResponseStreamOptions", ResponseStreamOptions1 | None)


class ResponseTextDeltaEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.output_text.delta"] = "response.output_text.delta"
    item_id: str
    output_index: int
    content_index: int
    delta: str
    sequence_number: int
    logprobs: list[ResponseLogProb]


class ResponseTextDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.output_text.done"] = "response.output_text.done"
    item_id: str
    output_index: int
    content_index: int
    text: str
    sequence_number: int
    logprobs: list[ResponseLogProb]


class InputTokensDetails(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    cached_tokens: int
    cache_write_tokens: int


class OutputTokensDetails(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    reasoning_tokens: int


class ResponseUsage(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    input_tokens: int
    input_tokens_details: InputTokensDetails
    output_tokens: int
    output_tokens_details: OutputTokensDetails
    total_tokens: int


class ResponseWebSearchCallCompletedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.web_search_call.completed"] = "response.web_search_call.completed"
    output_index: int
    item_id: str
    sequence_number: int


class ResponseWebSearchCallInProgressEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.web_search_call.in_progress"] = "response.web_search_call.in_progress"
    output_index: int
    item_id: str
    sequence_number: int


class ResponseWebSearchCallSearchingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.web_search_call.searching"] = "response.web_search_call.searching"
    output_index: int
    item_id: str
    sequence_number: int


class ScreenshotParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["screenshot"] = "screenshot"


class ScrollParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["scroll"] = "scroll"
    x: int
    y: int
    scroll_x: int
    scroll_y: int
    keys: list[str] | None = None


SearchContentType = TypeAliasType("SearchContentType", Literal["text", "image"])


SearchContextSize = TypeAliasType("SearchContextSize", Literal["low", "medium", "high"])


ServiceTierEnum = TypeAliasType("ServiceTierEnum", Literal["auto", "default", "fast", "flex", "priority"])


ServiceTierResponses = TypeAliasType(
    "ServiceTierResponses",
    Literal["auto", "default", "flex", "scale", "priority", "fast", "ultrafast"] | None,
)


class ShellCallOutputDelta(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    stdout: str | None = None
    stderr: str | None = None


class SkillReferenceParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["skill_reference"] = "skill_reference"
    skill_id: Annotated[str, Field(max_length=64, min_length=1)]
    version: str | None = None


class SpecificApplyPatchParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["apply_patch"] = "apply_patch"


class SpecificFunctionShellParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["shell"] = "shell"


class SpecificProgrammaticToolCallingParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["programmatic_tool_calling"] = "programmatic_tool_calling"


class SummaryTextContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["summary_text"] = "summary_text"
    text: str


class TextContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["text"] = "text"
    text: str


class TextResponseFormatJsonSchema(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["json_schema"] = "json_schema"
    description: str | None = None
    name: str
    schema_: Annotated[ResponseFormatJsonSchemaSchema, Field(alias="schema")]
    strict: bool | None = None


class TokenCountsResource(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    object: Literal["response.input_tokens"] = "response.input_tokens"
    input_tokens: int


ToolCallCaller = TypeAliasType(
    "ToolCallCaller", Annotated[DirectToolCallCaller | ProgramToolCallCaller, Field(discriminator="type")]
)


ToolCallCallerParam = TypeAliasType(
    "ToolCallCallerParam",
    Annotated[DirectToolCallCallerParam | ProgramToolCallCallerParam, Field(discriminator="type")],
)


class ToolChoiceAllowed(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["allowed_tools"] = "allowed_tools"
    mode: Literal["auto", "required"]
    tools: list[dict[str, Any]]


class ToolChoiceCustom(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["custom"] = "custom"
    name: str


class ToolChoiceFunction(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["function"] = "function"
    name: str


class ToolChoiceMCP(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["mcp"] = "mcp"
    server_label: str
    name: str | None = None


ToolChoiceOptions = TypeAliasType("ToolChoiceOptions", Literal["none", "auto", "required"])


class ToolChoiceTypes(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal[
        "file_search",
        "web_search_preview",
        "computer",
        "computer_use_preview",
        "computer_use",
        "web_search_preview_2025_03_11",
        "image_generation",
        "code_interpreter",
    ]


ToolSearchExecutionType = TypeAliasType("ToolSearchExecutionType", Literal["server", "client"])


class ToolSearchToolParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["tool_search"] = "tool_search"
    execution: ToolSearchExecutionType | None = None
    description: str | None = None
    parameters: EmptyModelParam | None = None


class TopLogProb(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    token: str
    logprob: float
    bytes: list[int]


TruncationEnum = TypeAliasType("TruncationEnum", Literal["auto", "disabled"])


class TypeParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["type"] = "type"
    text: str


class UrlCitationBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["url_citation"] = "url_citation"
    url: AnyUrl
    start_index: int
    end_index: int
    title: str


VectorStoreFileAttributes1 = TypeAliasType(
    "VectorStoreFileAttributes1", Annotated[str, Field(max_length=512)]
)


VectorStoreFileAttributes = TypeAliasType(
    "VectorStoreFileAttributes",
    dict[Annotated[str, StringConstraints(max_length=64)], VectorStoreFileAttributes1 | float | bool] | None,
)


Verbosity = TypeAliasType("Verbosity", Literal["low", "medium", "high"] | None)


class WaitParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["wait"] = "wait"


class WebSearchActionFind(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["find_in_page"] = "find_in_page"
    url: AnyUrl
    pattern: str


class WebSearchActionOpenPage(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["open_page"] = "open_page"
    url: AnyUrl | None = None


class Source(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["url"] = "url"
    url: AnyUrl


class WebSearchActionSearch(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["search"] = "search"
    query: Annotated[str | None, Field(deprecated=True)] = None
    queries: list[str] | None = None
    sources: list[Source] | None = None


class WebSearchApproximateLocation1(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["approximate"] | None = "approximate"
    country: str | None = None
    region: str | None = None
    city: str | None = None
    timezone: str | None = None


WebSearchApproximateLocation = TypeAliasType(
    "WebSearchApproximateLocation", WebSearchApproximateLocation1 | None
)


class WebSearchPreviewTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["web_search_preview", "web_search_preview_2025_03_11"]
    user_location: ApproximateLocation | None = None
    search_context_size: SearchContextSize | None = None
    search_content_types: list[SearchContentType] | None = None


class Filters1(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    allowed_domains: list[str] | None = None


class WebSearchTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["web_search", "web_search_2025_08_26"]
    external_web_access: bool | None = True
    filters: Filters1 | None = None
    user_location: WebSearchApproximateLocation | None = None
    search_context_size: Literal["low", "medium", "high"] | None = "medium"


class WebSearchToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    type: Literal["web_search_call"] = "web_search_call"
    status: Literal["in_progress", "searching", "completed", "failed"]
    action: Annotated[
        WebSearchActionSearch | WebSearchActionOpenPage | WebSearchActionFind,
        Field(discriminator="type"),
    ]


class ErrorEventDetails(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: str | None = None
    code: str | None = None
    message: str
    param: str | None = None


class ResponseCompactionCompactingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.compaction.compacting"] = "response.compaction.compacting"
    item_id: str
    output_index: int
    sequence_number: int


class DeletedResponse(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    object: Literal["response"] = "response"
    deleted: Literal[True] = True


MetadataMapAdditionalProperty = TypeAliasType(
    "MetadataMapAdditionalProperty", Annotated[str, Field(max_length=512)]
)


MetadataMap = TypeAliasType(
    "MetadataMap",
    Annotated[
        dict[Annotated[str, StringConstraints(max_length=64)], MetadataMapAdditionalProperty],
        Field(max_length=16),
    ],
)


class AgentReference(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["agent_reference"] = "agent_reference"
    name: str
    version: str | None = None


class StructuredOutputsItem(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["structured_outputs"] = "structured_outputs"
    id: str
    output: Any


class ResponsesWebSocketError(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["error"] = "error"
    status: int
    error: Error


Annotation = TypeAliasType(
    "Annotation",
    Annotated[
        FileCitationBody | UrlCitationBody | ContainerFileCitationBody | FilePath, Field(discriminator="type")
    ],
)


ApplyPatchOperationParam = TypeAliasType(
    "ApplyPatchOperationParam",
    Annotated[
        ApplyPatchCreateFileOperationParam
        | ApplyPatchDeleteFileOperationParam
        | ApplyPatchUpdateFileOperationParam,
        Field(discriminator="type"),
    ],
)


class ApplyPatchToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["apply_patch_call"] = "apply_patch_call"
    id: str
    call_id: str
    caller: ToolCallCaller | None = None
    status: ApplyPatchCallStatus
    operation: Annotated[
        ApplyPatchCreateFileOperation | ApplyPatchDeleteFileOperation | ApplyPatchUpdateFileOperation,
        Field(discriminator="type"),
    ]
    created_by: str | None = None


class ApplyPatchToolCallItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["apply_patch_call"] = "apply_patch_call"
    id: str | None = None
    call_id: Annotated[str, Field(max_length=64, min_length=1)]
    caller: ToolCallCallerParam | None = None
    status: ApplyPatchCallStatusParam
    operation: ApplyPatchOperationParam


class ApplyPatchToolCallOutput(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["apply_patch_call_output"] = "apply_patch_call_output"
    id: str
    call_id: str
    caller: ToolCallCaller | None = None
    status: ApplyPatchCallOutputStatus
    output: str | None = None
    created_by: str | None = None


class ApplyPatchToolCallOutputItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["apply_patch_call_output"] = "apply_patch_call_output"
    id: str | None = None
    call_id: Annotated[str, Field(max_length=64, min_length=1)]
    caller: ToolCallCallerParam | None = None
    status: ApplyPatchCallOutputStatusParam
    output: Output | None = None


class ApplyPatchToolParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["apply_patch"] = "apply_patch"
    allowed_callers: AllowedCallers | None = None


ComputerAction = TypeAliasType(
    "ComputerAction",
    Annotated[
        ClickParam
        | DoubleClickAction
        | DragParam
        | KeyPressAction
        | MoveParam
        | ScreenshotParam
        | ScrollParam
        | TypeParam
        | WaitParam,
        Field(discriminator="type"),
    ],
)


ComputerActionList = TypeAliasType("ComputerActionList", list[ComputerAction])


class ComputerCallOutputItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    call_id: Annotated[str, Field(max_length=64, min_length=1)]
    type: Literal["computer_call_output"] = "computer_call_output"
    output: ComputerScreenshotImage
    acknowledged_safety_checks: list[ComputerCallSafetyCheckParam] | None = None
    status: FunctionCallItemStatus | None = None


class ComputerScreenshotContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["computer_screenshot"] = "computer_screenshot"
    image_url: AnyUrl | None
    file_id: str | None
    detail: ImageDetail
    prompt_cache_breakpoint: PromptCacheBreakpointConfig | None = None


class ComputerToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["computer_call"] = "computer_call"
    id: str
    call_id: str
    action: ComputerAction | None = None
    actions: ComputerActionList | None = None
    pending_safety_checks: list[ComputerCallSafetyCheckParam]
    status: Literal["in_progress", "completed", "incomplete"]


class ContainerNetworkPolicyAllowlistParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["allowlist"] = "allowlist"
    allowed_domains: Annotated[list[str], Field(min_length=1)]
    domain_secrets: Annotated[list[ContainerNetworkPolicyDomainSecretParam] | None, Field(min_length=1)] = (
        None
    )


ConversationParam = TypeAliasType("ConversationParam", str | ConversationParam2)


class CustomGrammarFormatParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["grammar"] = "grammar"
    syntax: GrammarSyntax1
    definition: str


class CustomToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["custom_tool_call"] = "custom_tool_call"
    id: str | None = None
    call_id: str
    caller: ToolCallCaller | None = None
    namespace: str | None = None
    name: str
    input: str


class CustomToolCallResource(CustomToolCall):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    status: FunctionCallStatus
    created_by: str | None = None


class CustomToolParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["custom"] = "custom"
    name: str
    description: str | None = None
    format: Annotated[
        CustomTextFormatParam | CustomGrammarFormatParam | None,
        Field(discriminator="type"),
    ] = None
    defer_loading: bool | None = None
    allowed_callers: AllowedCallers | None = None


class Result(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    file_id: str | None = None
    text: str | None = None
    filename: str | None = None
    attributes: VectorStoreFileAttributes | None = None
    score: float | None = None


class FileSearchToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    type: Literal["file_search_call"] = "file_search_call"
    status: Literal["in_progress", "searching", "completed", "incomplete", "failed"]
    queries: list[str]
    results: list[Result] | None = None


class FunctionShellCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["shell_call"] = "shell_call"
    id: str
    call_id: str
    caller: ToolCallCaller | None = None
    action: FunctionShellAction
    status: FunctionShellCallStatus
    environment: LocalEnvironmentResource | ContainerReferenceResource | None
    created_by: str | None = None


class FunctionShellCallOutputContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    stdout: str
    stderr: str
    outcome: Annotated[
        FunctionShellCallOutputTimeoutOutcome | FunctionShellCallOutputExitOutcome,
        Field(discriminator="type"),
    ]
    created_by: str | None = None


FunctionShellCallOutputOutcomeParam = TypeAliasType(
    "FunctionShellCallOutputOutcomeParam",
    Annotated[
        FunctionShellCallOutputTimeoutOutcomeParam | FunctionShellCallOutputExitOutcomeParam,
        Field(discriminator="type"),
    ],
)


class FunctionToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    type: Literal["function_call"] = "function_call"
    call_id: str
    caller: ToolCallCaller | None = None
    namespace: str | None = None
    name: str
    arguments: str
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class FunctionToolCallResource(FunctionToolCall):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    status: FunctionCallStatus
    created_by: str | None = None
    type: Literal["function_call"] = "function_call"


class ImageGenTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["image_generation"] = "image_generation"
    model: (
        str
        | Literal[
            "gpt-image-1",
            "gpt-image-1-mini",
            "gpt-image-1.5",
            "gpt-image-2",
            "gpt-image-2-2026-04-21",
        ]
        | None
    ) = None
    quality: Literal["low", "medium", "high", "auto"] | None = "auto"
    size: str | Literal["1024x1024", "1024x1536", "1536x1024", "auto"] | None = "auto"
    output_format: Literal["png", "webp", "jpeg"] | None = "png"
    output_compression: Annotated[int | None, Field(ge=0, le=100)] = 100
    moderation: Literal["auto", "low"] | None = "auto"
    background: Literal["transparent", "opaque", "auto"] | None = "auto"
    input_fidelity: InputFidelity | None = None
    input_image_mask: InputImageMask | None = None
    partial_images: Annotated[int | None, Field(ge=0, le=3)] = 0
    action: ImageGenActionEnum | None = None


class InlineSkillParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["inline"] = "inline"
    name: str
    description: str
    source: InlineSkillSourceParam


class InputFileContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["input_file"] = "input_file"
    file_id: str | None = None
    filename: str | None = None
    file_data: str | None = None
    prompt_cache_breakpoint: PromptCacheBreakpointConfig | None = None
    file_url: AnyUrl | None = None
    detail: FileInputDetail | None = None


class InputFileContentParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["input_file"] = "input_file"
    file_id: str | None = None
    filename: str | None = None
    file_data: FileData | None = None
    file_url: AnyUrl | None = None
    detail: FileDetailEnum | None = None
    prompt_cache_breakpoint: PromptCacheBreakpointParam | None = None


class InputImageContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["input_image"] = "input_image"
    image_url: AnyUrl | None = None
    file_id: str | None = None
    detail: ImageDetail | None = None
    prompt_cache_breakpoint: PromptCacheBreakpointConfig | None = None


class InputImageContentParamAutoParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["input_image"] = "input_image"
    image_url: ImageUrl | None = None
    file_id: str | None = None
    detail: DetailEnum | None = None
    prompt_cache_breakpoint: PromptCacheBreakpointParam | None = None


class InputTextContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["input_text"] = "input_text"
    text: str
    prompt_cache_breakpoint: PromptCacheBreakpointConfig | None = None


class InputTextContentParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["input_text"] = "input_text"
    text: Annotated[str, Field(max_length=10485760)]
    prompt_cache_breakpoint: PromptCacheBreakpointParam | None = None


class LocalEnvironmentParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["local"] = "local"
    skills: Annotated[list[LocalSkillParam] | None, Field(max_length=200)] = None


class LogProb(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    token: str
    logprob: float
    bytes: list[int]
    top_logprobs: list[TopLogProb]


class MCPListTools(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["mcp_list_tools"] = "mcp_list_tools"
    id: str
    server_label: str
    tools: list[MCPListToolsTool]
    error: str | None = None


class RequireApproval(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    always: MCPToolFilter | None = None
    never: MCPToolFilter | None = None


class MCPTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["mcp"] = "mcp"
    server_label: str
    server_url: AnyUrl | None = None
    connector_id: (
        Literal[
            "connector_dropbox",
            "connector_gmail",
            "connector_googlecalendar",
            "connector_googledrive",
            "connector_microsoftteams",
            "connector_outlookcalendar",
            "connector_outlookemail",
            "connector_sharepoint",
        ]
        | None
    ) = None
    tunnel_id: Annotated[str | None, Field(pattern="^tunnel_[a-z0-9]{32}$")] = None
    authorization: str | None = None
    server_description: str | None = None
    headers: dict[str, str] | None = None
    allowed_tools: list[str] | MCPToolFilter | None = None
    allowed_callers: AllowedCallers | None = None
    require_approval: RequireApproval | Literal["always", "never"] | None = None
    defer_loading: bool | None = None


MCPToolCallError = TypeAliasType(
    "MCPToolCallError",
    Annotated[MCPProtocolError | MCPToolExecutionError | HTTPError, Field(discriminator="type")],
)


Metadata = TypeAliasType("Metadata", MetadataMap | None)


ModelIdsResponses = TypeAliasType(
    "ModelIdsResponses",
    ModelIdsShared
    | Literal[
        "o1-pro",
        "o1-pro-2025-03-19",
        "o3-pro",
        "o3-pro-2025-06-10",
        "o3-deep-research",
        "o3-deep-research-2025-06-26",
        "o4-mini-deep-research",
        "o4-mini-deep-research-2025-06-26",
        "computer-use-preview",
        "computer-use-preview-2025-03-11",
        "gpt-5.5-pro",
        "gpt-5.5-pro-2026-04-23",
        "gpt-5-codex",
        "gpt-5-pro",
        "gpt-5-pro-2025-10-06",
        "gpt-5.1-codex-max",
        "gpt-daybreak-blue-latest",
        "gpt-daybreak-red-latest",
        "gpt-5.6-cyber",
    ],
)


class ModelResponseProperties(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    metadata: Metadata | None = None
    top_logprobs: TopLogprobs2 | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    user: Annotated[str | None, Field(deprecated=True)] = None
    safety_identifier: SafetyIdentifier | None = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: Annotated[Literal["in_memory", "24h"] | None, Field(deprecated=True)] = None


class Moderation(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    input: Annotated[ModerationResultBody | ModerationErrorBody, Field(discriminator="type")]
    output: Annotated[ModerationResultBody | ModerationErrorBody, Field(discriminator="type")]


class ModerationConfigParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    mode: ModerationMode


class ModerationPolicyParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    input: ModerationConfigParam | None = None
    output: ModerationConfigParam | None = None


Tools = TypeAliasType("Tools", Annotated[FunctionToolParam | CustomToolParam, Field(discriminator="type")])


class NamespaceToolParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["namespace"] = "namespace"
    name: Annotated[str, Field(min_length=1)]
    description: str
    tools: Annotated[list[Tools], Field(min_length=1)]


class OutputTextContent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["output_text"] = "output_text"
    text: str
    annotations: list[Annotation]
    logprobs: list[LogProb]


class ProgramOutput(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["program_output"] = "program_output"
    id: str
    call_id: str
    result: str
    status: ProgramOutputStatus


class ProgramOutputItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    type: Literal["program_output"] = "program_output"
    call_id: Annotated[str, Field(max_length=64, min_length=1)]
    result: Annotated[str, Field(max_length=10485760)]
    status: ProgramOutputItemStatus


class PromptCacheOptions(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    ttl: PromptCacheTTLEnum
    mode: PromptCacheModeEnum


class PromptCacheOptionsParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    ttl: PromptCacheTTLEnum | None = None
    mode: PromptCacheModeEnum | None = None


class Reasoning(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    mode: ReasoningModeEnum | None = None
    effort: ReasoningEffort | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None
    context: Literal["auto", "current_turn", "all_turns"] | None = None
    generate_summary: Literal["auto", "concise", "detailed"] | None = None


class ReasoningItem(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["reasoning"] = "reasoning"
    id: str
    encrypted_content: str | None = None
    summary: list[SummaryTextContent]
    content: list[ReasoningTextContent] | None = None
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class ResponseError1(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    code: ResponseErrorCode
    message: str


ResponseError = TypeAliasType("ResponseError", ResponseError1 | None)


class ResponseErrorEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["error"] = "error"
    code: str | None = None
    message: str | None = None
    param: str | None = None
    error: ErrorEventDetails | None = None
    sequence_number: int


class ResponseOutputTextAnnotationAddedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.output_text.annotation.added"] = "response.output_text.annotation.added"
    item_id: str
    output_index: int
    content_index: int
    annotation_index: int
    sequence_number: int
    annotation: Annotation | None


ResponsePromptVariables = TypeAliasType(
    "ResponsePromptVariables", dict[str, str | InputTextContent | InputImageContent | InputFileContent] | None
)


class ResponseShellCallOutputContentDeltaStreamingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.shell_call_output_content.delta"] = "response.shell_call_output_content.delta"
    sequence_number: int
    item_id: str
    output_index: int
    command_index: int
    delta: ShellCallOutputDelta


class ResponseShellCallOutputContentDoneStreamingEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.shell_call_output_content.done"] = "response.shell_call_output_content.done"
    sequence_number: int
    item_id: str
    output_index: int
    command_index: int
    output: list[FunctionShellCallOutputContent]


TextResponseFormatConfiguration = TypeAliasType(
    "TextResponseFormatConfiguration",
    ResponseFormatText | TextResponseFormatJsonSchema | ResponseFormatJsonObject,
)


ToolChoiceParam = TypeAliasType(
    "ToolChoiceParam",
    ToolChoiceOptions
    | ToolChoiceAllowed
    | ToolChoiceTypes
    | ToolChoiceFunction
    | ToolChoiceMCP
    | ToolChoiceCustom
    | SpecificProgrammaticToolCallingParam
    | SpecificApplyPatchParam
    | SpecificFunctionShellParam,
)


class ToolSearchCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["tool_search_call"] = "tool_search_call"
    id: str
    call_id: str | None
    execution: ToolSearchExecutionType
    arguments: Any
    status: FunctionCallStatus
    created_by: str | None = None


class ToolSearchCallItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    call_id: CallId | None = None
    type: Literal["tool_search_call"] = "tool_search_call"
    execution: ToolSearchExecutionType | None = None
    arguments: EmptyModelParam
    status: FunctionCallItemStatus | None = None


class UpdateConversationBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    metadata: Metadata


class AutoCodeInterpreterToolParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["auto"] = "auto"
    file_ids: Annotated[list[str] | None, Field(max_length=50)] = None
    memory_limit: ContainerMemoryLimit | None = None
    network_policy: Annotated[
        ContainerNetworkPolicyDisabledParam | ContainerNetworkPolicyAllowlistParam | None,
        Field(discriminator="type"),
    ] = None


class CodeInterpreterTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["code_interpreter"] = "code_interpreter"
    container: str | AutoCodeInterpreterToolParam
    allowed_callers: AllowedCallers | None = None


Skills = TypeAliasType(
    "Skills", Annotated[SkillReferenceParam | InlineSkillParam, Field(discriminator="type")]
)


class ContainerAutoParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["container_auto"] = "container_auto"
    file_ids: Annotated[list[str] | None, Field(max_length=50)] = None
    memory_limit: ContainerMemoryLimit | None = None
    network_policy: Annotated[
        ContainerNetworkPolicyDisabledParam | ContainerNetworkPolicyAllowlistParam | None,
        Field(discriminator="type"),
    ] = None
    skills: Annotated[list[Skills] | None, Field(max_length=200)] = None


class CreateModelResponseProperties(ModelResponseProperties):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    prompt_cache_options: PromptCacheOptionsParam | None = None
    top_logprobs: TopLogprobs | TopLogprobs1 | None = None


FunctionAndCustomToolCallOutput = TypeAliasType(
    "FunctionAndCustomToolCallOutput",
    Annotated[InputTextContent | InputImageContent | InputFileContent, Field(discriminator="type")],
)


Output2 = TypeAliasType(
    "Output2",
    Annotated[
        InputTextContentParam | InputImageContentParamAutoParam | InputFileContentParam,
        Field(discriminator="type"),
    ],
)


class FunctionCallOutputItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    call_id: CallId | None = None
    type: Literal["function_call_output"] = "function_call_output"
    output: Output | list[Output2]
    name: Name | None = None
    namespace: Namespace | None = None
    caller: ToolCallCallerParam | None = None
    status: FunctionCallItemStatus | None = None


class FunctionShellCallItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    call_id: Annotated[str, Field(max_length=64, min_length=1)]
    caller: ToolCallCallerParam | None = None
    type: Literal["shell_call"] = "shell_call"
    action: FunctionShellActionParam
    status: FunctionShellCallItemStatus | None = None
    environment: LocalEnvironmentParam | ContainerReferenceParam | None = None


class FunctionShellCallOutput(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["shell_call_output"] = "shell_call_output"
    id: str
    call_id: str
    caller: ToolCallCaller | None = None
    status: FunctionShellCallOutputStatusEnum
    output: list[FunctionShellCallOutputContent]
    max_output_length: int | None
    created_by: str | None = None


class FunctionShellCallOutputContentParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    stdout: Annotated[str, Field(max_length=10485760)]
    stderr: Annotated[str, Field(max_length=10485760)]
    outcome: FunctionShellCallOutputOutcomeParam


class FunctionShellCallOutputItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    call_id: Annotated[str, Field(max_length=64, min_length=1)]
    caller: ToolCallCallerParam | None = None
    type: Literal["shell_call_output"] = "shell_call_output"
    output: list[FunctionShellCallOutputContentParam]
    status: FunctionShellCallItemStatus | None = None
    max_output_length: int | None = None


class FunctionShellToolParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["shell"] = "shell"
    environment: ContainerAutoParam | LocalEnvironmentParam | ContainerReferenceParam | None = None
    allowed_callers: AllowedCallers | None = None


class FunctionToolCallOutput(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    type: Literal["function_call_output"] = "function_call_output"
    call_id: str | None = None
    name: str | None = None
    namespace: str | None = None
    caller: ToolCallCallerParam | None = None
    output: str | list[FunctionAndCustomToolCallOutput]
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class FunctionToolCallOutputResource(FunctionToolCallOutput):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    status: FunctionCallOutputStatusEnum
    created_by: str | None = None
    type: Literal["function_call_output"] = "function_call_output"


InputContent = TypeAliasType(
    "InputContent",
    Annotated[InputTextContent | InputImageContent | InputFileContent, Field(discriminator="type")],
)


InputMessageContentList = TypeAliasType("InputMessageContentList", list[InputContent])


class MCPToolCall(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["mcp_call"] = "mcp_call"
    id: str
    server_label: str
    name: str
    arguments: str
    output: str | None = None
    error: MCPToolCallError | None = None
    status: MCPToolCallStatus | None = None
    approval_request_id: str | None = None


Content = TypeAliasType(
    "Content",
    Annotated[
        InputTextContent
        | OutputTextContent
        | TextContent
        | SummaryTextContent
        | ReasoningTextContent
        | RefusalContent
        | InputImageContent
        | ComputerScreenshotContent
        | InputFileContent,
        Field(discriminator="type"),
    ],
)


class Message(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["message"] = "message"
    id: str
    status: MessageStatus
    role: MessageRole
    content: list[Content]
    phase: MessagePhase2 | None = None


ModelIdsCompaction = TypeAliasType("ModelIdsCompaction", ModelIdsResponses | str | None)


class ModerationParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    model: str
    policy: ModerationPolicyParam | None = None


OutputContent = TypeAliasType(
    "OutputContent",
    Annotated[OutputTextContent | RefusalContent | ReasoningTextContent, Field(discriminator="type")],
)


OutputMessageContent = TypeAliasType(
    "OutputMessageContent", Annotated[OutputTextContent | RefusalContent, Field(discriminator="type")]
)


class Prompt1(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    version: str | None = None
    variables: ResponsePromptVariables | None = None


Prompt = TypeAliasType("Prompt", Prompt1 | None)


class ResponseContentPartAddedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.content_part.added"] = "response.content_part.added"
    item_id: str
    output_index: int
    content_index: int
    part: OutputContent
    sequence_number: int


class ResponseContentPartDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.content_part.done"] = "response.content_part.done"
    item_id: str
    output_index: int
    content_index: int
    sequence_number: int
    part: OutputContent


class ResponseTextParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    format: TextResponseFormatConfiguration | None = None
    verbosity: Verbosity | None = None


class CustomToolCallOutput(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["custom_tool_call_output"] = "custom_tool_call_output"
    id: str | None = None
    call_id: str
    caller: ToolCallCallerParam | None = None
    output: str | list[FunctionAndCustomToolCallOutput]


class CustomToolCallOutputResource(CustomToolCallOutput):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    status: FunctionCallOutputStatusEnum
    created_by: str | None = None
    type: Literal["custom_tool_call_output"] = "custom_tool_call_output"


class EasyInputMessage(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    role: Literal["user", "assistant", "system", "developer"]
    content: str | InputMessageContentList
    phase: MessagePhase | None = None
    type: Literal["message"] | None = None


class InputMessage(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["message"] | None = None
    role: Literal["user", "system", "developer"]
    status: Literal["in_progress", "completed", "incomplete"] | None = None
    content: InputMessageContentList


class InputMessageResource(InputMessage):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    type: Literal["message"] = "message"


class OutputMessage(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    content: list[OutputMessageContent]
    phase: MessagePhase | None = None
    status: Literal["in_progress", "completed", "incomplete"]


class AdditionalTools(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["additional_tools"] = "additional_tools"
    id: str
    role: MessageRole
    tools: 'list["Tool"]'


class AdditionalToolsItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    type: Literal["additional_tools"] = "additional_tools"
    role: Literal["developer"] = "developer"
    tools: 'list["Tool"]'


class CompactResource(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str
    object: Literal["response.compaction"] = "response.compaction"
    output: 'list["ItemField"]'
    created_at: int
    usage: ResponseUsage


class CompactResponseMethodPublicBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    model: ModelIdsCompaction
    input: 'Optional[Union[Input, list["InputItem"]]]' = None
    previous_response_id: str | None = None
    instructions: str | None = None
    prompt_cache_key: PromptCacheKey | None = None
    prompt_cache_retention: PromptCacheRetentionEnum | None = None
    prompt_cache_options: PromptCacheOptionsParam | None = None
    service_tier: ServiceTierEnum | None = None


class CompoundFilter(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["and", "or"]
    filters: "list[Filters]"


Filters = TypeAliasType(
    "Filters", Annotated[Union[ComparisonFilter, CompoundFilter], Field(discriminator="type")]
)


class ConversationItemList(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    object: Literal["list"] = "list"
    data: "list[ConversationItem]"
    has_more: bool
    first_id: str
    last_id: str


class CreateConversationBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    metadata: Metadata | None = None
    items: 'Optional["ConversationInputItems"]' = None


class FileSearchTool(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["file_search"] = "file_search"
    vector_store_ids: list[str]
    max_num_results: Optional[int] = None
    ranking_options: Optional[RankingOptions] = None
    filters: 'Optional["FiltersModel"]' = None


FiltersModel = TypeAliasType("FiltersModel", ComparisonFilter | CompoundFilter)


class ResponseCompletedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.completed"] = "response.completed"
    response: '"Response"'
    sequence_number: int


class ResponseCreatedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.created"] = "response.created"
    response: '"Response"'
    sequence_number: int


class ResponseFailedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.failed"] = "response.failed"
    sequence_number: int
    response: '"Response"'


class ResponseInProgressEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.in_progress"] = "response.in_progress"
    response: '"Response"'
    sequence_number: int


class ResponseIncompleteEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.incomplete"] = "response.incomplete"
    response: '"Response"'
    sequence_number: int


class ResponseItemList(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    object: Literal["list"] = "list"
    data: "list[ItemResource]"
    has_more: bool
    first_id: str
    last_id: str


class ResponseOutputItemAddedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.output_item.added"] = "response.output_item.added"
    output_index: int
    sequence_number: int
    item: "OutputItem"


class ResponseOutputItemDoneEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.output_item.done"] = "response.output_item.done"
    output_index: int
    sequence_number: int
    item: "OutputItem"


class ResponseProperties(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    previous_response_id: str | None = None
    model: Optional[ModelIdsResponses] = None
    background: bool | None = None
    max_tool_calls: int | None = None
    text: Optional[ResponseTextParam] = None
    tools: 'Optional["ToolsArray"]' = None
    tool_choice: Optional[ToolChoiceParam] = None
    prompt: Optional[Prompt] = None


class ResponseQueuedEvent(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.queued"] = "response.queued"
    response: '"Response"'
    sequence_number: int


class ResponseStreamEvent(
    RootModel[
        ResponseAudioDeltaEvent
        | ResponseAudioDoneEvent
        | ResponseAudioTranscriptDeltaEvent
        | ResponseAudioTranscriptDoneEvent
        | ResponseCodeInterpreterCallCodeDeltaEvent
        | ResponseCodeInterpreterCallCodeDoneEvent
        | ResponseCodeInterpreterCallCompletedEvent
        | ResponseCodeInterpreterCallInProgressEvent
        | ResponseCodeInterpreterCallInterpretingEvent
        | ResponseCompletedEvent
        | ResponseContentPartAddedEvent
        | ResponseContentPartDoneEvent
        | ResponseCreatedEvent
        | ResponseErrorEvent
        | ResponseFileSearchCallCompletedEvent
        | ResponseFileSearchCallInProgressEvent
        | ResponseFileSearchCallSearchingEvent
        | ResponseFunctionCallArgumentsDeltaEvent
        | ResponseFunctionCallArgumentsDoneEvent
        | ResponseShellCallCommandAddedStreamingEvent
        | ResponseShellCallCommandDeltaStreamingEvent
        | ResponseShellCallCommandDoneStreamingEvent
        | ResponseShellCallOutputContentDeltaStreamingEvent
        | ResponseShellCallOutputContentDoneStreamingEvent
        | ResponseInProgressEvent
        | ResponseFailedEvent
        | ResponseIncompleteEvent
        | ResponseOutputItemAddedEvent
        | ResponseOutputItemDoneEvent
        | ResponseReasoningSummaryPartAddedEvent
        | ResponseReasoningSummaryPartDoneEvent
        | ResponseReasoningSummaryTextDeltaEvent
        | ResponseReasoningSummaryTextDoneEvent
        | ResponseReasoningTextDeltaEvent
        | ResponseReasoningTextDoneEvent
        | ResponseRefusalDeltaEvent
        | ResponseRefusalDoneEvent
        | ResponseTextDeltaEvent
        | ResponseTextDoneEvent
        | ResponseWebSearchCallCompletedEvent
        | ResponseWebSearchCallInProgressEvent
        | ResponseWebSearchCallSearchingEvent
        | ResponseImageGenCallCompletedEvent
        | ResponseImageGenCallGeneratingEvent
        | ResponseImageGenCallInProgressEvent
        | ResponseImageGenCallPartialImageEvent
        | ResponseMCPCallArgumentsDeltaEvent
        | ResponseMCPCallArgumentsDoneEvent
        | ResponseMCPCallCompletedEvent
        | ResponseMCPCallFailedEvent
        | ResponseMCPCallInProgressEvent
        | ResponseMCPListToolsCompletedEvent
        | ResponseMCPListToolsFailedEvent
        | ResponseMCPListToolsInProgressEvent
        | ResponseOutputTextAnnotationAddedEvent
        | ResponseQueuedEvent
        | ResponseCustomToolCallInputDeltaEvent
        | ResponseCustomToolCallInputDoneEvent
        | ResponseCompactionCompactingEvent
    ]
):
    model_config = ConfigDict(
        defer_build=True,
    )
    root: Annotated[
        ResponseAudioDeltaEvent
        | ResponseAudioDoneEvent
        | ResponseAudioTranscriptDeltaEvent
        | ResponseAudioTranscriptDoneEvent
        | ResponseCodeInterpreterCallCodeDeltaEvent
        | ResponseCodeInterpreterCallCodeDoneEvent
        | ResponseCodeInterpreterCallCompletedEvent
        | ResponseCodeInterpreterCallInProgressEvent
        | ResponseCodeInterpreterCallInterpretingEvent
        | ResponseCompletedEvent
        | ResponseContentPartAddedEvent
        | ResponseContentPartDoneEvent
        | ResponseCreatedEvent
        | ResponseErrorEvent
        | ResponseFileSearchCallCompletedEvent
        | ResponseFileSearchCallInProgressEvent
        | ResponseFileSearchCallSearchingEvent
        | ResponseFunctionCallArgumentsDeltaEvent
        | ResponseFunctionCallArgumentsDoneEvent
        | ResponseShellCallCommandAddedStreamingEvent
        | ResponseShellCallCommandDeltaStreamingEvent
        | ResponseShellCallCommandDoneStreamingEvent
        | ResponseShellCallOutputContentDeltaStreamingEvent
        | ResponseShellCallOutputContentDoneStreamingEvent
        | ResponseInProgressEvent
        | ResponseFailedEvent
        | ResponseIncompleteEvent
        | ResponseOutputItemAddedEvent
        | ResponseOutputItemDoneEvent
        | ResponseReasoningSummaryPartAddedEvent
        | ResponseReasoningSummaryPartDoneEvent
        | ResponseReasoningSummaryTextDeltaEvent
        | ResponseReasoningSummaryTextDoneEvent
        | ResponseReasoningTextDeltaEvent
        | ResponseReasoningTextDoneEvent
        | ResponseRefusalDeltaEvent
        | ResponseRefusalDoneEvent
        | ResponseTextDeltaEvent
        | ResponseTextDoneEvent
        | ResponseWebSearchCallCompletedEvent
        | ResponseWebSearchCallInProgressEvent
        | ResponseWebSearchCallSearchingEvent
        | ResponseImageGenCallCompletedEvent
        | ResponseImageGenCallGeneratingEvent
        | ResponseImageGenCallInProgressEvent
        | ResponseImageGenCallPartialImageEvent
        | ResponseMCPCallArgumentsDeltaEvent
        | ResponseMCPCallArgumentsDoneEvent
        | ResponseMCPCallCompletedEvent
        | ResponseMCPCallFailedEvent
        | ResponseMCPCallInProgressEvent
        | ResponseMCPListToolsCompletedEvent
        | ResponseMCPListToolsFailedEvent
        | ResponseMCPListToolsInProgressEvent
        | ResponseOutputTextAnnotationAddedEvent
        | ResponseQueuedEvent
        | ResponseCustomToolCallInputDeltaEvent
        | ResponseCustomToolCallInputDoneEvent
        | ResponseCompactionCompactingEvent,
        Field(discriminator="type"),
    ]


class TokenCountsBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    model: str | None = None
    input: "Input | list[InputItem] | None" = None
    previous_response_id: str | None = None
    tools: 'Optional[list["Tool"]]' = None
    text: ResponseTextParam | None = None
    reasoning: Reasoning | None = None
    truncation: Annotated[Optional[TruncationEnum], Field(deprecated=True)] = None
    instructions: str | None = None
    personality: Optional[PersonalityEnum] = None
    conversation: ConversationParam | None = None
    tool_choice: ToolChoiceParam | None = None
    parallel_tool_calls: bool | None = None


Tool = TypeAliasType(
    "Tool",
    Annotated[
        FunctionTool
        | FileSearchTool
        | ComputerTool
        | ComputerUsePreviewTool
        | WebSearchTool
        | MCPTool
        | CodeInterpreterTool
        | ProgrammaticToolCallingParam
        | ImageGenTool
        | LocalShellToolParam
        | FunctionShellToolParam
        | CustomToolParam
        | NamespaceToolParam
        | ToolSearchToolParam
        | WebSearchPreviewTool
        | ApplyPatchToolParam,
        Field(discriminator="type"),
    ],
)


class ToolSearchOutput(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["tool_search_output"] = "tool_search_output"
    id: str
    call_id: str | None
    execution: ToolSearchExecutionType
    tools: list[Tool]
    status: FunctionCallOutputStatusEnum
    created_by: str | None = None


ConversationItem = TypeAliasType(
    "ConversationItem",
    Annotated[
        Union[
            Message,
            FunctionToolCallResource,
            FunctionToolCallOutputResource,
            FileSearchToolCall,
            WebSearchToolCall,
            ImageGenToolCall,
            ComputerToolCall,
            ComputerToolCallOutputResource,
            ToolSearchCall,
            ToolSearchOutput,
            AdditionalTools,
            ReasoningItem,
            Program,
            ProgramOutput,
            CompactionBody,
            CodeInterpreterToolCall,
            LocalShellToolCall,
            LocalShellToolCallOutput,
            FunctionShellCall,
            FunctionShellCallOutput,
            ApplyPatchToolCall,
            ApplyPatchToolCallOutput,
            MCPListTools,
            MCPApprovalRequest,
            MCPApprovalResponseResource,
            MCPToolCall,
            CustomToolCall,
            CustomToolCallOutput,
        ],
        Field(discriminator="type"),
    ],
)


ItemField = TypeAliasType(
    "ItemField",
    Annotated[
        Union[
            Message,
            Program,
            ProgramOutput,
            FunctionToolCall,
            ToolSearchCall,
            ToolSearchOutput,
            AdditionalTools,
            FunctionToolCallOutput,
            FileSearchToolCall,
            WebSearchToolCall,
            ImageGenToolCall,
            ComputerToolCall,
            ComputerToolCallOutputResource,
            ReasoningItem,
            CompactionBody,
            CodeInterpreterToolCall,
            LocalShellToolCall,
            LocalShellToolCallOutput,
            FunctionShellCall,
            FunctionShellCallOutput,
            ApplyPatchToolCall,
            ApplyPatchToolCallOutput,
            MCPListTools,
            MCPApprovalRequest,
            MCPApprovalResponseResource,
            MCPToolCall,
            CustomToolCall,
            CustomToolCallOutput,
        ],
        Field(discriminator="type"),
    ],
)


ItemResource = TypeAliasType(
    "ItemResource",
    Union[
        InputMessageResource,
        OutputMessage,
        FileSearchToolCall,
        ComputerToolCall,
        ComputerToolCallOutputResource,
        WebSearchToolCall,
        FunctionToolCallResource,
        FunctionToolCallOutputResource,
        ToolSearchCall,
        ToolSearchOutput,
        AdditionalTools,
        ReasoningItem,
        Program,
        ProgramOutput,
        CompactionBody,
        ImageGenToolCall,
        CodeInterpreterToolCall,
        LocalShellToolCall,
        LocalShellToolCallOutput,
        FunctionShellCall,
        FunctionShellCallOutput,
        ApplyPatchToolCall,
        ApplyPatchToolCallOutput,
        MCPListTools,
        MCPApprovalRequest,
        MCPApprovalResponseResource,
        MCPToolCall,
        CustomToolCallResource,
        CustomToolCallOutputResource,
        StructuredOutputsItem,
    ],
)


OutputItem = TypeAliasType(
    "OutputItem",
    Annotated[
        Union[
            OutputMessage,
            FileSearchToolCall,
            FunctionToolCall,
            FunctionToolCallOutputResource,
            WebSearchToolCall,
            ComputerToolCall,
            ComputerToolCallOutputResource,
            ReasoningItem,
            Program,
            ProgramOutput,
            ToolSearchCall,
            ToolSearchOutput,
            AdditionalTools,
            CompactionBody,
            ImageGenToolCall,
            CodeInterpreterToolCall,
            LocalShellToolCall,
            LocalShellToolCallOutput,
            FunctionShellCall,
            FunctionShellCallOutput,
            ApplyPatchToolCall,
            ApplyPatchToolCallOutput,
            MCPToolCall,
            MCPListTools,
            MCPApprovalRequest,
            MCPApprovalResponseResource,
            CustomToolCall,
            CustomToolCallOutputResource,
            StructuredOutputsItem,
        ],
        Field(discriminator="type"),
    ],
)


class ToolSearchOutputItemParam(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    id: str | None = None
    call_id: CallId | None = None
    type: Literal["tool_search_output"] = "tool_search_output"
    execution: ToolSearchExecutionType | None = None
    tools: list[Tool]
    status: FunctionCallItemStatus | None = None


InputItem = TypeAliasType(
    "InputItem",
    Union[
        EasyInputMessage,
        InputMessage,
        OutputMessage,
        FileSearchToolCall,
        ComputerToolCall,
        ComputerCallOutputItemParam,
        WebSearchToolCall,
        FunctionToolCall,
        FunctionCallOutputItemParam,
        ToolSearchCallItemParam,
        ToolSearchOutputItemParam,
        AdditionalToolsItemParam,
        ReasoningItem,
        CompactionSummaryItemParam,
        ImageGenToolCall,
        CodeInterpreterToolCall,
        LocalShellToolCall,
        LocalShellToolCallOutput,
        FunctionShellCallItemParam,
        FunctionShellCallOutputItemParam,
        ApplyPatchToolCallItemParam,
        ApplyPatchToolCallOutputItemParam,
        MCPListTools,
        MCPApprovalRequest,
        MCPApprovalResponse,
        MCPToolCall,
        CustomToolCallOutput,
        CustomToolCall,
        CompactionTriggerItemParam,
        ItemReferenceParam,
        ProgramItemParam,
        ProgramOutputItemParam,
    ],
)


InputParam = TypeAliasType("InputParam", str | list[InputItem])


Item = TypeAliasType(
    "Item",
    Union[
        InputMessage,
        OutputMessage,
        FileSearchToolCall,
        ComputerToolCall,
        ComputerCallOutputItemParam,
        WebSearchToolCall,
        FunctionToolCall,
        FunctionCallOutputItemParam,
        ToolSearchCallItemParam,
        ToolSearchOutputItemParam,
        AdditionalToolsItemParam,
        ReasoningItem,
        CompactionSummaryItemParam,
        ImageGenToolCall,
        CodeInterpreterToolCall,
        LocalShellToolCall,
        LocalShellToolCallOutput,
        FunctionShellCallItemParam,
        FunctionShellCallOutputItemParam,
        ApplyPatchToolCallItemParam,
        ApplyPatchToolCallOutputItemParam,
        MCPListTools,
        MCPApprovalRequest,
        MCPApprovalResponse,
        MCPToolCall,
        CustomToolCallOutput,
        CustomToolCall,
    ],
)


ToolsArray = TypeAliasType("ToolsArray", list[Tool])


class CreateConversationItemsBody(ProtocolModel):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    items: '"ConversationInputItems"'


ConversationInputItems = TypeAliasType(
    "ConversationInputItems", Annotated[list[InputItem], Field(max_length=20)]
)


class CreateResponse(CreateModelResponseProperties, ResponseProperties):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    service_tier: ServiceTierResponses | None = None
    truncation: Annotated[Literal["auto", "disabled"] | None, Field(deprecated=True)] = None
    reasoning: Reasoning | None = None
    input: InputParam | None = None
    include: list[IncludeEnum] | None = None
    parallel_tool_calls: bool | None = None
    store: bool | None = None
    instructions: str | None = None
    moderation: ModerationParam | None = None
    stream: bool | None = None
    stream_options: ResponseStreamOptions | None = None
    conversation: ConversationParam | None = None
    context_management: ContextManagement | None = None
    max_output_tokens: MaxOutputTokens | None = None
    agent_reference: AgentReference | None = None


class Response(ModelResponseProperties, ResponseProperties):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    service_tier: ServiceTierResponses | None = None
    truncation: Literal["auto", "disabled"] | None = None
    id: str
    object: Literal["response"] = "response"
    status: Literal["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]
    created_at: int
    completed_at: int | None = None
    error: ResponseError
    incomplete_details: IncompleteDetails | None
    output: list[OutputItem]
    reasoning: Reasoning | None = None
    instructions: str | list[InputItem] | None
    output_text: str | None = None
    usage: ResponseUsage | None = None
    prompt_cache_options: PromptCacheOptions | None = None
    moderation: Moderation | None = None
    parallel_tool_calls: bool
    conversation: ResponseConversation | None = None
    max_output_tokens: int | None = None
    store: bool | None = None
    agent_reference: AgentReference | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    context_management: ContextManagement | None = None
    model: ModelIdsResponses
    tools: ToolsArray
    metadata: Metadata
    tool_choice: ToolChoiceParam
    temperature: Temperature | None
    top_p: TopP | None


class ResponsesWebSocketCreate(CreateResponse):
    model_config = ConfigDict(
        defer_build=True,
        extra="allow",
    )
    type: Literal["response.create"] = "response.create"
