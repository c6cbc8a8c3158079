"""Growth targets, quarterly periods, stocks and published growth rates: the arithmetic with exact figures
(docs/domain.md), as the processor computes them (compute_year)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from indicators_core.progress import (
    Basis,
    MonthReport,
    SeriesShape,
    YoySource,
    choose_yoy,
    compute_year,
    cumulate_year,
    growth_gap_pp,
    growth_mismatch,
    growth_on_track,
    period_text,
    period_time_progress_pct,
    quarter_time_progress_pct,
    stock_completion_pct,
)

QUARTERLY = SeriesShape(first_month=3, step=3)
STOCK = SeriesShape(stock=True)
STAMP = datetime(2026, 7, 10, tzinfo=UTC)


def ytd(year: int, month: int, value: str | None, reported_yoy: str | None = None) -> MonthReport:
    return MonthReport(
        year,
        month,
        Basis.YTD,
        None if value is None else D(value),
        None,
        STAMP,
        None if reported_yoy is None else D(reported_yoy),
    )


@pytest.mark.parametrize(("quarter", "pct"), [(1, D(25)), (2, D(50)), (3, D(75)), (4, D(100))])
def test_quarter_time_progress_is_n_quarters(quarter: int, pct: D):
    assert quarter_time_progress_pct(quarter) == pct
    # Stored at the quarter's last month, the period's time progress is the same n/4.
    assert period_time_progress_pct(3 * quarter, 3) == pct
    assert period_text(2026, 3 * quarter, 3) == f"2026-Q{quarter}"


def test_a_quarter_outside_1_to_4_or_not_at_a_quarter_end_is_an_error():
    with pytest.raises(ValueError, match="quarter must be 1..4, got 5"):
        quarter_time_progress_pct(5)
    with pytest.raises(ValueError, match="month 3, 6, 9 or 12, got 5"):
        period_time_progress_pct(5, 3)
    assert period_text(2026, 5) == "2026-05"


def test_growth_gap_and_judgement_against_a_growth_target():
    # 8.2% growth against 增长10%以上: 1.8 points below; 12% against 10%: 2 points above.
    assert growth_gap_pp(D("8.2"), D(10)) == D("-1.800000000000")
    assert growth_gap_pp(D(12), D(10)) == D("2.000000000000")
    assert growth_gap_pp(None, D(10)) is None and growth_gap_pp(D(5), None) is None
    # Judged exactly on the amounts: 110 on 100 is exactly +10%, on target.
    assert growth_on_track(D(10), D(110), D(100)) is True
    assert growth_on_track(D(10), D("109.9999999999"), D(100)) is False
    # Without amounts, on the published rate; without a target, no judgement.
    assert growth_on_track(D(10), reported_pct=D("9.9")) is False
    assert growth_on_track(None, D(110), D(100)) is None
    assert growth_on_track(D(10)) is None


def test_the_computed_growth_wins_over_the_reported_one_and_a_gap_beyond_a_tenth_is_a_mismatch():
    assert choose_yoy(D("8.2"), D("8.3")) == (D("8.2"), YoySource.COMPUTED)
    assert choose_yoy(None, D("97.5")) == (D("97.5"), YoySource.REPORTED)
    assert choose_yoy(None, None) == (None, None)
    assert not growth_mismatch(D("8.2"), D("8.3"))  # 0.1 apart: rounding
    assert growth_mismatch(D("8.2"), D("8.31"))
    assert not growth_mismatch(None, D("97.5"))


def test_a_quarterly_series_derives_the_quarter_alone_and_is_judged_against_n_quarters():
    # 地区生产总值: 1季度 50, 1-2季度 110 (2季度 alone 60); last year 1-2季度 100; target 220, growth target 8%.
    reports = {2025: {6: ytd(2025, 6, "100")}, 2026: {3: ytd(2026, 3, "50"), 6: ytd(2026, 6, "110")}}
    q1, q2 = compute_year(2026, reports, D(220), shape=QUARTERLY, growth_target_pct=D(8))
    assert (q1.month, q1.ytd_value, q1.month_value, q1.time_progress_pct) == (3, D(50), D(50), D(25))
    assert (q2.month, q2.ytd_value, q2.month_value, q2.time_progress_pct) == (6, D(110), D(60), D(50))
    # 110 / 220 = 50% in 1-2季度 (2/4 = 50%): on schedule exactly; +10% growth against 8%: 2 points above.
    assert (q2.completion_pct, q2.progress_gap_pp, q2.on_track) == (D(50), D(0), True)
    assert (q2.yoy_pct, q2.yoy_source, q2.growth_gap_pp, q2.growth_on_track) == (D(10), "computed", D(2), True)
    assert q1.yoy_pct is None and q1.growth_on_track is None  # no 1季度 last year


def test_a_quarter_missing_breaks_the_chain():
    ytds, alone = cumulate_year({3: ytd(2026, 3, "50"), 9: ytd(2026, 9, "180")}, first_month=3, step=3)
    assert ytds == {3: D(50), 9: D(180)}
    assert alone == {3: D(50)}  # 3季度 alone needs 1-2季度


def test_a_stock_is_its_level_with_completion_value_over_target_and_no_schedule():
    # 规上工业企业数: 96家 at the end of May against 120家 (年末目标); 80家 a year before.
    reports = {2025: {5: ytd(2025, 5, "80")}, 2026: {4: ytd(2026, 4, "90"), 5: ytd(2026, 5, "96")}}
    april, may = compute_year(2026, reports, D(120), shape=STOCK)
    assert (may.ytd_value, may.month_value, april.month_value) == (D(96), None, None)
    assert may.completion_pct == D(80) == stock_completion_pct(D(96), D(120))
    assert (may.progress_gap_pp, may.on_track) == (None, None)
    assert (may.yoy_pct, may.ytd_last_year) == (D(20), D(80))


def test_a_growth_only_report_gives_the_reported_rate_judged_against_the_growth_target():
    # 进出口总额增速97.5% with no amount; growth target 10%: 87.5 points above.
    reports = {2026: {5: ytd(2026, 5, None, reported_yoy="97.5")}}
    (may,) = compute_year(2026, reports, None, growth_target_pct=D(10))
    assert (may.ytd_value, may.month_value, may.completion_pct) == (None, None, None)
    assert (may.yoy_pct, may.yoy_source, may.reported_yoy_pct) == (D("97.5"), "reported", D("97.5"))
    assert (may.growth_gap_pp, may.growth_on_track) == (D("87.5"), True)


def test_with_both_years_amounts_the_computed_growth_is_used_and_the_reported_one_kept():
    # 75.02 on 69.33 is +8.207…%; the upstream published 9.5%: the item says 8.2 (computed) and keeps 9.5.
    reports = {2025: {5: ytd(2025, 5, "69.33")}, 2026: {5: ytd(2026, 5, "75.02", reported_yoy="9.5")}}
    (may,) = compute_year(2026, reports, None, growth_target_pct=D("8.2"))
    assert (may.yoy_pct, may.yoy_source, may.reported_yoy_pct) == (D("8.207125342565"), "computed", D("9.5"))
    # Judged exactly: 75.02 ≥ 69.33 × 1.082 = 75.01506 → on target, 0.007… points above.
    assert (may.growth_on_track, may.growth_gap_pp) == (True, D("0.007125342565"))
    assert growth_mismatch(may.yoy_pct, may.reported_yoy_pct)


def test_a_growth_only_month_breaks_the_cumulative_chain_of_the_next():
    ytds, alone = cumulate_year({4: ytd(2026, 4, "40"), 5: ytd(2026, 5, None, "5"), 6: ytd(2026, 6, "66")})
    assert ytds == {4: D(40), 6: D(66)}
    assert alone == {}  # April has no March; June has no May amount
