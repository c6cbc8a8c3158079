"""The Grafana board 重大项目督导 (dashboards/major-projects.json) on a project list posted through the real pipeline
(PUT /v1/projects → Kafka → processor → PostgreSQL), every panel and variable run as Grafana runs them, with the
figures worked out by hand in tests/dashboards/seed.py (项目看板A区/B区, 2017), and held to the query API:
/v1/projects/stats (stage counts, derived figures) and /v1/projects?overdue=true&as_of= (the overdue list).

The board judges overdue stages at the chosen month's end (today while the month runs); June 2017 is long over, so
the day is 2017-06-30 whatever the clock says.
"""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import psycopg
import pytest

from indicators_core.projects import load_deadlines
from tests.dashboards import seed
from tests.dashboards.grafana_sql import ALL, DASHBOARDS, beijing_year, load_dashboard
from tests.dashboards.panels import panel_rows, pick, resolve_variables
from tests.dashboards.seed import PROJECT_NAME_A, PROJECT_ZONE_A, PROJECT_ZONE_B, PROJECT_ZONES
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration

BOARD = DASHBOARDS / "major-projects.json"
YEAR_2017 = beijing_year(2017)
JUNE = {"year": "2017", "month": "6", "zone": list(PROJECT_ZONES)}
D = Decimal
B = PROJECT_ZONE_B  # not registered: shown by its code

STAGE_COLUMNS = ("开发区", "未上会", "上会", "签约", "供地", "开工", "竣工", "投产", "合计", "其中已注册")
OVERDUE_COLUMNS = ("项目", "开发区", "级别", "当前阶段", "逾期节点", "应完成日期", "已逾期（天）", "说明")
FIGURE_COLUMNS = ("开发区", "指标", "数值", "单位", "年度目标", "完成率（%）", "状态")
DURATION_COLUMNS = (
    "开发区",
    "上会至签约（天）",
    "签约至供地（天）",
    "拿地至开工（天）",
    "竣工至投产（天）",
    "开工项目数",
)


def _put(pipeline: Pipeline, path: str, key: str, rows: list[dict]) -> None:
    response = httpx.put(
        f"{pipeline.ingest_url}{path}",
        json={key: rows},
        headers={"Authorization": f"Bearer {pipeline.admin_key}"},
        timeout=30,
    )
    assert response.status_code == 202, response.text


def june_figures(pipeline: Pipeline) -> dict[tuple[str, str], tuple[Decimal | None, Decimal | None]]:
    response = httpx.get(
        f"{pipeline.query_url}/v1/progress",
        params={"zone": list(PROJECT_ZONES), "year": 2017, "month": 6},
        timeout=10,
    )
    response.raise_for_status()
    items = response.json(parse_float=Decimal)["items"]
    return {(i["zone"], i["indicator"]): (i["ytd_value"], i["completion_pct"]) for i in items}


def post_projects(pipeline: Pipeline) -> Pipeline:
    """The seed's project list, its zone and targets through ingest; waits until June 2017's figures are all in."""
    _put(pipeline, "/v1/zones", "zones", seed.project_zone_rows())
    _put(pipeline, "/v1/projects", "projects", seed.project_rows())
    assert pipeline.put_targets(seed.project_target_rows()).status_code == 202

    def complete() -> bool:
        seen = june_figures(pipeline)
        return (
            all(key in seen and seen[key][0] == D(value) for key, value in seed.PROJECT_FIGURES_JUNE.items())
            and seen[(PROJECT_ZONE_A, "projects_signed_100m")][1] is not None
            and seen[(PROJECT_ZONE_A, "project_start_rate_pct")][1] is not None
            and seen[(PROJECT_ZONE_B, "projects_started")][1] is not None
        )

    wait_for(
        complete,
        120,
        "June 2017's figures derived from the project list, with targets",
        last=lambda: june_figures(pipeline),
    )
    return pipeline


@pytest.fixture(scope="module")
def listed(pipeline: Pipeline) -> Pipeline:
    return post_projects(pipeline)


@pytest.fixture()
def conn(listed: Pipeline):
    with psycopg.connect(listed.database_url, autocommit=True) as connection:
        connection.execute("SET default_transaction_read_only = on")
        yield connection


def api(pipeline: Pipeline, path: str, **params) -> dict:
    response = httpx.get(f"{pipeline.query_url}{path}", params=params, timeout=10)
    response.raise_for_status()
    return response.json(parse_float=Decimal)


def test_the_board_is_pinned_and_provisioned_like_the_others():
    board = load_dashboard(BOARD)
    assert (board["uid"], board["title"], board["version"]) == ("major-projects", "重大项目督导", 1)
    assert [v["name"] for v in board["templating"]["list"]] == ["year", "month", "zone"]
    assert "红 = 好" in board["panels"][0]["options"]["content"]


