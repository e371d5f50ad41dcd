"""The `responsekit` command. Each subcommand lives in its own module; this only dispatches."""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: responsekit COMMAND [ARGS...]

commands:
  conformance   check a Responses server by URL (`responsekit conformance --help`)
  serve         serve an app: `responsekit serve module:app [--port P] [--workers N] ...`
                (`responsekit serve --help`)
"""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "conformance":
        from responsekit.conformance.cli import main as conformance

        return conformance(rest)
    if command == "serve":
        from responsekit.serve import main as serve

        return serve(rest)
    sys.stderr.write(f"responsekit: unknown command {command!r}\n{USAGE}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
