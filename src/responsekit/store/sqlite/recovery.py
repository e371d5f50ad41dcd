"""At startup: the responses a previous process left running end as lost.

One process writes the file, so a record not finished when the store opens was running in a process
that died (SIGKILL, OOM, power loss) or stopped without ending it. It ends as the Redis store's
reaper ends a response whose replica was lost: ``failed`` with ``server_error`` ("The worker running
this response was lost."), and its log gets that terminal event, numbered after its last stored
event, and is closed. A record that had finished but whose log missed its terminal event gets it
now; a log left open without a record is closed the same way. So every log ends with exactly one
terminal event, and replays after the restart end.

With ``resilient`` (the server's ``resilient_background``), a resilient background response (its
record carries ``resumable``) whose log is still open is not ended: it is left for re-entry (its
record unfinished, its log open), and its id is returned as awaiting recovery; the store reports it
to ``on_recoverable`` once started, and ``records.claim_recovery`` takes it over (the ledger's open
log says where its log continues). Without ``resilient``, it ends as lost like any other.
"""

from __future__ import annotations

import logging

from pydantic_core import from_json

from responsekit.store.sqlite.logs import append_frames
from responsekit.store.sqlite.records import finish_record
from responsekit.store.sqlite.threads import Writer
from responsekit.streaming.events import encode_json, sse_frame
from responsekit.streaming.terminal import TERMINAL_EVENT_TYPE_BY_STATUS, runtime_terminal_snapshot

logger = logging.getLogger("responsekit")


def _close_log(w: Writer, response_id: str, event_type: str, snapshot: dict) -> None:
    """Append the terminal event (numbered after the log's last event) and close the log."""
    log = w.ledger.open_logs.get(response_id)
    if log is None:
        return
    seq = log.last_seq + 1
    payload = {"type": event_type, "response": snapshot, "sequence_number": seq}
    frame = sse_frame(event_type, encode_json(payload))
    append_frames(w, response_id, [(seq, frame)], len(frame), True)


def end_lost(w: Writer, resilient: bool = False) -> tuple[list[str], list[str]]:
    """End what a previous process left running (inside the caller's transaction, with the ledger
    read): (the ids failed as lost, the ids kept awaiting recovery, oldest first)."""
    conn = w.conn
    lost: list[str] = []
    kept: list[str] = []
    running = conn.execute(
        "SELECT id, snapshot, resumable IS NOT NULL FROM responses WHERE finished = 0 ORDER BY created_at"
    ).fetchall()
    for response_id, data, resumable in running:
        if resilient and resumable and response_id in w.ledger.open_logs:
            kept.append(response_id)  # re-entered from its checkpoint; its log continues
            continue
        snapshot = runtime_terminal_snapshot(from_json(data), "lost")
        finish_record(w, response_id, encode_json(snapshot))
        _close_log(w, response_id, "response.failed", snapshot)
        lost.append(response_id)
    awaiting = set(kept)
    for response_id in list(w.ledger.open_logs):
        if response_id in awaiting:
            continue
        row = conn.execute("SELECT snapshot FROM responses WHERE id = ?", (response_id,)).fetchone()
        if row is None:  # a log without its record
            snapshot = runtime_terminal_snapshot({"id": response_id}, "lost")
            event_type = "response.failed"
        else:  # it finished, but its terminal event was not stored
            snapshot = from_json(row[0])
            event_type = TERMINAL_EVENT_TYPE_BY_STATUS.get(snapshot.get("status"), "response.failed")
        _close_log(w, response_id, event_type, snapshot)
    if lost:
        shown = ", ".join(lost[:10]) + (f" and {len(lost) - 10} more" if len(lost) > 10 else "")
        logger.warning(
            "SQLite store %s: %d response(s) were still running when the previous process stopped; "
            "they end failed, as lost: %s",
            w.path,
            len(lost),
            shown,
        )
    if kept:
        logger.info(
            "SQLite store %s: %d resilient response(s) were running when the previous process "
            "stopped; they await recovery",
            w.path,
            len(kept),
        )
    return lost, kept
