"""Every board query, expanded as Grafana expands it, on data that went through the real pipeline.

The seed (tests/dashboards/seed.py, with the arithmetic worked out by hand) is posted to the ingest
API and processed by the real processor into the session's PostgreSQL; then each panel's SQL is
expanded by grafana_sql.render_sql with the variable values and time range a person would choose,
run on a read-only connection (Grafana's role only reads), and its figures compared with the seed's.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from indicators_core.catalog import load_catalog
from tests.dashboards import seed
from tests.dashboards.grafana_sql import (
    ALL,
    OVERVIEW,
    RANKINGS,
    SQL_BOARDS,
    ZONE_DETAIL,
    dashboard_queries,
    iter_panels,
    load_dashboard,
    render_sql,
    repeat_variables,
)
from tests.dashboards.panels import YEAR_2009, YEAR_2022, panel_rows, pick, resolve_variables, run
from tests.dashboards.seed import NAME_A, NAME_B, ZONE_A, ZONE_B, ZONE_C, ZONES
from tests.support import Pipeline, alert_state, wait_for

pytestmark = pytest.mark.integration


D = Decimal


@pytest.fixture(scope="module")
def board_db(pipeline: Pipeline) -> str:
    """The pipeline's database once the seed has gone through ingest → Kafka → processor (and the alert evaluator)."""
    registered = httpx.put(
        f"{pipeline.ingest_url}/v1/zones",
        json={"zones": seed.zone_rows()},
        headers={"Authorization": f"Bearer {pipeline.admin_key}"},
        timeout=30,
    )
    assert registered.status_code == 202, registered.text

    def names() -> dict[str, str]:
        with psycopg.connect(pipeline.database_url) as conn:
            return dict(conn.execute("SELECT code, name_zh FROM zones WHERE code = ANY(%s)", (list(ZONES),)).fetchall())

    # Registered before the figures: the alert messages name the zones too.
    wait_for(lambda: names() == seed.NAMES, timeout=60, what="the seed's zones registered", last=names)
    accepted = pipeline.post_observations(seed.observation_rows())
    assert accepted.status_code == 202, accepted.text
    targets = pipeline.put_targets(seed.target_rows())
    assert targets.status_code == 202, targets.text

    def counts() -> tuple[int, ...]:
        with psycopg.connect(pipeline.database_url) as conn:
            progress = conn.execute(
                "SELECT count(*), count(target_value), count(growth_target_pct), count(ytd_last_year) FROM progress"
                " WHERE zone = ANY(%s)",
                (list(ZONES),),
            ).fetchone()
            (stored_targets,) = conn.execute(
                "SELECT count(*) FROM targets WHERE zone = ANY(%s)", (list(ZONES),)
            ).fetchone()
            (stored_growth,) = conn.execute(
                "SELECT count(*) FROM growth_targets WHERE zone = ANY(%s)", (list(ZONES),)
            ).fetchone()
        return (*progress, stored_targets, stored_growth)

    expected = (
        seed.PROGRESS_ROWS,
        seed.ROWS_WITH_TARGET,
        seed.ROWS_WITH_GROWTH_TARGET,
        seed.ROWS_WITH_LAST_YEAR,
        len(seed.TARGETS),
        len(seed.GROWTH_TARGETS),
    )
    wait_for(lambda: counts() == expected, timeout=120, what=f"the seed processed {expected}", last=counts)
    wait_for(
        lambda: alert_state(pipeline.database_url, ZONES) == seed.ALERTS,
        timeout=120,
        what=f"the seed's alerts {sorted(seed.ALERTS)}",
        last=lambda: sorted(alert_state(pipeline.database_url, ZONES)),
    )
    return pipeline.database_url


@pytest.fixture()
def conn(board_db: str):
    with psycopg.connect(board_db, autocommit=True) as connection:
        # As Grafana's grafana_reader role: a board query must not write.
        connection.execute("SET default_transaction_read_only = on")
        yield connection


# ------------------------------------------------------------------ every query of every board


