"""The check definitions, one module per area; importing this package registers them all.

``MODULES`` fixes the order checks run in and are listed in reports.
"""

from importlib import import_module

from responsekit.conformance.registry import REGISTRY, Check

__all__ = ["MODULES", "all_checks", "get"]

MODULES = (
    "create",
    "sse",
    "stream",
    "retrieve",
    "replay",
    "cancel",
    "lifecycle",
    "input_items",
    "errors",
    "tools",
    "websocket",
    "compaction",
    "input_tokens",
    "conversations",
    "request_fields",
    "content",
    "streaming",
    "isolation",
    "models",  # judges what every other check's bodies showed: keep it last
)

for _name in MODULES:
    import_module(f"{__name__}.{_name}")


def all_checks() -> list[Check]:
    return list(REGISTRY.values())


def get(check_id: str) -> Check:
    return REGISTRY[check_id]
