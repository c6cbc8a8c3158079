"""The rules as pure functions: exact figures in, the judgement and its Chinese words out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alerts import rules as R
from alerts.config import (
    BehindScheduleConfig,
    ImplausibleConfig,
    LateReportConfig,
    NegativeGrowthConfig,
    SharpSwingConfig,
)
from alerts.model import AlertKey, Rule, Severity
from indicators_core.catalog import load_catalog
from indicators_core.progress import Basis, MonthProgress, MonthReport, SeriesShape, compute_year

CATALOG = load_catalog()
OUTPUT = CATALOG.indicators["industrial_output"]
FAI = CATALOG.indicators["fixed_asset_investment"]
MANUFACTURING = CATALOG.indicators["manufacturing_investment"]
ZONE = "预警甲区"


def row(
    year: int, month: int, ytd: str, target: str | None = None, last_ytd: str | None = None, yoy_base: str | None = None
) -> MonthProgress:
    """The processor's own arithmetic for one month (so the rules see exactly what the database holds)."""
    reports = {
        year: {month: MonthReport(year, month, Basis.YTD, Decimal(ytd), Decimal(yoy_base) if yoy_base else None)}
    }
    if last_ytd is not None:
        reports[year - 1] = {month: MonthReport(year - 1, month, Basis.YTD, Decimal(last_ytd))}
    (result,) = compute_year(year, reports, Decimal(target) if target else None)
    return result


# ---------------------------------------------------------------- behind schedule


def test_behind_schedule_more_than_five_points_is_a_warning_with_the_figures():
    finding = R.behind_schedule(ZONE, OUTPUT, row(2018, 5, "35", target="100"), BehindScheduleConfig())
    assert finding is not None
    assert finding.key == AlertKey(Rule.BEHIND_SCHEDULE, ZONE, "industrial_output", date(2018, 1, 1))
    assert finding.active and finding.severity is Severity.WARNING
    # 35/100 = 35.0%; 5/12 = 41.7%; 35 − 41.666… = −6.7 points
    assert finding.message == (
        "预警甲区 规上工业产值 2018年1-5月完成率35.0%，落后序时进度6.7个百分点"
        "（序时进度41.7%，累计35亿元，全年目标100亿元）"
    )
    assert finding.figures == {
        "year": "2018",
        "month": "5",
        "ytd_value": "35",
        "target_value": "100",
        "unit": "亿元",
        "completion_pct": "35",
        "time_progress_pct": "41.666666666667",
        "progress_gap_pp": "-6.666666666667",
        "gap_threshold_pp": "5",
    }


def test_behind_by_exactly_the_gap_does_not_fire_and_a_hair_more_does_critical_in_june():
    at_the_line = R.behind_schedule(ZONE, OUTPUT, row(2018, 6, "45", target="100"), BehindScheduleConfig())
    assert at_the_line is not None and not at_the_line.active
    assert at_the_line.message == (
        "预警甲区 规上工业产值 2018年1-6月完成率45.0%，落后序时进度5.0个百分点，未超过5个百分点的预警线"
        "（序时进度50.0%，累计45亿元，全年目标100亿元）"
    )
    beyond = R.behind_schedule(ZONE, OUTPUT, row(2018, 6, "44.99", target="100"), BehindScheduleConfig())
    assert beyond is not None and beyond.active
    assert beyond.severity is Severity.CRITICAL  # 半年
    # Judged exactly: 44.99% is 5.01 points behind, shown to one decimal as releases do.
    assert beyond.message == (
        "预警甲区 规上工业产值 2018年1-6月完成率45.0%，落后序时进度5.0个百分点，时间过半、任务未过半"
        "（序时进度50.0%，累计44.99亿元，全年目标100亿元）"
    )


