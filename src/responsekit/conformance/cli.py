"""Command line: run the suite, render a saved report, list the checks, print the README table.

responsekit conformance --base-url URL [options]     run (exit 1 iff a MUST check failed)
responsekit conformance report FILE.json --html OUT.html
responsekit conformance compare A.json B.json ... [--label A.json=NAME] [--html OUT.html]
responsekit conformance list
responsekit conformance readme-table [--write README.md]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from responsekit.conformance import requirements
from responsekit.conformance.context import DEFAULT_PROMPT, DEFAULT_PROMPT_LONG, DEFAULT_PROMPT_TOOL

__all__ = ["main", "build_run_parser"]

USAGE_ERROR = 2


def _header(value: str) -> tuple[str, str]:
    name, sep, val = value.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {value!r}")
    return name.strip(), val.strip()


def _ids(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def build_run_parser(prog: str = "responsekit conformance") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Check a Responses protocol server for conformance.",
        epilog="Other commands: `report FILE.json --html OUT.html`, `compare A.json B.json ...`, `list`, "
        "`readme-table`.",
    )
    p.add_argument(
        "--base-url",
        required=True,
        help="the URL /responses hangs off, e.g. http://127.0.0.1:8088 or https://host/v1",
    )
    p.add_argument("--model", help="the model to request (omitted from requests when not given)")
    p.add_argument("--api-key", help="sent as 'Authorization: Bearer KEY'")
    p.add_argument(
        "--header",
        action="append",
        type=_header,
        default=[],
        metavar="'Name: value'",
        help="an extra request header (repeatable)",
    )
    p.add_argument(
        "--profile",
        choices=("openai", "open-responses"),
        default="openai",
        help="which flavour of the protocol to hold the server to (default: openai)",
    )
    p.add_argument(
        "--client-validation",
        choices=("strict", "default"),
        default="strict",
        help="strict: a body must pass the openai client with _strict_response_validation=True; default: "
        "only what the openai client as users run it rejects fails (non-JSON); the other model "
        "rejections are reported by models.deviations (default: strict)",
    )
    p.add_argument(
        "--only",
        type=_ids,
        action="append",
        default=[],
        metavar="ID,...",
        help="run only these checks (ids, groups such as 'replay', or globs)",
    )
    p.add_argument(
        "--skip", type=_ids, action="append", default=[], metavar="ID,...", help="do not run these checks"
    )
    p.add_argument("--report-json", metavar="FILE", help="write every verdict and its evidence as JSON")
    p.add_argument(
        "--server-name", metavar="NAME", help="the implementation's name, recorded in --report-json"
    )
    p.add_argument(
        "--server-version", metavar="VERSION", help="the implementation's version, recorded in --report-json"
    )
    p.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report for CI systems")
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds per HTTP call; a whole stream or poll may take 4x (default 30)",
    )
    p.add_argument("--prompt", default=DEFAULT_PROMPT, help="the ordinary prompt (default: %(default)r)")
    p.add_argument(
        "--prompt-long",
        default=DEFAULT_PROMPT_LONG,
        help="a prompt whose answer takes a while, used to cancel and tail responses in flight",
    )
    p.add_argument(
        "--prompt-tool",
        default=DEFAULT_PROMPT_TOOL,
        help="a prompt that makes the server call the offered get_weather function tool",
    )
    p.add_argument(
        "--oversize-mib", type=int, default=20, help="size of the oversized-body probe (default 20 MiB)"
    )
    p.add_argument(
        "--isolation-headers",
        action="store_true",
        help="the server supports the hosted-agent isolation headers (x-agent-user-isolation-key): "
        "check that they scope responses",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="print evidence for passing checks too")
    p.add_argument("--no-color", action="store_true", help="no ANSI colours")
    return p


def _run(argv: Sequence[str]) -> int:
    from responsekit.conformance import capabilities, report
    from responsekit.conformance.checks import all_checks
    from responsekit.conformance.context import Config, Context
    from responsekit.conformance.runner import run_suite, select, unknown_patterns

    args = build_run_parser().parse_args(argv)
    if args.timeout <= 0:
        print("--timeout must be positive", file=sys.stderr)
        return USAGE_ERROR
    missing_extra = requirements.missing()
    if missing_extra:  # say so once, before any check, rather than failing every check that needs it
        print(missing_extra, file=sys.stderr)
        return USAGE_ERROR
    only = [i for group in args.only for i in group]
    skip = [i for group in args.skip for i in group]
    unknown = unknown_patterns(all_checks(), only + skip)
    if unknown:
        print(f"no check matches {', '.join(unknown)} (see `responsekit conformance list`)", file=sys.stderr)
        return USAGE_ERROR
    checks = select(all_checks(), only, skip)
    config = Config(
        base_url=args.base_url,
        model=args.model,
        api_key=args.api_key,
        headers=dict(args.header),
        profile=args.profile,
        timeout=args.timeout,
        prompt=args.prompt,
        prompt_long=args.prompt_long,
        prompt_tool=args.prompt_tool,
        oversize_bytes=args.oversize_mib * 1024 * 1024,
        isolation_headers=args.isolation_headers,
        client_validation=args.client_validation,
    )
    problem = _unreachable(config)
    if problem:
        print(f"cannot reach {config.base_url}: {problem}", file=sys.stderr)
        return USAGE_ERROR
    console = report.Console(colour=False if args.no_color else None, verbose=args.verbose)
    started = time.time()
    ctx = Context(config)
    try:
        results = run_suite(config, checks, on_start=console.start, on_result=console.result, context=ctx)
        found = capabilities.report(ctx)  # probes, too, what the selected checks did not need
    finally:
        ctx.close()
    elapsed = time.time() - started
    console.summary(results, elapsed, found, client_validation=config.client_validation)
    if args.report_json:
        doc = report.to_json(
            results,
            base_url=config.base_url,
            profile=config.profile,
            model=config.model,
            started_at=started,
            duration_s=elapsed,
            capabilities=found,
            server_name=args.server_name,
            server_version=args.server_version,
            client_validation=config.client_validation,
        )
        with open(args.report_json, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, default=str)
    if args.junit_xml:
        report.write_junit(
            results, args.junit_xml, capabilities=found, client_validation=config.client_validation
        )
    return report.exit_code(results)


def _unreachable(config) -> str | None:
    """Why the server cannot be reached at all (then no check could say anything), or None."""
    import httpx

    try:
        with httpx.Client(timeout=config.timeout, headers=config.request_headers()) as http:
            http.get(config.base_url.rstrip("/") + "/responses/resp_conformance_probe")
    except httpx.TransportError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _report(argv: Sequence[str]) -> int:
    from responsekit.conformance import html, report
    from responsekit.conformance.registry import Result

    p = argparse.ArgumentParser(
        prog="responsekit conformance report",
        description="Render a --report-json file (HTML, JUnit XML, or the console summary).",
    )
    p.add_argument("file", help="a report written by --report-json")
    p.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML page")
    p.add_argument("--junit-xml", metavar="OUT.xml", help="write JUnit XML")
    args = p.parse_args(argv)
    try:
        doc = report.load_json(args.file)
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return USAGE_ERROR
    results = [Result.from_dict(r) for r in doc["results"]]
    if args.html:
        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(html.render(doc))
    if args.junit_xml:
        report.write_junit(
            results,
            args.junit_xml,
            capabilities=doc.get("capabilities"),
            client_validation=doc.get("client_validation"),
        )
    if not args.html and not args.junit_xml:
        console = report.Console()
        for r in results:
            console.result(r)
        console.summary(
            results, capabilities=doc.get("capabilities"), client_validation=doc.get("client_validation")
        )
    return report.exit_code(results)


def _list(argv: Sequence[str]) -> int:
    from responsekit.conformance.checks import all_checks

    argparse.ArgumentParser(prog="responsekit conformance list", description="List the checks.").parse_args(
        argv
    )
    for chk in all_checks():  # the level under each profile, "-" where the check does not apply
        levels = "/".join(chk.level_under(profile) or "-" for profile in ("openai", "open-responses"))
        print(f"{chk.id:<30} {levels:<13} {chk.title}")
    return 0


def _readme_table(argv: Sequence[str]) -> int:
    from responsekit.conformance import readme

    p = argparse.ArgumentParser(
        prog="responsekit conformance readme-table",
        description="Print the README's table of checks (or rewrite it in place).",
    )
    p.add_argument("--write", metavar="README.md", help="replace the table between the markers in this file")
    args = p.parse_args(argv)
    if args.write:
        if not readme.replace_section(args.write):
            print(f"{args.write} has no {readme.START} ... {readme.END} markers", file=sys.stderr)
            return USAGE_ERROR
        return 0
    sys.stdout.write(readme.table())
    return 0


def _compare(argv: Sequence[str]) -> int:
    from responsekit.conformance import compare

    p = argparse.ArgumentParser(
        prog="responsekit conformance compare",
        description="Compare --report-json files side by side: one column per implementation, one row "
        "per check. Prints a Markdown table; --html also writes a self-contained page.",
    )
    p.add_argument("files", nargs="+", metavar="FILE.json", help="reports written by --report-json")
    p.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="FILE=NAME",
        help="the column name for FILE (as given, or its file name or stem); default: the report's "
        "server name, else its base URL (repeatable)",
    )
    p.add_argument("--html", metavar="OUT.html", help="write the table as a self-contained HTML page")
    args = p.parse_args(argv)
    try:
        table = compare.build(compare.load_reports(args.files, compare.parse_labels(args.label)))
    except compare.CompareError as exc:
        print(exc, file=sys.stderr)
        return USAGE_ERROR
    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8") as fh:
                fh.write(compare.to_html(table))
        except OSError as exc:
            print(f"cannot write {args.html}: {exc.strerror or exc}", file=sys.stderr)
            return USAGE_ERROR
    sys.stdout.write(compare.to_markdown(table))
    return 0


COMMANDS = {"report": _report, "compare": _compare, "list": _list, "readme-table": _readme_table}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    try:
        return _run(argv)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
