"""The user's guide (docs/, built by MkDocs) keeps its promises.

- Every python block of the getting-started and handler pages runs, in page order, in one namespace
  per page, and so does every curl command (against the app served last). A block that defines an app is served on a real loopback server and sent the request its
  ``<!-- run: NAME -->`` marker names (a plain create by default); a ``text`` block marked
  ``<!-- answer -->`` after it is the output text the last response must carry. Blocks that call
  ``http://localhost:8088`` talk to the app served last; a ``text`` block marked ``<!-- output -->``
  is what they must print. A block marked ``<!-- wrong: RULE -->`` must raise ``StreamOrderError``
  naming RULE, as the page says.
- The site builds with ``mkdocs build --strict`` (broken links, missing pages or API references fail).
- Every relative link of README.md points to a file that exists.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from support.polling import poll
from support.servers import serve_in_thread

from responsekit import ResponsesAgentServerHost, StreamOrderError

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXECUTED_PAGES = ("getting-started.md", "handlers.md")
PAGE_URL = "http://localhost:8088"  # what the pages' client blocks call; replaced by the served app's URL

FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*([a-z]+)(?::\s*(.*?))?\s*-->$")


@dataclass
class Block:
    page: str
    line: int
    lang: str
    code: str
    markers: dict[str, str] = field(default_factory=dict)
    output: str | None = None  # what the block prints (<!-- output -->)
    answer: str | None = None  # the output text of the served app's last response (<!-- answer -->)

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def blocks_of(page: str) -> list[Block]:
    """The page's python blocks and curl commands, each with its markers and expected output or answer."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    markers: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        marker = MARKER.match(line)
        fence = FENCE.match(line)
        if marker:
            markers[marker.group(1)] = marker.group(2) or ""
            i += 1
            continue
        if fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            code = "\n".join(lines[i + 1 : end]) + "\n"
            lang = fence.group(1)
            if lang == "python" or (lang == "bash" and "curl " in code):
                blocks.append(Block(page, i + 1, lang, code, markers))
            elif lang == "text" and blocks and ("output" in markers or "answer" in markers):
                expected = code.rstrip("\n")
                if "output" in markers:
                    blocks[-1].output = expected
                else:
                    blocks[-1].answer = expected
            markers = {}
            i = end + 1
            continue
        if line:
            markers = {}  # markers belong to the block right below them
        i += 1
    return blocks


def output_text(response: dict) -> str:
    return "".join(
        part.get("text", "")
        for item in response.get("output") or []
        if item.get("type") == "message"
        for part in item.get("content") or []
        if part.get("type") == "output_text"
    )


def create(client: httpx.Client, **fields) -> dict:
    answer = client.post("/responses", json={"model": "m", **fields})
    assert answer.status_code == 200, answer.text
    return answer.json()


def run_completed(client: httpx.Client) -> dict:
    response = create(client, input="hi")
    assert response["status"] == "completed", response
    assert response["output"], "the handler emitted no output"
    return response


def run_failed(client: httpx.Client) -> dict:
    response = create(client, input="hi")
    assert response["status"] == "failed", response
    assert response["error"]["code"] == "server_error"
    assert "upstream" not in response["error"]["message"], "the exception's text must not reach the client"
    return response


def run_cancel(client: httpx.Client) -> dict:
    started = create(client, input="a long job", background=True)
    response_id = started["id"]
    poll(  # let the handler get going, so the cancel lands mid-run
        lambda: client.get(f"/responses/{response_id}").json()["status"] == "in_progress",
        timeout=10,
        what="the background response running",
    )
    cancelled = client.post(f"/responses/{response_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    final: dict = {}

    def ended() -> bool:
        final.update(client.get(f"/responses/{response_id}").json())
        return final["status"] not in ("queued", "in_progress")

    poll(ended, timeout=10, what="the cancelled response ended")
    assert final["status"] == "cancelled", final
    assert output_text(final).endswith("Cancelled."), "the handler's last words are kept as partial output"
    return final


def run_chain(client: httpx.Client) -> dict:
    first = create(client, input="first")
    return create(client, input="second", previous_response_id=first["id"])


def run_conversation(client: httpx.Client) -> dict:
    made = client.post("/conversations", json={})
    assert made.status_code == 200, made.text
    conversation = made.json()["id"]
    create(client, input="first", conversation=conversation)
    return create(client, input="second", conversation=conversation)


SCENARIOS: dict[str, Callable[[httpx.Client], dict]] = {
    "completed": run_completed,
    "failed": run_failed,
    "cancel": run_cancel,
    "chain": run_chain,
    "conversation": run_conversation,
}


def run_curl(block: Block, url: str | None) -> str:
    """Run a page's curl command against the served app; returns what it printed."""
    assert url is not None, f"{block} calls the server, but no block before it defines an app"
    if shutil.which("curl") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("curl is not installed (CI=true)")
        return ""
    code = block.code.replace("localhost:8088", url.removeprefix("http://"))
    done = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"{block} failed: {done.stderr}"
    return done.stdout


def execute(block: Block, namespace: dict, url: str | None) -> str:
    """Run one block in the page's namespace; returns what it printed."""
    code = block.code
    if PAGE_URL in code:
        assert url is not None, f"{block} calls {PAGE_URL}, but no block before it defines an app"
        code = code.replace(PAGE_URL, url)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(block), "exec"), namespace)
    return printed.getvalue()


