"""The event console in a real browser (headless Chromium, see support/browser.py): the page lists a
running response, follows it live through the replay endpoint, groups its events by item, part and
delta run, shows the final Response, and highlights a stream that breaks the ordering rules (served
by a fake replay endpoint, since the runtime never emits one). Screenshots go to tests/.screenshots/.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route
from support.browser import browser_log, headless_chromium, require_browser, save_screenshot
from support.hosts import Probe, gated_handler, make_host
from support.polling import WAIT
from support.servers import serve_in_thread

from responsekit.console.recorder import ConsoleRecorder
from responsekit.console.routes import ConsoleRoutes
from responsekit.server.observers import ResponseRun
from responsekit.streaming.snapshot import new_response

pytestmark = pytest.mark.slow


@pytest.fixture
def driver() -> Iterator[Any]:
    require_browser()
    with headless_chromium() as browser:
        yield browser


def wait_for(driver: Any, condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll ``condition`` (reading the DOM) until truthy; fail with the page's console log."""
    from selenium.common.exceptions import WebDriverException

    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except WebDriverException:  # e.g. an element re-rendered between find and read
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            save_screenshot(driver, f"failed-{what}")
            raise AssertionError(f"{what}: not within {timeout}s; browser log:\n{browser_log(driver)}")
        time.sleep(0.05)


def css(driver: Any, selector: str) -> list[Any]:
    return driver.find_elements("css selector", selector)


def text(driver: Any, element_id: str) -> str:
    return driver.find_element("id", element_id).text


def run_counts(driver: Any) -> list[int]:
    return [int(e.get_attribute("data-count")) for e in css(driver, "#timeline .delta-run")]


def open_response(driver: Any, response_id: str) -> None:
    """Select ``response_id`` in the list, as a person would."""
    row = wait_for(driver, lambda: css(driver, f'#responses tr[data-id="{response_id}"]'), "row listed")[0]
    row.click()
    wait_for(driver, lambda: text(driver, "detail-id") == response_id, "detail shown")


def test_console_follows_a_live_response(driver: Any) -> None:
    probe = Probe()
    host = make_host("memory", console=True, default_model="console-model")
    host.response_handler(gated_handler(probe, before=3, after=4))
    with serve_in_thread(host) as server, httpx.Client(base_url=server.url, timeout=WAIT) as client:
        driver.get(server.url + "/_console")
        wait_for(driver, lambda: "connected" in text(driver, "connection"), "console connected")
        created = client.post("/responses", json={"input": "hi", "background": True}).json()
        response_id = created["id"]
        probe.wait("waiting")  # the handler has streamed 3 deltas and waits for the test

        open_response(driver, response_id)
        row = css(driver, f'#responses tr[data-id="{response_id}"]')[0]
        assert "in_progress" in row.text and "background" in row.text and "console-model" in row.text
        wait_for(driver, lambda: run_counts(driver) == [3], "3 deltas shown while it runs")
        assert text(driver, "live") == "live"
        assert text(driver, "final-status") == "in_progress"
        assert not css(driver, '#timeline [data-type="response.completed"]')
        assert "not finished" in text(driver, "response-json")
        save_screenshot(driver, "console-live")

        probe.set("release")  # the rest arrives through the same, still open, replay stream
        wait_for(driver, lambda: css(driver, '#timeline .event[data-type="response.completed"]'), "terminal")
        wait_for(driver, lambda: text(driver, "live") == "ended", "stream ended")
        # Grouped: one item, one content part holding one run of all 7 deltas.
        items = css(driver, "#timeline .item")
        assert [i.get_attribute("data-item-type") for i in items] == ["message"]
        parts = css(items[0], ".part")
        assert [p.get_attribute("data-part") for p in parts] == ["content 0"]
        assert run_counts(driver) == [7]
        run = css(parts[0], ".delta-run")[0]
        assert "before0 before1 before2 after0 after1 after2 after3" in run.text
        part_rows = [e.get_attribute("data-type") for e in css(parts[0], ".event")]
        assert part_rows == [
            "response.content_part.added",
            "response.output_text.done",
            "response.content_part.done",
        ]
        top = [e.get_attribute("data-type") for e in css(driver, "#timeline > .event")]
        assert top == ["response.created", "response.in_progress", "response.completed"]
        # Times between events: every row after the first has one, the waited-for delta a long one.
        gaps = [e.text for e in css(driver, "#timeline .gap")]
        assert gaps[0] == "" and all(g.startswith("+") for g in gaps[1:]), gaps
        assert text(driver, "final-status") == "completed"
        final = json.loads(text(driver, "response-json"))
        assert final["id"] == response_id and final["status"] == "completed"
        assert final["output"][0]["content"][0]["text"].startswith("before0")
        assert css(driver, "#problems")[0].is_displayed() is False
        assert not css(driver, ".problem")
        # The list shows the end too, without waiting for its next poll.
        wait_for(driver, lambda: css(driver, "#responses td.status-completed"), "the list's completed row")
        save_screenshot(driver, "console-completed")

        # An isolated response: listed with a hashed key, its content not shown.
        key = "a-user-isolation-key-never-shown"
        isolated = client.post(
            "/responses",
            json={"input": "private", "background": True},
            headers={"x-agent-user-isolation-key": key},
        ).json()
        open_response(driver, isolated["id"])
        wait_for(driver, lambda: "isolated by a user key" in text(driver, "replay-note"), "isolation note")
        assert "not shown" in text(driver, "timeline") and key not in driver.page_source
        assert "private" not in text(driver, "timeline")
        user_cell = css(driver, f'#responses tr[data-id="{isolated["id"]}"] td.user')[0].text
        assert user_cell.startswith("#") and len(user_cell) == 13
        save_screenshot(driver, "console-isolated")


