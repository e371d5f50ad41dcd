"""Turn a request body into a validated CreateResponse, or an ApiError that says what is wrong.

Pydantic reports every branch of every union it tried; a person needs the one that matters. The
summary keeps the deepest real field path (``input[0].content[1].type``) and says what was expected.
Unknown item and content types are named before pydantic runs, because through a union their
error would otherwise read as a list of unrelated missing fields.
"""

from __future__ import annotations

import json
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from responsekit.models import _generated as models
from responsekit.models.request import CreateResponse
from responsekit.server.errors import ApiError, bad_request


def _type_literals(annotation: Any) -> set[str]:
    """Every `type` literal among the models of a (possibly nested, possibly RootModel) union."""
    found: set[str] = set()
    pending = [annotation]
    while pending:
        current = pending.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = current.model_fields
            if "root" in fields and len(fields) == 1:
                pending.append(fields["root"].annotation)
                continue
            type_field = fields.get("type")
            if type_field is not None:
                found.update(_literal_strings(type_field.annotation))
                if type_field.default and isinstance(type_field.default, str):
                    found.add(type_field.default)
            continue
        pending.extend(typing.get_args(current))
    return found


def _literal_strings(annotation: Any) -> set[str]:
    """The strings of a Literal, also inside Optional/Union (``Literal["item_reference"] | None``)."""
    found: set[str] = set()
    for arg in typing.get_args(annotation):
        found.update([arg] if isinstance(arg, str) else _literal_strings(arg))
    return found


