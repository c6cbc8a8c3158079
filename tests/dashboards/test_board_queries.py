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
from tests.dashboards.seed import ZONE_A, ZONE_B, ZONE_C, ZONES
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration


D = Decimal


@pytest.fixture(scope="module")
def board_db(pipeline: Pipeline) -> str:
    """The pipeline's database once the seed has gone through ingest → Kafka → processor."""
    accepted = pipeline.post_observations(seed.observation_rows())
    assert accepted.status_code == 202, accepted.text
    targets = pipeline.put_targets(seed.target_rows())
    assert targets.status_code == 202, targets.text

    def counts() -> tuple[int, int, int, int]:
        with psycopg.connect(pipeline.database_url) as conn:
            progress = conn.execute(
                "SELECT count(*), count(target_value), count(ytd_last_year) FROM progress WHERE zone = ANY(%s)",
                (list(ZONES),),
            ).fetchone()
            (stored_targets,) = conn.execute(
                "SELECT count(*) FROM targets WHERE zone = ANY(%s)", (list(ZONES),)
            ).fetchone()
        return (*progress, stored_targets)

    expected = (seed.PROGRESS_ROWS, seed.ROWS_WITH_TARGET, seed.ROWS_WITH_LAST_YEAR, len(seed.TARGETS))
    wait_for(lambda: counts() == expected, timeout=120, what=f"the seed processed {expected}", last=counts)
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
    "完成率（%）",
    "序时进度（%）",
    "与序时进度差（百分点）",
    "同比增长（%）",
    "状态",
)


def test_overview_variables_offer_the_years_months_and_zones_with_data(conn):
    dashboard = load_dashboard(OVERVIEW)
    values, specs = resolve_variables(conn, dashboard, {"year": "2022"}, YEAR_2022)
    assert specs["zone"].options == ZONES  # code-point order
    assert specs["month"].options == ("5", "4")  # latest first: the default is the latest month
    assert values["month"] == "5"
    assert {"2022", "2021"} <= set(specs["year"].options)
    assert specs["indicator"].options[:2] == ("industrial_output", "fixed_asset_investment")  # catalog order
    month_sql = render_sql(dashboard["templating"]["list"][1]["query"], {"year": "2022"}, *YEAR_2022)
    assert run(conn, month_sql)[1] == [(5, "1-5月"), (4, "1-4月")]


def test_overview_may_every_zone_and_indicator_lagging_first(conn):
    rows = panel_rows(conn, OVERVIEW, 3, MAY)
    assert pick(rows, *OVERVIEW_COLUMNS) == [
        (
            ZONE_B,
            "规上工业产值",
            "亿元",
            D("300"),
            D("800"),
            D("37.5"),
            D("41.7"),
            D("-4.2"),
            D("-6.3"),
            "落后序时进度4.2个百分点",
        ),
        (
            ZONE_A,
            "招商引资签约项目",
            "个",
            D("20"),
            D("53"),
            D("37.7"),
            D("41.7"),
            D("-3.9"),
            D("25.0"),
            "落后序时进度3.9个百分点",
        ),
        (
            ZONE_A,
            "规上工业产值",
            "亿元",
            D("472.5"),
            D("1050"),
            D("45.0"),
            D("41.7"),
            D("3.3"),
            D("12.5"),
            "飘红（超序时进度3.3个百分点）",
        ),
        (
            ZONE_B,
            "招商引资签约项目",
            "个",
            D("18"),
            D("40"),
            D("45.0"),
            D("41.7"),
            D("3.3"),
            D("0.0"),
            "飘红（超序时进度3.3个百分点）",
        ),
        (
            ZONE_C,
            "规上工业产值",
            "亿元",
            D("250"),
            D("600"),
            D("41.7"),
            D("41.7"),
            D("0.0"),
            D("25.0"),
            "飘红（达序时进度）",
        ),
        (ZONE_A, "固定资产投资", "亿元", None, D("100"), None, D("41.7"), None, None, "本月未报送"),
        (ZONE_C, "招商引资签约项目", "个", D("5"), None, None, D("41.7"), None, None, "无目标"),
    ]


