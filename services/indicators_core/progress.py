"""The arithmetic of the monitoring: pure functions of numbers.

Everything is Decimal. Percentages are kept to PCT_PLACES decimals (far
below any published precision, so rounding for display happens once, from a
value that is exact for any realistic figure); judgements such as on-track
compare exact values, never rounded ones.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

HUNDRED = Decimal(100)
TWELVE = Decimal(12)
FOUR = Decimal(4)
PCT_PLACES = Decimal("1e-12")
# A published growth rate and the one computed from the amounts are "the same" within this many points:
# releases round to one decimal, so a difference of up to 0.1 is rounding, beyond it a wrong figure.
GROWTH_TOLERANCE_PP = Decimal("0.1")


class YoySource(StrEnum):
    COMPUTED = "computed"  # from this year's and last year's (or the comparable) amounts
    REPORTED = "reported"  # the upstream's published rate (reported_yoy_pct), no amounts to compute it from


class Basis(StrEnum):
    YTD = "ytd"  # 累计, January to the month inclusive
    MONTH = "month"  # 当月, the month alone


@dataclass(frozen=True)
class MonthReport:
    """The current (latest) report for one zone, indicator and month."""

    year: int
    month: int
    basis: Basis
    value: Decimal | None  # None: a growth-only report (the published rate without the amount)
    yoy_base: Decimal | None = None  # 上年同期可比数, when the upstream sends it
    reported_at: datetime | None = None
    reported_yoy_pct: Decimal | None = None  # the upstream's published growth rate, when sent


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
    # Growth against the year's growth target (增长X%以上) and where yoy_pct came from; the defaults are
    # the figures of a series without either, so rows read back from older tables still build.
    yoy_source: str | None = None  # YoySource, None when yoy_pct is unknown
    reported_yoy_pct: Decimal | None = None
    growth_target_pct: Decimal | None = None
    growth_gap_pp: Decimal | None = None  # yoy_pct − growth target, percentage points
    growth_on_track: bool | None = None  # yoy ≥ growth target, judged exactly


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


def quarter_time_progress_pct(quarter: int) -> Decimal:
    """序时进度 for quarter n: n/4 as a percentage (1季度 = 25, 1-2季度 = 50)."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1..4, got {quarter}")
    return quantize_pct(Decimal(quarter) * HUNDRED / FOUR)


