"""Packaging: the repository stands alone, the metadata says what each part needs, the suite says
which extra it lacks. (The slow end-to-end versions, a clone and a fresh install: tests/packaging/.)"""

from __future__ import annotations

import ast
import gzip
import hashlib
import json
import re
import sys
from pathlib import Path

import pytest

from codegen import extract as ex
from codegen import generate

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM_DIR = ROOT / "spec" / "upstream"
# Spelled in two halves so that this file does not find itself.
OUTSIDE = ("../" + "shared", "shared" + "/reference")
NOT_THE_PROJECT = {
    ".git",
    ".venv",
    "build",
    "__pycache__",
    ".hypothesis",
    ".pytest_cache",
    ".ruff_cache",
    "reports",
}
TEXT_FILES = {".py", ".toml", ".md", ".yaml", ".yml", ".cfg", ".ini", ".txt", ".json", ".sh", ".mdx"}


def pyproject() -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def project_files():
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if any(part in NOT_THE_PROJECT or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.is_file() and (path.suffix in TEXT_FILES or path.name in ("Makefile", "run")):
            yield rel, path


def requirement_names(requirements: list[str]) -> dict[str, str]:
    """``{"pyyaml": "pyyaml>=6", ...}``: each requirement by its (lowercased) distribution name."""
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower(): r for r in requirements}


# ----------------------------------------------------------------------------------- the repository alone
def test_nothing_in_the_repository_refers_to_a_path_outside_it():
    offenders = [
        f"{rel}:{n}: {line.strip()}"
        for rel, path in project_files()
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if any(marker in line for marker in OUTSIDE)
    ]
    assert not offenders, "\n".join(offenders)


def test_the_pinned_upstream_inputs_are_in_the_repository_with_their_licenses():
    notice = (UPSTREAM_DIR / "NOTICE").read_text()
    for name, license_file, license_name in [
        ("openai-openapi.json.gz", "openai-openapi.LICENSE", "MIT"),
        ("openresponses-openapi-2026-04-24.json", "openresponses.LICENSE", "Apache License 2.0"),
    ]:
        assert (UPSTREAM_DIR / name).is_file(), name
        assert (UPSTREAM_DIR / license_file).is_file(), license_file
        entry = notice.split(name, 1)[1].split("\n\n", 1)[0]
        assert license_file in entry and license_name in entry, entry
        assert hashlib.sha256(ex.read_upstream(UPSTREAM_DIR / name)).hexdigest() in entry
    assert ex.DEFAULT_UPSTREAM == UPSTREAM_DIR / "openai-openapi.json.gz"
    spec = json.loads((ROOT / "spec" / "openapi.json").read_text())
    assert spec["info"]["x-upstream-sha256"] == ex.sha256_of(ex.DEFAULT_UPSTREAM)


def test_the_makefile_defaults_to_the_pinned_copy_and_make_spec_moves_the_pin():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^UPSTREAM \?= spec/upstream/openai-openapi\.json\.gz$", makefile, re.M)
    spec_recipe = makefile.split("\nspec:", 1)[1].split("\n\n", 1)[0]
    assert "codegen.extract --upstream $(UPSTREAM) --pin" in spec_recipe


def test_pinning_stores_gzip_with_stable_bytes_and_the_digest_of_the_document(tmp_path):
    document = ex.read_upstream(ex.DEFAULT_UPSTREAM)
    plain = tmp_path / "new-openapi.json"
    plain.write_bytes(document)
    pinned = tmp_path / "pinned" / "openai-openapi.json.gz"
    pinned.parent.mkdir()
    assert ex.pin(plain, pinned) is True
    assert gzip.decompress(pinned.read_bytes()) == document
    again = tmp_path / "again.json.gz"
    assert ex.pin(plain, again) is True and again.read_bytes() == pinned.read_bytes()  # no timestamp
    assert ex.pin(plain, pinned) is False  # already pinned: untouched
    assert ex.sha256_of(plain) == ex.sha256_of(pinned) == hashlib.sha256(document).hexdigest()


# --------------------------------------------------------------------------------------------- metadata
def test_runtime_dependencies_hold_only_what_the_runtime_imports():
    project = pyproject()["project"]
    assert "pyyaml" not in requirement_names(project["dependencies"])
    extras = project["optional-dependencies"]
    assert "pyyaml" in requirement_names(extras["codegen"])
    assert "openai" in requirement_names(extras["conformance"])
    imports_yaml = []
    for path in (ROOT / "src" / "responsekit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] == "yaml" for name in names):
                imports_yaml.append(str(path.relative_to(ROOT)))
    assert not imports_yaml


def test_the_dev_extra_includes_the_codegen_and_conformance_extras():
    extras = pyproject()["project"]["optional-dependencies"]
    combined = next(r for r in extras["dev"] if r.startswith("responsekit["))
    assert {"codegen", "conformance"} <= set(combined[len("responsekit[") : -1].split(","))


def test_the_tools_that_shape_generated_code_are_pinned_exactly_where_codegen_checks_them():
    codegen_extra = requirement_names(pyproject()["project"]["optional-dependencies"]["codegen"])
    assert generate.PINNED_TOOLS == {"datamodel-code-generator": "0.89.0", "ruff": generate.RUFF_VERSION}
    for tool, version in generate.PINNED_TOOLS.items():
        assert codegen_extra[tool] == f"{tool}=={version}"


def test_the_license_is_an_spdx_expression_and_the_build_backend_understands_it():
    doc = pyproject()
    assert doc["project"]["license"] == "MIT"
    setuptools_req = next(r for r in doc["build-system"]["requires"] if r.startswith("setuptools"))
    assert int(re.search(r">=(\d+)", setuptools_req).group(1)) >= 77


def test_package_data_names_only_files_that_exist():
    package_data = pyproject()["tool"]["setuptools"]["package-data"]
    for package, patterns in package_data.items():
        base = ROOT / "src" / package.replace(".", "/")
        for pattern in patterns:
            assert list(base.glob(pattern)), f"{package}: {pattern} matches nothing"


# ----------------------------------------------------------------------------- the conformance extra
@pytest.fixture
def without_openai(monkeypatch):
    for name in [m for m in sys.modules if m == "openai" or m.startswith("openai.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "openai", None)  # `import openai` raises ModuleNotFoundError


def test_without_openai_the_cli_names_the_extra_before_running_any_check(without_openai, capsys):
    from responsekit.cli import main

    # Port 9 (discard) is closed on loopback: had the CLI gone on, it would say it cannot reach it.
    assert main(["conformance", "--base-url", "http://127.0.0.1:9"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert "'openai'" in err and "pip install 'responsekit[conformance]'" in err


def test_without_openai_listing_the_checks_still_works(without_openai, capsys):
    from responsekit.cli import main

    assert main(["conformance", "list"]) == 0
    assert "create.default" in capsys.readouterr().out


def test_without_openai_run_suite_raises_an_import_error_naming_the_extra(without_openai):
    from responsekit.conformance.context import Config
    from responsekit.conformance.requirements import MissingExtra
    from responsekit.conformance.runner import run_suite

    with pytest.raises(MissingExtra, match=re.escape("responsekit[conformance]")) as raised:
        run_suite(Config(base_url="http://127.0.0.1:9"))
    assert isinstance(raised.value, ImportError)


def test_with_openai_nothing_is_missing():
    from responsekit.conformance.requirements import missing

    assert missing() is None
