"""The board's pure parts: parameters, number formats, sections and their order. No database, no browser."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from indicators_core.catalog import load_catalog
from query.board import build_sections, format_pct, format_value, parse_query, period_label, zone_row
from query.schemas import ProgressItem
from query.wording import Status

CATALOG = load_catalog()


def item(zone: str, indicator: str, completion: str | None, status: Status, status_zh: str, **figures) -> ProgressItem:
    known = CATALOG.get(indicator)
    values = {"ytd_value": None, "target_value": None, "yoy_pct": None} | {
        k: Decimal(v) if isinstance(v, str) else v for k, v in figures.items()
    }
    return ProgressItem(
        zone=zone, indicator=indicator, indicator_name=known.name_zh if known else indicator,
        unit=known.unit if known else None, period="2020-05", month_value=None, ytd_last_year=None,
        month_last_year=None, yoy_base=None, yoy_base_comparable=False, month_yoy_pct=None,
        completion_pct=None if completion is None else Decimal(completion), time_progress_pct=Decimal("41.7"),
        progress_gap_pp=None, on_track={Status.ON_TRACK: True, Status.BEHIND: False}.get(status),
        status=status, status_zh=status_zh, reported_at=None, computed_at=datetime(2020, 6, 10, tzinfo=UTC),
        **values,
    )  # fmt: skip


def test_parameters_are_checked_and_every_problem_named():
    query, problems = parse_query(" 2020 ", "5", ["甲", " ", "甲", "乙"], ["export", "export"], CATALOG)
    assert problems == []
    assert (query.year, query.month, query.zones, query.indicators) == (2020, 5, ["甲", "乙"], ["export"])

    query, problems = parse_query(None, "", None, [""], CATALOG)
    assert problems == [] and (query.year, query.month, query.zones, query.indicators) == (None, None, None, None)

    _, problems = parse_query("2101", "0", None, ["gdp"], CATALOG)
    assert [(p.field, p.reason) for p in problems] == [
        ("year", "2101 is not between 1990 and 2100"),
        ("month", "0 is not between 1 and 12"),
        ("indicator", f"unknown indicator 'gdp' (known: {', '.join(CATALOG.codes())})"),
    ]
    _, problems = parse_query("5.0", "May", None, None, CATALOG)
    assert [p.reason for p in problems] == ["'5.0' is not a whole number", "'May' is not a whole number"]


def test_values_are_shown_with_their_own_digits_and_percentages_as_rounded():
    assert format_value(Decimal("75.02")) == "75.02"
    assert format_value(Decimal("1234567.125000")) == "1,234,567.125000"  # as stored: no float, no trimming
    assert format_value(Decimal("0.1") + Decimal("0.2")) == "0.3"  # 0.30000000000000004 as a float
    assert format_value(None) == "—"
    assert format_pct(Decimal("8.2"), signed=True) == "+8.2%"
    assert format_pct(Decimal("-20.0"), signed=True) == "-20.0%"
    assert format_pct(Decimal("0.0"), signed=True) == "0.0%"
    assert format_pct(None, signed=True) == "—"
    assert [period_label(m) for m in (1, 2, 5, 12)] == ["1月", "1-2月", "1-5月", "1-12月"]


def test_a_row_says_its_status_in_words_and_marks():
    on = zone_row(
        item("甲", "industrial_output", "45.2", Status.ON_TRACK, "超序时进度3.5个百分点",
             ytd_value="75.02", target_value="166", yoy_pct="8.2"), "亿元",
    )  # fmt: skip
    assert (on.mark, on.status_text, on.completion_text) == ("✔", "飘红 · 超序时进度3.5个百分点", "45.2%")
    assert (on.ytd_text, on.target_text, on.yoy_text, on.bar_width, on.bar_over) == (
        "75.02 亿元", "166 亿元", "+8.2%", "45.2", False,
    )  # fmt: skip
    assert on.bar_label == "完成率45.2%，序时进度41.7%"

    behind = zone_row(item("乙", "export", "40.0", Status.BEHIND, "落后序时进度1.7个百分点"), "亿元")
    assert (behind.mark, behind.status_text, behind.ytd_text) == ("✘", "落后序时进度1.7个百分点", "—")

    over = zone_row(item("丙", "signed_projects", "120.0", Status.ON_TRACK, "超序时进度78.3个百分点"), "个")
    assert (over.bar_width, over.bar_over) == ("100", True)

    none = zone_row(item("丁", "export", None, Status.NO_TARGET, "无目标", ytd_value="3"), "亿元")
    assert (none.mark, none.status_text, none.target_text, none.completion_text) == ("—", "无目标", "无目标", "—")
    assert none.bar_label == "无完成率（无目标），序时进度41.7%"

    unknown = zone_row(item("戊", "export", None, Status.UNKNOWN, "累计数缺失，无法对比序时进度"), "亿元")
    assert (unknown.mark, unknown.status_text) == ("?", "累计数缺失，无法对比序时进度")


def test_sections_follow_the_catalog_and_keep_the_lagging_first_order():
    items = [
        item("乙", "signed_projects", "30.0", Status.BEHIND, "落后序时进度11.7个百分点"),
        item("乙", "industrial_output", "40.0", Status.BEHIND, "落后序时进度1.7个百分点"),
        item("甲", "industrial_output", "45.2", Status.ON_TRACK, "超序时进度3.5个百分点"),
        item("丙", "retired_code", "50.0", Status.ON_TRACK, "超序时进度8.3个百分点"),
        item("丙", "industrial_output", None, Status.NO_TARGET, "无目标"),
    ]
    sections = build_sections(items, CATALOG)
    assert [s.code for s in sections] == ["industrial_output", "signed_projects", "retired_code"]
    output = sections[0]
    assert (output.name, output.unit) == ("规上工业产值", "亿元")
    assert [row.zone for row in output.rows] == ["乙", "甲", "丙"]  # as the repository ordered them
    assert (output.on_track, len(output.rows)) == (1, 3)
    assert sections[2].name == "retired_code"  # dropped from the catalog: shown by its code, last
