"""Rendered answers kept while the rows behind them have not changed.

A wall screen asks for the same month every few seconds, and a province-wide /v1/progress (1,000 zones × 10
indicators) costs most of a second to build in Python, while the figures change only when a report arrives.
Kept: /v1/progress for all zones, the /board page for all zones (its version adds the year's alerts), and
/v1/rankings of a given year (the version of the indicator's year and of the registry). So the rendered
answer of a read is kept with the *version* of its period: for every table the answer reads
(query.repository.progress_version: the period's progress rows — a zone's own and its parent's — the period's
observations, for their explanations, and the zone registry) the count of rows and the sum of a 64-bit hash
of each row's xmin, which any committed insert, update or delete changes. Each request reads the version
first (one statement, a few milliseconds at 10,000 rows) and is answered from the cache only when it is
equal. A change committed between reading the version and reading the rows is kept under the older version,
so the next request rebuilds: a kept answer is never older than its version.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

# Answers kept per process: a handful of boards' months and filters (the largest is a few MB).
MAX_ANSWERS = 16


@dataclass(frozen=True)
class Kept:
    version: Hashable
    body: bytes


class AnswerCache:
    """An LRU of rendered bodies by request key, each valid for one version of its rows."""

    def __init__(self, max_answers: int = MAX_ANSWERS):
        self.max_answers = max_answers
        self._kept: OrderedDict[Hashable, Kept] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable, version: Hashable) -> bytes | None:
        kept = self._kept.get(key)
        if kept is None or kept.version != version:
            self.misses += 1
            return None
        self._kept.move_to_end(key)
        self.hits += 1
        return kept.body

    def put(self, key: Hashable, version: Hashable, body: bytes) -> None:
        self._kept[key] = Kept(version, body)
        self._kept.move_to_end(key)
        while len(self._kept) > self.max_answers:
            self._kept.popitem(last=False)
