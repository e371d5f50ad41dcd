"""server/draining.py: the uvicorn server that drains first, and the drain itself."""

from __future__ import annotations

import asyncio
import signal

import uvicorn

from responsekit.server.draining import drain, draining_server


def test_draining_server_begins_the_shutdown_before_uvicorn_exits():
    calls: list[str] = []
    server = draining_server(uvicorn.Config(app=None), lambda: calls.append("drain"))
    assert isinstance(server, uvicorn.Server) and not server.should_exit
    server.handle_exit(signal.SIGTERM, None)
    assert calls == ["drain"] and server.should_exit


class FakeRun:
    """A run that finishes on its own after ``finishes_after`` seconds (None: only when cancelled),
    leaving the host's table of runs as a real one does."""

    def __init__(self, runs: dict, name: str, finishes_after: float | None) -> None:
        self.runs, self.name = runs, name
        self.done = asyncio.Event()
        self.cancelled_for: str | None = None
        runs[name] = self
        if finishes_after is not None:
            asyncio.get_running_loop().call_later(finishes_after, self.finish)

    def finish(self) -> None:
        self.runs.pop(self.name, None)
        self.done.set()

    def cancel(self, reason: str) -> bool:
        self.cancelled_for = reason
        self.finish()
        return True


class FakeStream:
    stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_drain_waits_the_grace_period_then_cancels_what_still_runs_then_stops_streams():
    async def scenario() -> None:
        runs: dict = {}
        quick, stuck, tail = FakeRun(runs, "a", 0.01), FakeRun(runs, "b", None), FakeStream()
        await asyncio.wait_for(drain(lambda: runs.values(), lambda: [tail], 0.2), timeout=2)
        assert quick.done.is_set() and quick.cancelled_for is None  # finished within the grace period
        assert stuck.cancelled_for == "shutdown" and runs == {} and tail.stopped

    asyncio.run(scenario())
