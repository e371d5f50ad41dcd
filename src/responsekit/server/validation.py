"""Turn a request body into a validated CreateResponse, or an ApiError that says what is wrong.

Pydantic reports every branch of every union it tried; a person needs the one that matters. The
summary keeps the deepest real field path (``input[0].content[1].type``) and says what was expected.
Unknown item and content types are named before pydantic runs, because through a union their
error would otherwise read as a list of unrelated missing fields.
"""

from __future__ import annotations

import functools
import json
import math
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic_core import ValidationError  # pydantic's own (pydantic_core loads with the package)

from responsekit.models import _generated_constants as constants
from responsekit.server.errors import ApiError, bad_request

if TYPE_CHECKING:
    from pydantic import BaseModel

    from responsekit.models.request import CreateResponse

# The models, and pydantic, are imported where used: they load on first use, not with the package
# (see responsekit/models).
_Model = TypeVar("_Model", bound="BaseModel")

#: Item and content-part types a request may hold (generated from the spec: models/_generated_constants.py).
INPUT_ITEM_TYPES = constants.INPUT_ITEM_TYPES | {"message"}
CONTENT_PART_TYPES = (
    constants.INPUT_CONTENT_TYPES | constants.OUTPUT_MESSAGE_CONTENT_TYPES | {"reasoning_text"}
)


#: Deepest nesting a request may have. The JSON validator refuses much deeper documents anyway
#: (about 200 levels), and no real request comes near this.
MAX_DEPTH = 100
#: Integers in declared fields must fit a signed 64-bit integer, as every client can represent them.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: Python's int() refuses longer digit strings (sys.int_info.default_max_str_digits); the JSON
#: validator refuses them too. Such literals are parsed as _LongInt and never converted.
_MAX_INT_CHARS = 4300

_JSON_TYPE_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def json_type(value: Any) -> str:
    """The JSON name of a value's type (never a Python class name: messages are for clients)."""
    if isinstance(value, (int, float, _LongInt)) and not isinstance(value, bool):
        return "number"
    return _JSON_TYPE_NAMES.get(type(value), "value")


class _LongInt:
    """An integer literal too long to convert; it can only be out of range, or ignored."""

    __slots__ = ("digits",)

    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-"))


def _parse_int(text: str) -> int | _LongInt:
    return int(text) if len(text) <= _MAX_INT_CHARS else _LongInt(text)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


