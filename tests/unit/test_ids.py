"""Ids (responsekit/ids.py): well formed, unique, and never shared with a forked child, although
they are cut from a pool of the OS's random bytes rather than one system call each."""

from __future__ import annotations

import json
import subprocess
import sys

from responsekit import ids
from responsekit.ids import PREFIXES, is_well_formed, new_id


def test_ids_are_well_formed_and_unique_across_many_pools() -> None:
    made = [new_id("response") for _ in range(ids._POOL_IDS * 5 + 3)]
    assert len(set(made)) == len(made)
    assert all(is_well_formed(i) and i.startswith("resp_") and len(i) == 5 + 2 * ids._ID_BYTES for i in made)
    assert new_id("message").startswith(PREFIXES["message"] + "_")
    assert new_id("no such kind").startswith("item_")


def test_a_pool_is_read_once_for_many_ids(monkeypatch) -> None:
    reads = []

    def urandom(n: int) -> bytes:
        reads.append(n)
        return bytes(range(256)) * (n // 256) + bytes(n % 256)

    monkeypatch.setattr(ids.os, "urandom", urandom)
    monkeypatch.setattr(ids, "_pool", b"")
    monkeypatch.setattr(ids, "_taken", 0)
    for _ in range(ids._POOL_IDS):
        new_id("response")
    assert reads == [ids._ID_BYTES * ids._POOL_IDS]
    new_id("response")
    assert len(reads) == 2


def test_a_forked_child_never_hands_out_the_parents_ids() -> None:
    # In a fresh interpreter (forking the test runner's threads is not safe): the parent takes an id
    # from its pool, forks, and both take the next ones; no id may appear on both sides.
    script = """
import json, os, sys
from responsekit.ids import new_id
new_id("response")  # the pool is read: the parent holds unused bytes when it forks
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write, json.dumps([new_id("response") for _ in range(50)]).encode())
    os._exit(0)
os.waitpid(pid, 0)
child = json.loads(os.read(read, 1 << 16))
print(json.dumps({"parent": [new_id("response") for _ in range(50)], "child": child}))
"""
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    got = json.loads(out)
    assert len(got["child"]) == 50 and not set(got["parent"]) & set(got["child"])


def test_two_threads_refilling_the_pool_at_once_get_different_ids(monkeypatch) -> None:
    # Sync handlers make ids in worker threads, beside the event loop's thread. Both threads find
    # the pool empty; the fake generator holds the first inside the refill until the second
    # arrives too (without the pool's lock it does, and both cut the same bytes) or 0.3 s pass.
    import threading

    arrived = threading.Barrier(2)

    def urandom(n: int) -> bytes:
        try:
            arrived.wait(timeout=0.3)
        except threading.BrokenBarrierError:
            pass
        return bytes(range(256)) * (n // 256) + bytes(range(n % 256))

    monkeypatch.setattr(ids.os, "urandom", urandom)
    monkeypatch.setattr(ids, "_pool", b"")
    monkeypatch.setattr(ids, "_taken", 0)
    made: list[str] = []
    threads = [threading.Thread(target=lambda: made.append(new_id("message"))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 2 and made[0] != made[1]