def test_behind_at_year_end_is_critical_and_says_the_year_is_missed():
    finding = R.behind_schedule(ZONE, OUTPUT, row(2018, 12, "90", target="100"), BehindScheduleConfig())
    assert finding is not None and finding.active and finding.severity is Severity.CRITICAL
    assert finding.message == (
        "预警甲区 规上工业产值 2018年1-12月完成率90.0%，落后序时进度10.0个百分点，全年目标未完成"
        "（序时进度100.0%，累计90亿元，全年目标100亿元）"
    )


def test_on_track_is_not_an_alert_and_says_by_how_much():
    # The public Jan–May figures: 75.02 of 166 = 45.2%, 3.5 points ahead of 41.7%.
    finding = R.behind_schedule(ZONE, OUTPUT, row(2018, 5, "75.02", target="166"), BehindScheduleConfig())
    assert finding is not None and not finding.active
    assert finding.message == (
        "预警甲区 规上工业产值 2018年1-5月完成率45.2%，超序时进度3.5个百分点"
        "（序时进度41.7%，累计75.02亿元，全年目标166亿元）"
    )
    exactly = R.behind_schedule(ZONE, OUTPUT, row(2018, 6, "50", target="100"), BehindScheduleConfig())
    assert exactly is not None and not exactly.active and "完成率50.0%，达序时进度（" in exactly.message


def test_behind_schedule_follows_its_configuration():
    config = BehindScheduleConfig(gap_pp=Decimal("2"), critical_months=(3,), severity=Severity.INFO)
    may = R.behind_schedule(ZONE, OUTPUT, row(2018, 5, "38", target="100"), config)  # 3.7 behind
    assert may is not None and may.active and may.severity is Severity.INFO
    march = R.behind_schedule(ZONE, OUTPUT, row(2018, 3, "20", target="100"), config)  # 5 behind, critical month
    assert march is not None and march.active and march.severity is Severity.CRITICAL
    # A critical month other than 半年/全年 has no checkpoint words.
    assert march.message.startswith("预警甲区 规上工业产值 2018年1-3月完成率20.0%，落后序时进度5.0个百分点（")


def test_no_target_or_no_cumulative_gives_no_judgement():
    assert R.behind_schedule(ZONE, OUTPUT, row(2018, 5, "35"), BehindScheduleConfig()) is None


# ---------------------------------------------------------------- negative growth


def test_negative_growth_is_a_warning_with_last_years_figure():
    finding = R.negative_growth(ZONE, OUTPUT, row(2018, 5, "30", last_ytd="32"), NegativeGrowthConfig())
    assert finding is not None and finding.active and finding.severity is Severity.WARNING
    assert finding.key == AlertKey(Rule.NEGATIVE_GROWTH, ZONE, "industrial_output", date(2018, 1, 1))
    # (30 − 32) / 32 = −6.25% → 6.3 half up
    assert finding.message == "预警甲区 规上工业产值 2018年1-5月累计30亿元，同比下降6.3%（上年同期32亿元）"
    assert finding.figures["yoy_pct"] == "-6.25"
    assert finding.figures["yoy_base_comparable"] == "false"


def test_the_comparable_base_is_named_when_the_upstream_sent_it():
    finding = R.negative_growth(ZONE, OUTPUT, row(2018, 5, "30", last_ytd="29", yoy_base="31"), NegativeGrowthConfig())
    assert finding is not None and finding.active
    # The comparable base (31) wins over last year's published 29: −3.2%, not +3.4%.
    assert finding.message == "预警甲区 规上工业产值 2018年1-5月累计30亿元，同比下降3.2%（上年同期可比数31亿元）"


