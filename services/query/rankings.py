"""The arithmetic of rankings and roll-ups: pure functions of exact Decimals, no I/O.

Rankings (GET /v1/rankings, the board's 排名 view, the Grafana rankings board):
- highest first; equal values share a rank and the next rank skips (1, 2, 2, 4: "standard competition"
  ranking, as league tables and the bureaus' 位次 count); equality is exact, on the stored figures, never
  on rounded ones;
- zones whose value is unknown come last, with rank None, in code order: unknown is not zero;
- the change of rank is previous − current, so a positive change is a climb (上升).

Roll-ups (GET /v1/rollups) sum the children of a parent:
- ytd_value sums every child that reported; ytd_last_year sums only the children with both years, and the
  growth is that of the sums over those same children (never an average of the children's rates, which
  would weigh a small zone as much as a large one);
- each child's share is its figure over the sum of the children that reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from indicators_core.progress import HUNDRED, growth_pct, quantize_pct


@dataclass(frozen=True)
class Ranked:
    zone: str
    value: Decimal | None
    rank: int | None


def rank(values: Sequence[tuple[str, Decimal | None]]) -> list[Ranked]:
    """Each zone's rank by value, highest first, ties sharing a rank (1, 2, 2, 4), unknown last with None."""
    known = sorted(((zone, value) for zone, value in values if value is not None), key=lambda item: (-item[1], item[0]))
    ranked: list[Ranked] = []
    previous: Decimal | None = None
    current_rank = 0
    for position, (zone, value) in enumerate(known, start=1):
        if previous is None or value != previous:
            current_rank = position
            previous = value
        ranked.append(Ranked(zone, value, current_rank))
    ranked.extend(Ranked(zone, None, None) for zone, value in sorted(values) if value is None)
    return ranked


def rank_change(previous: int | None, current: int | None) -> tuple[int | None, str | None]:
    """(previous − current, in words): 上升1位 / 下降2位 / 持平; (None, None) when either rank is unknown."""
    if previous is None or current is None:
        return None, None
    change = previous - current
    if change > 0:
        return change, f"上升{change}位"
    if change < 0:
        return change, f"下降{-change}位"
    return 0, "持平"


def previous_period(months_with_data: Sequence[int], month: int) -> int | None:
    """The latest month before `month` (same year) that has data: for an indicator without a January
    report the month before March is 1-2月 (stored as February); for a quarterly one, the last quarter."""
    earlier = [m for m in months_with_data if m < month]
    return max(earlier) if earlier else None


def share_pct(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """part / whole × 100 to 12 decimals; None when either is unknown or the whole is not positive."""
    if part is None or whole is None or whole <= 0:
        return None
    return quantize_pct(part * HUNDRED / whole)


@dataclass(frozen=True)
class ChildFigures:
    zone: str
    ytd_value: Decimal | None
    ytd_last_year: Decimal | None


@dataclass(frozen=True)
class ChildShare:
    zone: str
    ytd_value: Decimal | None
    ytd_last_year: Decimal | None
    yoy_pct: Decimal | None
    share_pct: Decimal | None


@dataclass(frozen=True)
class Rollup:
    ytd_value: Decimal | None  # the sum over the children that reported
    ytd_last_year: Decimal | None  # the sum over the children with both years
    ytd_value_comparable: Decimal | None  # this year's sum over those same children: the growth's numerator
    yoy_pct: Decimal | None
    children_reported: int
    children_total: int
    children: list[ChildShare]


def rollup(children: Sequence[ChildFigures]) -> Rollup:
    """The sums of a parent's children, the growth of the sums and each child's share of the sum."""
    reported = [child for child in children if child.ytd_value is not None]
    both = [child for child in reported if child.ytd_last_year is not None]
    total = sum((child.ytd_value for child in reported if child.ytd_value is not None), Decimal(0))
    comparable = sum((child.ytd_value for child in both if child.ytd_value is not None), Decimal(0))
    last_year = sum((child.ytd_last_year for child in both if child.ytd_last_year is not None), Decimal(0))
    shares = [
        ChildShare(
            child.zone,
            child.ytd_value,
            child.ytd_last_year,
            growth_pct(child.ytd_value, child.ytd_last_year) if child.ytd_last_year else None,
            share_pct(child.ytd_value, total) if reported else None,
        )
        for child in children
    ]
    return Rollup(
        ytd_value=total if reported else None,
        ytd_last_year=last_year if both else None,
        ytd_value_comparable=comparable if both else None,
        yoy_pct=growth_pct(comparable, last_year) if both and last_year else None,
        children_reported=len(reported),
        children_total=len(children),
        children=shares,
    )
