"""The arithmetic of rankings, shares and roll-ups (query.rankings): pure, exact Decimals."""

from __future__ import annotations

from decimal import Decimal

from query.rankings import ChildFigures, Ranked, previous_period, rank, rank_change, rollup, share_pct

D = Decimal


def test_ties_share_a_rank_and_the_next_rank_skips():
    ranked = rank([("甲", D("50")), ("乙", D("62.5")), ("丙", D("50")), ("丁", D("12"))])
    assert ranked == [
        Ranked("乙", D("62.5"), 1),
        Ranked("丙", D("50"), 2),
        Ranked("甲", D("50"), 2),
        Ranked("丁", D("12"), 4),
    ]


def test_equal_is_exact_not_rounded():
    # 8.2000000001 and 8.2 both show as 8.2, but they are not a tie.
    assert [r.rank for r in rank([("a", D("8.2")), ("b", D("8.200000000001"))])] == [1, 2]


def test_unknown_values_come_last_without_a_rank_and_zero_is_a_value():
    ranked = rank([("c", None), ("a", D("0")), ("b", D("-3.5")), ("a2", None)])
    assert [(r.zone, r.rank) for r in ranked] == [("a", 1), ("b", 2), ("a2", None), ("c", None)]


def test_rank_change_is_previous_minus_current_in_words():
    assert rank_change(3, 2) == (1, "上升1位")
    assert rank_change(1, 3) == (-2, "下降2位")
    assert rank_change(2, 2) == (0, "持平")
    assert rank_change(None, 2) == (None, None)
    assert rank_change(2, None) == (None, None)


def test_the_previous_period_is_the_latest_earlier_month_with_data():
    assert previous_period([2, 3, 4], 3) == 2  # 固定资产投资: March follows 1-2月
    assert previous_period([3, 6, 9], 9) == 6  # quarterly
    assert previous_period([1, 2, 5], 5) == 2  # a gap is skipped over
    assert previous_period([2, 3], 2) is None  # the year's first period has none


def test_share_is_part_over_whole_to_twelve_decimals():
    assert share_pct(D("16.5"), D("120")) == D("13.750000000000")
    assert share_pct(D("1"), D("3")) == D("33.333333333333")
    assert share_pct(D("1"), D("0")) is None
    assert share_pct(None, D("3")) is None
    assert share_pct(D("1"), None) is None


def test_a_roll_up_grows_the_sums_of_the_children_with_both_years():
    summed = rollup(
        [
            ChildFigures("钱江", D("16.5"), D("15")),
            ChildFigures("余经", D("15"), D("12")),
            ChildFigures("临平", D("10.8"), D("9")),
            ChildFigures("新城", D("7.7"), None),  # new this year: in the sum, not in the growth
            ChildFigures("未报", None, None),
        ]
    )
    assert summed.ytd_value == D("50.0")
    assert summed.ytd_value_comparable == D("42.3")
    assert summed.ytd_last_year == D("36")
    assert summed.yoy_pct == D("17.500000000000")  # (42.3 − 36) / 36, not the mean of 10%, 25%, 20%
    assert (summed.children_reported, summed.children_total) == (4, 5)
    assert [(c.zone, c.share_pct, c.yoy_pct) for c in summed.children] == [
        ("钱江", D("33.000000000000"), D("10.000000000000")),
        ("余经", D("30.000000000000"), D("25.000000000000")),
        ("临平", D("21.600000000000"), D("20.000000000000")),
        ("新城", D("15.400000000000"), None),
        ("未报", None, None),
    ]


def test_a_roll_up_with_no_child_reported_is_unknown_not_zero():
    summed = rollup([ChildFigures("a", None, None), ChildFigures("b", None, D("3"))])
    assert (summed.ytd_value, summed.ytd_last_year, summed.yoy_pct) == (None, None, None)
    assert (summed.children_reported, summed.children_total) == (0, 2)
    assert rollup([]).children_total == 0
