"""The arithmetic, against figures a statistics bureau would check (docs/domain.md)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from indicators_core.progress import (
    Basis,
    MonthReport,
    affected_years,
    completion_pct,
    compute_year,
    cumulate_year,
    growth_pct,
    is_on_track,
    progress_gap_pp,
    round_half_up,
    time_progress_pct,
)


def ytd(year: int, month: int, value: str, yoy_base: str | None = None) -> MonthReport:
    return MonthReport(year, month, Basis.YTD, D(value), D(yoy_base) if yoy_base else None)


def test_growth_of_the_public_jan_may_output_figure():
    # 规上工业产值 1-5月 75.02亿元 on a base of 69.33亿元: +8.2% as published.
    growth = growth_pct(D("75.02"), D("69.33"))
    assert growth == D("8.207125342565")
    assert round_half_up(growth, 1) == D("8.2")
    assert round_half_up(growth, 2) == D("8.21")


def test_growth_is_unknown_without_a_base_never_infinite_or_zero():
    assert growth_pct(D("13.7"), None) is None
    assert growth_pct(D("13.7"), D("0")) is None
    assert growth_pct(None, D("8.9")) is None


def test_negative_growth():
    assert growth_pct(D("90"), D("100")) == D("-10.000000000000")


def test_time_progress_is_n_twelfths():
    assert time_progress_pct(6) == D("50.000000000000")
    assert time_progress_pct(5) == D("41.666666666667")
    assert time_progress_pct(12) == D("100.000000000000")
    with pytest.raises(ValueError):
        time_progress_pct(13)


def test_completion_and_gap_in_percentage_points():
    # "Jan–May completion of 45.2% is 超序时进度3.5个百分点 (45.2 − 41.67)".
    assert completion_pct(D("45.2"), D("100")) == D("45.200000000000")
    assert round_half_up(progress_gap_pp(D("45.2"), D("100"), 5), 1) == D("3.5")
    # 143 major projects: 247.04亿元 of a plan that makes 65.3% in June.
    assert round_half_up(completion_pct(D("247.04"), D("378.3")), 1) == D("65.3")


def test_on_track_at_exactly_half_in_june_and_compared_exactly():
    # 50.0% in June is 达序时进度: on track.
    assert is_on_track(D("525"), D("1050"), 6) is True
    assert progress_gap_pp(D("525"), D("1050"), 6) == D("0E-12")
    # One ten-thousandth short is behind, even though it rounds to 50.0%.
    assert is_on_track(D("524.9999"), D("1050"), 6) is False
    assert is_on_track(D("10"), None, 6) is None
    assert completion_pct(D("10"), D("0")) is None


def test_cumulative_reports_give_month_values_by_difference():
    reports = {1: ytd(2026, 1, "10"), 2: ytd(2026, 2, "25"), 3: ytd(2026, 3, "42.5")}
    ytds, months = cumulate_year(reports)
    assert ytds == {1: D("10"), 2: D("25"), 3: D("42.5")}
    assert months == {1: D("10"), 2: D("15"), 3: D("17.5")}


def test_month_alone_reports_accumulate():
    reports = {m: MonthReport(2026, m, Basis.MONTH, D(v)) for m, v in [(1, "3"), (2, "4"), (3, "5")]}
    ytds, months = cumulate_year(reports)
    assert ytds == {1: D("3"), 2: D("7"), 3: D("12")}
    assert months == {1: D("3"), 2: D("4"), 3: D("5")}


def test_a_missing_month_is_not_zero():
    # 1-2月 released together: February's own value is unknown; March's is known by difference.
    reports = {2: ytd(2026, 2, "20"), 3: ytd(2026, 3, "31"), 5: ytd(2026, 5, "50")}
    ytds, months = cumulate_year(reports)
    assert ytds == {2: D("20"), 3: D("31"), 5: D("50")}
    assert months == {3: D("11")}  # no Feb alone, no May alone (April missing)


def test_month_alone_after_a_gap_has_no_cumulative():
    reports = {1: ytd(2026, 1, "5"), 3: MonthReport(2026, 3, Basis.MONTH, D("2"))}
    ytds, months = cumulate_year(reports)
    assert ytds == {1: D("5")}
    assert months == {1: D("5"), 3: D("2")}


def test_an_indicator_without_january_starts_at_1_2():
    # 固定资产投资 has no January report: 1-2月 is the first period and stands alone.
    reports = {2: ytd(2026, 2, "4.2"), 3: ytd(2026, 3, "7.0")}
    ytds, months = cumulate_year(reports, first_month=2)
    assert months == {2: D("4.2"), 3: D("2.8")}


def test_compute_year_uses_the_comparable_base_when_sent():
    stamp = datetime(2026, 6, 10, tzinfo=UTC)
    reports = {
        2025: {5: MonthReport(2025, 5, Basis.YTD, D("70.00"), None, stamp)},
        2026: {5: MonthReport(2026, 5, Basis.YTD, D("75.02"), D("69.33"), stamp)},
    }
    (may,) = compute_year(2026, reports, D("166"))
    assert may.ytd_last_year == D("70.00")
    assert may.yoy_base == D("69.33") and may.yoy_base_comparable is True
    assert round_half_up(may.yoy_pct, 1) == D("8.2")
    assert round_half_up(may.completion_pct, 2) == D("45.19")
    assert may.on_track is True  # 45.19% ≥ 41.67%
    assert round_half_up(may.progress_gap_pp, 1) == D("3.5")


def test_compute_year_growth_from_last_years_figures_and_month_growth():
    reports = {
        2025: {4: ytd(2025, 4, "8.00"), 5: ytd(2025, 5, "8.90")},
        2026: {4: ytd(2026, 4, "11.20"), 5: ytd(2026, 5, "13.70")},
    }
    april, may = compute_year(2026, reports, None)
    assert april.yoy_pct == D("40.000000000000")
    assert may.ytd_last_year == D("8.90")
    assert round_half_up(may.yoy_pct, 2) == D("53.93")  # 13.7 on 8.9: +53.93%
    assert may.month_value == D("2.50") and may.month_last_year == D("0.90")
    assert round_half_up(may.month_yoy_pct, 1) == D("177.8")
    assert may.target_value is None and may.completion_pct is None and may.on_track is None


def test_compute_year_without_last_year_gives_no_growth():
    (may,) = compute_year(2026, {2026: {5: ytd(2026, 5, "6.51")}}, D("20"))
    assert may.ytd_last_year is None and may.yoy_pct is None
    assert round_half_up(may.completion_pct, 2) == D("32.55")
    assert may.on_track is False  # 32.55% < 41.67%


def test_affected_years_include_next_years_growth():
    assert affected_years([2025], []) == {2025, 2026}
    assert affected_years([2026], [2027]) == {2026, 2027}


def test_the_months_before_a_month_cross_the_years_end():
    from indicators_core.progress import month_number, months_before

    assert month_number(2025, 12) + 1 == month_number(2026, 1)
    numbers = [month_number(2025, m) for m in (3, 10, 11, 12)] + [month_number(2026, m) for m in (1, 2, 4)]
    # The 3 months before 2026-02 are 2025-11, 2025-12 and 2026-01; 2025-10 is a fourth back.
    assert months_before(numbers, month_number(2026, 2), 3) == (2, 5)
    # The 2 months before 2026-04 are February and March: March is missing, and leaves a gap, never a zero.
    assert months_before(numbers, month_number(2026, 4), 2) == (5, 6)
    assert months_before(numbers, month_number(2026, 4), 1) == (6, 6)  # March alone, missing; April is not its own
    assert months_before(numbers, month_number(2025, 3), 24) == (0, 0)


def test_a_month_number_turns_back_into_its_year_and_month():
    from indicators_core.progress import month_number, month_of_number

    assert month_of_number(month_number(2026, 1) - 1) == (2025, 12)
    assert month_of_number(month_number(2026, 12) + 1) == (2027, 1)
    assert month_of_number(month_number(2024, 2) - 14) == (2022, 12)
    assert all(month_of_number(month_number(2026, month)) == (2026, month) for month in range(1, 13))