@pytest.mark.parametrize("path", SQL_BOARDS, ids=[p.name for p in SQL_BOARDS])
def test_every_query_of_every_board_runs_as_the_board_loads(conn, path: Path):
    """Default selections (first option or All), each repeated panel once per option: no query fails,
    time series come sorted by time (Grafana requires it), table columns are unique."""
    dashboard = load_dashboard(path)
    values, specs = resolve_variables(conn, dashboard, {}, YEAR_2022)
    panels = {panel["id"]: panel for panel in iter_panels(dashboard["panels"])}
    repeats = repeat_variables(dashboard)
    ran = 0
    for query in dashboard_queries(path):
        panel = panels[query.panel_id]
        repeat = repeats.get(query.panel_id)
        scopes = [{}]
        if repeat:
            chosen = values[repeat]
            scopes = [{repeat: option} for option in (specs[repeat].options if chosen in (ALL, [ALL]) else chosen)]
        target = next(t for t in panel["targets"] if t.get("refId") == query.ref_id)
        for scope in scopes:
            sql = render_sql(query.raw_sql, {**values, **scope}, *YEAR_2022, specs=specs, timescaledb=False)
            columns, rows = run(conn, sql)
            assert len(columns) == len(set(columns)), (path.name, query.panel_title, columns)
            if target.get("format") == "time_series":
                assert "time" in columns, (path.name, query.panel_title)
                times = [row[columns.index("time")] for row in rows]
                assert times == sorted(times), (path.name, query.panel_title)
            ran += 1
    assert ran >= len(dashboard_queries(path))


# ------------------------------------------------------------------ 半年红 overview

MAY = {"year": "2022", "month": "5", "zone": list(ZONES), "indicator": [ALL]}
OVERVIEW_COLUMNS = (
    "开发区",
    "指标",
    "单位",
    "累计值",
    "年度目标",
    "增长目标（%）",
    "完成率（%）",
    "序时进度（%）",
    "与序时进度差（百分点）",
    "同比增长（%）",
    "状态",
)


def test_overview_variables_offer_the_years_months_and_zones_with_data(conn):
    dashboard = load_dashboard(OVERVIEW)
    values, specs = resolve_variables(conn, dashboard, {"year": "2022"}, YEAR_2022)
    assert specs["zone"].options == ZONES  # code-point order of the codes
    assert specs["month"].options == ("5", "4", "3")  # latest first: the default is the latest month
    assert values["month"] == "5"
    assert {"2022", "2021"} <= set(specs["year"].options)
    assert specs["indicator"].options[:2] == ("industrial_output", "fixed_asset_investment")  # catalog order
    month_sql = render_sql(dashboard["templating"]["list"][1]["query"], {"year": "2022"}, *YEAR_2022)
    assert run(conn, month_sql)[1] == [(5, "1-5月"), (4, "1-4月"), (3, "1-3月")]
    # 开发区 shows a registered zone by its name, the value stays the code the queries filter on.
    zone_sql = render_sql(dashboard["templating"]["list"][2]["query"], {"year": "2022"}, *YEAR_2022)
    shown = [row for row in run(conn, zone_sql)[1] if row[0] in ZONES]
    assert shown == [(ZONE_A, NAME_A), (ZONE_B, NAME_B), (ZONE_C, ZONE_C)]


def test_overview_may_every_zone_and_indicator_lagging_first(conn):
    rows = panel_rows(conn, OVERVIEW, 3, MAY)
    assert pick(rows, *OVERVIEW_COLUMNS) == [
        # Judged on its growth target (no absolute one): 5.0 points below, the largest shortfall.
        (NAME_B, "进出口总额", "亿元", D("105"), None, D("10.0"), None, D("41.7"), None, D("5.0"),
         "增速低于目标5.0个百分点"),
        (NAME_B, "规上工业产值", "亿元", D("300"), D("800"), None, D("37.5"), D("41.7"), D("-4.2"), D("-6.3"),
         "落后序时进度4.2个百分点"),
        (NAME_A, "招商引资签约项目", "个", D("20"), D("53"), None, D("37.7"), D("41.7"), D("-3.9"), D("25.0"),
         "落后序时进度3.9个百分点"),
        (NAME_A, "规上工业产值", "亿元", D("472.5"), D("1050"), None, D("45.0"), D("41.7"), D("3.3"), D("12.5"),
         "飘红（超序时进度3.3个百分点）"),
        (NAME_A, "进出口总额", "亿元", D("224"), None, D("10.0"), None, D("41.7"), None, D("12.0"),
         "飘红（增速高于目标2.0个百分点）"),
        (NAME_B, "招商引资签约项目", "个", D("18"), D("40"), None, D("45.0"), D("41.7"), D("3.3"), D("0.0"),
         "飘红（超序时进度3.3个百分点）"),
        (ZONE_C, "规上工业产值", "亿元", D("250"), D("600"), None, D("41.7"), D("41.7"), D("0.0"), D("25.0"),
         "飘红（达序时进度）"),
        (NAME_A, "固定资产投资", "亿元", None, D("100"), None, None, D("41.7"), None, None, "本月未报送"),
        # A growth target and no report: 本月未报送 too. 地区生产总值 (quarterly) is not due in May: not listed.
        (ZONE_C, "进出口总额", "亿元", None, None, D("8.0"), None, D("41.7"), None, None, "本月未报送"),
        (ZONE_C, "招商引资签约项目", "个", D("5"), None, None, None, D("41.7"), None, None, "无目标"),
    ]  # fmt: skip
    # The link to the zone's detail board carries the code, from the hidden column.
    assert [row["zone_code"] for row in rows] == [
        ZONE_B, ZONE_B, ZONE_A, ZONE_A, ZONE_A, ZONE_B, ZONE_C, ZONE_A, ZONE_C, ZONE_C
    ]  # fmt: skip