def period_time_progress_pct(month: int, step: int) -> Decimal:
    """Time progress of a period stored at `month`: N/12 for months, n/4 for quarters (stored at month 3n)."""
    if step == 3:
        if month % 3:
            raise ValueError(f"a quarter is stored at month 3, 6, 9 or 12, got {month}")
        return quarter_time_progress_pct(month // 3)
    return time_progress_pct(month)


def month_number(year: int, month: int) -> int:
    """The month counted from year 0: consecutive months differ by one across a year's end."""
    return year * 12 + month - 1


def month_of_number(number: int) -> tuple[int, int]:
    """(year, month) of a month number: the inverse of `month_number`, so month arithmetic crosses a year's end."""
    year, month_index = divmod(number, 12)
    return year, month_index + 1


def months_before(numbers: Sequence[int], number: int, window: int) -> tuple[int, int]:
    """[start, end): where, in the ascending month numbers of a series, the `window` months before month `number`
    lie (found by bisection: the plausibility check and the swing rule ask it for every month they judge)."""
    end = bisect_left(numbers, number)
    return bisect_left(numbers, number - window, 0, end), end


def period_text(year: int, month: int, step: int = 1) -> str:
    """A period as the API writes it: "2026-05", or "2026-Q2" for a quarter (stored at its last month)."""
    if step == 3:
        return f"{year:04d}-Q{month // 3}"
    return f"{year:04d}-{month:02d}"


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


def stock_completion_pct(value: Decimal | None, target_value: Decimal | None) -> Decimal | None:
    """A stock's completion (规上工业企业数 against 年末目标): the level at the period's end / target × 100.

    The same quotient as a flow's completion; named apart because a stock is never judged against time
    progress (a count of firms does not accumulate over the year).
    """
    return completion_pct(value, target_value)


def choose_yoy(computed: Decimal | None, reported: Decimal | None) -> tuple[Decimal | None, YoySource | None]:
    """The item's growth and its source: computed from the amounts when it can be, else the reported rate."""
    if computed is not None:
        return computed, YoySource.COMPUTED
    if reported is not None:
        return reported, YoySource.REPORTED
    return None, None


def growth_gap_pp(yoy_pct: Decimal | None, growth_target_pct: Decimal | None) -> Decimal | None:
    """增速与目标之差: growth − growth target, in percentage points; None when either is unknown."""
    if yoy_pct is None or growth_target_pct is None:
        return None
    return quantize_pct(yoy_pct - growth_target_pct)


def growth_on_track(
    growth_target_pct: Decimal | None,
    current: Decimal | None = None,
    base: Decimal | None = None,
    reported_pct: Decimal | None = None,
) -> bool | None:
    """Growth ≥ the growth target, compared exactly.

    From the amounts when both are known: (current − base)/base·100 ≥ T ⇔ (current − base)·100 ≥ T·base
    (base > 0), never on the 12-place quotient; else on the reported rate as published.
    """
    if growth_target_pct is None:
        return None
    if current is not None and base is not None and base > 0:
        return (current - base) * HUNDRED >= growth_target_pct * base
    if reported_pct is not None:
        return reported_pct >= growth_target_pct
    return None


def growth_mismatch(computed: Decimal | None, reported: Decimal | None) -> bool:
    """The published growth rate and the computed one differ by more than GROWTH_TOLERANCE_PP points."""
    if computed is None or reported is None:
        return False
    return abs(computed - reported) > GROWTH_TOLERANCE_PP


def cumulate_stock(reports: Mapping[int, MonthReport]) -> dict[int, Decimal]:
    """A stock's level per period: the value as reported; nothing is derived from consecutive levels."""
    return {month: report.value for month, report in reports.items() if report.value is not None}


def cumulate_year(
    reports: Mapping[int, MonthReport], first_month: int = 1, step: int = 1
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Year-to-date and single-month values of one year from its reports.

    A cumulative report gives the month's own value as the difference with the
    previous month's cumulative; a month-alone report gives the cumulative as
    the previous cumulative plus the month. The first month of the year
    (January, or February for indicators whose first release is 1-2月) stands
    alone. A missing month is unknown, not zero, so it breaks the chain; so
    does a growth-only report (a rate without its amount).

    `step` is the months between two periods: 3 for quarterly series, stored
    at each quarter's last month (1季度 = 3, 1-2季度 = 6), whose "month value"
    is the quarter alone (2季度 = 1-2季度 − 1季度).
    """
    ytd: dict[int, Decimal] = {}
    monthly: dict[int, Decimal] = {}
    for month in range(step, 13, step):
        report = reports.get(month)
        if report is None or report.value is None:
            continue
        previous_ytd = ytd.get(month - step)
        # The year's first release (January, 1季度, or 1-2月 where there is no
        # January report) stands alone: its own value is its cumulative value.
        first_release = month == step or (month == first_month and previous_ytd is None)
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


def _comparable_month_base(
    reports: Mapping[int, MonthReport], month: int, first_month: int, step: int = 1
) -> Decimal | None:
    """The month-alone comparable base from two comparable cumulative bases, if both were sent."""
    report = reports.get(month)
    if report is None or report.yoy_base is None or report.basis is not Basis.YTD:
        return None
    if month == first_month:
        return report.yoy_base
    previous = reports.get(month - step)
    if previous is None or previous.yoy_base is None or previous.basis is not Basis.YTD:
        return None
    return report.yoy_base - previous.yoy_base


@dataclass(frozen=True)
class SeriesShape:
    """How a series accumulates, from its catalog entry (Indicator.first_month, .step, .stock)."""

    first_month: int = 1  # 1, 2 (no January report: 1-2月 first) or 3 (quarterly: 1季度 first)
    step: int = 1  # months between periods: 1, or 3 for quarters
    stock: bool = False  # a level at the period's end, not accumulated over the year


def compute_year(
    year: int,
    reports_by_year: Mapping[int, Mapping[int, MonthReport]],
    target_value: Decimal | None,
    first_month: int = 1,
    target_reported_at: datetime | None = None,
    shape: SeriesShape | None = None,
    growth_target_pct: Decimal | None = None,
    growth_target_reported_at: datetime | None = None,
) -> list[MonthProgress]:
    """All derived figures for every period of `year` that has a report."""
    shape = shape or SeriesShape(first_month=first_month)
    this_year = reports_by_year.get(year, {})
    last_year = reports_by_year.get(year - 1, {})
    monthly: dict[int, Decimal]
    monthly_last: dict[int, Decimal]
    if shape.stock:  # a level: no month-alone values
        ytd, monthly = cumulate_stock(this_year), {}
        ytd_last, monthly_last = cumulate_stock(last_year), {}
    else:
        ytd, monthly = cumulate_year(this_year, shape.first_month, shape.step)
        ytd_last, monthly_last = cumulate_year(last_year, shape.first_month, shape.step)
    results: list[MonthProgress] = []
    for month in sorted(this_year):
        report = this_year[month]
        ytd_value = ytd.get(month)
        comparable = report.yoy_base is not None
        base = report.yoy_base if comparable else ytd_last.get(month)
        month_base = None
        if not shape.stock:
            month_base = _comparable_month_base(this_year, month, shape.first_month, shape.step)
            if month_base is None:
                month_base = monthly_last.get(month)
        used_times = [t for t in (report.reported_at, target_reported_at, growth_target_reported_at) if t is not None]
        last_year_report = last_year.get(month)
        if last_year_report is not None and last_year_report.reported_at is not None:
            used_times.append(last_year_report.reported_at)
        yoy_pct, yoy_source = choose_yoy(growth_pct(ytd_value, base), report.reported_yoy_pct)
        computed = yoy_source is YoySource.COMPUTED
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
                yoy_pct=yoy_pct,
                month_yoy_pct=growth_pct(monthly.get(month), month_base),
                target_value=target_value,
                completion_pct=(stock_completion_pct if shape.stock else completion_pct)(ytd_value, target_value),
                time_progress_pct=period_time_progress_pct(month, shape.step),
                # A stock is a level, not a sum over the year: it is not judged against time progress.
                progress_gap_pp=None if shape.stock else progress_gap_pp(ytd_value, target_value, month),
                on_track=None if shape.stock else is_on_track(ytd_value, target_value, month),
                reported_at=max(used_times) if used_times else None,
                yoy_source=None if yoy_source is None else yoy_source.value,
                reported_yoy_pct=report.reported_yoy_pct,
                growth_target_pct=growth_target_pct,
                growth_gap_pp=growth_gap_pp(yoy_pct, growth_target_pct),
                growth_on_track=growth_on_track(
                    growth_target_pct,
                    ytd_value if computed else None,
                    base if computed else None,
                    None if computed else yoy_pct,
                ),
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
