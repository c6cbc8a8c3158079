"""The arithmetic of the monitoring: pure functions of numbers.

Everything is Decimal. Percentages are kept to PCT_PLACES decimals (far
below any published precision, so rounding for display happens once, from a
value that is exact for any realistic figure); judgements such as on-track
compare exact values, never rounded ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

HUNDRED = Decimal(100)
TWELVE = Decimal(12)
PCT_PLACES = Decimal("1e-12")


class Basis(StrEnum):
    YTD = "ytd"  # 累计, January to the month inclusive
    MONTH = "month"  # 当月, the month alone


@dataclass(frozen=True)
class MonthReport:
    """The current (latest) report for one zone, indicator and month."""

    year: int
    month: int
    basis: Basis
    value: Decimal
    yoy_base: Decimal | None = None  # 上年同期可比数, when the upstream sends it
    reported_at: datetime | None = None


@dataclass(frozen=True)
class MonthProgress:
    """Derived figures for one month; None means unknown, never zero."""

    year: int
    month: int
    ytd_value: Decimal | None
    month_value: Decimal | None
    ytd_last_year: Decimal | None
    month_last_year: Decimal | None
    yoy_base: Decimal | None
    yoy_base_comparable: bool
    yoy_pct: Decimal | None
    month_yoy_pct: Decimal | None
    target_value: Decimal | None
    completion_pct: Decimal | None
    time_progress_pct: Decimal
    progress_gap_pp: Decimal | None
    on_track: bool | None
    reported_at: datetime | None


def quantize_pct(value: Decimal) -> Decimal:
    return value.quantize(PCT_PLACES, rounding=ROUND_HALF_UP)


def round_half_up(value: Decimal, digits: int) -> Decimal:
    """Round as statistics releases do (四舍五入), not banker's rounding."""
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def time_progress_pct(month: int) -> Decimal:
    """序时进度 for month N: N/12 as a percentage (June = 50)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    return quantize_pct(Decimal(month) * HUNDRED / TWELVE)


def growth_pct(current: Decimal | None, base: Decimal | None) -> Decimal | None:
    """同比增长 (current − base) / base × 100; None for a missing or zero base."""
    if current is None or base is None or base == 0:
        return None
    return quantize_pct((current - base) * HUNDRED / base)


def completion_pct(ytd_value: Decimal | None, target_value: Decimal | None) -> Decimal | None:
    """目标完成率: year-to-date value / annual target × 100; None without a positive target."""
    if ytd_value is None or target_value is None or target_value <= 0:
        return None
    return quantize_pct(ytd_value * HUNDRED / target_value)


def is_on_track(ytd_value: Decimal | None, target_value: Decimal | None, month: int) -> bool | None:
    """完成率 ≥ 序时进度, compared exactly: ytd/target ≥ N/12 ⇔ 12·ytd ≥ N·target."""
    if ytd_value is None or target_value is None or target_value <= 0:
        return None
    return TWELVE * ytd_value >= Decimal(month) * target_value


def progress_gap_pp(ytd_value: Decimal | None, target_value: Decimal | None, month: int) -> Decimal | None:
    """Completion minus time progress in percentage points (超/落后序时进度 N 个百分点)."""
    if ytd_value is None or target_value is None or target_value <= 0:
        return None
    exact = ytd_value * HUNDRED / target_value - Decimal(month) * HUNDRED / TWELVE
    return quantize_pct(exact)


def cumulate_year(
    reports: Mapping[int, MonthReport], first_month: int = 1
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Year-to-date and single-month values of one year from its reports.

    A cumulative report gives the month's own value as the difference with the
    previous month's cumulative; a month-alone report gives the cumulative as
    the previous cumulative plus the month. The first month of the year
    (January, or February for indicators whose first release is 1-2月) stands
    alone. A missing month is unknown, not zero, so it breaks the chain.
    """
    ytd: dict[int, Decimal] = {}
    monthly: dict[int, Decimal] = {}
    for month in range(1, 13):
        report = reports.get(month)
        if report is None:
            continue
        previous_ytd = ytd.get(month - 1)
        # The year's first release (January, or 1-2月 where there is no January
        # report) stands alone: its month value is its cumulative value.
        first_release = month == 1 or (month == first_month and previous_ytd is None)
        if report.basis is Basis.YTD:
            ytd[month] = report.value
            if previous_ytd is not None:
                monthly[month] = report.value - previous_ytd
            elif first_release:
                monthly[month] = report.value
        else:
            monthly[month] = report.value
            if previous_ytd is not None:
                ytd[month] = previous_ytd + report.value
            elif first_release:
                ytd[month] = report.value
    return ytd, monthly


def _comparable_month_base(reports: Mapping[int, MonthReport], month: int, first_month: int) -> Decimal | None:
    """The month-alone comparable base from two comparable cumulative bases, if both were sent."""
    report = reports.get(month)
    if report is None or report.yoy_base is None or report.basis is not Basis.YTD:
        return None
    if month == first_month:
        return report.yoy_base
    previous = reports.get(month - 1)
    if previous is None or previous.yoy_base is None or previous.basis is not Basis.YTD:
        return None
    return report.yoy_base - previous.yoy_base


def compute_year(
    year: int,
    reports_by_year: Mapping[int, Mapping[int, MonthReport]],
    target_value: Decimal | None,
    first_month: int = 1,
    target_reported_at: datetime | None = None,
) -> list[MonthProgress]:
    """All derived figures for every month of `year` that has a report."""
    this_year = reports_by_year.get(year, {})
    last_year = reports_by_year.get(year - 1, {})
    ytd, monthly = cumulate_year(this_year, first_month)
    ytd_last, monthly_last = cumulate_year(last_year, first_month)
    results: list[MonthProgress] = []
    for month in sorted(this_year):
        report = this_year[month]
        ytd_value = ytd.get(month)
        comparable = report.yoy_base is not None
        base = report.yoy_base if comparable else ytd_last.get(month)
        month_base = _comparable_month_base(this_year, month, first_month)
        if month_base is None:
            month_base = monthly_last.get(month)
        used_times = [t for t in (report.reported_at, target_reported_at) if t is not None]
        last_year_report = last_year.get(month)
        if last_year_report is not None and last_year_report.reported_at is not None:
            used_times.append(last_year_report.reported_at)
        results.append(
            MonthProgress(
                year=year,
                month=month,
                ytd_value=ytd_value,
                month_value=monthly.get(month),
                ytd_last_year=ytd_last.get(month),
                month_last_year=monthly_last.get(month),
                yoy_base=base,
                yoy_base_comparable=comparable,
                yoy_pct=growth_pct(ytd_value, base),
                month_yoy_pct=growth_pct(monthly.get(month), month_base),
                target_value=target_value,
                completion_pct=completion_pct(ytd_value, target_value),
                time_progress_pct=time_progress_pct(month),
                progress_gap_pp=progress_gap_pp(ytd_value, target_value, month),
                on_track=is_on_track(ytd_value, target_value, month),
                reported_at=max(used_times) if used_times else None,
            )
        )
    return results


def affected_years(report_years: Iterable[int], target_years: Iterable[int]) -> set[int]:
    """Years whose figures change when reports of `report_years` or targets of `target_years` change.

    A report changes its own year and, as last year's base, the next one.
    """
    years = set(target_years)
    for year in report_years:
        years.update((year, year + 1))
    return years