def test_overview_april_orders_by_shortfall_and_names_unreported_targets(conn):
    rows = panel_rows(conn, OVERVIEW, 3, {**MAY, "month": "4"})
    assert pick(
        rows, "开发区", "指标", "完成率（%）", "序时进度（%）", "与序时进度差（百分点）", "同比增长（%）", "状态"
    ) == [
        (NAME_A, "固定资产投资", D("30.0"), D("33.3"), D("-3.3"), D("25.0"), "落后序时进度3.3个百分点"),
        (ZONE_C, "规上工业产值", D("31.7"), D("33.3"), D("-1.7"), D("18.8"), "落后序时进度1.7个百分点"),
        (NAME_A, "规上工业产值", D("36.2"), D("33.3"), D("2.9"), D("8.6"), "飘红（超序时进度2.9个百分点）"),
        (NAME_B, "规上工业产值", D("36.3"), D("33.3"), D("2.9"), D("-3.3"), "飘红（超序时进度2.9个百分点）"),
        (NAME_A, "进出口总额", None, D("33.3"), None, None, "本月未报送"),
        (NAME_A, "招商引资签约项目", None, D("33.3"), None, None, "本月未报送"),
        (NAME_B, "进出口总额", None, D("33.3"), None, None, "本月未报送"),
        (NAME_B, "招商引资签约项目", None, D("33.3"), None, None, "本月未报送"),
        (ZONE_C, "进出口总额", None, D("33.3"), None, None, "本月未报送"),
    ]


def test_overview_first_quarter_judges_a_quarterly_indicator(conn):
    """March is 1季度's month: 地区生产总值 against 25.0% (1/4), or against its growth target when it has no other."""
    gdp = {**MAY, "month": "3", "indicator": ["gdp"]}
    assert pick(panel_rows(conn, OVERVIEW, 3, gdp), *OVERVIEW_COLUMNS) == [
        (NAME_A, "地区生产总值", "亿元", D("2700"), D("15000"), D("6.0"), D("18.0"), D("25.0"), D("-7.0"), D("8.0"),
         "落后序时进度7.0个百分点"),
        (NAME_B, "地区生产总值", "亿元", D("1075"), None, D("7.0"), None, D("25.0"), None, D("7.5"),
         "飘红（增速高于目标0.5个百分点）"),
    ]  # fmt: skip
    counts = panel_rows(conn, OVERVIEW, 2, {**MAY, "month": "3"})
    # No monthly report in March: every monthly series with a target is 本月未报送, so not judgeable.
    assert pick(counts, "指标", "飘红区数", "落后区数", "未能判断区数", "无目标区数", "飘红情况") == [
        ("规上工业产值", 0, 0, 3, 0, "无可判断的开发区"),
        ("固定资产投资", 0, 0, 1, 0, "无可判断的开发区"),
        ("进出口总额", 0, 0, 3, 0, "无可判断的开发区"),
        ("招商引资签约项目", 0, 0, 2, 0, "无可判断的开发区"),
        ("地区生产总值", 1, 1, 0, 0, "1/2个区飘红"),
    ]