def test_the_boards_deadlines_are_the_deadlines_file():
    """The overdue panel's SQL carries project_deadlines.toml as rows: the two must say the same."""
    board = load_dashboard(BOARD)
    (sql,) = [p["targets"][0]["rawSql"] for p in board["panels"] if p["id"] == 3]
    values = sql.split("deadlines(scope, scope_key, stage, after_stage, months, days) AS (")[1].split("\n)")[0]
    rows = set(re.findall(r"\('(\w+)', '([^']*)', '(\w+)', '(\w+)', (\d+), (\d+)\)", values))
    deadlines = load_deadlines()
    expected = {("default", "", d.stage, d.after, str(d.months), str(d.days)) for d in deadlines.default.values()}
    for scope, tables in (("tier", deadlines.by_tier), ("zone", deadlines.by_zone)):
        expected |= {
            (scope, key, d.stage, d.after, str(d.months), str(d.days))
            for key, table in tables.items()
            for d in table.values()
        }
    assert rows == expected
    assert len(expected) == 4  # signed, land, start, production by default


def test_variables_offer_the_years_months_and_zones_of_the_list(conn):
    values, specs = resolve_variables(conn, load_dashboard(BOARD), {"year": "2017"}, YEAR_2017)
    assert values["month"] == "12"  # a past year: every month derived, the latest first
    assert {PROJECT_ZONE_A, PROJECT_ZONE_B} <= set(specs["zone"].options)
    assert values["zone"] == [ALL]


def test_projects_by_stage_at_the_months_end_are_the_stats(conn, listed: Pipeline):
    rows = pick(panel_rows(conn, BOARD, 2, JUNE, YEAR_2017), *STAGE_COLUMNS)
    assert rows == [
        (PROJECT_NAME_A, 1, 1, 1, 0, 1, 1, 1, 6, 2),
        (B, 0, 0, 1, 0, 1, 0, 0, 2, 0),
        ("所选园区合计", 1, 1, 2, 0, 2, 1, 1, 8, 2),
    ]
    stats = api(listed, "/v1/projects/stats", year=2017, month=6, zone=list(PROJECT_ZONES))
    order = ("none", "meeting", "signed", "land", "start", "completion", "production")
    assert [tuple(stats["by_stage"][zone][stage] for stage in order) for zone in PROJECT_ZONES] == [
        row[1:8] for row in rows[:2]
    ]
    one = pick(panel_rows(conn, BOARD, 2, {**JUNE, "zone": [B]}, YEAR_2017), *STAGE_COLUMNS)
    assert one == [(B, 0, 0, 1, 0, 1, 0, 0, 2, 0)]  # one zone: no total row
    # At March's end P1 and P3 were signed, P2 had land, P5 had started; P4 and P6 had no stage yet.
    march = pick(panel_rows(conn, BOARD, 2, {**JUNE, "month": "3"}, YEAR_2017), *STAGE_COLUMNS)
    assert march[0] == (PROJECT_NAME_A, 2, 0, 2, 1, 1, 0, 0, 6, 2)
    empty = pick(panel_rows(conn, BOARD, 2, {"year": "2009"}, beijing_year(2009)), "开发区", "合计")
    assert empty == [("暂无项目", None)]


def test_overdue_projects_worst_first_are_the_apis(conn, listed: Pipeline):
    rows = pick(panel_rows(conn, BOARD, 3, JUNE, YEAR_2017), *OVERDUE_COLUMNS)
    assert rows == [
        ("甲一号项目", PROJECT_NAME_A, "市重大项目", "签约", "供地", "2017年4月10日", 81,
         "项目看板甲开发区 甲一号项目 签约后2个月未供地，已逾期81天（应于2017年4月10日前供地）"),
        ("甲四号项目", PROJECT_NAME_A, None, "上会", "签约", "2017年6月10日", 20,
         "项目看板甲开发区 甲四号项目 上会后1个月未签约，已逾期20天（应于2017年6月10日前签约）"),
        ("甲二号项目", PROJECT_NAME_A, "省重大项目", "开工", "竣工", "2017年6月15日", 15,
         "项目看板甲开发区 甲二号项目 计划2017年6月15日竣工，尚未竣工，已逾期15天（应于2017年6月15日前竣工）"),
        ("甲三号项目", PROJECT_NAME_A, "区重大项目", "竣工", "投产", "2017年6月20日", 10,
         "项目看板甲开发区 甲三号项目 竣工后1个月未投产，已逾期10天（应于2017年6月20日前投产）"),
    ]  # fmt: skip
    items = api(listed, "/v1/projects", zone=list(PROJECT_ZONES), overdue="true", as_of="2017-06-30")["items"]
    assert [(i["name"], i["zone_name"], i["days_overdue"], i["overdue"][0]["message"]) for i in items] == [
        (row[0], row[1], row[6], row[7]) for row in rows
    ]
    assert [i["current_stage_zh"] for i in items] == [row[3] for row in rows]
    # May's end: P1 (51 days) only; P4's 签约 falls due on June 10.
    may = pick(panel_rows(conn, BOARD, 3, {**JUNE, "month": "5"}, YEAR_2017), "项目", "已逾期（天）")
    assert may == [("甲一号项目", 51)]
    quiet = pick(panel_rows(conn, BOARD, 3, {**JUNE, "zone": [B]}, YEAR_2017), "项目", "说明")
    assert quiet == [(None, "无逾期项目")]


