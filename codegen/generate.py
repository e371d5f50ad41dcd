"""Generate code from spec/openapi.json: pydantic models, the typed emit_* builder methods and the
protocol constants the runtime checks against (codegen/spec_facts.py).

    python -m codegen.generate           # write the generated files
    python -m codegen.generate --check   # fail if the committed files differ from a fresh run

Both outputs are deterministic (same spec, same bytes) and start with a header naming their source.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

from codegen.builders import render_builders
from codegen.postpass import plain_models
from codegen.spec_facts import render_constants

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openapi.json"
MODELS_OUT = ROOT / "src" / "responsekit" / "models" / "_generated.py"
BUILDERS_OUT = ROOT / "src" / "responsekit" / "streaming" / "_generated_builders.py"
CONSTANTS_OUT = ROOT / "src" / "responsekit" / "models" / "_generated_constants.py"
# The tools that shape the generated code, pinned exactly (pyproject's `codegen` extra): a new release of
# either may change the output, so `make codegen-check` must never run with another version.
DATAMODEL_CODEGEN_VERSION = "0.89.0"
#: Unions that stay RootModel classes: documents validated on their own, which no field holds
#: (one SSE payload: `ResponseStreamEvent.model_validate_json(data).root` is the event model).
ROOT_MODELS = ("ResponseStreamEvent",)
RUFF_VERSION = "0.17.6"
PINNED_TOOLS = {"datamodel-code-generator": DATAMODEL_CODEGEN_VERSION, "ruff": RUFF_VERSION}

# Options pinned here, not on a command line, so every run is the same run.
DATAMODEL_OPTIONS = [
    "--input-file-type",
    "openapi",
    "--openapi-scopes",
    "schemas",
    "paths",
    "--output-model-type",
    "pydantic_v2.BaseModel",
    "--target-python-version",
    "3.10",
    "--use-annotated",
    "--field-constraints",
    "--use-union-operator",
    "--use-standard-collections",
    "--enum-field-as-literal",
    "all",
    "--use-one-literal-as-default",
    "--use-double-quotes",
    "--disable-timestamp",
    # A schema that only names or constrains a primitive, a list, a map or a union is a type alias
    # (`CallId = TypeAliasType("CallId", Annotated[str, Field(max_length=64)])`), not a RootModel: a
    # field reads as its JSON value (`request.model` is a str, `request.input[0]` an item model).
    "--use-type-alias",
    # Requests must survive protocol growth: unknown fields are kept, not rejected.
    "--extra-fields",
    "allow",
    "--formatters",
    "ruff-format",
    # Plain (evaluated) annotations import faster than strings; the post-pass quotes forward ones.
    "--disable-future-imports",
    # Every model also reads like its JSON object (item.get("type")), as the peer package's dict
    # models do, so handler code ports by the import line (see models/_base.py).
    "--base-class",
    "responsekit.models._base.ProtocolModel",
]


def header(kind: str, spec_bytes: bytes) -> str:
    digest = hashlib.sha256(spec_bytes).hexdigest()
    return (
        f"# GENERATED FILE: DO NOT EDIT. {kind}\n"
        f"# Source: spec/openapi.json (sha256 {digest}), by `make codegen` (codegen/generate.py).\n"
        "# To change it, edit spec/overlay.yaml, codegen/builders.yaml or codegen/templates/, then\n"
        "# run `make codegen`.\n"
    )


def check_tool_version() -> None:
    from importlib.metadata import PackageNotFoundError, version

    for tool, pinned in PINNED_TOOLS.items():
        try:
            found = version(tool)
        except PackageNotFoundError:
            found = "none"
        if found != pinned:
            sys.exit(f"codegen needs {tool}=={pinned} (found {found}); run `make install`")


def render_models(spec_bytes: bytes) -> str:
    check_tool_version()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "models.py"
        cmd = [sys.executable, "-m", "datamodel_code_generator", "--input", str(SPEC), "--output", str(out)]
        proc = subprocess.run(cmd + DATAMODEL_OPTIONS, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"datamodel-codegen failed:\n{proc.stderr}")
        body = out.read_text()
    # Drop the tool's own header (it names a temporary path); ours names the real source.
    lines = body.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    body = plain_models("".join(lines), ROOT_MODELS)
    return header("Protocol models (pydantic v2).", spec_bytes) + ruff_format(body)


def ruff_format(source: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--line-length", "110", "--stdin-filename", "gen.py", "-"],
        input=source,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"ruff format failed on generated code:\n{proc.stderr}")
    return proc.stdout


def outputs() -> dict[Path, str]:
    spec_bytes = SPEC.read_bytes()
    return {
        MODELS_OUT: render_models(spec_bytes),
        BUILDERS_OUT: header("Typed emit_* methods, one per stream event type.", spec_bytes)
        + ruff_format(render_builders(spec_bytes)),
        CONSTANTS_OUT: header("Protocol constants (event, item and content types, enums).", spec_bytes)
        + ruff_format(render_constants(spec_bytes)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        rel = path.relative_to(ROOT)
        current = path.read_text() if path.exists() else ""
        if args.check:
            if current != text:
                stale.append(rel)
                diff = difflib.unified_diff(
                    current.splitlines(), text.splitlines(), str(rel), "regenerated", lineterm=""
                )
                print("\n".join(list(diff)[:40]))
        elif current != text:
            path.write_text(text)
            print(f"wrote {rel}", file=sys.stderr)
    if stale:
        print(f"generated code is stale: {', '.join(map(str, stale))}; run `make codegen`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