def test_growth_below_a_growth_target_is_info_and_above_it_clears():
    config = NegativeGrowthConfig()
    below = R.negative_growth(ZONE, OUTPUT, row(2018, 5, "34", last_ytd="32"), config, Decimal("10"))
    assert below is not None and below.active and below.severity is Severity.INFO
    assert below.message == (
        "预警甲区 规上工业产值 2018年1-5月累计34亿元，同比增长6.3%，低于增长目标10.0%（上年同期32亿元）"
    )
    assert below.figures["growth_target_pct"] == "10"
    above = R.negative_growth(ZONE, OUTPUT, row(2018, 5, "36", last_ytd="32"), config, Decimal("10"))
    assert above is not None and not above.active
    assert above.message == (
        "预警甲区 规上工业产值 2018年1-5月累计36亿元，同比增长12.5%，达到增长目标10.0%（上年同期32亿元）"
    )
    negative_with_target = R.negative_growth(ZONE, OUTPUT, row(2018, 5, "30", last_ytd="32"), config, Decimal("10"))
    assert negative_with_target is not None and negative_with_target.severity is Severity.WARNING


def test_flat_growth_is_not_negative_and_no_base_gives_no_judgement():
    flat = R.negative_growth(ZONE, OUTPUT, row(2018, 5, "32", last_ytd="32"), NegativeGrowthConfig())
    assert flat is not None and not flat.active
    assert flat.message == "预警甲区 规上工业产值 2018年1-5月累计32亿元，同比持平（上年同期32亿元）"
    tiny_drop = R.negative_growth(ZONE, OUTPUT, row(2018, 5, "31.99", last_ytd="32"), NegativeGrowthConfig())
    assert tiny_drop is not None and tiny_drop.active  # −0.03%: negative is judged exactly
    assert "同比下降不足0.1%" in tiny_drop.message
    assert R.negative_growth(ZONE, OUTPUT, row(2018, 5, "32"), NegativeGrowthConfig()) is None


# ---------------------------------------------------------------- sharp swing

HISTORY = [Decimal(v) for v in ("4.0", "4.2", "3.9", "4.1", "4.3", "4.0", "4.1", "4.2", "3.8", "4.1", "4.0", "4.1")]


def test_a_month_three_times_the_median_fires_and_says_why():
    finding = R.sharp_swing(ZONE, OUTPUT, 2018, 6, Decimal("12.3"), HISTORY, SharpSwingConfig())
    assert finding is not None and finding.active and finding.severity is Severity.WARNING
    assert finding.key == AlertKey(Rule.SHARP_SWING, ZONE, "industrial_output", date(2018, 6, 1))
    # median 4.1, MAD 0.1: 12.3 is 8.2 from the median (> 5 × 0.1) and 3.0 times it (≥ 2)
    assert finding.message == (
        "预警甲区 规上工业产值 2018年6月当月值12.3亿元，为近12个月中位数4.1亿元的3.0倍，"
        "偏离中位数8.2亿元，超过中位绝对偏差0.1亿元的5倍"
    )
    assert finding.figures["median"] == "4.1" and finding.figures["mad"] == "0.1"
    assert finding.figures["ratio"] == "3" and finding.figures["history_months"] == "12"


def test_a_collapse_fires_too():
    finding = R.sharp_swing(ZONE, OUTPUT, 2018, 6, Decimal("0.9"), HISTORY, SharpSwingConfig())
    assert finding is not None and finding.active
    assert finding.message == (
        "预警甲区 规上工业产值 2018年6月当月值0.9亿元，仅为近12个月中位数4.1亿元的22.0%，"
        "偏离中位数3.2亿元，超过中位绝对偏差0.1亿元的5倍"
    )


def test_far_in_deviations_but_not_materially_different_does_not_fire():
    # 6.0 is 19 MADs away but only 1.46 times the median: a steady series moving, not a swing.
    finding = R.sharp_swing(ZONE, OUTPUT, 2018, 6, Decimal("6.0"), HISTORY, SharpSwingConfig())
    assert finding is not None and not finding.active
    assert (
        finding.message
        == "预警甲区 规上工业产值 2018年6月当月值6亿元，在近12个月的正常波动范围内（中位数4.1亿元，为其1.5倍）"
    )


