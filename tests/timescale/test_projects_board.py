"""The Grafana board 重大项目督导 on TimescaleDB 2.23 (PGlite): the seed's project list (tests/dashboards/seed.py,
项目看板A区/B区, 2017, the figures worked out there) validated by ingest's rules and stored by the processor's own
ProgressStore (projects, versions, the derived figures), then every panel and variable expanded as Grafana expands it
for the provisioned TimescaleDB datasource. The same figures as on PostgreSQL (tests/dashboards/test_projects_board.py).

The checks are registered with tests/timescale/test_board_queries.py, which runs every panel and variable of every
board; the list is stored the first time a check runs.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg

from indicators_core.catalog import load_catalog
from ingest.projects import validate_projects
from ingest.publisher import build_batch
from ingest.validation import validate_targets
from tests.dashboards import seed
from tests.dashboards.grafana_sql import ALL, DASHBOARDS, beijing_year, load_dashboard
from tests.dashboards.seed import PROJECT_NAME_A, PROJECT_ZONE_B, PROJECT_ZONES
from tests.timescale.storing import store_reports, zone_reports_of
from tests.timescale.test_board_queries import panel, panel_rows, pick, resolve_variables, variables

BOARD = DASHBOARDS / "major-projects.json"
YEAR_2017 = beijing_year(2017)
JUNE = {"year": "2017", "month": "6", "zone": list(PROJECT_ZONES)}
STORED_AT = datetime(2017, 7, 1, 9, 0, tzinfo=UTC)
B = PROJECT_ZONE_B
D = Decimal
_STORED: set[str] = set()


def stored(conn: psycopg.Connection) -> None:
    """The seed's list, its zone and targets, stored once into the server `conn` reads (as the processor stores them)."""
    url = conn.info.dsn
    if url in _STORED:
        return
    projects = validate_projects({"projects": seed.project_rows()}, date(2017, 12, 31), 5000)
    targets = validate_targets({"targets": seed.project_target_rows()}, load_catalog(), 5000)
    reports = [
        *zone_reports_of(seed.project_zone_rows(), STORED_AT),
        *build_batch(projects, "timescale-test", STORED_AT).reports,
        *build_batch(targets, "timescale-test", STORED_AT).reports,
    ]
    asyncio.run(store_reports(url, [reports]))
    _STORED.add(url)


@variables(BOARD, "year", "month", "zone")
def projects_variables(conn):
    stored(conn)
    values, specs, shown = resolve_variables(conn, load_dashboard(BOARD), {"year": "2017"}, YEAR_2017)
    assert ("2017", "2017年") in shown["year"]
    assert shown["month"][:2] == [("12", "1-12月"), ("11", "1-11月")]  # a past year: every month, latest first
    assert [z for z in shown["zone"] if z[0] in PROJECT_ZONES] == [(seed.PROJECT_ZONE_A, PROJECT_NAME_A), (B, B)]
    assert (values["month"], values["zone"]) == ("12", [ALL])


@panel(BOARD, 2)
def projects_by_stage(conn):
    stored(conn)
    columns = ("开发区", "未上会", "上会", "签约", "供地", "开工", "竣工", "投产", "合计", "其中已注册")
    assert pick(panel_rows(conn, BOARD, 2, JUNE, YEAR_2017), *columns) == [
        (PROJECT_NAME_A, 1, 1, 1, 0, 1, 1, 1, 6, 2),
        (B, 0, 0, 1, 0, 1, 0, 0, 2, 0),
        ("所选园区合计", 1, 1, 2, 0, 2, 1, 1, 8, 2),
    ]
    assert pick(panel_rows(conn, BOARD, 2, {"year": "2009"}, beijing_year(2009)), "开发区") == [("暂无项目",)]


@panel(BOARD, 3)
def overdue_projects(conn):
    stored(conn)
    rows = panel_rows(conn, BOARD, 3, JUNE, YEAR_2017)
    assert pick(rows, "项目", "级别", "当前阶段", "逾期节点", "应完成日期", "已逾期（天）") == [
        ("甲一号项目", "市重大项目", "签约", "供地", "2017年4月10日", 81),
        ("甲四号项目", None, "上会", "签约", "2017年6月10日", 20),
        ("甲二号项目", "省重大项目", "开工", "竣工", "2017年6月15日", 15),
        ("甲三号项目", "区重大项目", "竣工", "投产", "2017年6月20日", 10),
    ]
    assert rows[0]["说明"] == "项目看板甲开发区 甲一号项目 签约后2个月未供地，已逾期81天（应于2017年4月10日前供地）"
    assert (
        rows[2]["说明"]
        == "项目看板甲开发区 甲二号项目 计划2017年6月15日竣工，尚未竣工，已逾期15天（应于2017年6月15日前竣工）"
    )
    quiet = panel_rows(conn, BOARD, 3, {**JUNE, "zone": [B]}, YEAR_2017)
    assert pick(quiet, "项目", "说明") == [(None, "无逾期项目")]


@panel(BOARD, 4)
def derived_figures(conn):
    stored(conn)
    rows = pick(
        panel_rows(conn, BOARD, 4, JUNE, YEAR_2017), "开发区", "指标", "数值", "年度目标", "完成率（%）", "状态"
    )
    assert (PROJECT_NAME_A, "亿元以上签约项目数", D("2"), D("8"), D("25.0"), "落后序时进度25.0个百分点") in rows
    assert (
        PROJECT_NAME_A, "项目开工率", D("100.0"), D("90"), D("111.1"), "完成目标111.1%（期末数，不对比序时进度）"
    ) in rows  # fmt: skip
    assert (PROJECT_NAME_A, "项目注册率", D("33.3"), None, None, "无目标") in rows
    assert (B, "新开工项目数", D("1"), D("2"), D("50.0"), "飘红（达序时进度）") in rows
    assert len(rows) == 16  # A: nine figures; B: seven (no planned start or production: those rates unknown)
    empty = panel_rows(conn, BOARD, 4, {"year": "2009"}, beijing_year(2009))
    assert pick(empty, "状态") == [("本月暂无数据",)]


@panel(BOARD, 5)
def stage_durations(conn):
    stored(conn)
    columns = ("开发区", "上会至签约（天）", "签约至供地（天）", "拿地至开工（天）", "竣工至投产（天）", "开工项目数")
    assert pick(panel_rows(conn, BOARD, 5, JUNE, YEAR_2017), *columns) == [
        (PROJECT_NAME_A, D("20.7"), D("35.7"), D("44.7"), D("14.0"), 3),
        (B, D("16.5"), D("20.0"), D("46.0"), None, 1),
        ("所选园区合计", D("19.0"), D("31.8"), D("45.0"), D("14.0"), 4),
    ]
