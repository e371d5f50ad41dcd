"""Helpers for the sample tests: start a sample as its own process; run its README's commands.

A README marks each command the tests run with ``<!-- test -->`` on the line before its fenced block
(``bash`` blocks are curl commands, ``python`` blocks use the ``openai`` client). A ``text`` block
marked ``<!-- output -->`` right after a tested block is that block's exact output. The commands
use ``http://localhost:8088``; the tests substitute the URL of the sample they started.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
from support.servers import ProcessServer, spawn_server
from support.sse import parse_sse

ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = ROOT / "samples"
README_URL = "http://localhost:8088"

_BLOCK = re.compile(r"^<!-- (test|output) -->\n```(\w+)\n(.*?)^```$", re.S | re.M)


def sample_names() -> list[str]:
    return sorted(p.parent.name for p in SAMPLES_DIR.glob("*/app.py"))


@contextlib.contextmanager
def start_sample(
    name: str, *, env: dict[str, str] | None = None, ready_path: str = "/readiness"
) -> Iterator[ProcessServer]:
    """``python samples/<name>/app.py`` from the repository root, on a free loopback port."""
    with spawn_server(
        ["python", f"samples/{name}/app.py"], env=env, cwd=str(ROOT), ready_path=ready_path
    ) as server:
        yield server


def strict_client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="x", max_retries=0, _strict_response_validation=True)


@dataclass
class Snippet:
    lang: str
    code: str
    expected_output: str | None = None


def readme_snippets(name: str) -> list[Snippet]:
    """The README's tested blocks, in order, each with its expected output if the README gives one."""
    text = (SAMPLES_DIR / name / "README.md").read_text()
    snippets: list[Snippet] = []
    for marker, lang, code in _BLOCK.findall(text):
        if marker == "test":
            snippets.append(Snippet(lang, code))
        else:
            assert snippets and snippets[-1].expected_output is None, (
                f"{name}: an output block follows no test block"
            )
            snippets[-1].expected_output = code.rstrip("\n")
    return snippets


def run_snippet(snippet: Snippet, base_url: str, *, strict: bool = True) -> str:
    """Run one README block against ``base_url``; returns what it printed."""
    code = snippet.code.replace(README_URL, base_url)
    if snippet.lang == "bash":
        done = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
        )
        assert done.returncode == 0, f"command failed ({done.returncode}): {code}\n{done.stderr}"
        output = done.stdout
    elif snippet.lang == "python":
        if strict:  # the tests' client validates every response strictly and never retries
            code = code.replace("OpenAI(", "OpenAI(max_retries=0, _strict_response_validation=True, ")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<README snippet>", "exec"), {"__name__": "__readme__"})
        output = out.getvalue()
    else:
        raise AssertionError(f"no runner for {snippet.lang} blocks")
    if snippet.expected_output is not None:
        assert output.rstrip("\n") == snippet.expected_output, f"README output drifted for:\n{code}"
    return output


def run_readme(name: str, base_url: str, *, strict: bool = True) -> list[str]:
    """Run every tested block of the sample's README; returns their outputs, in order."""
    snippets = readme_snippets(name)
    assert {s.lang for s in snippets} >= {"bash", "python"}, (
        f"{name}: the README needs tested curl and python blocks"
    )
    return [run_snippet(s, base_url, strict=strict) for s in snippets]


def sse_events(body: str) -> list[dict[str, Any]]:
    """The JSON events of an SSE body (as curl -N prints it), parsed strictly; it ends with [DONE]."""
    sse = parse_sse(body)
    assert sse.done, body[-300:]
    return sse.events


def stream_events(client: openai.OpenAI, **create: Any) -> list[Any]:
    """Every event of a ``stream=True`` create, checked for contiguous sequence numbers."""
    events = list(client.responses.create(stream=True, **create))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    return events


def event_types(events: list[Any]) -> list[str]:
    return [e["type"] if isinstance(e, dict) else e.type for e in events]
