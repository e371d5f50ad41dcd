"""A request's `input` as stored items: each in the form clients read items in.

What a create's input (and items added to a conversation) turn into, once: what the record stores,
``GET /responses/{id}/input_items`` lists, the handler reads (``get_input_items()``) and a
conversation keeps. The input form of an item may leave out what its read form (the ``ResponseItem``
and ``ConversationItem`` unions strict clients check) requires; a stored item states it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from responsekit.ids import new_id
from responsekit.streaming.snapshot import dump_as_sent

if TYPE_CHECKING:
    from responsekit.models import _generated as models

#: Item types whose read form requires a ``status`` that their input form may leave out (or null):
#: a stored item without one is ``completed``.
STATUS_REQUIRED = frozenset(
    {
        "message",
        "function_call",
        "function_call_output",
        "file_search_call",
        "web_search_call",
        "image_generation_call",
        "computer_call",
        "computer_call_output",
        "tool_search_call",
        "tool_search_output",
        "program_output",
        "code_interpreter_call",
        "local_shell_call",
        "shell_call",
        "shell_call_output",
        "apply_patch_call",
        "apply_patch_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
    }
)

#: Item types whose read form requires ``execution`` (who ran the tool search), which their input
#: form may leave out: a stored item without one states ``server``, the tool's default.
EXECUTION_REQUIRED = frozenset({"tool_search_call", "tool_search_output"})

#: Input items that are not stored: they have no read form. A compaction trigger asks the response
#: to compact its window and is not part of it (the handler finds it in the request's ``input``).
NOT_STORED = frozenset({"compaction_trigger"})


def _message_content(role: str, content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        if role == "assistant":
            return [{"type": "output_text", "text": content, "annotations": [], "logprobs": []}]
        return [{"type": "input_text", "text": content}]
    return list(content or [])


def normalize_input(request: models.CreateResponse) -> list[dict[str, Any]]:
    """The request's input items in the shape the input_items endpoint lists them."""
    raw = request.input
    if raw is None:
        return []
    if isinstance(raw, str):
        return [
            {
                "id": new_id("message"),
                "type": "message",
                "role": "user",
                "status": "completed",
                "content": [{"type": "input_text", "text": raw}],
            }
        ]
    return normalize_items(raw)


def normalize_items(entries: list[Any]) -> list[dict[str, Any]]:
    """Validated input items (models) as stored items, in their read form: each with a type and a
    string id; messages with list content; the ``status``, ``execution`` and image ``detail`` their
    read form requires (see :func:`readable_item`); nested objects with the constant ``type`` their
    schema defaults (see ``dump_as_sent``). A compaction trigger is not stored. An item reference
    is stored as one (typed ``item_reference``, also when given as a bare ``{"id": ...}``): the
    handler needs it, though it has no read form of its own (it stands for the item it names)."""
    from responsekit.models import _generated as models  # deferred: see responsekit/models

    items = []
    for entry in entries:
        item = dump_as_sent(entry)
        kind = item.get("type")
        if kind in NOT_STORED:
            continue
        if type(entry) is models.ItemReferenceParam:
            item["type"] = "item_reference"
        elif "role" in item and kind in (None, "message"):
            item["type"] = "message"
            item["content"] = _message_content(item["role"], item.get("content"))
        if not item.get("id") or not isinstance(item["id"], str):  # input_items pages by string id
            item["id"] = new_id(item.get("type", "item"))
        _complete(item)
        items.append(item)
    return items


def _with_image_details(parts: list[Any]) -> list[Any]:
    """Content parts with the ``detail`` every ``input_image`` states in its read form (``auto``, the
    default, where the input left it out or null): ``parts`` itself if none lacks it, else a new
    list (the parts given are not changed)."""
    for part in parts:
        if type(part) is dict and part.get("type") == "input_image" and part.get("detail") is None:
            break
    else:
        return parts
    return [
        {**part, "detail": "auto"}
        if type(part) is dict and part.get("type") == "input_image" and part.get("detail") is None
        else part
        for part in parts
    ]


def _complete(item: dict[str, Any]) -> bool:
    """Fill in, in ``item`` itself (its content parts are not changed: a new list replaces them),
    what its read form requires and it left out or null; whether anything was."""
    changed = False
    kind = item.get("type")
    if kind in STATUS_REQUIRED and item.get("status") is None:
        item["status"] = "completed"
        changed = True
    if kind in EXECUTION_REQUIRED and item.get("execution") is None:
        item["execution"] = "server"
        changed = True
    for key in ("content", "output"):  # a message's parts, a tool call output's parts
        parts = item.get(key)
        if type(parts) is list:
            completed = _with_image_details(parts)
            if completed is not parts:
                item[key] = completed
                changed = True
    return changed


def readable_item(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with what its read form requires and it left out (or null): a ``status``
    (``completed``), a tool search's ``execution`` (``server``), an input image's ``detail``
    (``auto``, in a message's content or a tool call's output). The item given is not changed: a
    complete one is returned as it is, else a completed copy."""
    copy = dict(item)
    return copy if _complete(copy) else item


def input_text(items: list[dict[str, Any]]) -> str:
    """All text the user gave: the text parts of user-side messages, one per line."""
    texts = []
    for item in items:
        if item.get("type") != "message" or item.get("role") == "assistant":
            continue
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") in ("input_text", "text", "output_text"):
                texts.append(part.get("text") or "")
    return "\n".join(texts)