def test_overview_april_orders_by_shortfall_and_names_unreported_targets(conn):
    rows = panel_rows(conn, OVERVIEW, 3, {**MAY, "month": "4"})
    assert pick(
        rows, "开发区", "指标", "完成率（%）", "序时进度（%）", "与序时进度差（百分点）", "同比增长（%）", "状态"
    ) == [
        (ZONE_A, "固定资产投资", D("30.0"), D("33.3"), D("-3.3"), D("25.0"), "落后序时进度3.3个百分点"),
        (ZONE_C, "规上工业产值", D("31.7"), D("33.3"), D("-1.7"), D("18.8"), "落后序时进度1.7个百分点"),
        (ZONE_A, "规上工业产值", D("36.2"), D("33.3"), D("2.9"), D("8.6"), "飘红（超序时进度2.9个百分点）"),
        (ZONE_B, "规上工业产值", D("36.3"), D("33.3"), D("2.9"), D("-3.3"), "飘红（超序时进度2.9个百分点）"),
        (ZONE_A, "招商引资签约项目", None, D("33.3"), None, None, "本月未报送"),
        (ZONE_B, "招商引资签约项目", None, D("33.3"), None, None, "本月未报送"),
    ]


def test_overview_words_agree_with_the_query_api(conn, pipeline: Pipeline):
    board = {
        (row["开发区"], row["指标"]): row["状态"]
        for row in panel_rows(conn, OVERVIEW, 3, MAY)
        if row["状态"] != "本月未报送"
    }
    response = httpx.get(
        f"{pipeline.query_url}/v1/progress", params={"year": 2022, "month": 5, "zone": list(ZONES)}, timeout=10
    )
    response.raise_for_status()
    api = {}
    for item in response.json()["items"]:
        words = item["status_zh"]
        api[(item["zone"], item["indicator_name"])] = f"飘红（{words}）" if item["status"] == "on_track" else words
    assert board == api


def test_overview_counts_zones_on_track_per_indicator(conn):
    rows = panel_rows(conn, OVERVIEW, 2, MAY)
    assert pick(rows, "指标", "飘红区数", "落后区数", "未能判断区数", "无目标区数", "飘红情况") == [
        ("规上工业产值", 2, 1, 0, 0, "2/3个区飘红"),
        ("固定资产投资", 0, 0, 1, 0, "无可判断的开发区"),
        ("招商引资签约项目", 1, 1, 0, 1, "1/2个区飘红"),
    ]


def test_overview_filters_by_zone_and_indicator(conn):
    rows = panel_rows(conn, OVERVIEW, 3, {**MAY, "zone": [ZONE_C], "indicator": ["industrial_output"]})
    assert pick(rows, "开发区", "指标", "状态") == [(ZONE_C, "规上工业产值", "飘红（达序时进度）")]
    counts = panel_rows(conn, OVERVIEW, 2, {**MAY, "zone": [ZONE_A, ZONE_B], "indicator": ["industrial_output"]})
    assert pick(counts, "指标", "飘红区数", "落后区数", "飘红情况") == [("规上工业产值", 1, 1, "1/2个区飘红")]


def test_overview_month_without_data_says_so(conn):
    june = {**MAY, "month": "6"}
    assert pick(panel_rows(conn, OVERVIEW, 3, june), *OVERVIEW_COLUMNS) == [(None,) * 9 + ("本月暂无数据",)]
    assert pick(panel_rows(conn, OVERVIEW, 2, june), "指标", "飘红情况") == [(None, "本月暂无数据")]


def test_overview_year_without_any_data_still_runs(conn):
    """No month option ('' selected) and All zones with no option: Grafana sends '' and an empty list."""
    chosen = {"year": "2009", "indicator": [ALL]}  # month and zone as the board resolves them
    values, specs = resolve_variables(conn, load_dashboard(OVERVIEW), chosen, YEAR_2009)
    assert values["month"] == "" and specs["zone"].options == ()
    assert pick(panel_rows(conn, OVERVIEW, 3, chosen, YEAR_2009), "状态") == [("本月暂无数据",)]
    assert pick(panel_rows(conn, OVERVIEW, 2, chosen, YEAR_2009), "飘红情况") == [("本月暂无数据",)]


# ------------------------------------------------------------------ rankings

