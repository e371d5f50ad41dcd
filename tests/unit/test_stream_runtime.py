"""The seam between a stream and the runtime: streaming/terminal.py and the stream's runtime interface."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from responsekit.server import runner
from responsekit.streaming import ResponseEventStream, StreamOrderError, terminal
from responsekit.streaming.terminal import FAILURE_MESSAGES, runtime_terminal_snapshot, terminal_snapshot

STREAMING = Path(__file__).resolve().parents[2] / "src/responsekit/streaming"


def test_streaming_imports_nothing_from_the_server_or_the_stores():
    for path in STREAMING.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                assert not name.startswith(("responsekit.server", "responsekit.store")), (path.name, name)


def test_failure_messages_live_beside_the_terminal_snapshot_and_stay_importable_from_the_runner():
    assert runner.FAILURE_MESSAGES is terminal.FAILURE_MESSAGES
    assert set(FAILURE_MESSAGES) == {"exception", "incomplete", "shutdown", "lost", "store", "unrecoverable"}


def test_terminal_snapshot_by_status():
    base = {"id": "r", "status": "in_progress", "output": [], "error": None, "completed_at": None}
    done = terminal_snapshot(base, "completed", output=[{"id": "m"}], usage={"total_tokens": 1})
    assert done["status"] == "completed" and isinstance(done["completed_at"], int)
    assert done["output"] == [{"id": "m"}] and done["usage"] == {"total_tokens": 1}
    assert base["status"] == "in_progress"  # a copy unless in_place
    failed = terminal_snapshot(base, "failed", code="server_error", message="m")
    assert failed["error"] == {"code": "server_error", "message": "m"} and failed["completed_at"] is None
    assert terminal_snapshot(base, "incomplete", reason="max_output_tokens")["incomplete_details"] == {
        "reason": "max_output_tokens"
    }
    assert terminal_snapshot({**base, "error": {"code": "x"}}, "cancelled")["error"] is None
    same = terminal_snapshot(base, "cancelled", in_place=True)
    assert same is base and base["status"] == "cancelled"
    with pytest.raises(ValueError):
        terminal_snapshot(base, "in_progress")


def test_runtime_terminal_snapshot_by_reason():
    running = {"id": "r", "status": "in_progress", "error": None, "completed_at": 5}
    running["output"] = [{"id": "a", "status": "completed"}, {"id": "b", "status": "in_progress"}]
    lost = runtime_terminal_snapshot(running, "lost")
    assert lost["status"] == "failed"
    assert lost["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["lost"]}
    assert len(lost["output"]) == 2 and lost["completed_at"] == 5
    for reason in ("cancelled", "disconnected"):
        ended = runtime_terminal_snapshot(running, reason, drop_unfinished=True)
        assert ended["status"] == "cancelled" and ended["error"] is None
        assert [i["id"] for i in ended["output"]] == ["a"] and ended["completed_at"] is None


def test_adopt_takes_creation_time_and_a_missing_model_and_re_encodes_the_created_event():
    stream = ResponseEventStream(response_id="resp_1", request={"input": "x"})
    created = stream.emit_created()
    initial = {**stream.snapshot, "created_at": 12, "model": "the-default"}
    adopted = stream.adopt(initial, created)
    assert adopted is not created and adopted.sequence_number == 0 and adopted.type == "response.created"
    assert adopted.data["response"]["created_at"] == 12 and adopted.data["response"]["model"] == "the-default"
    assert stream.snapshot["created_at"] == 12 and stream.snapshot["model"] == "the-default"
    assert stream.emit_in_progress().data["response"]["created_at"] == 12


def test_adopt_keeps_what_the_request_or_the_handler_named():
    stream = ResponseEventStream(response_id="resp_1", request={"model": "mine"})
    stream.response.created_at = 7
    created = stream.emit_created()
    assert stream.adopt({"id": "resp_1", "created_at": 12, "model": "the-default"}, created) is created
    assert stream.snapshot["created_at"] == 7 and stream.snapshot["model"] == "mine"
    with pytest.raises(ValueError):
        stream.adopt({"id": "resp_other"})


def test_the_runtime_ends_a_stream_through_its_public_interface():
    stream = ResponseEventStream(response_id="resp_1", request={"model": "m"})
    stream.emit_created()
    stream.emit_in_progress()
    message = stream.add_output_item_message()
    message.emit_added()
    assert stream.open_items == [message]
    stream.continue_at(2)  # the runtime delivered two events; the third was never delivered
    events = stream.end_for("shutdown")
    assert events[0].sequence_number == 2 and [e.type for e in events][-1] == "response.failed"
    assert stream.snapshot["error"] == {"code": "server_error", "message": FAILURE_MESSAGES["shutdown"]}
    assert stream.open_items == [] and stream.is_terminal
    with pytest.raises(StreamOrderError):
        stream.end_for("cancelled")
    stream.continue_at(events[-1].sequence_number)  # its terminal event was not delivered
    forced = stream.force_terminal("cancelled")
    assert forced.type == "response.failed" and forced.sequence_number == events[-1].sequence_number
    assert forced.data["response"]["status"] == "cancelled" and forced.data["response"]["error"] is None
