"""Log lines about a response carry its id (``record.response_id``); ``log_format="json"`` writes
them as JSON lines."""

from __future__ import annotations

import ast
import io
import json
import logging
from pathlib import Path

import httpx
import pytest

import responsekit.server.host as host_module
import responsekit.server.runner as runner_module
from responsekit import ResponseEventStream, ResponsesAgentServerHost, ResponsesServerOptions
from responsekit._logs import JsonLinesFormatter, JsonLinesHandler, about, install_json_lines

pytestmark = pytest.mark.anyio


async def _run(host: ResponsesAgentServerHost, **body) -> httpx.Response:
    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await host.startup()
        try:
            return await client.post("/responses", json={"model": "m", "input": "hi", **body})
        finally:
            await host.shutdown()


def _raising_host(**options) -> ResponsesAgentServerHost:
    host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory", **options))

    @host.response_handler
    async def handler(request, context, signal):
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()
        raise RuntimeError("boom")

    return host


@pytest.fixture
def restore_logger():
    """Undo what a host does to the "responsekit" logger (handlers, propagate, level)."""
    logger = logging.getLogger("responsekit")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    yield logger
    logger.handlers[:] = saved[0]
    logger.propagate, logger.level = saved[1], saved[2]


# -- (a) record.response_id ------------------------------------------------------------------------------
async def test_the_handler_raised_line_carries_the_response_id(caplog):
    caplog.set_level(logging.INFO, logger="responsekit")
    reply = await _run(_raising_host())
    response_id = reply.json()["id"]
    assert reply.json()["status"] == "failed"
    raised = [r for r in caplog.records if "the handler raised" in r.getMessage()]
    assert len(raised) == 1
    assert raised[0].response_id == response_id
    assert raised[0].exc_info is not None and raised[0].levelno == logging.ERROR


async def test_the_handler_incomplete_line_carries_the_response_id(caplog):
    caplog.set_level(logging.INFO, logger="responsekit")
    host = ResponsesAgentServerHost(options=ResponsesServerOptions(store_url="memory"))

    @host.response_handler
    async def handler(request, context, signal):  # ends without a terminal event
        stream = ResponseEventStream(response_id=context.response_id, request=request)
        yield stream.emit_created()

    reply = await _run(host, stream=True)
    response_id = next(
        json.loads(line[len("data: ") :])["response"]["id"]
        for line in reply.text.splitlines()
        if line.startswith("data: {") and '"response.created"' in line
    )
    incomplete = [r for r in caplog.records if "handler incomplete" in r.getMessage()]
    assert len(incomplete) == 1
    assert incomplete[0].response_id == response_id
    assert incomplete[0].levelno == logging.WARNING


def test_about_is_the_extra():
    assert about("resp_1") == {"response_id": "resp_1"}


# -- (b) log_format="json" -------------------------------------------------------------------------------
async def test_json_lines_carry_the_response_id(restore_logger):
    host = _raising_host(log_format="json")
    logger = restore_logger
    handlers = [h for h in logger.handlers if isinstance(h, JsonLinesHandler)]
    assert len(handlers) == 1 and logger.propagate is False
    out = io.StringIO()
    handlers[0].setStream(out)
    reply = await _run(host)
    response_id = reply.json()["id"]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]  # every line is a JSON object
    raised = [line for line in lines if "the handler raised" in line["message"]]
    assert len(raised) == 1
    line = raised[0]
    assert line["response_id"] == response_id
    assert line["level"] == "ERROR" and line["logger"] == "responsekit"
    assert "RuntimeError: boom" in line["exc_info"]
    assert line["time"].endswith("+00:00") and "T" in line["time"]


def test_two_json_hosts_install_one_handler(restore_logger):
    ResponsesAgentServerHost(options=ResponsesServerOptions(log_format="json"))
    ResponsesAgentServerHost(options=ResponsesServerOptions(log_format="json"))
    install_json_lines()
    assert sum(isinstance(h, JsonLinesHandler) for h in restore_logger.handlers) == 1
    assert restore_logger.propagate is False


def test_text_format_installs_nothing(restore_logger):
    before = list(restore_logger.handlers)
    ResponsesAgentServerHost(options=ResponsesServerOptions(log_format="text"))
    assert restore_logger.handlers == before


def test_json_formatter_leaves_out_an_absent_response_id():
    record = logging.LogRecord("responsekit", logging.INFO, __file__, 1, "shutting down: %d", (2,), None)
    line = json.loads(JsonLinesFormatter().format(record))
    assert line["message"] == "shutting down: 2" and line["level"] == "INFO"
    assert "response_id" not in line and "exc_info" not in line


# -- (c) the option --------------------------------------------------------------------------------------
def test_log_format_is_validated():
    with pytest.raises(ValueError, match="log_format"):
        ResponsesServerOptions(log_format="xml")
    assert ResponsesServerOptions().log_format == "text"
    assert ResponsesServerOptions(log_format="json").log_format == "json"


def test_log_format_defaults_to_the_environment(monkeypatch):
    monkeypatch.setenv("RESPONSEKIT_LOG_FORMAT", "json")
    assert ResponsesServerOptions().log_format == "json"
    assert ResponsesServerOptions(log_format="text").log_format == "text"
    monkeypatch.setenv("RESPONSEKIT_LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="log_format"):
        ResponsesServerOptions()


# -- (d) every "response %s" line in runner.py and host.py passes extra= ---------------------------------
_LEVELS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


@pytest.mark.parametrize("module", [runner_module, host_module], ids=["runner", "host"])
def test_every_line_about_a_response_passes_its_id(module):
    tree = ast.parse(Path(module.__file__).read_text())
    about_a_response = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "logger"
            and node.func.attr in _LEVELS
        ):
            continue
        texts = [
            arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        if any("response %s" in text for text in texts):
            about_a_response.append(node)
            assert any(kw.arg == "extra" for kw in node.keywords), (
                f"{module.__name__} line {node.lineno}: a line about a response without extra=about(...)"
            )
    assert about_a_response  # the test looks at something