def test_overview_words_agree_with_the_query_api(conn, pipeline: Pipeline):
    for month in (3, 5):
        board = {
            (row["开发区"], row["指标"]): row["状态"]
            for row in panel_rows(conn, OVERVIEW, 3, {**MAY, "month": str(month)})
            if row["状态"] != "本月未报送"
        }
        response = httpx.get(
            f"{pipeline.query_url}/v1/progress",
            params={"year": 2022, "month": month, "zone": list(ZONES)},
            timeout=10,
        )
        response.raise_for_status()
        api = {}
        for item in response.json()["items"]:
            words = item["status_zh"]
            shown = f"飘红（{words}）" if item["status"] == "on_track" else words
            api[(item["zone_name"] or item["zone"], item["indicator_name"])] = shown
        assert board == api, month


def test_overview_counts_zones_on_track_per_indicator(conn):
    rows = panel_rows(conn, OVERVIEW, 2, MAY)
    assert pick(rows, "指标", "飘红区数", "落后区数", "未能判断区数", "无目标区数", "飘红情况") == [
        ("规上工业产值", 2, 1, 0, 0, "2/3个区飘红"),
        ("固定资产投资", 0, 0, 1, 0, "无可判断的开发区"),
        # Growth targets only: A above (飘红), B below (落后), C's not reported (未能判断): none is 无目标.
        ("进出口总额", 1, 1, 1, 0, "1/2个区飘红"),
        ("招商引资签约项目", 1, 1, 0, 1, "1/2个区飘红"),
    ]


def test_overview_filters_by_zone_and_indicator(conn):
    rows = panel_rows(conn, OVERVIEW, 3, {**MAY, "zone": [ZONE_C], "indicator": ["industrial_output"]})
    assert pick(rows, "开发区", "指标", "状态") == [(ZONE_C, "规上工业产值", "飘红（达序时进度）")]
    counts = panel_rows(conn, OVERVIEW, 2, {**MAY, "zone": [ZONE_A, ZONE_B], "indicator": ["industrial_output"]})
    assert pick(counts, "指标", "飘红区数", "落后区数", "飘红情况") == [("规上工业产值", 1, 1, "1/2个区飘红")]


def test_overview_month_without_data_says_so(conn):
    june = {**MAY, "month": "6"}
    assert pick(panel_rows(conn, OVERVIEW, 3, june), *OVERVIEW_COLUMNS) == [(None,) * 10 + ("本月暂无数据",)]
    assert pick(panel_rows(conn, OVERVIEW, 2, june), "指标", "飘红情况") == [(None, "本月暂无数据")]


def test_overview_year_without_any_data_still_runs(conn):
    """No month option ('' selected) and All zones with no option: Grafana sends '' and an empty list."""
    chosen = {"year": "2009", "indicator": [ALL]}  # month and zone as the board resolves them
    values, specs = resolve_variables(conn, load_dashboard(OVERVIEW), chosen, YEAR_2009)
    assert values["month"] == "" and specs["zone"].options == ()
    assert pick(panel_rows(conn, OVERVIEW, 3, chosen, YEAR_2009), "状态") == [("本月暂无数据",)]
    assert pick(panel_rows(conn, OVERVIEW, 2, chosen, YEAR_2009), "飘红情况") == [("本月暂无数据",)]


ALERT_COLUMNS = ("级别", "开发区", "指标", "规则", "期间", "说明")


def test_overview_alerts_name_zones_and_say_quarters(conn):
    """The seed's open alerts of 2022: registered zones by name; 地区生产总值's 期间 as bulletins say 1季度."""
    rows = panel_rows(conn, OVERVIEW, 4, {**MAY, "month": "5"})
    expected_warnings = {
        ("预警", NAME_A, "地区生产总值", "落后序时进度", "2022年一季度",
         "看板甲开发区 地区生产总值 2022年1季度完成率18.0%，落后序时进度7.0个百分点"
         "（序时进度25.0%，累计2700亿元，全年目标15000亿元）"),
        ("预警", NAME_B, "规上工业产值", "增速为负或低于目标", "2022年1-5月",
         "看板乙高新区 规上工业产值 2022年1-5月累计300亿元，同比下降6.3%（上年同期320亿元）"),
    }  # fmt: skip
    # Warnings before the info (their order among themselves: the latest change first, as the pipeline ran).
    assert set(pick(rows[:2], *ALERT_COLUMNS)) == expected_warnings
    assert pick(rows[2:], *ALERT_COLUMNS) == [
        ("提示", NAME_B, "进出口总额", "增速为负或低于目标", "2022年1-5月",
         "看板乙高新区 进出口总额 2022年1-5月累计105亿元，同比增长5.0%，低于增长目标10.0%（上年同期100亿元）"),
    ]  # fmt: skip
    assert {row["zone_code"] for row in rows} == {ZONE_A, ZONE_B}  # what the link to zone-detail carries


