"""CPython's garbage collector, set for a serving process (``app.run()``, ``responsekit serve``).

A request allocates a few hundred short-lived containers (the body's dicts, the events, the
snapshot). With the interpreter's first-generation threshold (700 allocations), a server under
load collects the young generation every request or two, and the objects of the requests in
flight at that moment survive it, age, and end up counting towards full collections of the whole
heap. A higher threshold lets most of them die before any collection looks at them: measured with
``python -m bench http``, about a fifth more requests per second, in both modes. Cyclic garbage
waits a little longer (at most that many allocations).

Only a process responsekit runs is changed: a host mounted in another application, or served by
another ASGI server, leaves the collector as it finds it (docs/deployment.md says what to set).
"""

from __future__ import annotations

import gc

#: The first-generation threshold ``ResponsesServerOptions.gc_threshold`` defaults to.
SERVING_GC_THRESHOLD = 10_000


def set_for_serving(threshold: int) -> None:
    """Raise the first-generation threshold to ``threshold`` (0: leave the collector alone)."""
    if threshold <= 0:
        return
    first, second, third = gc.get_threshold()
    if first and first < threshold:  # 0 means the application disabled automatic collection
        gc.set_threshold(threshold, second, third)


def freeze_startup_objects(threshold: int) -> None:
    """After startup: what it made (modules, the protocol models' validators, the store) lives as
    long as the process, so full collections need not look at it again (``gc.freeze``)."""
    if threshold > 0:
        gc.freeze()
