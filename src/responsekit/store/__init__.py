"""Stores: where responses, their event logs and cancel signals live (see ``protocols``)."""

from responsekit.store.memory import MemoryStore
from responsekit.store.protocols import (
    CancelSignals,
    EventLog,
    LogEntry,
    RecordStore,
    ResponseRecord,
    Store,
    StoreUnavailable,
)

__all__ = [
    "CancelSignals",
    "EventLog",
    "LogEntry",
    "MemoryStore",
    "RecordStore",
    "ResponseRecord",
    "Store",
    "StoreUnavailable",
]