# ------------------------------------------------------------------ rankings

RANK_MAY = {"year": "2022", "month": "5", "indicator": "industrial_output", "zone": list(ZONES)}


def test_completion_ranking_with_the_change_since_last_month(conn):
    rows = panel_rows(conn, RANKINGS, 2, RANK_MAY)
    assert pick(rows, "排名", "开发区", "完成率（%）", "序时进度（%）", "状态", "上期排名", "较上期", "名次变化") == [
        (1, NAME_A, D("45.0"), D("41.7"), "飘红（超序时进度3.3个百分点）", 2, "上升1位", 1),
        (2, ZONE_C, D("41.7"), D("41.7"), "飘红（达序时进度）", 3, "上升1位", 1),
        (3, NAME_B, D("37.5"), D("41.7"), "落后序时进度4.2个百分点", 1, "下降2位", -2),
    ]


def test_growth_ranking_with_the_change_since_last_month(conn):
    rows = panel_rows(conn, RANKINGS, 3, RANK_MAY)
    assert pick(rows, "排名", "开发区", "累计值", "上年同期", "单位", "同比增长（%）", "上期排名", "较上期") == [
        (1, ZONE_C, D("250"), D("200"), "亿元", D("25.0"), 1, "持平"),
        (2, NAME_A, D("472.5"), D("420"), "亿元", D("12.5"), 2, "持平"),
        (3, NAME_B, D("300"), D("320"), "亿元", D("-6.3"), 3, "持平"),
    ]


def test_first_month_of_data_has_no_previous_rank(conn):
    rows = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "month": "4"})
    assert pick(rows, "排名", "开发区", "完成率（%）", "上期排名", "较上期") == [
        (1, NAME_B, D("36.3"), None, None),  # 290 / 800 = 36.25 → 36.3, half up
        (2, NAME_A, D("36.2"), None, None),  # 380 / 1050 = 36.19
        (3, ZONE_C, D("31.7"), None, None),
    ]


def test_ranks_are_among_the_chosen_zones(conn):
    rows = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "zone": [ZONE_A, ZONE_C]})
    assert pick(rows, "排名", "开发区", "上期排名", "较上期") == [(1, NAME_A, 1, "持平"), (2, ZONE_C, 2, "持平")]


def test_ranking_of_a_count_indicator_lists_zones_without_a_figure_last_unranked(conn):
    rows = panel_rows(conn, RANKINGS, 3, {**RANK_MAY, "indicator": "signed_projects"})
    # C has no 2021 figure: no growth, so no growth rank (never a rank on a made-up zero); listed last.
    assert pick(rows, "排名", "开发区", "同比增长（%）", "单位") == [
        (1, NAME_A, D("25.0"), "个"),
        (2, NAME_B, D("0.0"), "个"),
        (None, ZONE_C, None, "个"),
    ]
    completion = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "indicator": "signed_projects"})
    assert pick(completion, "排名", "开发区", "完成率（%）") == [
        (1, NAME_B, D("45.0")),
        (2, NAME_A, D("37.7")),
        (None, ZONE_C, None),  # no target for signed projects: no completion, no rank
    ]


def test_completion_bars_against_time_progress(conn):
    rows = panel_rows(conn, RANKINGS, 4, RANK_MAY)
    assert pick(rows, "开发区", "完成率（%）", "序时进度（%）") == [
        (NAME_A, D("45.0"), D("41.7")),
        (ZONE_C, D("41.7"), D("41.7")),
        (NAME_B, D("37.5"), D("41.7")),
    ]


def test_rankings_month_without_data_says_so(conn):
    june = {**RANK_MAY, "month": "6"}
    assert pick(panel_rows(conn, RANKINGS, 2, june), "排名", "开发区", "较上期") == [(None, "本月暂无数据", None)]
    assert pick(panel_rows(conn, RANKINGS, 3, june), "排名", "开发区") == [(None, "本月暂无数据")]
    assert panel_rows(conn, RANKINGS, 4, june) == []  # the bar chart shows its noValue: 本月暂无数据


