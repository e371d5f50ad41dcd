"""The repository stands alone: a clone in an empty folder, with nothing beside it, passes the unit
tests (which include the check that no file refers to a path outside the repository).

A clone holds committed files only: this checks the repository as committed, not the working tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return {**env, **extra}


def test_a_clone_in_an_empty_folder_passes_the_unit_tests(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (or no git): nothing to clone")
    folder = tmp_path / "empty"
    folder.mkdir()
    clone = folder / "responsekit"
    subprocess.run(
        ["git", "-c", "safe.directory=*", "clone", "--quiet", "--no-local", str(ROOT), str(clone)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert sorted(p.name for p in folder.iterdir()) == ["responsekit"]  # nothing beside it
    # The clone's own code, not the installed (editable) checkout's: PYTHONPATH goes first.
    env = clean_env(PYTHONPATH=str(clone / "src"), PYTHONDONTWRITEBYTECODE="1")
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import codegen, responsekit; print(codegen.__file__); print(responsekit.__file__)",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert all(Path(line).is_relative_to(clone) for line in probe.stdout.split()), probe.stdout
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "tests/unit"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