def test_too_little_history_or_no_value_gives_no_judgement_and_a_short_history_is_named():
    assert R.sharp_swing(ZONE, OUTPUT, 2018, 6, Decimal("12.3"), HISTORY[:5], SharpSwingConfig()) is None
    assert R.sharp_swing(ZONE, OUTPUT, 2018, 6, None, HISTORY, SharpSwingConfig()) is None
    six = [Decimal(v) for v in ("4", "4", "5", "5", "6", "6")]  # median 5, MAD 1
    finding = R.sharp_swing(ZONE, OUTPUT, 2018, 6, Decimal("15"), six, SharpSwingConfig())
    assert finding is not None and finding.active
    assert "为近12个月中有数据的6个月中位数5亿元的3.0倍" in finding.message
    # 10 is 5 MADs away: not more than 5, so not a swing even at twice the median.
    at_the_band = R.sharp_swing(ZONE, OUTPUT, 2018, 6, Decimal("10"), six, SharpSwingConfig())
    assert at_the_band is not None and not at_the_band.active


def test_a_flat_history_fires_on_a_material_change_only():
    flat = [Decimal(4)] * 8
    doubled = R.sharp_swing(ZONE, OUTPUT, 2018, 6, Decimal("8"), flat, SharpSwingConfig())
    assert doubled is not None and doubled.active
    assert doubled.message == (
        "预警甲区 规上工业产值 2018年6月当月值8亿元，为近12个月中有数据的8个月中位数4亿元的2.0倍，"
        "偏离中位数4亿元，而过半月份恰为中位数（中位绝对偏差为0）"
    )
    assert not R.sharp_swing(ZONE, OUTPUT, 2018, 6, Decimal("4.5"), flat, SharpSwingConfig()).active
    zeros = [Decimal(0)] * 8
    assert R.sharp_swing(ZONE, OUTPUT, 2018, 6, Decimal("8"), zeros, SharpSwingConfig()) is None


# ---------------------------------------------------------------- implausible


def test_a_part_larger_than_its_whole_is_implausible():
    whole = R.Whole(FAI, Decimal("6"))
    finding = R.implausible(ZONE, MANUFACTURING, 2018, 5, Decimal("8"), None, whole, ImplausibleConfig())
    assert finding is not None and finding.active and finding.severity is Severity.WARNING
    assert finding.key == AlertKey(Rule.IMPLAUSIBLE, ZONE, "manufacturing_investment", date(2018, 5, 1))
    assert finding.message == (
        "预警甲区 制造业投资 2018年1-5月数据存疑：制造业投资累计8亿元大于固定资产投资累计6亿元（部分不应大于整体）"
    )
    assert finding.figures["problems"] == "part_exceeds_whole"


def test_a_cumulative_value_that_falls_is_implausible_and_both_problems_are_named():
    falling = R.implausible(ZONE, OUTPUT, 2018, 5, Decimal("20"), (4, Decimal("25")), None, ImplausibleConfig())
    assert falling is not None and falling.active
    assert falling.message == (
        "预警甲区 规上工业产值 2018年1-5月数据存疑：累计20亿元低于1-4月累计25亿元（累计值不应在年内回落）"
    )
    both = R.implausible(
        ZONE, MANUFACTURING, 2018, 5, Decimal("8"), (4, Decimal("9")), R.Whole(FAI, Decimal("6")), ImplausibleConfig()
    )
    assert both is not None and both.figures["problems"] == "part_exceeds_whole,cumulative_fell"
    assert both.message == (
        "预警甲区 制造业投资 2018年1-5月数据存疑：制造业投资累计8亿元大于固定资产投资累计6亿元（部分不应大于整体）；"
        "累计8亿元低于1-4月累计9亿元（累计值不应在年内回落）"
    )


