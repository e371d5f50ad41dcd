"""Unguessable ids with the protocol's usual prefixes (192 random bits from the OS's CSPRNG)."""

import os
import re
import threading

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


#: Random bytes per id, and ids drawn from one read of the OS's generator: a request makes
#: several ids, and a system call for each cost more than the rest of making them.
_ID_BYTES = 24
_POOL_IDS = 128
_pool = b""
_taken = 0
#: Sync handlers make ids in worker threads: taking bytes from the pool is one step.
_pool_lock = threading.Lock()


def _random_hex() -> str:
    global _pool, _taken
    with _pool_lock:
        if _taken >= len(_pool):
            _pool, _taken = os.urandom(_ID_BYTES * _POOL_IDS), 0
        start = _taken
        _taken = start + _ID_BYTES
        pool = _pool
    return pool[start : start + _ID_BYTES].hex()


def _forget_pool() -> None:
    """In a forked child: never hand out the bytes the parent may hand out too."""
    global _pool, _taken
    _pool, _taken = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def new_id(kind: str) -> str:
    """A fresh id for an object of ``kind`` (an item type, or "response")."""
    return f"{PREFIXES.get(kind, 'item')}_{_random_hex()}"


def is_well_formed(value: str) -> bool:
    return bool(ID_PATTERN.match(value))
