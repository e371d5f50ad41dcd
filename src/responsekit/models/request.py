"""The request a handler receives: the generated model, which also reads like its JSON object.

The peer package hands handlers the request as a plain dict (``request["model"]``,
``request.get("metadata")``); this model answers those reads too, with plain JSON values, so
handler code ports unchanged, while attribute access stays typed (``request.input``).
"""

from __future__ import annotations

from collections.abc import ItemsView, KeysView, ValuesView
from typing import Any

from pydantic import PrivateAttr

from responsekit.models import _generated

# The generated models build their validators on first use (defer_build). A subclass's inherited
# annotations are then resolved in *this* module's namespace, so it holds every generated name.
from responsekit.models._generated import *  # noqa: E402, F403


class CreateResponse(_generated.CreateResponse):
    _as_dict: dict[str, Any] | None = PrivateAttr(default=None)

    def to_dict(self) -> dict[str, Any]:
        """The request as the JSON object it arrived as (fields that were sent, unknown ones too)."""
        if self._as_dict is None:
            self._as_dict = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return self._as_dict

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_dict().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.to_dict()

    def keys(self) -> KeysView[str]:
        return self.to_dict().keys()

    def values(self) -> ValuesView[Any]:
        return self.to_dict().values()

    def items(self) -> ItemsView[str, Any]:
        return self.to_dict().items()
