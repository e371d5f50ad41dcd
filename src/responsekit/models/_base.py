"""The base of every generated protocol model: a pydantic model that also reads like its JSON object.

The peer package's models are dicts, so handler code written for it reads items with
``item.get("type")``, ``item["content"]`` and ``"status" in item``, and walks nested values as
dicts (``isinstance(part, dict)``). These reads answer with the plain JSON values of the fields that
were set (aliases as on the wire), so that code ports unchanged; attribute access stays typed
(``item.content[0].text``). ``keys``/``values``/``items`` are left out here (some protocol objects
have fields of those names); use ``to_dict()`` for the whole object.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["ProtocolModel"]


class ProtocolModel(BaseModel):
    def to_dict(self) -> dict[str, Any]:
        """The object as plain JSON data: the fields that were set (unknown ones too), by wire name."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def as_dict(self, *, exclude_readonly: bool = False) -> dict[str, Any]:
        """``to_dict()`` under the name the peer package's models use (``exclude_readonly`` is
        accepted and ignored: the protocol's objects have no read-only fields)."""
        return self.to_dict()

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_dict().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.to_dict()