INPUT_ITEM_TYPES = frozenset(_type_literals(models.InputItem) | {"message"})
CONTENT_PART_TYPES = frozenset(
    _type_literals(models.InputContent) | _type_literals(models.OutputMessageContent) | {"reasoning_text"}
)


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON ({exc}).", code="invalid_json") from None
    except RecursionError:
        raise bad_request(
            "The request body is nested too deeply to be parsed.", code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        raise bad_request(
            f"The request body must be a JSON object, not {type(data).__name__}.", code="invalid_json"
        )
    return data


def _check_item_types(data: dict[str, Any]) -> bool:
    """Name unknown item/content types; returns True if it filled in an implied message type."""
    items = data.get("input")
    changed = False
    if not isinstance(items, list):
        return changed
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if "type" not in item and "role" in item:
            # An item with a role and no type is a message (the protocol's shorthand). Saying so
            # before validation keeps the union from matching some other, more permissive item.
            item["type"] = "message"
            changed = True
        item_type = item.get("type")
        if item_type is not None and item_type not in INPUT_ITEM_TYPES:
            raise bad_request(
                f"Invalid value for 'input[{i}].type': unknown item type {item_type!r}. "
                f"Supported: {', '.join(sorted(INPUT_ITEM_TYPES))}.",
                param=f"input[{i}].type",
                code="invalid_value",
            )
        content = item.get("content")
        if item_type in (None, "message") and isinstance(content, list):
            for j, part in enumerate(content):
                part_type = part.get("type") if isinstance(part, dict) else None
                if part_type is not None and part_type not in CONTENT_PART_TYPES:
                    raise bad_request(
                        f"Invalid value for 'input[{i}].content[{j}].type': unknown content type {part_type!r}. "
                        f"Supported: {', '.join(sorted(CONTENT_PART_TYPES))}.",
                        param=f"input[{i}].content[{j}].type",
                        code="invalid_value",
                    )
    return changed


def _real_path(loc: tuple[Any, ...], data: Any, missing: bool = True) -> list[Any]:
    """The parts of a pydantic `loc` that are real keys of the request, found by walking the data.

    `loc` also holds union branch labels ("str", "list[InputItem]", "EasyInputMessage") and
    discriminator tags ("input_text"); those are not in the data, so they drop out. The last part
    may be a missing field, which stays.
    """
    path: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        elif (
            missing
            and i == len(loc) - 1
            and isinstance(part, str)
            and isinstance(node, dict)
            and part.isidentifier()
        ):
            path.append(part)
    return path


def _param(path: list[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# When several errors sit at the same depth, the more specific kinds explain more.
_PREFERENCE = {"union_tag_invalid": 0, "literal_error": 1, "enum": 1, "missing": 2, "extra_forbidden": 2}
# A `type` literal mismatch only says "this union branch was not the one": least informative.
_BRANCH_MISMATCH = 9


def summarize(error: ValidationError, data: Any) -> ApiError:
    best = None
    best_key = None
    best_path: list[Any] = []
    entries = error.errors(include_url=False)
    # A union branch whose `type` literal did not match is not the branch the client meant: its
    # other errors (missing fields of an unrelated shape) would only mislead. Unless every branch
    # mismatched, in which case the `type` itself is the error.
    mismatched = {
        tuple(e["loc"][:-1]) for e in entries if e["type"] == "literal_error" and e["loc"][-1] == "type"
    }
    relevant = [e for e in entries if not any(tuple(e["loc"][: len(p)]) == p for p in mismatched)]
    if not relevant:
        relevant = [e for e in entries if tuple(e["loc"][:-1]) in mismatched and e["loc"][-1] == "type"]
    for entry in relevant or entries:
        path = _real_path(tuple(entry["loc"]), data, missing=entry["type"] in ("missing", "extra_forbidden"))
        preference = _PREFERENCE.get(entry["type"], 3)
        if entry["type"] == "literal_error" and path and path[-1] == "type":
            preference = _BRANCH_MISMATCH
        key = (-len(path), preference, len(entry["loc"]))
        if best_key is None or key < best_key:
            best, best_key, best_path = entry, key, path
    assert best is not None
    param = _param(best_path) or None
    got = best.get("input")
    shown = (
        json.dumps(got)[:80] if isinstance(got, (str, int, float, bool, type(None))) else type(got).__name__
    )
    where = f"'{param}'" if param else "the request"
    message = best["msg"]
    if best["type"] == "literal_error" and best_path and best_path[-1] == "type":
        # Every branch refused this `type`: say which ones exist, not just the first branch's.
        expected = sorted(
            {
                str(e.get("ctx", {}).get("expected"))
                for e in relevant
                if e["type"] == "literal_error"
                and _real_path(tuple(e["loc"]), data, missing=False) == best_path
            }
        )
        message = f"unknown type; expected one of {', '.join(expected)}"
    return bad_request(
        f"Invalid value for {where}: {message} (got {shown}).", param=param, code="invalid_value"
    )


KNOWN_REQUEST_FIELDS = frozenset(
    field.alias or name for name, field in models.CreateResponse.model_fields.items()
)


def parse_create_request(body: bytes, *, reject_unknown_fields: bool = False) -> CreateResponse:
    data = parse_json_object(body)
    if reject_unknown_fields:
        unknown = sorted(set(data) - KNOWN_REQUEST_FIELDS)
        if unknown:
            raise bad_request(
                f"Unrecognized request argument supplied: {unknown[0]}.",
                param=unknown[0],
                code="unknown_parameter",
            )
    if _check_item_types(data):
        body = json.dumps(data).encode()
    try:
        # Strict JSON validation: "yes" is not a boolean and "1" is not a number.
        request = CreateResponse.model_validate_json(body, strict=True)
    except ValidationError as exc:
        raise summarize(exc, data) from None
    if data.get("previous_response_id") and data.get("conversation"):
        raise bad_request(
            "Mutually exclusive parameters: use either 'previous_response_id' or 'conversation', not both.",
            param="previous_response_id",
            code="mutually_exclusive_parameters",
        )
    if data.get("background") and data.get("store") is False:
        raise bad_request(
            "Background mode needs store=true: a background response must be retrievable.",
            param="background",
            code="invalid_value",
        )
    return request
