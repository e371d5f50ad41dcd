"""The SQLite store's URL: ``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db``.

A relative path is resolved against the working directory when the store is made. One option may
follow: ``?synchronous=full`` (each commit waits for fsync; the default, ``normal``, survives a
crash of the process but may lose the last commits to a power loss).
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import parse_qsl, unquote

SCHEME = "sqlite:///"
FORMS = "'sqlite:///relative/file.db' or 'sqlite:////absolute/file.db'"
SYNCHRONOUS = ("normal", "full")


class SqliteUrl(NamedTuple):
    path: str
    synchronous: str  # "NORMAL" or "FULL"


def parse_url(url: str) -> SqliteUrl:
    """The path and options of a SQLite store URL; ``ValueError`` naming the accepted forms."""
    if not url.startswith(SCHEME):
        raise ValueError(f"a SQLite store URL is {FORMS}, got {url!r}")
    rest, _, query = url[len(SCHEME) :].partition("?")
    path = unquote(rest)
    if not path or path.endswith("/") or path in (":memory:", "/:memory:"):
        raise ValueError(f"a SQLite store URL names a file: {FORMS}, got {url!r}")
    synchronous = "normal"
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name != "synchronous" or value.lower() not in SYNCHRONOUS:
            raise ValueError(
                f"a SQLite store URL takes one option, synchronous=normal|full; got {name}={value!r} in {url!r}"
            )
        synchronous = value.lower()
    return SqliteUrl(path, synchronous.upper())
