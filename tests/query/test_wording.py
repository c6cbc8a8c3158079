"""The judgement against time progress in words: pure, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators_core.progress import is_on_track, progress_gap_pp
from query.wording import Status, judge, judge_item


def words(ytd: str, target: str, month: int) -> tuple[Status, str]:
    """Judge as the API does, from the figures the processor stores."""
    value, goal = Decimal(ytd), Decimal(target)
    return judge(is_on_track(value, goal, month), progress_gap_pp(value, goal, month), has_target=True)


def test_jan_may_completion_of_45_2_percent_is_ahead_by_3_5_points():
    # docs/domain.md: 45.2 − 5/12×100 = 3.5 (75.02 of a 166 target is 45.19…%).
    assert words("75.02", "166", 5) == (Status.ON_TRACK, "超序时进度3.5个百分点")


def test_half_done_in_june_is_on_schedule():
    assert words("50", "100", 6) == (Status.ON_TRACK, "达序时进度")


def test_behind_says_by_how_many_points():
    # 35.4% in May: 35.4 − 41.666… = −6.266… → 6.3 points behind.
    assert words("35.4", "100", 5) == (Status.BEHIND, "落后序时进度6.3个百分点")
    assert judge(False, Decimal("-2.1"), True) == (Status.BEHIND, "落后序时进度2.1个百分点")


def test_points_are_rounded_half_up_not_to_even():
    assert judge(True, Decimal("3.45"), True) == (Status.ON_TRACK, "超序时进度3.5个百分点")
    assert judge(True, Decimal("0.25"), True) == (Status.ON_TRACK, "超序时进度0.3个百分点")
    assert judge(False, Decimal("-2.05"), True) == (Status.BEHIND, "落后序时进度2.1个百分点")


def test_whole_points_keep_one_decimal():
    assert judge(True, Decimal("10"), True) == (Status.ON_TRACK, "超序时进度10.0个百分点")


@pytest.mark.parametrize("gap", ["0", "0.000000000001", "0.049999999999"])
def test_ahead_by_less_than_half_a_tenth_is_on_schedule(gap: str):
    assert judge(True, Decimal(gap), True) == (Status.ON_TRACK, "达序时进度")


def test_ahead_by_exactly_half_a_tenth_rounds_up():
    assert judge(True, Decimal("0.05"), True) == (Status.ON_TRACK, "超序时进度0.1个百分点")


@pytest.mark.parametrize("gap", ["-0.000000000001", "-0.049999999999", "0E-12"])
def test_behind_by_a_hair_still_says_behind(gap: str):
    # The judgement is exact; "落后0.0个百分点" would contradict itself.
    assert judge(False, Decimal(gap), True) == (Status.BEHIND, "落后序时进度不足0.1个百分点")


def test_a_hair_behind_from_real_figures():
    # 41.66 of 100 in May: 41.66 − 41.666… = −0.0067 points.
    assert words("41.66", "100", 5) == (Status.BEHIND, "落后序时进度不足0.1个百分点")


def test_without_a_target_there_is_no_judgement():
    assert judge(None, None, False) == (Status.NO_TARGET, "无目标")


def test_a_target_without_a_cumulative_value_is_not_called_no_target():
    status, text = judge(None, None, True)
    assert status is Status.UNKNOWN
    assert "无目标" not in text


def test_a_judgement_without_a_gap_still_says_which_way():
    assert judge(True, None, True) == (Status.ON_TRACK, "达序时进度")
    assert judge(False, None, True) == (Status.BEHIND, "落后序时进度")


# ---------------------------------------------------------------- growth targets and stocks


def test_without_an_absolute_target_the_status_is_said_against_the_growth_target():
    assert judge_item(None, None, False, growth_on_track=True, growth_gap_pp=Decimal("2"), has_growth_target=True) == (
        Status.ON_TRACK,
        "增速高于目标2.0个百分点",
    )
    assert judge_item(
        None, None, False, growth_on_track=False, growth_gap_pp=Decimal("-0.45"), has_growth_target=True
    ) == (Status.BEHIND, "增速低于目标0.5个百分点")
    assert judge_item(
        None, None, False, growth_on_track=True, growth_gap_pp=Decimal("0.04"), has_growth_target=True
    ) == (
        Status.ON_TRACK,
        "增速达到目标",
    )
    # Below is judged exactly: 0.04 points short still reads as short.
    assert judge_item(
        None, None, False, growth_on_track=False, growth_gap_pp=Decimal("-0.04"), has_growth_target=True
    ) == (Status.BEHIND, "增速低于目标不足0.1个百分点")
    assert judge_item(None, None, False, has_growth_target=True) == (Status.UNKNOWN, "增速缺失，无法对比增长目标")
    assert judge_item(None, None, False) == (Status.NO_TARGET, "无目标")


def test_an_absolute_target_speaks_first_and_a_stock_says_its_completion():
    assert judge_item(True, Decimal("3.45"), True, growth_on_track=False, growth_gap_pp=Decimal("-1")) == (
        Status.ON_TRACK,
        "超序时进度3.5个百分点",
    )
    assert judge_item(None, None, True, stock_completion_pct=Decimal("80")) == (
        Status.UNKNOWN,
        "完成目标80.0%（期末数，不对比序时进度）",
    )