@pytest.mark.parametrize("page", EXECUTED_PAGES)
def test_every_python_block_runs(page: str) -> None:
    blocks = blocks_of(page)
    assert any(b.lang == "python" for b in blocks), f"{page} has no python blocks"
    assert any("@app.response_handler" in b.code for b in blocks), f"{page} serves no handler"
    namespace: dict = {"__name__": "__guide__"}  # not __main__: `app.run()` guards stay closed
    with contextlib.ExitStack() as serving:
        url: str | None = None
        for block in blocks:
            if block.lang == "bash":
                printed = run_curl(block, url)
                assert not printed or "Echo: hi" in printed, f"{block}: the page's server did not answer"
                continue
            if "wrong" in block.markers:
                with pytest.raises(StreamOrderError) as raised:
                    execute(block, namespace, url)
                rule = block.markers["wrong"]
                assert rule in str(raised.value), f"{block}: the page says the error names {rule!r}"
                continue
            app_before = namespace.get("app")
            printed = execute(block, namespace, url)
            if block.output is not None:
                assert printed.rstrip("\n") == block.output, f"{block} printed something else"
            app = namespace.get("app")
            if app is app_before or "@app.response_handler" not in block.code:
                assert "run" not in block.markers and block.answer is None, f"{block} defines no app"
                continue
            assert isinstance(app, ResponsesAgentServerHost), f"{block}: `app` is not a host"
            serving.close()  # one server at a time: the app of the latest block
            url = serving.enter_context(serve_in_thread(app)).url
            scenario = SCENARIOS[block.markers.get("run", "completed")]
            with httpx.Client(base_url=url, timeout=30) as client:
                response = scenario(client)
            if block.answer is not None:
                assert output_text(response) == block.answer, f"{block}: the page shows another answer"


def test_a_wrong_example_that_does_not_fail_is_caught() -> None:
    """The marker machinery itself: a RIGHT block under a wrong marker must fail the page test."""
    right = Block("x.md", 1, "python", "from responsekit import ResponseEventStream\n", {"wrong": "x"})
    with pytest.raises(pytest.fail.Exception):
        with pytest.raises(StreamOrderError):
            execute(right, {}, None)


def test_markers_are_attached_to_their_blocks() -> None:
    blocks = blocks_of("handlers.md")
    wrong = [b for b in blocks if "wrong" in b.markers]
    runs = {b.markers["run"] for b in blocks if "run" in b.markers}
    assert len(wrong) >= 9, "every ordering rule has a WRONG example"
    assert runs <= set(SCENARIOS) and runs == {"cancel", "failed", "chain", "conversation"}
    assert sum(b.answer is not None for b in blocks) >= 8
    assert any(b.output is not None for b in blocks_of("getting-started.md"))


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        message = "mkdocs is not installed (pip install '.[docs]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI=true installs the dev extra, which holds docs")
        pytest.skip(message)
    site = tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    assert (site / "handlers" / "index.html").is_file()
    reference = (site / "reference" / "index.html").read_text(encoding="utf-8")
    for name in (
        "responsekit.ResponsesAgentServerHost",
        "responsekit.ResponseEventStream.add_output_item_message",  # inherited members are listed
        "responsekit.ResponseEventStream.emit_completed",
        "responsekit.aio",
        "responsekit.data_url",
        "responsekit.conformance",
    ):
        assert f'id="{name}"' in reference, f"the API reference lost {name}"


def test_the_coverage_table_lists_every_operation_of_the_spec() -> None:
    spec = json.loads((ROOT / "spec" / "openapi.json").read_text(encoding="utf-8"))
    operations = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "delete", "put", "patch")
    ]
    coverage = (DOCS / "coverage.md").read_text(encoding="utf-8")
    missing = [op for op in operations if f"| `{op}` |" not in coverage]
    assert operations and not missing, f"docs/coverage.md has no row for {missing}"


def test_the_options_table_lists_every_option() -> None:
    from dataclasses import fields

    from responsekit import ResponsesServerOptions

    deployment = (DOCS / "deployment.md").read_text(encoding="utf-8")
    missing = [f.name for f in fields(ResponsesServerOptions) if f"| `{f.name}` |" not in deployment]
    assert not missing, f"docs/deployment.md's options table has no row for {missing}"


LINK = re.compile(r"\]\(([^)\s]+)\)")


def relative_links(markdown: str) -> list[str]:
    return [
        target
        for target in LINK.findall(markdown)
        if not re.match(r"^[a-z]+:", target) and not target.startswith("#")
    ]


def test_readme_links_point_to_existing_files() -> None:
    links = relative_links((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any(link.startswith("docs/") for link in links), "the README links into the guide"
    missing = [link for link in links if not (ROOT / link.split("#", 1)[0]).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"