#: One decoder for every body (``json.loads`` with hooks builds a new one per call).
_DECODER = json.JSONDecoder(parse_int=_parse_int, parse_constant=_not_json)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object (a leading byte order mark, if any, already stripped)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("The request body is not valid UTF-8 text.", code="invalid_json") from None
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise bad_request(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            code="invalid_json",
        ) from None
    except ValueError as exc:  # from _not_json: NaN, Infinity and -Infinity are not JSON
        raise bad_request(f"The request body is not valid JSON: {exc}.", code="invalid_json") from None
    except RecursionError:
        raise bad_request(
            "The request body is nested too deeply to be parsed.", code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        raise bad_request(
            f"The request body must be a JSON object, not {json_type(data)}.", code="invalid_json"
        )
    return data


def _check_numbers(data: dict[str, Any], known_fields: frozenset[str] | None = None) -> tuple[bool, bool]:
    """Refuse what no field can hold; returns (dropped an unknown field, saw a wide integer).

    In known fields, integer literals too long to convert and numbers that overflow a float
    (``1e999``) are 400 naming the place. Unknown top-level fields are ignored, so one holding an
    unconvertible integer is simply dropped. Any nesting beyond MAX_DEPTH is refused. Integers
    beyond 64 bits in known fields are only noted: free-form JSON (a tool's schema) may hold them.
    """
    dropped = wide = False
    for key in list(data):
        known = key in (KNOWN_REQUEST_FIELDS if known_fields is None else known_fields)
        stack: list[tuple[Any, list[Any]]] = [(data[key], [key])]
        while stack:
            value, path = stack.pop()
            if isinstance(value, dict):
                children: Any = value.items()
            elif isinstance(value, list):
                children = enumerate(value)
            else:
                if isinstance(value, _LongInt):
                    if not known:
                        del data[key]
                        dropped = True
                        break
                    raise bad_request(
                        f"Invalid value for '{_param(path)}': the number is out of range "
                        f"(an integer of {value.digits} digits).",
                        param=_param(path),
                        code="invalid_value",
                    )
                if known and isinstance(value, float) and not math.isfinite(value):
                    raise bad_request(
                        f"Invalid value for '{_param(path)}': the number is out of range.",
                        param=_param(path),
                        code="invalid_value",
                    )
                if known and type(value) is int and not INT_MIN <= value <= INT_MAX:
                    wide = True
                continue
            if len(path) > MAX_DEPTH:
                raise bad_request(
                    f"The request body is nested too deeply (more than {MAX_DEPTH} levels).",
                    code="invalid_json",
                )
            stack.extend((child, [*path, name]) for name, child in children)
    return dropped, wide


def _check_ranges(request: BaseModel) -> None:
    """Integers in declared fields must fit 64 bits (the schema bounds few of them; clients need all)."""
    from pydantic import BaseModel

    stack: list[tuple[Any, list[Any]]] = [(request, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, BaseModel):
            for name, field in type(node).model_fields.items():
                # Free-form JSON (e.g. a tool's output) is the client's; __dict__ skips deprecation warnings.
                if field.annotation is not Any:
                    stack.append((node.__dict__.get(name), [*path, field.alias or name]))
        elif isinstance(node, list):
            stack.extend((child, [*path, i]) for i, child in enumerate(node))
        elif isinstance(node, int) and not isinstance(node, bool) and not INT_MIN <= node <= INT_MAX:
            raise bad_request(
                f"Invalid value for '{_param(path)}': the number is out of range "
                f"(at most {INT_MAX}, at least {INT_MIN}).",
                param=_param(path),
                code="invalid_value",
            )


def _check_type(value: Any, param: str) -> None:
    if not isinstance(value, str):
        raise bad_request(
            f"Invalid value for '{param}': a type must be a string, not {json_type(value)}.",
            param=param,
            code="invalid_value",
        )


def _require_type(obj: dict[str, Any], param: str) -> None:
    if "type" not in obj:
        raise bad_request(f"Missing required parameter: '{param}'.", param=param, code="invalid_value")
    _check_type(obj["type"], param)


def _check_item_types(data: dict[str, Any], items_field: str = "input") -> bool:
    """Name unknown item/content types and bad item ids (see check_input_items), and untyped
    ``text.format`` and ``tool_choice`` objects; returns True if it filled in a message type."""
    # Objects of a `type`-tagged union whose generated models all default their `type`: without
    # one they would validate as anything and be echoed back as an object no client can read.
    text = data.get("text")
    if isinstance(text, dict) and isinstance(text.get("format"), dict):
        _require_type(text["format"], "text.format.type")
    if isinstance(data.get("tool_choice"), dict):
        _require_type(data["tool_choice"], "tool_choice.type")
    return check_input_items(data.get(items_field), items_field)


def check_input_items(items: Any, field: str = "input") -> bool:
    """The checks every list of input items gets before validation (a create's ``input``, a
    conversation's ``items``): unknown item and content types are named (through the item union
    their error would read as unrelated missing fields), item ids must be strings and unique among
    the request's own items (lists page by item id; a repeated id would make cursors ambiguous).

    An item with a role and no type is given ``"type": "message"`` in place; returns True if any
    was. Raises a 400 ApiError naming the place under ``field`` (``items[2].content[0].type``).
    Anything but a list is left to validation.
    """
    changed = False
    if not isinstance(items, list):
        return changed
    seen_ids: dict[str, int] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if "type" not in item and "role" in item:
            # An item with a role and no type is a message (the protocol's shorthand). Saying so
            # before validation keeps the union from matching some other, more permissive item.
            item["type"] = "message"
            changed = True
        if "type" not in item and "id" not in item:  # neither a message nor an item reference
            _require_type(item, f"{field}[{i}].type")
        item_type = item.get("type")
        if item_type is not None:
            _check_type(item_type, f"{field}[{i}].type")
            if item_type not in INPUT_ITEM_TYPES:
                raise bad_request(
                    f"Invalid value for '{field}[{i}].type': unknown item type {item_type[:80]!r}. "
                    f"Supported: {', '.join(sorted(INPUT_ITEM_TYPES))}.",
                    param=f"{field}[{i}].type",
                    code="invalid_value",
                )
        item_id = item.get("id")
        if item_id is not None:
            if not isinstance(item_id, str):
                raise bad_request(
                    f"Invalid value for '{field}[{i}].id': an item id must be a string, not {json_type(item_id)}.",
                    param=f"{field}[{i}].id",
                    code="invalid_value",
                )
            # An item reference's id names another item (maybe one of this request): not its own.
            own = item_type not in (None, "item_reference") or "role" in item
            if item_id in seen_ids and own:
                raise bad_request(
                    f"Invalid value for '{field}[{i}].id': {item_id[:80]!r} is also the id of {field}[{seen_ids[item_id]}]; "
                    "item ids must be unique within a request.",
                    param=f"{field}[{i}].id",
                    code="invalid_value",
                )
            if item_id and own:
                seen_ids[item_id] = i
        content = item.get("content")
        if item_type in (None, "message") and isinstance(content, list):
            for j, part in enumerate(content):
                if not isinstance(part, dict) or "type" not in part:
                    continue
                part_type = part["type"]
                _check_type(part_type, f"{field}[{i}].content[{j}].type")  # parts have no untyped form
                if part_type not in CONTENT_PART_TYPES:
                    raise bad_request(
                        f"Invalid value for '{field}[{i}].content[{j}].type': unknown content type {part_type[:80]!r}. "
                        f"Supported: {', '.join(sorted(CONTENT_PART_TYPES))}.",
                        param=f"{field}[{i}].content[{j}].type",
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
    shown = json.dumps(got)[:80] if isinstance(got, (str, int, float, bool, type(None))) else json_type(got)
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


def _whole_floats_as_ints(error: ValidationError, data: dict[str, Any]) -> bool:
    """Turn the whole floats that integer fields refused (``20.0``) into ints; True if it did any.

    JSON Schema counts 20.0 as an integer (a client computing a number may well send it), strict
    validation does not.
    """
    changed = False
    for entry in error.errors(include_url=False):
        value = entry.get("input")
        if entry["type"] != "int_type" or not isinstance(value, float) or not value.is_integer():
            continue
        if not INT_MIN <= value <= INT_MAX:
            continue
        path = _real_path(tuple(entry["loc"]), data, missing=False)
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        if path and type(parent[path[-1]]) is float and parent[path[-1]] == value:
            parent[path[-1]] = int(value)
            changed = True
    return changed


#: The create request's fields (generated from the spec; tests/unit/test_schema_constants.py checks
#: they are the model's).
KNOWN_REQUEST_FIELDS = constants.CREATE_RESPONSE_FIELDS


@functools.cache
def _create_response_model() -> type[CreateResponse]:
    """The create request's model, imported on first use and kept (an import statement costs about
    a microsecond per request)."""
    from responsekit.models.request import CreateResponse

    return CreateResponse


def parse_create_request(body: bytes, *, reject_unknown_fields: bool = False) -> CreateResponse:
    request, data = parse_request(body, _create_response_model(), reject_unknown_fields=reject_unknown_fields)
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


def parse_request(
    body: bytes,
    model: type[_Model],
    *,
    reject_unknown_fields: bool = False,
    required: tuple[str, ...] = (),
    items_field: str = "input",
) -> tuple[_Model, dict[str, Any]]:
    """The body validated as ``model`` (a generated request body), with the JSON object it came from.

    Every request body gets the same checks and the same error messages: create, compact,
    input_tokens, conversations. A field named in ``required`` that is absent, null or empty is 400
    ``missing_required_parameter``. ``items_field`` is the field holding the request's input items
    (``items`` in the Conversations API), checked with :func:`check_input_items`.
    """
    known_fields = (
        KNOWN_REQUEST_FIELDS
        if model is _create_response_model()
        else frozenset(field.alias or name for name, field in model.model_fields.items())
    )
    # A UTF-8 byte order mark is allowed, and meaningless: drop it once, for both parsers.
    body = body.removeprefix(b"\xef\xbb\xbf")
    data = parse_json_object(body)
    if reject_unknown_fields:
        unknown = sorted(set(data) - known_fields)
        if unknown:
            raise bad_request(
                f"Unrecognized request argument supplied: {unknown[0]}.",
                param=unknown[0],
                code="unknown_parameter",
            )
    for name in required:
        if data.get(name) in (None, ""):
            raise bad_request(
                f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
            )
    dropped, wide = _check_numbers(data, known_fields)
    if _check_item_types(data, items_field) or dropped:
        body = json.dumps(data).encode()
    for attempt in range(3):
        try:
            # Strict JSON validation: "yes" is not a boolean and "1" is not a number.
            request = model.model_validate_json(body, strict=True)
            break
        except ValidationError as exc:
            invalid = next((e for e in exc.errors(include_url=False) if e["type"] == "json_invalid"), None)
            if invalid is not None:  # what the JSON validator refuses that json.loads took (a lone surrogate)
                reason = str(invalid.get("ctx", {}).get("error") or "").strip() or "unreadable"
                raise bad_request(
                    f"The request body is not valid JSON: {reason}.", code="invalid_json"
                ) from None
            if attempt < 2 and _whole_floats_as_ints(exc, data):
                body = json.dumps(data).encode()
                continue
            raise summarize(exc, data) from None
    if wide:
        _check_ranges(request)
    return request, data
