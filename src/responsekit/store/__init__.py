"""Stores: where responses, their event logs and cancel signals live (see ``protocols``)."""

from responsekit.store.memory import MemoryStore
from responsekit.store.protocols import (
    CancelSignals,
    EventLog,
    LogEntry,
    LogNotFound,
    RecordStore,
    ResponseRecord,
    Store,
    StoreUnavailable,
)

__all__ = [
    "CancelSignals",
    "EventLog",
    "LogEntry",
    "LogNotFound",
    "MemoryStore",
    "RecordStore",
    "ResponseRecord",
    "Store",
    "StoreUnavailable",
]