RANK_MAY = {"year": "2022", "month": "5", "indicator": "industrial_output", "zone": list(ZONES)}


def test_completion_ranking_with_the_change_since_last_month(conn):
    rows = panel_rows(conn, RANKINGS, 2, RANK_MAY)
    assert pick(rows, "排名", "开发区", "完成率（%）", "序时进度（%）", "状态", "上期排名", "较上期", "名次变化") == [
        (1, ZONE_A, D("45.0"), D("41.7"), "飘红（超序时进度3.3个百分点）", 2, "上升1位", 1),
        (2, ZONE_C, D("41.7"), D("41.7"), "飘红（达序时进度）", 3, "上升1位", 1),
        (3, ZONE_B, D("37.5"), D("41.7"), "落后序时进度4.2个百分点", 1, "下降2位", -2),
    ]


def test_growth_ranking_with_the_change_since_last_month(conn):
    rows = panel_rows(conn, RANKINGS, 3, RANK_MAY)
    assert pick(rows, "排名", "开发区", "累计值", "上年同期", "单位", "同比增长（%）", "上期排名", "较上期") == [
        (1, ZONE_C, D("250"), D("200"), "亿元", D("25.0"), 1, "持平"),
        (2, ZONE_A, D("472.5"), D("420"), "亿元", D("12.5"), 2, "持平"),
        (3, ZONE_B, D("300"), D("320"), "亿元", D("-6.3"), 3, "持平"),
    ]


def test_first_month_of_data_has_no_previous_rank(conn):
    rows = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "month": "4"})
    assert pick(rows, "排名", "开发区", "完成率（%）", "上期排名", "较上期") == [
        (1, ZONE_B, D("36.3"), None, None),  # 290 / 800 = 36.25 → 36.3, half up
        (2, ZONE_A, D("36.2"), None, None),  # 380 / 1050 = 36.19
        (3, ZONE_C, D("31.7"), None, None),
    ]


def test_ranks_are_among_the_chosen_zones(conn):
    rows = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "zone": [ZONE_A, ZONE_C]})
    assert pick(rows, "排名", "开发区", "上期排名", "较上期") == [(1, ZONE_A, 1, "持平"), (2, ZONE_C, 2, "持平")]


def test_ranking_of_a_count_indicator_lists_zones_without_a_figure_last_unranked(conn):
    rows = panel_rows(conn, RANKINGS, 3, {**RANK_MAY, "indicator": "signed_projects"})
    # C has no 2021 figure: no growth, so no growth rank (never a rank on a made-up zero); listed last.
    assert pick(rows, "排名", "开发区", "同比增长（%）", "单位") == [
        (1, ZONE_A, D("25.0"), "个"),
        (2, ZONE_B, D("0.0"), "个"),
        (None, ZONE_C, None, "个"),
    ]
    completion = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "indicator": "signed_projects"})
    assert pick(completion, "排名", "开发区", "完成率（%）") == [
        (1, ZONE_B, D("45.0")),
        (2, ZONE_A, D("37.7")),
        (None, ZONE_C, None),  # no target for signed projects: no completion, no rank
    ]


def test_completion_bars_against_time_progress(conn):
    rows = panel_rows(conn, RANKINGS, 4, RANK_MAY)
    assert pick(rows, "开发区", "完成率（%）", "序时进度（%）") == [
        (ZONE_A, D("45.0"), D("41.7")),
        (ZONE_C, D("41.7"), D("41.7")),
        (ZONE_B, D("37.5"), D("41.7")),
    ]


def test_rankings_month_without_data_says_so(conn):
    june = {**RANK_MAY, "month": "6"}
    assert pick(panel_rows(conn, RANKINGS, 2, june), "排名", "开发区", "较上期") == [(None, "本月暂无数据", None)]
    assert pick(panel_rows(conn, RANKINGS, 3, june), "排名", "开发区") == [(None, "本月暂无数据")]
    assert panel_rows(conn, RANKINGS, 4, june) == []  # the bar chart shows its noValue: 本月暂无数据


# ------------------------------------------------------------------ zone detail

ZONE_A_ALL = {"zone": ZONE_A, "indicator": [ALL]}


