"""Unguessable ids with the protocol's usual prefixes (192 random bits from `secrets`)."""

import re
import secrets

PREFIXES = {
    "response": "resp",
    "conversation": "conv",
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "reasoning": "rs",
    "file_search_call": "fs",
    "web_search_call": "ws",
    "code_interpreter_call": "ci",
    "image_generation_call": "ig",
    "mcp_call": "mcp",
    "mcp_list_tools": "mcpl",
    "mcp_approval_request": "mcpr",
    "mcp_approval_response": "mcpa",
    "custom_tool_call": "ctc",
    "custom_tool_call_output": "ctco",
    "shell_call": "sh",
    "shell_call_output": "sho",
    "local_shell_call": "lsh",
    "local_shell_call_output": "lsho",
    "computer_call": "cu",
    "computer_call_output": "cuo",
    "apply_patch_call": "apc",
    "apply_patch_call_output": "apco",
    "compaction": "cmp",
    "structured_outputs": "so",
    "item": "item",
}

# What a well-formed id looks like: a prefix, an underscore, then URL-safe characters.
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_-]{8,128}$")


def new_id(kind: str) -> str:
    """A fresh id for an object of ``kind`` (an item type, or "response")."""
    return f"{PREFIXES.get(kind, 'item')}_{secrets.token_hex(24)}"


def is_well_formed(value: str) -> bool:
    return bool(ID_PATTERN.match(value))
