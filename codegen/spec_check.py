"""Report what an upstream OpenAPI file has that spec/openapi.json lacks.

    python -m codegen.spec_check --upstream PATH     # `make spec-check UPSTREAM=PATH`

Compares the upstream's Responses protocol (as ``codegen.extract`` sees it: the GA ``/responses*``
and ``/conversations*`` operations and every component reachable from them) with the committed spec
and lists, by kind:
operations, components (schemas and the rest), stream event types (members of
``ResponseStreamEvent``) and properties of schemas both sides have. Exit 0 when nothing is missing,
1 otherwise, so a protocol change upstream is visible before anyone regenerates the spec.
The overlay only adds to or patches the upstream, so anything listed here is an upstream addition.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codegen.extract import DEFAULT_UPSTREAM, SPEC_DIR, extract, load_upstream, sha256_of
from codegen.spec_facts import event_types

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
KINDS = ("operations", "components", "event types", "properties")


def operations(spec: dict) -> set[str]:
    """``METHOD /path`` for every operation of the spec's paths."""
    return {
        f"{method.upper()} {path}"
        for path, item in spec.get("paths", {}).items()
        for method in item
        if method in HTTP_METHODS
    }


def components(spec: dict) -> set[str]:
    """``section/Name`` for every component (``schemas/Response``, ``responses/Error``...)."""
    return {f"{section}/{name}" for section, items in spec.get("components", {}).items() for name in items}


def property_pointers(node, pointer: str = "") -> set[str]:
    """JSON pointers (relative to ``node``) of every named property declared anywhere inside it."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    prop_pointer = f"{here}/{prop.replace('~', '~0').replace('/', '~1')}"
                    found.add(prop_pointer)
                    found |= property_pointers(sub, prop_pointer)
            else:
                found |= property_pointers(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found |= property_pointers(value, f"{pointer}/{i}")
    return found


def missing(upstream: dict, spec: dict) -> dict[str, list[str]]:
    """What the upstream's Responses protocol has that ``spec`` lacks, by kind (sorted lists)."""
    theirs = extract(upstream)
    out = {
        "operations": sorted(operations(theirs) - operations(spec)),
        "components": sorted(components(theirs) - components(spec)),
        "event types": sorted(set(event_types(theirs)) - set(event_types(spec))),
    }
    props: set[str] = set()
    ours = spec.get("components", {}).get("schemas", {})
    for name, schema in theirs.get("components", {}).get("schemas", {}).items():
        if name in ours:
            lacking = property_pointers(schema) - property_pointers(ours[name])
            props |= {f"schemas/{name}{p}" for p in lacking}
    out["properties"] = sorted(props)
    return out


def report(upstream_path: Path, spec_path: Path) -> tuple[int, str]:
    """The exit status and the text to print."""
    upstream = load_upstream(upstream_path)
    spec = json.loads(spec_path.read_text())
    lacking = missing(upstream, spec)
    lines: list[str] = []
    pinned = spec.get("info", {}).get("x-upstream-sha256")
    digest = sha256_of(upstream_path)
    if pinned and pinned != digest:
        lines.append(f"note: {upstream_path} (sha256 {digest}) is not the pinned upstream ({pinned})")
    total = sum(len(v) for v in lacking.values())
    if total == 0:
        lines.append(f"spec/ covers {upstream_path}")
        return 0, "\n".join(lines)
    lines.append(f"spec/ lacks {total} thing(s) that {upstream_path} has:")
    for kind in KINDS:
        if lacking[kind]:
            lines.append(f"  {kind} ({len(lacking[kind])}):")
            lines.extend(f"    {entry}" for entry in lacking[kind])
    lines.append("update with `make spec UPSTREAM=...` then `make codegen` (see spec/README.md)")
    return 1, "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--upstream", type=Path, default=DEFAULT_UPSTREAM)
    parser.add_argument("--spec", type=Path, default=SPEC_DIR / "openapi.json")
    args = parser.parse_args(argv)
    status, text = report(args.upstream, args.spec)
    print(text, file=sys.stdout if status == 0 else sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