# -- a stream that breaks the rules -------------------------------------------------------------------
FAKE_ID = "resp_fakebadstream0000000000000000000000000000000"
MESSAGE = {"id": "msg_fake", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
PART = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}


def _response(status: str) -> dict[str, Any]:
    return {**new_response(FAKE_ID, {"model": "fake"}, created_at=0), "status": status}


def _text_event(kind: str, seq: int, content_index: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": f"response.output_text.{kind}",
        "sequence_number": seq,
        "item_id": "msg_fake",
        "output_index": 0,
        "content_index": content_index,
        "logprobs": [],
        **fields,
    }


BAD_STREAM = [
    {"type": "response.created", "sequence_number": 0, "response": _response("in_progress")},
    {"type": "response.in_progress", "sequence_number": 1, "response": _response("in_progress")},
    {"type": "response.output_item.added", "sequence_number": 2, "output_index": 0, "item": MESSAGE},
    {
        "type": "response.content_part.added",
        "sequence_number": 3,
        "item_id": "msg_fake",
        "output_index": 0,
        "content_index": 0,
        "part": PART,
    },
    _text_event("delta", 4, 0, delta="Hel", item_id=None),  # invalid: item_id is a string
    _text_event("delta", 6, 0, delta="lo"),  # 5 is missing
    _text_event("delta", 7, 1, delta="stray"),  # content part 1 was never added
    _text_event("done", 8, 0, text="Hello"),
    {
        "type": "response.content_part.done",
        "sequence_number": 9,
        "item_id": "msg_fake",
        "output_index": 0,
        "content_index": 0,
        "part": {**PART, "text": "Hello"},
    },
    {
        "type": "response.output_item.done",
        "sequence_number": 10,
        "output_index": 0,
        "item": {**MESSAGE, "status": "completed"},
    },
    {"type": "response.completed", "sequence_number": 11, "response": _response("completed")},
    _text_event("delta", 12, 0, delta="late"),  # after the terminal event
]


def _fake_console_app() -> Starlette:
    """The console's own routes, fed a recorded run, next to a replay endpoint serving BAD_STREAM."""
    recorder = ConsoleRecorder()
    run = ResponseRun(FAKE_ID, "background_stream", "fake", None, time.time(), {})
    recorder.response_started(run)
    for event in BAD_STREAM:
        recorder.event_emitted(run, event)
    recorder.response_finished(run, _response("completed"))

    async def replay(request: Request) -> StreamingResponse:
        assert request.query_params["stream"] == "true"

        async def frames() -> Any:
            for event in BAD_STREAM:
                yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"

        return StreamingResponse(frames(), media_type="text/event-stream")

    routes = ConsoleRoutes(recorder, allow_remote=False).routes("")
    return Starlette(routes=[*routes, Route("/responses/{response_id}", replay)])


def test_console_highlights_ordering_problems(driver: Any) -> None:
    with serve_in_thread(_fake_console_app()) as server:
        driver.get(server.url + "/_console")
        open_response(driver, FAKE_ID)
        wait_for(driver, lambda: text(driver, "live") == "ended", "stream ended")
        problems = wait_for(
            driver, lambda: [li.text for li in css(driver, "#problems li")], "problems listed"
        )
        assert css(driver, "#problems")[0].is_displayed()
        expected = [
            "#6 response.output_text.delta: sequence gap: expected 5, got 6",
            "#7 response.output_text.delta: outside its part: content 1 was never added",
            "#12 response.output_text.delta: after the terminal event response.completed",
        ]
        invalid = [p for p in problems if p.startswith("#4 response.output_text.delta: invalid: item_id")]
        assert invalid, problems  # the server's check against the protocol's event models
        assert sum("invalid" in p for p in problems) == 1, problems
        for line in expected:
            assert line in problems, problems
        assert "output item 0 is already done" in "\n".join(problems)
        # Each problem is marked where it happened: the runs holding the bad deltas are highlighted.
        flagged = css(driver, "#timeline .problem")
        assert {e.get_attribute("data-type") for e in flagged} == {"response.output_text.delta"}
        stray = css(driver, '#timeline .part[data-part="content 1"] .delta-run')[0]
        assert "problem" in stray.get_attribute("class") and "never added" in stray.text
        clean = css(driver, '#timeline .event[data-type="response.completed"]')[0]
        assert "problem" not in clean.get_attribute("class")
        save_screenshot(driver, "console-ordering-problems")
