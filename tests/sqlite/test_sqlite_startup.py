"""Starting the SQLite store: what a wrong file, directory or URL says, and who may open a file.

Every startup error names the file and what is wrong with it (``StoreStartupError``); a server
started with ``app.run()`` exits with that message alone, no traceback.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from responsekit import ResponsesAgentServerHost, ResponsesServerOptions
from responsekit.store.protocols import ResponseRecord, StoreStartupError
from responsekit.store.sqlite import SqliteStore, schema

pytestmark = pytest.mark.anyio

APP = Path(__file__).with_name("durable_app.py")


async def _start_fails(path: Path | str) -> str:
    store = SqliteStore(path)
    with pytest.raises(StoreStartupError) as failed:
        await store.start()
    await store.close()
    message = str(failed.value)
    assert message.startswith(f"SQLite store {os.path.abspath(path)}: "), message
    return message


async def _fill(path: Path, count: int = 40) -> None:
    store = SqliteStore(path)
    await store.start()
    for i in range(count):
        rid = f"resp_{i:048x}"
        snapshot = {"id": rid, "status": "in_progress", "output": [], "padding": "x" * 2000}
        await store.create_with_log(ResponseRecord(response_id=rid, snapshot=snapshot))
        assert await store.records.finish(rid, {**snapshot, "status": "completed"})
    await store.close()


async def test_a_file_that_is_not_a_database_fails_to_start(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    assert "the file is not an SQLite database" in await _start_fails(path)
    assert path.read_bytes().startswith(b"these are my notes")  # left as it was


async def test_a_corrupt_database_fails_to_start(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    await _fill(path)
    data = bytearray(path.read_bytes())
    assert len(data) > 8 * 4096
    data[4096 : 8 * 4096] = os.urandom(7 * 4096)  # the first page (the header) intact, the next ones not
    path.write_bytes(bytes(data))
    message = await _start_fails(path)
    assert "the database is corrupt" in message and "restore it from a backup" in message


async def test_a_missing_directory_fails_to_start(tmp_path: Path) -> None:
    message = await _start_fails(tmp_path / "nowhere" / "store.db")
    assert f"the directory {tmp_path / 'nowhere'} does not exist" in message


async def test_an_unwritable_directory_fails_to_start(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # permissions do not stop root: take a file system that refuses new files
        directory = Path("/sys")
        try:
            (directory / "responsekit-probe").touch()
        except OSError:
            pass
        else:
            (directory / "responsekit-probe").unlink()
            pytest.skip("no directory here refuses root")
    else:
        directory = tmp_path / "readonly"
        directory.mkdir()
        directory.chmod(0o500)
    try:
        message = await _start_fails(directory / "store.db")
    finally:
        if directory != Path("/sys"):
            directory.chmod(0o700)
    assert f"the directory {directory}" in message
    assert "is not writable" in message or "cannot write" in message


async def test_a_file_opened_by_another_process_fails_to_start_until_that_process_ends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import asyncio, sys\n"
            "from responsekit.store.sqlite import SqliteStore\n"
            "async def main():\n"
            "    store = SqliteStore(sys.argv[1])\n"
            "    await store.start()\n"
            "    print('open', flush=True)\n"
            "    sys.stdin.read()\n"
            "    await store.close()\n"
            "asyncio.run(main())\n",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "open\n"
        message = await _start_fails(path)
        assert f"the file is in use by pid {holder.pid}" in message
        assert "One process serves a SQLite store" in message
    finally:
        holder.stdin.close()
        holder.wait(15)
    store = SqliteStore(path)  # free again
    await store.start()
    await store.close()


async def test_a_second_store_on_the_same_file_in_one_process_fails_too(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "store.db")
    await first.start()
    try:
        assert f"in use by pid {os.getpid()}" in await _start_fails(tmp_path / "store.db")
    finally:
        await first.close()


async def test_a_file_of_a_newer_schema_or_of_another_program_fails_to_start(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    await _fill(newer, count=1)
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    assert "written by a newer responsekit" in await _start_fails(newer)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    message = await _start_fails(other)
    assert "an SQLite database of something else (tables invoices)" in message
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("invoices",)]  # untouched


async def test_a_new_file_gets_the_current_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    store = SqliteStore(path)
    await store.start()
    await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.slow
def test_app_run_exits_with_the_store_s_message_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"not a database" * 100)
    result = subprocess.run(
        [sys.executable, str(APP)],
        env={**os.environ, "RESPONSEKIT_STORE": f"sqlite:///{path}", "PORT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"responsekit: SQLite store {path}: the file is not an SQLite database" in result.stderr
    assert "Traceback" not in result.stderr


# -- the URL -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["sqlite:///responses.db", "sqlite:////var/lib/rk/store.db", "sqlite:///a.db?synchronous=full"]
)
def test_the_url_forms_are_accepted(url: str) -> None:
    options = ResponsesServerOptions(store_url=url)
    store = ResponsesAgentServerHost(options=options).store
    assert isinstance(store, SqliteStore) and store.name == "sqlite"
    assert store.path == os.path.abspath(url.split("sqlite:///", 1)[1].split("?")[0])


@pytest.mark.parametrize(
    "url",
    ["sqlite://responses.db", "sqlite:///", "sqlite:///dir/", "sqlite:///:memory:", "sqlite:///a.db?mode=ro"],
)
def test_other_sqlite_urls_are_refused_naming_the_accepted_forms(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        ResponsesServerOptions(store_url=url)
    message = str(refused.value)
    assert "'sqlite:///relative/file.db' or 'sqlite:////absolute/file.db'" in message
    assert "ResponsesServerOptions.store_url" in message


def test_an_unknown_store_url_lists_every_accepted_form() -> None:
    with pytest.raises(ValueError) as refused:
        ResponsesServerOptions(store_url="postgres://db/x")
    message = str(refused.value)
    assert "'memory'" in message and "sqlite:///relative/file.db" in message and "redis://" in message


def test_the_environment_variable_selects_the_sqlite_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RESPONSEKIT_STORE", f"sqlite:///{tmp_path / 'env.db'}")
    store = ResponsesAgentServerHost().store
    assert isinstance(store, SqliteStore) and store.path == str(tmp_path / "env.db")