def test_rankings_zone_variable_offers_zones_by_name(conn):
    dashboard = load_dashboard(RANKINGS)
    zone = next(variable for variable in dashboard["templating"]["list"] if variable["name"] == "zone")
    shown = [row for row in run(conn, render_sql(zone["query"], {"year": "2022"}, *YEAR_2022))[1] if row[0] in ZONES]
    assert shown == [(ZONE_A, NAME_A), (ZONE_B, NAME_B), (ZONE_C, ZONE_C)]  # value: the code; text: the name


# ------------------------------------------------------------------ zone detail

ZONE_A_ALL = {"zone": ZONE_A, "indicator": [ALL]}


def series(rows: list[dict[str, Any]]) -> dict[str, list[tuple[str, Decimal]]]:
    """Long-format time series as Grafana turns them into one series per metric: metric → [(month, value)]."""
    found: dict[str, list[tuple[str, Decimal]]] = {}
    for row in rows:
        found.setdefault(row["metric"], []).append((row["time"].strftime("%Y-%m"), row["value"]))
    return found


def test_zone_detail_variables(conn):
    dashboard = load_dashboard(ZONE_DETAIL)
    values, specs = resolve_variables(conn, dashboard, {"zone": ZONE_A}, YEAR_2022)
    assert specs["indicator"].options == (
        "industrial_output",
        "fixed_asset_investment",
        "import_export",
        "signed_projects",
        "gdp",
    )  # catalog order
    assert ZONE_A in specs["zone"].options
    assert values["indicator"] == [ALL]
    # 开发区 by name (the title says ${zone:text}); the value the queries use stays the code.
    zone_sql = render_sql(dashboard["templating"]["list"][0]["query"], {}, *YEAR_2022)
    shown = [row for row in run(conn, zone_sql)[1] if row[0] in ZONES]
    assert shown == [(ZONE_A, NAME_A), (ZONE_B, NAME_B), (ZONE_C, ZONE_C)]
    panels = {panel["id"]: panel for panel in iter_panels(dashboard["panels"])}
    assert panels[1]["title"].startswith("${zone:text}")


def test_zone_detail_latest_progress_of_each_indicator(conn):
    rows = panel_rows(conn, ZONE_DETAIL, 1, ZONE_A_ALL)
    columns = ("指标", "期间", "累计值", "年度目标", "增长目标（%）", "完成率（%）", "同比增长（%）", "状态")
    assert pick(rows, *columns) == [
        # Quarterly: its latest period is 1季度, said as bulletins say it; 7.0 points behind: the largest shortfall.
        ("地区生产总值", "2022年一季度", D("2700"), D("15000"), D("6.0"), D("18.0"), D("8.0"), "落后序时进度7.0个百分点"),
        ("招商引资签约项目", "2022年1-5月", D("20"), D("53"), None, D("37.7"), D("25.0"), "落后序时进度3.9个百分点"),
        ("固定资产投资", "2022年1-4月", D("30"), D("100"), None, D("30.0"), D("25.0"), "落后序时进度3.3个百分点"),
        ("规上工业产值", "2022年1-5月", D("472.5"), D("1050"), None, D("45.0"), D("12.5"),
         "飘红（超序时进度3.3个百分点）"),
        ("进出口总额", "2022年1-5月", D("224"), None, D("10.0"), None, D("12.0"), "飘红（增速高于目标2.0个百分点）"),
    ]  # fmt: skip
    b_rows = panel_rows(conn, ZONE_DETAIL, 1, {"zone": ZONE_B, "indicator": [ALL]})
    assert pick(b_rows, "指标", "期间", "状态") == [
        ("进出口总额", "2022年1-5月", "增速低于目标5.0个百分点"),
        ("规上工业产值", "2022年1-5月", "落后序时进度4.2个百分点"),
        ("招商引资签约项目", "2022年1-5月", "飘红（超序时进度3.3个百分点）"),
        ("地区生产总值", "2022年一季度", "飘红（增速高于目标0.5个百分点）"),
    ]


