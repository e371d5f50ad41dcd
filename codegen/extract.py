"""Extract the Responses protocol from an upstream OpenAPI file into spec/openapi.json.

Keeps the GA operations of the protocol (``/responses*`` and ``/conversations*``) and every component
schema reachable from them, drops the upstream's prose (descriptions, examples, docs metadata), then applies ``spec/overlay.yaml``.
Output is deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path

from codegen.overlay import apply_overlay, load_overlay

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "spec"
# The pinned upstream, kept in the repository (gzip-compressed; see spec/upstream/NOTICE).
DEFAULT_UPSTREAM = SPEC_DIR / "upstream" / "openai-openapi.json.gz"

# Keys that carry prose or vendor documentation metadata, never wire facts.
PROSE_KEYS = {
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
    "x-oaiMeta",
    "x-oaiExpandable",
    "x-oaiTypeLabel",
    "x-stainless-skip",
    "x-stainless-const",
    "x-stainless-naming",
    "x-stainless-go-variant-constructor",
    "deprecated-message",
}


#: The protocol's resources: responses (with compaction and input tokens) and conversations.
PROTOCOL_ROOTS = ("/responses", "/conversations")


def is_protocol_path(path: str) -> bool:
    """A GA path of the protocol; the beta mirror paths carry a query string in their key."""
    return "?" not in path and any(path == root or path.startswith(root + "/") for root in PROTOCOL_ROOTS)


# Mappings whose keys are names (a property called "title" is data, not prose).
NAME_MAPPINGS = {
    "properties",
    "patternProperties",
    "schemas",
    "responses",
    "paths",
    "content",
    "headers",
    "$defs",
}


def strip_prose(node, keys_are_names: bool = False):
    if isinstance(node, dict):
        return {
            k: strip_prose(v, k in NAME_MAPPINGS and not keys_are_names)
            for k, v in node.items()
            if keys_are_names or k not in PROSE_KEYS
        }
    if isinstance(node, list):
        return [strip_prose(v) for v in node]
    return node


def refs_in(node, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for v in node.values():
            refs_in(v, found)
    elif isinstance(node, list):
        for v in node:
            refs_in(v, found)


def resolve_pointer(doc, ref: str):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def reachable_components(upstream: dict, roots) -> dict[str, dict[str, object]]:
    """Every component (schemas, responses, parameters...) reachable from ``roots``."""
    pending: set[str] = set()
    refs_in(roots, pending)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen or not ref.startswith("#/components/"):
            continue
        seen.add(ref)
        refs_in(resolve_pointer(upstream, ref), pending)
    out: dict[str, dict[str, object]] = {}
    for ref in sorted(seen):
        _, _, section, name = ref.split("/", 3)
        out.setdefault(section, {})[name] = resolve_pointer(upstream, ref)
    return out


def extract(upstream: dict) -> dict:
    paths = {p: v for p, v in upstream["paths"].items() if is_protocol_path(p)}
    components = reachable_components(upstream, paths)
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "Responses protocol (responsekit)", "version": upstream["info"]["version"]},
        "paths": paths,
        "components": {section: dict(sorted(items.items())) for section, items in sorted(components.items())},
    }
    return strip_prose(spec)


def read_upstream(path: Path) -> bytes:
    """The upstream file's bytes, decompressed when it is gzip (as the pinned copy is)."""
    data = Path(path).read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def load_upstream(path: Path) -> dict:
    return json.loads(read_upstream(path))


def sha256_of(path: Path) -> str:
    """The digest of the (uncompressed) document, so compressing the pin does not change it."""
    return hashlib.sha256(read_upstream(path)).hexdigest()


def build(upstream_path: Path, overlay_path: Path) -> dict:
    upstream = load_upstream(upstream_path)
    spec = extract(upstream)
    apply_overlay(spec, load_overlay(overlay_path))
    spec["info"]["x-upstream-sha256"] = sha256_of(upstream_path)
    return spec


def dump(spec: dict) -> str:
    return json.dumps(spec, indent=1, ensure_ascii=False) + "\n"


def pin(upstream_path: Path, pinned: Path = DEFAULT_UPSTREAM) -> bool:
    """Make ``upstream_path`` the pinned copy (gzip, deterministic bytes); False if it already is."""
    data = read_upstream(upstream_path)
    if pinned.exists() and read_upstream(pinned) == data:
        return False
    pinned.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", type=Path, default=DEFAULT_UPSTREAM)
    parser.add_argument("--overlay", type=Path, default=SPEC_DIR / "overlay.yaml")
    parser.add_argument("--out", type=Path, default=SPEC_DIR / "openapi.json")
    parser.add_argument(
        "--pin",
        action="store_true",
        help=f"also keep --upstream as the pinned copy ({DEFAULT_UPSTREAM.relative_to(ROOT)}), as `make spec` does",
    )
    args = parser.parse_args(argv)
    spec = build(args.upstream, args.overlay)
    if args.pin and pin(args.upstream):
        print(f"pinned {args.upstream} as {DEFAULT_UPSTREAM.relative_to(ROOT)}", file=sys.stderr)
    args.out.write_text(dump(spec))
    schemas = spec["components"]["schemas"]
    print(
        f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: "
        f"{len(spec['paths'])} paths, {len(schemas)} schemas",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
