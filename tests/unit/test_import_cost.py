"""Importing responsekit stays cheap: what only serving (or only some users) needs loads later.

``from responsekit import ResponsesAgentServerHost, TextResponse`` is on every cold start's path
(bench/bench_import.py times it). The protocol models (some 280 pydantic classes, and pydantic with
them) load on first use: the host builds the request's model at startup. cryptography (the
compaction sealer, made at startup), ctypes (a large stream's heap trim), OpenTelemetry, the
console, the conformance suite and the durable stores load when used. Each check runs in a fresh
interpreter, as the import is only cold once. No timing here: only what is (not) loaded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import Any

#: Modules ``import responsekit`` (the host, the streaming API) must not load.
DEFERRED = (
    "pydantic",
    "responsekit.models._generated",
    "responsekit.models.request",
    "cryptography",
    "ctypes",
    "opentelemetry",
    "responsekit._telemetry.tracing",
    "responsekit.console",
    "responsekit.conformance",
    "responsekit.serve",
    "responsekit.store.sqlite",
    "responsekit.store.redis",
    "sqlite3",
    "redis",
    "httpx",
)


def _run(code: str, env: dict[str, str] | None = None) -> Any:
    args = [sys.executable, "-c", code]
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def _loaded(deferred: tuple[str, ...]) -> str:
    return (
        f"import json, sys; deferred = {deferred!r}; "
        "print(json.dumps(sorted(m for m in sys.modules if any(m == d or m.startswith(d + '.') for d in deferred))))"
    )


def test_import_leaves_the_heavy_modules_unloaded():
    code = "from responsekit import ResponsesAgentServerHost, TextResponse\n" + _loaded(DEFERRED)
    assert _run(code) == []


def test_making_a_host_leaves_the_models_unloaded():
    # They load at the host's startup (the request's model is built then), or on first use.
    code = "import responsekit\napp = responsekit.ResponsesAgentServerHost()\n" + _loaded(("pydantic",))
    assert _run(code) == []


def test_every_public_name_resolves_and_dir_lists_them():
    code = (
        "import json, responsekit, responsekit.models as models\n"
        "names = {n: type(getattr(responsekit, n)).__name__ for n in responsekit.__all__}\n"
        "same = responsekit.ResponseObject is responsekit.Response is models.Response\n"
        "aliases = all(isinstance(getattr(models, a), type) for a in models.PEER_ALIASES)\n"
        "print(json.dumps({'names': names, 'dir': sorted(set(responsekit.__all__) - set(dir(responsekit))),\n"
        "    'same': same, 'aliases': aliases, 'models_all': len(models.__all__),\n"
        "    'request': responsekit.CreateResponse.__module__}))"
    )
    result = _run(code)
    import responsekit

    assert sorted(result["names"]) == sorted(responsekit.__all__)
    assert result["dir"] == []
    assert result["same"] and result["aliases"]
    assert result["models_all"] > 400
    assert result["request"] == "responsekit.models.request"


def test_models_load_on_first_use_in_this_process():
    import responsekit
    import responsekit.models as models

    assert responsekit.CreateResponse is models.CreateResponse
    assert models.ResponseObject is models.Response
    assert {"CreateResponse", "Response", "ResponseObject", *models.PEER_ALIASES} <= set(models.__all__)
    assert "Response" in dir(models)
    assert models.request.CreateResponse is models.CreateResponse  # submodules stay reachable
    assert models._generated.Response is models.Response
    try:
        models.NoSuchModel  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_the_default_telemetry_switch_does_not_import_opentelemetry_when_nothing_is_configured():
    # No provider set (that imports the API first) and none named by the environment: off, and the
    # API stays unimported. Named by the environment: the API loads it, as before.
    code = (
        "import json, sys\n"
        "from responsekit._telemetry import opentelemetry_available, telemetry_wanted\n"
        "print(json.dumps([telemetry_wanted(None), opentelemetry_available(), 'opentelemetry.trace' in sys.modules]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_PYTHON_")}
    wanted, available, imported = _run(code, env=env)
    assert wanted is False and imported is False
    if available and importlib.util.find_spec("opentelemetry.sdk") is not None:
        env["OTEL_PYTHON_TRACER_PROVIDER"] = "sdk_tracer_provider"
        assert _run(code, env=env) == [True, True, True]
