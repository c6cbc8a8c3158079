"""The cyclic garbage collector set for a service that allocates in bursts.

Each chunk of a burst allocates hundreds of thousands of small containers (rows, results, findings, tuples) that
reference counting frees. With Python's default thresholds (700, 10, 10) the collector still ran whenever 700 of
them were alive at once, and every hundred runs traversed every object of the process (imported modules, Faust's
and FastAPI's machinery, ~160,000 objects: 120 ms each time). Timed by gc.callbacks in the alerts evaluator over
a backfill of 300,000 observations (tests/bench/pipeline_bench.py --backfill 300000): 13,179 young, 1,198 middle
and 109 full collections, 17.5 s; with this module's settings, 7 collections, 0.45 s. The objects that exist
once a service has started live as long as its process, so they are frozen out of the collector's traversals, and
the young generation is collected per 50,000 allocations instead of 700: the garbage cycles a burst leaves wait a
little longer (a few megabytes), and a full collection traverses what the service made since it started.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def settle_started_objects() -> None:
    """Freeze what exists now (call once the service's modules and app are built) and collect less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