def test_zone_detail_cumulative_against_last_year_and_the_target_path(conn):
    # Under a row repeated by indicator: Grafana renders it once per indicator, with that one value.
    assert repeat_variables(load_dashboard(ZONE_DETAIL)) == {2: "indicator", 3: "indicator"}
    rows = panel_rows(conn, ZONE_DETAIL, 2, {"zone": ZONE_A, "indicator": "industrial_output"})
    found = series(rows)
    assert found["本年累计（亿元）"] == [("2022-04", D("380")), ("2022-05", D("472.5"))]
    assert found["上年同期累计（亿元）"] == [("2022-04", D("350")), ("2022-05", D("420"))]
    # 1050 × month / 12, every month of the range (December 2021 is outside "This year" in UTC+8).
    assert found["目标序时进度线（亿元）"] == [(f"2022-{m:02d}", D(1050) * m / 12) for m in range(1, 13)]
    assert dict(found["目标序时进度线（亿元）"])["2022-05"] == D("437.5")
    assert set(found) == {"本年累计（亿元）", "上年同期累计（亿元）", "目标序时进度线（亿元）"}
    gdp = series(panel_rows(conn, ZONE_DETAIL, 2, {"zone": ZONE_A, "indicator": "gdp"}))
    assert gdp["本年累计（亿元）"] == [("2022-03", D("2700"))]
    assert gdp["上年同期累计（亿元）"] == [("2022-03", D("2500"))]
    assert dict(gdp["目标序时进度线（亿元）"])["2022-03"] == D("3750")  # 15000 × 3 / 12: a quarter of the year


def test_zone_detail_monthly_values_leave_unknown_months_out(conn):
    found = series(panel_rows(conn, ZONE_DETAIL, 3, {"zone": ZONE_A, "indicator": "industrial_output"}))
    # May alone = 472.5 − 380; April alone is unknown (no March report): missing, never zero.
    assert found == {"本年当月（亿元）": [("2022-05", D("92.5"))], "上年同月（亿元）": [("2022-05", D("70"))]}
    counts = series(panel_rows(conn, ZONE_DETAIL, 2, {"zone": ZONE_A, "indicator": "signed_projects"}))
    assert counts["本年累计（个）"] == [("2022-05", D("20"))]
    assert dict(counts["目标序时进度线（个）"])["2022-05"] == D("22.08")  # 53 × 5 / 12 = 22.083…
    # A quarterly indicator's own value is the quarter's (1季度 alone = 1季度 累计), drawn at the quarter's last month.
    quarters = series(panel_rows(conn, ZONE_DETAIL, 3, {"zone": ZONE_A, "indicator": "gdp"}))
    assert quarters == {"本年当季（亿元）": [("2022-03", D("2700"))], "上年同季（亿元）": [("2022-03", D("2500"))]}


def test_zone_detail_growth_trend(conn):
    found = series(panel_rows(conn, ZONE_DETAIL, 4, ZONE_A_ALL))
    assert found == {
        "规上工业产值": [("2022-04", D("8.6")), ("2022-05", D("12.5"))],
        "固定资产投资": [("2022-04", D("25.0"))],
        "进出口总额": [("2022-05", D("12.0"))],
        "招商引资签约项目": [("2022-05", D("25.0"))],
        "地区生产总值": [("2022-03", D("8.0"))],
    }


def test_zone_detail_completion_against_time_progress_by_month(conn):
    found = series(panel_rows(conn, ZONE_DETAIL, 5, ZONE_A_ALL))
    assert found["规上工业产值 完成率"] == [("2022-04", D("36.2")), ("2022-05", D("45.0"))]
    assert found["固定资产投资 完成率"] == [("2022-04", D("30.0"))]
    assert found["招商引资签约项目 完成率"] == [("2022-05", D("37.7"))]
    assert found["地区生产总值 完成率"] == [("2022-03", D("18.0"))]
    assert "进出口总额 完成率" not in found  # a growth target only: no completion
    assert [value for _, value in found["序时进度"]] == [
        D(v) for v in ("8.3", "16.7", "25.0", "33.3", "41.7", "50.0", "58.3", "66.7", "75.0", "83.3", "91.7", "100.0")
    ]


def test_zone_detail_range_without_data_says_so(conn):
    rows = panel_rows(conn, ZONE_DETAIL, 1, ZONE_A_ALL, YEAR_2009)
    assert pick(rows, "指标", "状态") == [(None, "所选时间范围内暂无数据")]
    assert panel_rows(conn, ZONE_DETAIL, 2, {"zone": ZONE_A, "indicator": "industrial_output"}, YEAR_2009) == []


def test_catalog_table_follows_the_catalog_file(conn):
    catalog = load_catalog()
    columns, rows = run(conn, "SELECT code, name_zh, unit, part_of, frequency FROM indicator_catalog ORDER BY position")
    assert rows == [(i.code, i.name_zh, i.unit, i.part_of, i.frequency) for i in catalog.indicators.values()]
    assert ("gdp", "quarter") in {(row[0], row[4]) for row in rows}