def test_plausible_figures_clear_and_nothing_to_compare_gives_no_judgement():
    fine = R.implausible(
        ZONE, MANUFACTURING, 2018, 5, Decimal("6"), (4, Decimal("5")), R.Whole(FAI, Decimal("6")), ImplausibleConfig()
    )
    assert fine is not None and not fine.active  # equal to the whole is allowed
    assert fine.message == "预警甲区 制造业投资 2018年1-5月累计6亿元，数据审核无异常"
    assert R.implausible(ZONE, OUTPUT, 2018, 1, Decimal("6"), None, None, ImplausibleConfig()) is None
    assert R.implausible(ZONE, OUTPUT, 2018, 5, None, (4, Decimal("5")), None, ImplausibleConfig()) is None


# ---------------------------------------------------------------- late report


def months(*pairs: tuple[int, int]) -> set[tuple[int, int]]:
    return set(pairs)


def test_the_due_month_is_last_month_from_the_due_day_on():
    assert R.due_month(date(2018, 5, 14), 15) is None
    assert R.due_month(date(2018, 5, 15), 15) == (2018, 4)
    assert R.due_month(date(2018, 1, 20), 15) == (2017, 12)
    assert R.due_month(date(2018, 5, 10), 10) == (2018, 4)


def test_a_month_reported_last_year_and_missing_on_the_due_day_is_late():
    reported = months((2017, 4), (2018, 3))
    finding = R.late_report(ZONE, OUTPUT, 2018, 4, reported, LateReportConfig(), checked_on=date(2018, 5, 15))
    assert finding is not None and finding.active and finding.severity is Severity.WARNING
    assert finding.key == AlertKey(Rule.LATE_REPORT, ZONE, "industrial_output", date(2018, 4, 1))
    assert (
        finding.message
        == "预警甲区 规上工业产值 2018年4月数据截至5月15日仍未报送（报送期限为次月15日；上年同月已报送）"
    )
    assert finding.figures["checked_on"] == "2018-05-15"


def test_three_of_the_four_months_before_make_a_regular_reporter():
    reported = months((2017, 12), (2018, 2), (2018, 3))  # no 2017-04; January came as 1-2月
    finding = R.late_report(ZONE, OUTPUT, 2018, 4, reported, LateReportConfig(), checked_on=date(2018, 5, 20))
    assert finding is not None and finding.active
    assert (
        finding.message
        == "预警甲区 规上工业产值 2018年4月数据截至5月20日仍未报送（报送期限为次月15日；前4个月中3个月已报送）"
    )
    occasional = months((2018, 2), (2018, 3))
    assert R.late_report(ZONE, OUTPUT, 2018, 4, occasional, LateReportConfig(), checked_on=date(2018, 5, 20)) is None


def test_january_is_expected_only_from_a_series_that_reported_january_last_year():
    autumn = months((2017, 9), (2017, 10), (2017, 11), (2017, 12))
    on_the_day = date(2018, 2, 15)
    assert R.late_report(ZONE, OUTPUT, 2018, 1, autumn, LateReportConfig(), checked_on=on_the_day) is None
    with_january = autumn | {(2017, 1)}
    late = R.late_report(ZONE, OUTPUT, 2018, 1, with_january, LateReportConfig(), checked_on=on_the_day)
    assert late is not None and late.active
    # Fixed-asset investment has no January report at all.
    assert R.late_report(ZONE, FAI, 2018, 1, with_january, LateReportConfig(), checked_on=on_the_day) is None


def test_a_report_for_the_month_or_a_later_one_clears_it():
    reported = months((2017, 4), (2018, 4))
    finding = R.late_report(ZONE, OUTPUT, 2018, 4, reported, LateReportConfig())
    assert finding is not None and not finding.active
    assert finding.message == "预警甲区 规上工业产值 2018年4月数据已报送"
    later = R.late_report(ZONE, OUTPUT, 2018, 4, months((2017, 4), (2018, 5)), LateReportConfig())
    assert later is not None and not later.active
    assert later.message == "预警甲区 规上工业产值 2018年1-5月累计数据已报送（含4月）"
    # A result without the clock does not judge a missing month.
    assert R.late_report(ZONE, OUTPUT, 2018, 4, months((2017, 4)), LateReportConfig()) is None


