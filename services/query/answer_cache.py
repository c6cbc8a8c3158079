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

A rebuilt answer reuses the pieces of the last one: each row's rendered item (JSON, or the board's table row)
is kept with the answer, keyed by the row's version and what it is joined with (query.progress_items.row_key). A
report changes a few rows of a month's ten thousand, so a rebuild after it renders those few and reuses the rest
(the rendering, not the read, was most of the cost).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

Piece = TypeVar("Piece")

# Answers kept per process: a handful of boards' months and filters (the largest is a few MB).
MAX_ANSWERS = 16


@dataclass(frozen=True)
class Kept:
    version: Hashable
    body: bytes
    pieces: Mapping[Hashable, Any] = field(default_factory=dict)  # by row key: each row's rendered part


class RowPieces(Generic[Piece]):
    """Each row's rendered piece, taken from the last build of the same answer when the row is unchanged."""

    def __init__(
        self,
        previous: Mapping[Hashable, Piece],
        render: Callable[[dict[str, Any]], Piece],
        key: Callable[[dict[str, Any]], Hashable],
    ):
        self.previous = previous
        self.render = render
        self.key = key
        self.pieces: dict[Hashable, Piece] = {}
        self.rendered = 0

    @property
    def kept(self) -> Callable[[Hashable], bool] | None:
        """Whether a row's piece is kept, by its key (None when nothing is: every row is rendered), so that a kept
        row's other columns need not be read (query.repository.ProgressRepository.progress_reusing)."""
        return self.previous.__contains__ if self.previous else None

    def of(self, row: dict[str, Any]) -> Piece:
        return self.of_keyed(self.key(row), row)

    def of_keyed(self, key: Hashable, row: dict[str, Any] | None) -> Piece:
        """The piece of the row with this key: the kept one, else the row rendered (`row` is None only for a key
        `kept` accepted, read without its other columns)."""
        piece = self.previous.get(key)
        if piece is None:
            if row is None:
                raise KeyError(f"no kept piece for the row {key!r}, and the row was not read")
            piece = self.render(row)
            self.rendered += 1
        self.pieces[key] = piece
        return piece


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

    def pieces(self, key: Hashable) -> Mapping[Hashable, Any]:
        """The row pieces of the answer last kept under `key`, whatever its version (empty if none)."""
        kept = self._kept.get(key)
        return {} if kept is None else kept.pieces

    def put(self, key: Hashable, version: Hashable, body: bytes, pieces: Mapping[Hashable, Any] | None = None) -> None:
        self._kept[key] = Kept(version, body, {} if pieces is None else pieces)
        self._kept.move_to_end(key)
        while len(self._kept) > self.max_answers:
            self._kept.popitem(last=False)
