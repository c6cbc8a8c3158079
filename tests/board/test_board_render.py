"""The board's pure parts: parameters, number formats, sections and their order. No database, no browser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from indicators_core.catalog import load_catalog
from query.board import (
    ALERT_ROWS_SHOWN,
    _templates,
    alerts_panel,
    build_sections,
    format_pct,
    format_value,
    parse_query,
    period_label,
    zone_row,
)
from query.schemas import ProgressItem
from query.wording import Status
from tests.board.reading import read_board

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

    _, problems = parse_query("2101", "0", None, ["gross_output"], CATALOG)
    assert [(p.field, p.reason) for p in problems] == [
        ("year", "2101 is not between 1990 and 2100"),
        ("month", "0 is not between 1 and 12"),
        ("indicator", f"unknown indicator 'gross_output' (known: {', '.join(CATALOG.codes())})"),
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


def alert(rule: str, severity: str, indicator: str = "export", period: date = date(2020, 1, 1), **figures: str) -> dict:
    fired = datetime(2020, 6, 15, 1, 30, tzinfo=UTC)  # 09:30 in Beijing
    return {
        "rule": rule, "zone": "甲", "indicator": indicator, "period": period, "severity": severity,
        "message": f"{rule} 的说明", "figures": figures, "fired_at": fired, "updated_at": fired + timedelta(days=1),
    }  # fmt: skip


def test_alert_rows_in_words_and_counted_by_level():
    records = [
        alert("behind_schedule", "critical", "industrial_output", month="6"),
        alert("implausible", "warning", "manufacturing_investment", date(2020, 5, 1), month="5"),
        alert("negative_growth", "info", month="1"),
        alert("late_report", "warning", "import", date(2020, 4, 1)),
        alert("retired_rule", "warning", "retired_code", date(2020, 3, 1)),
    ]
    panel = alerts_panel(2020, records, CATALOG)
    assert [(r.severity, r.severity_zh, r.indicator_name, r.rule_zh, r.period_text) for r in panel.rows] == [
        ("critical", "严重", "规上工业产值", "落后序时进度", "2020年1-6月"),
        ("warning", "预警", "制造业投资", "数据不合理", "2020年5月"),
        ("info", "提示", "出口额", "增速为负或低于目标", "2020年1月"),
        ("warning", "预警", "进口额", "数据迟报", "2020年4月"),
        ("warning", "预警", "retired_code", "retired_rule", "2020年3月"),  # unknown to this version: as stored
    ]
    assert (panel.rows[0].fired_text, panel.rows[0].updated_text) == ("2020-06-15 09:30", "2020-06-16 09:30")
    assert panel.counts == [("critical", "严重", 1), ("warning", "预警", 3), ("info", "提示", 1)]
    assert (panel.total, panel.hidden) == (5, 0)


def render_board(records: list[dict]) -> str:
    """The page as the route renders it, with no progress rows: only the alerts section (or the empty page)."""
    return _templates.get_template("board.html").render(
        refresh_s=60, year=2020, month=5, period="1-5月", time_progress="41.7%", marker_left="41.67", zones=None,
        indicator_names=[], sections=[], on_track=0, total=0, latest_report=None,
        alerts=alerts_panel(2020, records, CATALOG),
    )  # fmt: skip


def test_a_wall_screen_lists_the_first_alerts_and_says_how_many_more():
    records = [alert("late_report", "warning", "export", date(2020, month, 1)) for month in range(1, 13)]
    html = render_board(records)
    assert '<section class="alerts warning" id="alerts"' in html  # the edge in the most severe level's colour
    board = read_board(html)
    assert len(board.alerts) == ALERT_ROWS_SHOWN == 5
    assert board.alerts[0].words == ("预警", "甲", "出口额", "数据迟报", "2020年1月", "late_report 的说明")
    assert board.texts["alerts-more"] == (
        "另有7条预警未列出（共12条，只列最严重、最近变化的5条；按园区或指标筛选可缩小范围）。"
    )
    assert board.alert_counts == {"critical": "严重 0", "warning": "预警 12", "info": "提示 0"}


def test_alert_text_is_escaped():
    record = alert("implausible", "warning") | {"zone": "<b>甲</b>", "message": "a < b & c"}
    html = render_board([record])
    assert "<b>甲</b>" not in html and "&lt;b&gt;甲&lt;/b&gt;" in html
    assert read_board(html).alerts[0].words[5] == "a < b & c"


def test_no_alert_and_no_progress_leaves_the_page_to_its_empty_state():
    board = read_board(render_board([]))
    assert "alerts" not in board.texts and board.texts["empty"].startswith("暂无数据")
