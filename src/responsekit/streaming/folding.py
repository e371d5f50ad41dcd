"""Snapshot folding: each finished item's final form goes into the response's ``output``, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsekit.streaming.output_item_builder import OutputItemBuilder


class _SnapshotFolding:
    """ResponseEventStream's mixin folding finished items into the live response object."""

    __slots__ = ()

    def _item_finished(self, builder: OutputItemBuilder, item: dict[str, Any]) -> None:
        self._finished[builder._output_index] = item
        self._data["output"] = self._finished_output()

    def _finished_output(self) -> list[dict[str, Any]]:
        return [self._finished[i] for i in sorted(self._finished)]
