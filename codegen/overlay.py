"""The project's patches to the extracted spec, kept as data in ``spec/overlay.yaml``.

An overlay is a list of actions, each with a ``target`` (a JSON pointer into the spec), a ``why``
(one line saying what upstream defect or extension it is), and exactly one operation:

- ``set``: replace (or create) the value at the target (``/-`` appends to a list);
- ``merge``: deep-merge a mapping into the mapping at the target;
- ``append``: add list entries not already present;
- ``remove: true``: delete the target (a list entry or a mapping key);
- ``remove_items``: remove the given entries from the list at the target.

A target that does not exist fails loudly (except for ``set``, which creates the last key), so an
upstream change that makes a patch obsolete is noticed instead of silently ignored.
"""

from __future__ import annotations

from pathlib import Path

import yaml

OPERATIONS = ("set", "merge", "append", "remove", "remove_items")


class OverlayError(Exception):
    pass


def load_overlay(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text())
    actions = data.get("actions", []) if isinstance(data, dict) else []
    for i, action in enumerate(actions):
        ops = [op for op in OPERATIONS if op in action]
        if "target" not in action or len(ops) != 1 or not action.get("why"):
            raise OverlayError(f"overlay action #{i} needs a target, a why and exactly one of {OPERATIONS}")
    return actions


def _split(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise OverlayError(f"target {pointer!r} is not a JSON pointer")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _walk(doc, parts: list[str], pointer: str):
    node = doc
    for part in parts:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError):
            raise OverlayError(f"overlay target {pointer!r} does not exist (missing {part!r})") from None
    return node


def _deep_merge(into: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def apply_overlay(spec: dict, actions: list[dict]) -> None:
    for action in actions:
        pointer = action["target"]
        parts = _split(pointer)
        if "set" in action:
            parent = _walk(spec, parts[:-1], pointer)
            key = parts[-1]
            if isinstance(parent, list) and key == "-":  # JSON pointer's "past the end": append
                parent.append(action["set"])
            elif isinstance(parent, list):
                parent[int(key)] = action["set"]
            else:
                parent[key] = action["set"]
        elif "remove" in action:
            parent = _walk(spec, parts[:-1], pointer)
            _walk(spec, parts, pointer)
            del parent[int(parts[-1]) if isinstance(parent, list) else parts[-1]]
        else:
            node = _walk(spec, parts, pointer)
            if "merge" in action:
                if not isinstance(node, dict):
                    raise OverlayError(f"merge target {pointer!r} is not a mapping")
                _deep_merge(node, action["merge"])
            elif "append" in action:
                if not isinstance(node, list):
                    raise OverlayError(f"append target {pointer!r} is not a list")
                node.extend(v for v in action["append"] if v not in node)
            else:
                if not isinstance(node, list):
                    raise OverlayError(f"remove_items target {pointer!r} is not a list")
                missing = [v for v in action["remove_items"] if v not in node]
                if missing:
                    raise OverlayError(f"remove_items at {pointer!r}: {missing} not present")
                node[:] = [v for v in node if v not in action["remove_items"]]