# ---------------------------------------------------------------- growth-only reports, quarters, published rates

IMPORT_EXPORT = CATALOG.indicators["import_export"]
GDP = CATALOG.indicators["gdp"]
FIRMS = CATALOG.indicators["enterprises_above_scale"]


def reported_only(year: int, month: int, reported: str, growth_target: str | None = None) -> MonthProgress:
    reports = {year: {month: MonthReport(year, month, Basis.YTD, None, None, None, Decimal(reported))}}
    (result,) = compute_year(year, reports, None, growth_target_pct=Decimal(growth_target) if growth_target else None)
    return result


def test_a_published_rate_alone_is_judged_against_zero_and_the_growth_target():
    config = NegativeGrowthConfig()
    falling = R.negative_growth(ZONE, IMPORT_EXPORT, reported_only(2018, 5, "-2.5"), config)
    assert falling is not None and falling.active and falling.severity is Severity.WARNING
    assert falling.message == "预警甲区 进出口总额 2018年1-5月上报同比下降2.5%（无累计数，按上报增速）"
    assert falling.figures == {"year": "2018", "month": "5", "yoy_pct": "-2.5", "yoy_source": "reported"}
    row_97 = reported_only(2018, 5, "97.5", growth_target="100")
    below = R.negative_growth(ZONE, IMPORT_EXPORT, row_97, config, row_97.growth_target_pct)
    assert below is not None and below.active and below.severity is Severity.INFO
    assert below.message == (
        "预警甲区 进出口总额 2018年1-5月上报同比增长97.5%，低于增长目标100.0%（无累计数，按上报增速）"
    )
    above = R.negative_growth(ZONE, IMPORT_EXPORT, row_97, config, Decimal(10))
    assert above is not None and not above.active


def test_a_published_rate_more_than_a_tenth_from_the_computed_one_is_implausible():
    config = ImplausibleConfig()
    differs = R.implausible(
        ZONE, OUTPUT, 2018, 5, Decimal("75.02"), None, None, config, R.Growth(Decimal("8.207125342565"), Decimal("9.5"))
    )
    assert differs is not None and differs.active
    assert differs.message == (
        "预警甲区 规上工业产值 2018年1-5月数据存疑：上报增速与计算增速不一致（上报9.5%，按累计数计算8.2%）"
    )
    assert differs.figures["problems"] == "reported_growth_differs"
    assert (differs.figures["yoy_pct"], differs.figures["reported_yoy_pct"]) == ("8.207125342565", "9.5")
    rounding = R.implausible(
        ZONE, OUTPUT, 2018, 5, Decimal("75.02"), None, None, config, R.Growth(Decimal("8.207125342565"), Decimal("8.3"))
    )
    assert rounding is not None and not rounding.active  # 0.09 points apart: the release rounded
    assert rounding.message == "预警甲区 规上工业产值 2018年1-5月累计75.02亿元，数据审核无异常"


def test_a_stock_may_fall_within_the_year():
    firms = R.implausible(ZONE, FIRMS, 2018, 5, Decimal(95), (4, Decimal(96)), None, ImplausibleConfig())
    assert firms is not None and not firms.active


def test_a_quarterly_series_is_named_by_its_quarters():
    reports = {2018: {6: MonthReport(2018, 6, Basis.YTD, Decimal(40))}}
    (q2,) = compute_year(2018, reports, Decimal(100), shape=SeriesShape(first_month=3, step=3))
    finding = R.behind_schedule(ZONE, GDP, q2, BehindScheduleConfig())
    assert finding is not None and finding.active and finding.severity is Severity.CRITICAL
    # 40 / 100 = 40% in 1-2季度 against 2/4 = 50%: 10 points behind, at the half-year.
    assert finding.message == (
        "预警甲区 地区生产总值 2018年1-2季度完成率40.0%，落后序时进度10.0个百分点，时间过半、任务未过半"
        "（序时进度50.0%，累计40亿元，全年目标100亿元）"
    )