def test_derived_figures_against_their_targets_are_the_stats(conn, listed: Pipeline):
    rows = pick(panel_rows(conn, BOARD, 4, JUNE, YEAR_2017), *FIGURE_COLUMNS)
    assert rows == [
        (PROJECT_NAME_A, "签约项目数（项目清单）", D("3"), "个", None, None, "无目标"),
        (PROJECT_NAME_A, "签约项目总投资（项目清单）", D("5.0"), "亿元", None, None, "无目标"),
        (PROJECT_NAME_A, "亿元以上签约项目数", D("2"), "个", D("8"), D("25.0"), "落后序时进度25.0个百分点"),
        (PROJECT_NAME_A, "新开工项目数", D("3"), "个", None, None, "无目标"),
        (PROJECT_NAME_A, "投产项目数", D("1"), "个", None, None, "无目标"),
        (PROJECT_NAME_A, "项目开工率", D("100.0"), "%", D("90"), D("111.1"), "完成目标111.1%（期末数，不对比序时进度）"),
        (PROJECT_NAME_A, "项目投产率", D("50.0"), "%", None, None, "无目标"),
        (PROJECT_NAME_A, "项目注册率", D("33.3"), "%", None, None, "无目标"),
        (PROJECT_NAME_A, "拿地至开工平均天数", D("44.7"), "天", None, None, "无目标"),
        (B, "签约项目数（项目清单）", D("2"), "个", None, None, "无目标"),
        (B, "签约项目总投资（项目清单）", D("2.0"), "亿元", None, None, "无目标"),
        (B, "亿元以上签约项目数", D("1"), "个", None, None, "无目标"),
        (B, "新开工项目数", D("1"), "个", D("2"), D("50.0"), "飘红（达序时进度）"),
        (B, "投产项目数", D("0"), "个", None, None, "无目标"),
        (B, "项目注册率", D("0.0"), "%", None, None, "无目标"),
        (B, "拿地至开工平均天数", D("46.0"), "天", None, None, "无目标"),
    ]  # fmt: skip
    stats = api(listed, "/v1/projects/stats", year=2017, month=6, zone=list(PROJECT_ZONES))
    by_key = {(i["zone_name"] or i["zone"], i["indicator_name"]): i for i in stats["items"]}
    assert set(by_key) == {(row[0], row[1]) for row in rows}
    for zone, name, value, _, target, completion, status in rows:
        item = by_key[(zone, name)]
        assert (item["target_value"], item["completion_pct"]) == (target, completion)
        assert round(item["ytd_value"], 1) == round(value, 1)
        assert (status[3:-1] if status.startswith("飘红（") else status) == item["status_zh"]
    empty = pick(panel_rows(conn, BOARD, 4, {"year": "2009"}, beijing_year(2009)), "指标", "状态")
    assert empty == [(None, "本月暂无数据")]


def test_stage_durations_and_land_to_start_is_the_derived_average(conn):
    rows = pick(panel_rows(conn, BOARD, 5, JUNE, YEAR_2017), *DURATION_COLUMNS)
    assert rows == [
        (PROJECT_NAME_A, D("20.7"), D("35.7"), D("44.7"), D("14.0"), 3),
        (B, D("16.5"), D("20.0"), D("46.0"), None, 1),
        ("所选园区合计", D("19.0"), D("31.8"), D("45.0"), D("14.0"), 4),
    ]
    figures = pick(panel_rows(conn, BOARD, 4, JUNE, YEAR_2017), "开发区", "指标", "数值")
    days = {zone: value for zone, name, value in figures if name == "拿地至开工平均天数"}
    assert days == {PROJECT_NAME_A: rows[0][3], B: rows[1][3]}
    empty = pick(panel_rows(conn, BOARD, 5, {"year": "2009"}, beijing_year(2009)), "开发区")
    assert empty == [("暂无项目",)]
