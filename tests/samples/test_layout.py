"""Every sample is complete: app.py, a README with tested commands, a line in samples/README.md,
and imports a user can copy (responsekit and the standard library, plus what the sample is about)."""

import ast
import sys

import pytest
from sample_support import SAMPLES_DIR, readme_snippets, sample_names

EXPECTED = [
    "annotations",
    "cancellation",
    "conversation_history",
    "durable_sqlite",
    "file_inputs",
    "full_control",
    "function_calling",
    "getting_started",
    "image_generation",
    "image_input",
    "mounting",
    "multi_output",
    "non_streaming_upstream",
    "resilient_streaming",
    "streaming_text_deltas",
    "streaming_upstream",
    "structured_outputs",
]
EXTRA_IMPORTS = {
    "streaming_upstream": {"openai"},
    "non_streaming_upstream": {"openai"},
    "mounting": {"fastapi", "uvicorn"},  # uvicorn: a dependency of responsekit, serving the FastAPI app
}


def test_every_sample_is_there():
    assert sample_names() == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_readme_documents_run_and_calls(name):
    readme = (SAMPLES_DIR / name / "README.md").read_text()
    assert f"python samples/{name}/app.py" in readme
    snippets = readme_snippets(name)
    assert any(s.lang == "bash" and "curl " in s.code for s in snippets)
    assert any(s.lang == "python" and "OpenAI(" in s.code for s in snippets)


@pytest.mark.parametrize("name", EXPECTED)
def test_listed_in_samples_table(name):
    assert f"| [{name}]({name}/) |" in (SAMPLES_DIR / "README.md").read_text()


@pytest.mark.parametrize("name", EXPECTED)
def test_imports_are_copyable(name):
    tree = ast.parse((SAMPLES_DIR / name / "app.py").read_text())
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    modules |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    allowed = {"responsekit", *sys.stdlib_module_names, *EXTRA_IMPORTS.get(name, ())}
    assert modules <= allowed, f"{name} imports {sorted(modules - allowed)}"
    assert 'if __name__ == "__main__":' in (SAMPLES_DIR / name / "app.py").read_text()