def series(rows: list[dict[str, Any]]) -> dict[str, list[tuple[str, Decimal]]]:
    """Long-format time series as Grafana turns them into one series per metric: metric → [(month, value)]."""
    found: dict[str, list[tuple[str, Decimal]]] = {}
    for row in rows:
        found.setdefault(row["metric"], []).append((row["time"].strftime("%Y-%m"), row["value"]))
    return found


def test_zone_detail_variables(conn):
    values, specs = resolve_variables(conn, load_dashboard(ZONE_DETAIL), {"zone": ZONE_A}, YEAR_2022)
    assert specs["indicator"].options == ("industrial_output", "fixed_asset_investment", "signed_projects")
    assert ZONE_A in specs["zone"].options
    assert values["indicator"] == [ALL]


def test_zone_detail_latest_progress_of_each_indicator(conn):
    rows = panel_rows(conn, ZONE_DETAIL, 1, ZONE_A_ALL)
    assert pick(rows, "指标", "月份", "累计值", "年度目标", "完成率（%）", "同比增长（%）", "状态") == [
        ("招商引资签约项目", "2022年1-5月", D("20"), D("53"), D("37.7"), D("25.0"), "落后序时进度3.9个百分点"),
        ("固定资产投资", "2022年1-4月", D("30"), D("100"), D("30.0"), D("25.0"), "落后序时进度3.3个百分点"),
        ("规上工业产值", "2022年1-5月", D("472.5"), D("1050"), D("45.0"), D("12.5"), "飘红（超序时进度3.3个百分点）"),
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


def test_zone_detail_monthly_values_leave_unknown_months_out(conn):
    found = series(panel_rows(conn, ZONE_DETAIL, 3, {"zone": ZONE_A, "indicator": "industrial_output"}))
    # May alone = 472.5 − 380; April alone is unknown (no March report): missing, never zero.
    assert found == {"本年当月（亿元）": [("2022-05", D("92.5"))], "上年同月（亿元）": [("2022-05", D("70"))]}
    counts = series(panel_rows(conn, ZONE_DETAIL, 2, {"zone": ZONE_A, "indicator": "signed_projects"}))
    assert counts["本年累计（个）"] == [("2022-05", D("20"))]
    assert dict(counts["目标序时进度线（个）"])["2022-05"] == D("22.08")  # 53 × 5 / 12 = 22.083…


def test_zone_detail_growth_trend(conn):
    found = series(panel_rows(conn, ZONE_DETAIL, 4, ZONE_A_ALL))
    assert found == {
        "规上工业产值": [("2022-04", D("8.6")), ("2022-05", D("12.5"))],
        "固定资产投资": [("2022-04", D("25.0"))],
        "招商引资签约项目": [("2022-05", D("25.0"))],
    }


def test_zone_detail_completion_against_time_progress_by_month(conn):
    found = series(panel_rows(conn, ZONE_DETAIL, 5, ZONE_A_ALL))
    assert found["规上工业产值 完成率"] == [("2022-04", D("36.2")), ("2022-05", D("45.0"))]
    assert found["固定资产投资 完成率"] == [("2022-04", D("30.0"))]
    assert found["招商引资签约项目 完成率"] == [("2022-05", D("37.7"))]
    assert [value for _, value in found["序时进度"]] == [
        D(v) for v in ("8.3", "16.7", "25.0", "33.3", "41.7", "50.0", "58.3", "66.7", "75.0", "83.3", "91.7", "100.0")
    ]


def test_zone_detail_range_without_data_says_so(conn):
    rows = panel_rows(conn, ZONE_DETAIL, 1, ZONE_A_ALL, YEAR_2009)
    assert pick(rows, "指标", "状态") == [(None, "所选时间范围内暂无数据")]
    assert panel_rows(conn, ZONE_DETAIL, 2, {"zone": ZONE_A, "indicator": "industrial_output"}, YEAR_2009) == []


def test_catalog_table_follows_the_catalog_file(conn):
    catalog = load_catalog()
    columns, rows = run(conn, "SELECT code, name_zh, unit, part_of FROM indicator_catalog ORDER BY position")
    assert rows == [(i.code, i.name_zh, i.unit, i.part_of) for i in catalog.indicators.values()]
