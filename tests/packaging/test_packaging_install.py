"""A plain install runs what the README shows: the package with only its `conformance` extra (no dev
tools) in a fresh virtual environment, then `responsekit conformance` against a running server; and,
without `openai`, the command names the extra to install instead of failing every check."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.servers import serve_in_thread, spawn_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# What building the distribution reads: the rest of the repository is not part of it.
DISTRIBUTION = ("pyproject.toml", "README.md", "src")


def clean_env() -> dict[str, str]:
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k not in drop}


def run(cmd: list, *, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )


def copy_distribution(to: Path) -> Path:
    """The working tree's distribution files, copied so that building never writes into the tree."""
    to.mkdir()
    for name in DISTRIBUTION:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, to / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, to / name)
    for extra in ROOT.glob("LICEN[CS]E*"):
        shutil.copy2(extra, to / extra.name)
    return to


def echo_app():
    """The getting-started sample's app, the server the README runs the suite against."""
    spec = importlib.util.spec_from_file_location(
        "packaging_getting_started", ROOT / "samples" / "getting_started" / "app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


@pytest.mark.timeout(420)
def test_a_plain_install_with_the_conformance_extra_runs_the_suite(tmp_path: Path) -> None:
    source = copy_distribution(tmp_path / "source")
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", venv], cwd=tmp_path, timeout=120)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{source}[conformance]"],
        cwd=tmp_path,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    where = run([python, "-c", "import responsekit; print(responsekit.__file__)"], cwd=tmp_path, timeout=60)
    assert where.returncode == 0 and Path(where.stdout.strip()).is_relative_to(venv), where

    cli = venv / "bin" / "responsekit"
    # The installed package carries the console's page: `responsekit serve --console` serves it.
    sample = ROOT / "samples" / "getting_started" / "app.py"
    with spawn_server([cli, "serve", f"{sample}:app", "--console"], env=clean_env()) as served:
        page = httpx.get(served.url + "/_console", timeout=10)
        script = httpx.get(served.url + "/_console/static/console.js", timeout=10)
    assert page.status_code == 200 and "console.js" in page.text, page.text[:300]
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]

    with serve_in_thread(echo_app()) as server:
        suite = run([cli, "conformance", "--base-url", server.url, "--no-color"], cwd=tmp_path, timeout=120)
        assert "ModuleNotFoundError" not in suite.stdout + suite.stderr
        assert suite.returncode == 0 and "no MUST check failed" in suite.stdout, suite.stdout + suite.stderr

        # The same install without openai: one line naming the extra, before any check, exit 2.
        removed = run([python, "-m", "pip", "uninstall", "-q", "-y", "openai"], cwd=tmp_path, timeout=120)
        assert removed.returncode == 0, removed.stderr
        bare = run([cli, "conformance", "--base-url", server.url], cwd=tmp_path, timeout=60)
    assert bare.returncode == 2, bare.stdout + bare.stderr
    assert bare.stdout == "" and bare.stderr.count("\n") == 1, bare.stderr
    assert "pip install 'responsekit[conformance]'" in bare.stderr
