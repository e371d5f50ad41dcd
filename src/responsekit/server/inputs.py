"""A request's `input` as stored items: every item a dict with an id, messages in list form."""

from __future__ import annotations

from typing import Any

from responsekit.ids import new_id
from responsekit.models import _generated as models


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
    """Validated input items (models) as stored items: each with a string id, messages with a
    type, list content and a status (a create's input, or items added to a conversation)."""
    items = []
    for entry in entries:
        item = entry.model_dump(mode="json", by_alias=True, exclude_unset=True)
        if "role" in item and item.get("type", "message") == "message":
            item["type"] = "message"
            item["content"] = _message_content(item["role"], item.get("content"))
            item.setdefault("status", "completed")
        if not item.get("id") or not isinstance(item["id"], str):  # input_items pages by string id
            item["id"] = new_id(item.get("type", "item"))
        items.append(item)
    return items


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
