"""Keep a long-running process's start-up heap out of the garbage collector's full passes."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect once, then move every object alive now (modules, apps, catalog, schemas, pools) to the
    permanent generation, so full collections under traffic walk only what the traffic made.

    Call it once a process has started serving; returns how many objects were frozen. In `lgsp run`
    under load, full (generation 2) collections paused the event loop 100-190 ms each before this.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
