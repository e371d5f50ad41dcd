"""Against the project's own samples, every MUST check passes (what a sample cannot show is skipped).

Left out: samples that call an upstream model over the network, and the cancellation sample, whose
responses deliberately take ten seconds each.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conformance_support import run_against, serve

from responsekit.conformance.registry import FAIL, MUST

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# sample -> (the ASGI app's attribute, the path the protocol routes hang off)
SERVED = {
    "getting_started": ("app", ""),
    "streaming_text_deltas": ("app", ""),
    "full_control": ("app", ""),
    "function_calling": ("app", ""),
    "conversation_history": ("app", ""),
    "multi_output": ("app", ""),
    "image_generation": ("app", ""),
    "image_input": ("app", ""),
    "file_inputs": ("app", ""),
    "annotations": ("app", ""),
    "structured_outputs": ("app", ""),
    "mounting": ("api", "/agent"),
}


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"conformance_sample_{name}", SAMPLES / name / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, SERVED[name][0])


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in SERVED if (SAMPLES / n / "app.py").exists()])
def test_sample_passes_every_must_check(name: str) -> None:
    with serve(load(name)) as url:
        results = run_against(url + SERVED[name][1])
    failed = [f"{r.id}: {r.message}" for r in results.values() if r.level == MUST and r.verdict == FAIL]
    assert not failed, "\n".join(failed)
