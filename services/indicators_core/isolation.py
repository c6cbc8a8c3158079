"""Poison isolation: apply a chunk at once, and when it fails, find the items that fail on their own.

A chunk of reports is stored in one transaction because that is fast; one report the database or
the arithmetic refuses must not take the others down with it. Bisecting costs about 2·log₂(n)
extra transactions per offending item (21 for one poison report in a chunk of 1,000), and the
common case (nothing fails) costs nothing extra.

`apply` must do its own waiting on transient failures (a database outage is nobody's fault and
must not send a whole chunk to the dead letters); every exception it raises is taken to be the
part's fault.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Failure(Generic[T]):
    item: T
    error: Exception


@dataclass
class Isolated(Generic[T, R]):
    """What `apply` returned for the parts that succeeded (in the items' order), and the items that failed alone."""

    results: list[R] = field(default_factory=list)
    failures: list[Failure[T]] = field(default_factory=list)
    attempts: int = 0  # how many times `apply` was called (1 when nothing failed)

    @property
    def failed(self) -> list[T]:
        return [failure.item for failure in self.failures]


async def isolate_failures(items: Sequence[T], apply: Callable[[Sequence[T]], Awaitable[list[R]]]) -> Isolated[T, R]:
    """Apply `items` at once; if that raises, apply each half separately, down to the single items
    that raise on their own. Every item is either in a part that succeeded or among the failures."""
    isolated: Isolated[T, R] = Isolated()

    async def run(part: Sequence[T]) -> None:
        isolated.attempts += 1
        try:
            results = await apply(part)
        except Exception as error:  # the part's fault: `apply` waits out outages itself
            if len(part) == 1:
                isolated.failures.append(Failure(part[0], error))
                return
            middle = len(part) // 2
            await run(part[:middle])
            await run(part[middle:])
            return
        isolated.results.extend(results)

    if items:
        await run(list(items))
    return isolated
