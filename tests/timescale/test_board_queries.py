"""Every board query on TimescaleDB 2.23 (PGlite), expanded as Grafana expands it for the provisioned
TimescaleDB datasource, on figures the processor's and the alert evaluator's own stores wrote.

The seed is the PostgreSQL-path board test's (tests/dashboards/seed.py, the arithmetic worked out
there by hand) with this file's own zones (时序看板A区/B区/C区) and years (2030 last year, 2031 this
year): the same figures come back, e.g. 时序看板A区 规上工业产值 1-5月 45.0% against 41.7%,
"飘红（超序时进度3.3个百分点）", the same ranks, the same growth targets (进出口总额 judged on growth) and
quarterly 地区生产总值 (2031-Q1). A and B are registered under names of their own, C is not (shown by its
code). It is stored by ProgressStore.apply into the hypertables, then every month it touched is judged by
AlertStore.evaluate_results, as the alert evaluator does: three alerts fire, 时序看板B区 规上工业产值 2031年1-5月
−6.25%, its 进出口总额 below the 10% growth target (提示), and A's 地区生产总值 7.0 points behind in 1季度 (B's 4.2
points behind in 规上工业产值 are within the 5-point line of rules.toml).

Which panels and variables run comes from the dashboard files: every SQL panel and every query
variable of every board must have its expected figures in PANEL_CHECKS / VARIABLE_CHECKS (a panel
added later fails here until it has them, its empty state at least), and each check must run it.
Each statement is one board query (about 2 KB): the PGlite server's batches stay small.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from psycopg_pool import AsyncConnectionPool

from alerts.config import load_rules
from alerts.outbox import enqueue_deliveries
from alerts.store import AlertStore, Touched
from indicators_core.catalog import load_catalog
from tests.dashboards import grafana_sql
from tests.dashboards import seed as board_seed
from tests.dashboards.grafana_sql import (
    ALL,
    OVERVIEW,
    RANKINGS,
    SQL_BOARDS,
    ZONE_DETAIL,
    VariableSpec,
    beijing_year,
    dashboard_queries,
    iter_panels,
    load_dashboard,
    render_sql,
    repeat_variables,
    variable_queries,
)
from tests.timescale.storing import Migrated, reports_of, store_reports, zone_reports_of

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DATASOURCE_UID = "indicators-db"


def provisioned_timescaledb() -> bool:
    """The datasource's jsonData.timescaledb, as Grafana reads it: it decides how $__timeGroup expands."""
    provisioning = yaml.safe_load(
        (ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "datasources.yml").read_text(encoding="utf-8")
    )
    (datasource,) = [ds for ds in provisioning["datasources"] if ds["uid"] == DATASOURCE_UID]
    return bool(datasource["jsonData"].get("timescaledb"))


TIMESCALEDB = provisioned_timescaledb()

# The board seed, renamed and moved nine years on (time progress depends on the month only).
ZONE_A, ZONE_B, ZONE_C = "时序看板A区", "时序看板B区", "时序看板C区"
ZONES = (ZONE_A, ZONE_B, ZONE_C)  # code-point order, as the boards sort zones
RENAMED = dict(zip(board_seed.ZONES, ZONES, strict=True))
YEARS_ON = 9
LAST_YEAR, THIS_YEAR = board_seed.LAST_YEAR + YEARS_ON, board_seed.THIS_YEAR + YEARS_ON  # 2030, 2031
STORED_AT = datetime(2031, 6, 10, 9, 0, tzinfo=UTC)

YEAR = beijing_year(THIS_YEAR)
EMPTY_YEAR = beijing_year(2009)  # no figures of any test in this database
D = Decimal


# The zone registry (PUT /v1/zones): A and B, by names of their own, under one district and in one peer group;
# C is not registered, so the boards show it by its code. The rankings board's 同组 and 上级 narrow its field.
GROUP, DISTRICT = "时序看板同组", "时序看板上级区"
NAME_A, NAME_B = "时序看板甲开发区", "时序看板乙高新区"
REGISTRY = [
    {"code": DISTRICT, "name_zh": DISTRICT, "level": "other", "kind": "区县"},
    *(
        {"code": zone, "name_zh": name, "level": "other", "kind": "经开区", "groups": [GROUP], "parent": DISTRICT}
        for zone, name in ((ZONE_A, NAME_A), (ZONE_B, NAME_B))
    ),
]


def observation_rows() -> list[dict]:
    rows = []
    for zone, indicator, period, value, unit in board_seed.OBSERVATIONS:
        year, month = period.split("-")  # "2022-05", or "2022-Q1" for the quarterly 地区生产总值
        period = f"{int(year) + YEARS_ON}-{month}"
        rows.append({"zone": RENAMED[zone], "indicator": indicator, "period": period, "value": value, "unit": unit})
    return rows


def target_rows() -> list[dict]:
    return [
        {"zone": RENAMED[zone], "indicator": indicator, "year": year + YEARS_ON, "value": value}
        for zone, indicator, year, value in board_seed.TARGETS
    ] + [
        {"zone": RENAMED[zone], "indicator": indicator, "year": year + YEARS_ON, "kind": "growth", "value": value}
        for zone, indicator, year, value in board_seed.GROWTH_TARGETS
    ]


def stored_month(period: str) -> tuple[int, int]:
    """(year, month) of a row's period as progress stores it: a quarter at its last month (2031-Q1 → 3)."""
    year, part = period.split("-")
    return int(year), int(part[1:]) * 3 if part.startswith("Q") else int(part)


async def evaluate_alerts(url: str, touched: list[Touched]) -> None:
    """What the alert evaluator does with the processor's results: judge the months they touched."""
    catalog = load_catalog()
    async with AsyncConnectionPool(url, min_size=1, max_size=2, open=False) as pool:
        await pool.wait(timeout=30)
        await AlertStore(pool, catalog, load_rules(None, catalog), enqueue_deliveries).evaluate_results(touched)


@pytest.fixture(scope="module")
def board_db(timescale: Migrated) -> str:
    reports = reports_of(observation_rows(), target_rows(), STORED_AT)
    # The registry in the same chunk: the processor stores zones and figures in one transaction.
    asyncio.run(store_reports(timescale.url, [zone_reports_of(REGISTRY, STORED_AT) + reports]))
    months = sorted({(row["zone"], row["indicator"], *stored_month(row["period"])) for row in observation_rows()})
    asyncio.run(evaluate_alerts(timescale.url, [Touched(*month) for month in months]))
    with psycopg.connect(timescale.url, autocommit=True) as conn:
        stored = conn.execute(
            "SELECT count(*), count(target_value), count(growth_target_pct), count(ytd_last_year) FROM progress"
            " WHERE zone = ANY(%s)",
            (list(ZONES),),
        ).fetchone()
        alerts = conn.execute(
            "SELECT rule, zone, indicator, state, severity FROM alerts WHERE zone = ANY(%s)", (list(ZONES),)
        ).fetchall()
    assert stored == (
        board_seed.PROGRESS_ROWS,
        board_seed.ROWS_WITH_TARGET,
        board_seed.ROWS_WITH_GROWTH_TARGET,
        board_seed.ROWS_WITH_LAST_YEAR,
    )
    assert set(alerts) == {(rule, RENAMED[zone], *rest) for rule, zone, *rest in board_seed.ALERTS}
    return timescale.url


@pytest.fixture()
def conn(board_db: str):
    with psycopg.connect(board_db, connect_timeout=10) as connection:
        # Grafana's role only reads. READ ONLY per transaction, not `SET default_transaction_read_only`:
        # PGlite is one session, and a SET would reach every other client of the server.
        connection.read_only = True
        yield connection


def run(conn: psycopg.Connection, sql: str) -> tuple[list[str], list[tuple]]:
    # One short transaction per query: the backend is shared at transaction boundaries.
    with conn.transaction():
        cursor = conn.execute(sql)
        return [column.name for column in cursor.description], cursor.fetchall()


# What the checks ran, so each check is held to running its own panel or variable.
RAN_PANELS: set[tuple[str, int]] = set()
RAN_VARIABLES: set[tuple[str, str]] = set()


def resolve_variables(
    conn: psycopg.Connection,
    dashboard: Mapping[str, Any],
    chosen: Mapping[str, str | Sequence[str]],
    time_range: tuple[datetime, datetime],
) -> tuple[dict[str, str | Sequence[str]], dict[str, VariableSpec], dict[str, list[tuple[str, str]]]]:
    values, specs, shown = grafana_sql.resolve_variables(partial(run, conn), dashboard, chosen, time_range, TIMESCALEDB)
    RAN_VARIABLES.update(query_variable_names(dashboard))
    return values, specs, shown


def query_variable_names(dashboard: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(uid, name) of every query variable: each runs when the board loads."""
    variables = dashboard.get("templating", {}).get("list", [])
    return {(dashboard["uid"], v["name"]) for v in variables if v.get("type") == "query"}


def panel_rows(
    conn: psycopg.Connection,
    path: Path,
    panel_id: int,
    chosen: Mapping[str, str | Sequence[str]],
    time_range: tuple[datetime, datetime] = YEAR,
) -> list[dict[str, Any]]:
    rows = grafana_sql.panel_rows(partial(run, conn), path, panel_id, chosen, time_range, TIMESCALEDB)
    RAN_PANELS.add((uid_of(path), panel_id))
    # Loading the board ran every query variable, as resolve_variables does.
    RAN_VARIABLES.update(query_variable_names(load_dashboard(path)))
    return rows


def pick(rows: list[dict[str, Any]], *columns: str) -> list[tuple]:
    return [tuple(row[column] for column in columns) for row in rows]


def uid_of(path: Path) -> str:
    return load_dashboard(path)["uid"]


PanelCheck = Callable[[psycopg.Connection], None]
PANEL_CHECKS: dict[tuple[str, int], PanelCheck] = {}
VARIABLE_CHECKS: dict[tuple[str, str], PanelCheck] = {}


def panel(path: Path, panel_id: int) -> Callable[[PanelCheck], PanelCheck]:
    def register(check: PanelCheck) -> PanelCheck:
        PANEL_CHECKS[(uid_of(path), panel_id)] = check
        return check

    return register


def variables(path: Path, *names: str) -> Callable[[PanelCheck], PanelCheck]:
    def register(check: PanelCheck) -> PanelCheck:
        for name in names:
            VARIABLE_CHECKS[(uid_of(path), name)] = check
        return check

    return register


# ------------------------------------------------------------------ 半年红 overview

MAY = {"year": str(THIS_YEAR), "month": "5", "zone": list(ZONES), "indicator": [ALL]}
JUNE = {**MAY, "month": "6"}
EMPTY = {"year": "2009", "indicator": [ALL]}  # month and zone as the board resolves them: '' and no option
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
ALERT_COLUMNS = ("级别", "开发区", "指标", "规则", "期间", "说明")
# One evaluation wrote all three (one moment): warnings first, then by zone code (A before B); then the info.
BEHIND_QUARTER = (
    "预警",
    NAME_A,
    "地区生产总值",
    "落后序时进度",
    "2031年一季度",
    "时序看板甲开发区 地区生产总值 2031年1季度完成率18.0%，落后序时进度7.0个百分点"
    "（序时进度25.0%，累计2700亿元，全年目标15000亿元）",
)
NEGATIVE_GROWTH = (
    "预警",
    NAME_B,
    "规上工业产值",
    "增速为负或低于目标",
    "2031年1-5月",
    "时序看板乙高新区 规上工业产值 2031年1-5月累计300亿元，同比下降6.3%（上年同期320亿元）",
)
BELOW_GROWTH_TARGET = (
    "提示",
    NAME_B,
    "进出口总额",
    "增速为负或低于目标",
    "2031年1-5月",
    "时序看板乙高新区 进出口总额 2031年1-5月累计105亿元，同比增长5.0%，低于增长目标10.0%（上年同期100亿元）",
)


@variables(OVERVIEW, "year", "month", "zone", "indicator")
def overview_variables(conn):
    dashboard = load_dashboard(OVERVIEW)
    values, specs, shown = resolve_variables(conn, dashboard, {}, YEAR)
    # Latest year first (the other Timescale tests' 2022 and 2023 may follow): the default is 2031.
    assert shown["year"][:2] == [("2031", "2031年"), ("2030", "2030年")]
    assert (values["year"], values["month"]) == ("2031", "5")
    # Latest first: the default is the latest month; March holds the quarterly 地区生产总值's 1季度.
    assert shown["month"] == [("5", "1-5月"), ("4", "1-4月"), ("3", "1-3月")]
    assert specs["zone"].options == ZONES  # code-point order of the codes; B's alerts are in 2031 too
    assert shown["zone"] == [(ZONE_A, NAME_A), (ZONE_B, NAME_B), (ZONE_C, ZONE_C)]  # by name, else the code
    catalog = load_catalog()
    assert shown["indicator"] == [(i.code, f"{i.name_zh}（{i.unit}）") for i in catalog.indicators.values()]
    assert values["zone"] == values["indicator"] == [ALL]
    values, specs, shown = resolve_variables(conn, dashboard, EMPTY, EMPTY_YEAR)
    assert (values["month"], shown["month"], specs["zone"].options) == ("", [], ())


@panel(OVERVIEW, 3)
def overview_progress_table(conn):
    may = panel_rows(conn, OVERVIEW, 3, MAY)
    assert pick(may, *OVERVIEW_COLUMNS) == [
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
        (ZONE_C, "进出口总额", "亿元", None, None, D("8.0"), None, D("41.7"), None, None, "本月未报送"),
        (ZONE_C, "招商引资签约项目", "个", D("5"), None, None, None, D("41.7"), None, None, "无目标"),
    ]  # fmt: skip
    assert [row["zone_code"] for row in may] == [
        ZONE_B, ZONE_B, ZONE_A, ZONE_A, ZONE_A, ZONE_B, ZONE_C, ZONE_A, ZONE_C, ZONE_C
    ]  # fmt: skip
    april = panel_rows(conn, OVERVIEW, 3, {**MAY, "month": "4"})
    assert pick(april, "开发区", "指标", "完成率（%）", "与序时进度差（百分点）", "同比增长（%）", "状态") == [
        (NAME_A, "固定资产投资", D("30.0"), D("-3.3"), D("25.0"), "落后序时进度3.3个百分点"),
        (ZONE_C, "规上工业产值", D("31.7"), D("-1.7"), D("18.8"), "落后序时进度1.7个百分点"),
        (NAME_A, "规上工业产值", D("36.2"), D("2.9"), D("8.6"), "飘红（超序时进度2.9个百分点）"),
        (NAME_B, "规上工业产值", D("36.3"), D("2.9"), D("-3.3"), "飘红（超序时进度2.9个百分点）"),
        (NAME_A, "进出口总额", None, None, None, "本月未报送"),
        (NAME_A, "招商引资签约项目", None, None, None, "本月未报送"),
        (NAME_B, "进出口总额", None, None, None, "本月未报送"),
        (NAME_B, "招商引资签约项目", None, None, None, "本月未报送"),
        (ZONE_C, "进出口总额", None, None, None, "本月未报送"),
    ]
    quarter = panel_rows(conn, OVERVIEW, 3, {**MAY, "month": "3", "indicator": ["gdp"]})
    assert pick(quarter, *OVERVIEW_COLUMNS) == [
        (NAME_A, "地区生产总值", "亿元", D("2700"), D("15000"), D("6.0"), D("18.0"), D("25.0"), D("-7.0"), D("8.0"),
         "落后序时进度7.0个百分点"),
        (NAME_B, "地区生产总值", "亿元", D("1075"), None, D("7.0"), None, D("25.0"), None, D("7.5"),
         "飘红（增速高于目标0.5个百分点）"),
    ]  # fmt: skip
    one = panel_rows(conn, OVERVIEW, 3, {**MAY, "zone": [ZONE_C], "indicator": ["industrial_output"]})
    assert pick(one, "开发区", "指标", "状态") == [(ZONE_C, "规上工业产值", "飘红（达序时进度）")]
    assert pick(panel_rows(conn, OVERVIEW, 3, JUNE), *OVERVIEW_COLUMNS) == [(None,) * 10 + ("本月暂无数据",)]
    assert pick(panel_rows(conn, OVERVIEW, 3, EMPTY, EMPTY_YEAR), "状态") == [("本月暂无数据",)]


@panel(OVERVIEW, 2)
def overview_counts(conn):
    rows = panel_rows(conn, OVERVIEW, 2, MAY)
    assert pick(rows, "指标", "飘红区数", "落后区数", "未能判断区数", "无目标区数", "飘红情况") == [
        ("规上工业产值", 2, 1, 0, 0, "2/3个区飘红"),
        ("固定资产投资", 0, 0, 1, 0, "无可判断的开发区"),
        ("进出口总额", 1, 1, 1, 0, "1/2个区飘红"),  # growth targets only: judged on growth, none 无目标
        ("招商引资签约项目", 1, 1, 0, 1, "1/2个区飘红"),
    ]
    quarter = panel_rows(conn, OVERVIEW, 2, {**MAY, "month": "3", "indicator": ["gdp"]})
    assert pick(quarter, "指标", "飘红区数", "落后区数", "未能判断区数", "无目标区数", "飘红情况") == [
        ("地区生产总值", 1, 1, 0, 0, "1/2个区飘红")
    ]
    two = panel_rows(conn, OVERVIEW, 2, {**MAY, "zone": [ZONE_A, ZONE_B], "indicator": ["industrial_output"]})
    assert pick(two, "指标", "飘红区数", "落后区数", "飘红情况") == [("规上工业产值", 1, 1, "1/2个区飘红")]
    assert pick(panel_rows(conn, OVERVIEW, 2, JUNE), "指标", "飘红情况") == [(None, "本月暂无数据")]
    assert pick(panel_rows(conn, OVERVIEW, 2, EMPTY, EMPTY_YEAR), "飘红情况") == [("本月暂无数据",)]


@panel(OVERVIEW, 5)
def overview_alert_counts(conn):
    counts = ("严重", "预警", "提示")
    assert pick(panel_rows(conn, OVERVIEW, 5, MAY), *counts) == [(0, 2, 1)]
    assert pick(panel_rows(conn, OVERVIEW, 5, {**MAY, "zone": [ZONE_A, ZONE_C]}), *counts) == [(0, 1, 0)]
    assert pick(panel_rows(conn, OVERVIEW, 5, {**MAY, "zone": [ZONE_C]}), *counts) == [(0, 0, 0)]
    assert pick(panel_rows(conn, OVERVIEW, 5, EMPTY, EMPTY_YEAR), *counts) == [(0, 0, 0)]


@panel(OVERVIEW, 4)
def overview_alerts(conn):
    rows = panel_rows(conn, OVERVIEW, 4, MAY)
    assert pick(rows, *ALERT_COLUMNS) == [BEHIND_QUARTER, NEGATIVE_GROWTH, BELOW_GROWTH_TARGET]
    assert [row["zone_code"] for row in rows] == [ZONE_A, ZONE_B, ZONE_B]  # what the 开发区 link passes
    assert all(row["首次触发"] is not None and row["最近变化"] == row["首次触发"] for row in rows)
    nothing = [(None, None, None, None, None, "当前无预警", None, None)]
    columns = (*ALERT_COLUMNS, "首次触发", "最近变化")
    assert pick(panel_rows(conn, OVERVIEW, 4, {**MAY, "indicator": ["signed_projects"]}), *columns) == nothing
    assert pick(panel_rows(conn, OVERVIEW, 4, EMPTY, EMPTY_YEAR), *columns) == nothing


# ------------------------------------------------------------------ rankings

RANK_MAY = {"year": str(THIS_YEAR), "month": "5", "indicator": "industrial_output", "zone": list(ZONES)}


@variables(RANKINGS, "year", "month", "indicator", "zone", "group", "parent")
def rankings_variables(conn):
    values, specs, shown = resolve_variables(conn, load_dashboard(RANKINGS), {}, YEAR)
    assert shown["group"] == [(GROUP, GROUP)]
    assert shown["parent"] == [(DISTRICT, DISTRICT)]  # a registered zone with children
    assert (values["group"], values["parent"]) == ([ALL], [ALL])
    assert shown["year"][:2] == [("2031", "2031年"), ("2030", "2030年")]
    assert shown["month"] == [("5", "1-5月"), ("4", "1-4月"), ("3", "1-3月")]
    assert shown["indicator"][0] == ("industrial_output", "规上工业产值（亿元）")
    assert specs["zone"].options == ZONES
    assert shown["zone"] == [(ZONE_A, NAME_A), (ZONE_B, NAME_B), (ZONE_C, ZONE_C)]
    assert (values["year"], values["month"], values["indicator"], values["zone"]) == (
        "2031",
        "5",
        "industrial_output",
        [ALL],
    )


@panel(RANKINGS, 2)
def completion_ranking(conn):
    rows = panel_rows(conn, RANKINGS, 2, RANK_MAY)
    assert pick(rows, "排名", "开发区", "完成率（%）", "序时进度（%）", "状态", "上期排名", "较上期", "名次变化") == [
        (1, NAME_A, D("45.0"), D("41.7"), "飘红（超序时进度3.3个百分点）", 2, "上升1位", 1),
        (2, ZONE_C, D("41.7"), D("41.7"), "飘红（达序时进度）", 3, "上升1位", 1),
        (3, NAME_B, D("37.5"), D("41.7"), "落后序时进度4.2个百分点", 1, "下降2位", -2),
    ]
    april = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "month": "4"})
    assert pick(april, "排名", "开发区", "完成率（%）", "上期排名", "较上期") == [
        (1, NAME_B, D("36.3"), None, None),  # 290 / 800 = 36.25 → 36.3, half up
        (2, NAME_A, D("36.2"), None, None),  # 380 / 1050 = 36.19
        (3, ZONE_C, D("31.7"), None, None),
    ]
    two = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "zone": [ZONE_A, ZONE_C]})
    assert pick(two, "排名", "开发区", "上期排名", "较上期") == [(1, NAME_A, 1, "持平"), (2, ZONE_C, 2, "持平")]
    projects = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "indicator": "signed_projects"})
    assert pick(projects, "排名", "开发区", "完成率（%）") == [
        (1, NAME_B, D("45.0")),
        (2, NAME_A, D("37.7")),
        (None, ZONE_C, None),  # no target for signed projects: no completion, no rank
    ]
    june = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "month": "6"})
    assert pick(june, "排名", "开发区", "较上期") == [(None, "本月暂无数据", None)]
    # 上级: the district's children only, ranked among themselves (April: B 36.25% before A 36.19%).
    district = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "parent": DISTRICT})
    assert pick(district, "排名", "开发区", "完成率（%）", "上期排名", "较上期") == [
        (1, NAME_A, D("45.0"), 2, "上升1位"),
        (2, NAME_B, D("37.5"), 1, "下降1位"),
    ]
    peers = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "group": GROUP, "parent": DISTRICT})
    assert pick(peers, "开发区") == [(NAME_A,), (NAME_B,)]
    # 固定资产投资: A reported April, not May; in May it is listed unranked, with April's rank.
    investment = panel_rows(conn, RANKINGS, 2, {**RANK_MAY, "indicator": "fixed_asset_investment"})
    assert pick(investment, "排名", "开发区", "状态", "上期排名", "较上期") == [
        (None, "本月暂无数据", None, None, None)
    ]


@panel(RANKINGS, 3)
def growth_ranking(conn):
    rows = panel_rows(conn, RANKINGS, 3, RANK_MAY)
    assert pick(rows, "排名", "开发区", "累计值", "上年同期", "单位", "同比增长（%）", "上期排名", "较上期") == [
        (1, ZONE_C, D("250"), D("200"), "亿元", D("25.0"), 1, "持平"),
        (2, NAME_A, D("472.5"), D("420"), "亿元", D("12.5"), 2, "持平"),
        (3, NAME_B, D("300"), D("320"), "亿元", D("-6.3"), 3, "持平"),
    ]
    # C has no 2030 figure: no growth, so no growth rank (never a rank on a made-up zero); listed last.
    projects = panel_rows(conn, RANKINGS, 3, {**RANK_MAY, "indicator": "signed_projects"})
    assert pick(projects, "排名", "开发区", "同比增长（%）", "单位") == [
        (1, NAME_A, D("25.0"), "个"),
        (2, NAME_B, D("0.0"), "个"),
        (None, ZONE_C, None, "个"),
    ]
    june = panel_rows(conn, RANKINGS, 3, {**RANK_MAY, "month": "6"})
    assert pick(june, "排名", "开发区") == [(None, "本月暂无数据")]


@panel(RANKINGS, 4)
def completion_bars(conn):
    assert pick(panel_rows(conn, RANKINGS, 4, RANK_MAY), "开发区", "完成率（%）", "序时进度（%）") == [
        (NAME_A, D("45.0"), D("41.7")),
        (ZONE_C, D("41.7"), D("41.7")),
        (NAME_B, D("37.5"), D("41.7")),
    ]
    assert panel_rows(conn, RANKINGS, 4, {**RANK_MAY, "month": "6"}) == []  # the bar chart's noValue shows
    district = panel_rows(conn, RANKINGS, 4, {**RANK_MAY, "parent": DISTRICT})
    assert pick(district, "开发区", "完成率（%）") == [(NAME_A, D("45.0")), (NAME_B, D("37.5"))]


# ------------------------------------------------------------------ zone detail

ZONE_A_ALL = {"zone": ZONE_A, "indicator": [ALL]}
ZONE_A_OUTPUT = {"zone": ZONE_A, "indicator": "industrial_output"}


def series(rows: list[dict[str, Any]]) -> dict[str, list[tuple[str, Decimal]]]:
    """Long-format time series as Grafana turns them into one series per metric: metric → [(month, value)]."""
    found: dict[str, list[tuple[str, Decimal]]] = {}
    for row in rows:
        found.setdefault(row["metric"], []).append((row["time"].strftime("%Y-%m"), row["value"]))
    return found


@variables(ZONE_DETAIL, "zone", "indicator")
def zone_detail_variables(conn):
    values, specs, shown = resolve_variables(conn, load_dashboard(ZONE_DETAIL), {"zone": ZONE_A}, YEAR)
    # Every zone with figures: ours, and the other Timescale tests' 时序A区… when they ran first; by name.
    assert [zone for zone in shown["zone"] if zone[0] in ZONES] == [
        (ZONE_A, NAME_A),
        (ZONE_B, NAME_B),
        (ZONE_C, ZONE_C),
    ]
    assert shown["indicator"] == [
        ("industrial_output", "规上工业产值（亿元）"),
        ("fixed_asset_investment", "固定资产投资（亿元）"),
        ("import_export", "进出口总额（亿元）"),
        ("signed_projects", "招商引资签约项目（个）"),
        ("gdp", "地区生产总值（亿元）"),
    ]
    assert values["indicator"] == [ALL]


@panel(ZONE_DETAIL, 1)
def zone_latest_progress(conn):
    rows = panel_rows(conn, ZONE_DETAIL, 1, ZONE_A_ALL)
    columns = ("指标", "期间", "累计值", "年度目标", "增长目标（%）", "完成率（%）", "同比增长（%）", "状态")
    assert pick(rows, *columns) == [
        ("地区生产总值", "2031年一季度", D("2700"), D("15000"), D("6.0"), D("18.0"), D("8.0"), "落后序时进度7.0个百分点"),
        ("招商引资签约项目", "2031年1-5月", D("20"), D("53"), None, D("37.7"), D("25.0"), "落后序时进度3.9个百分点"),
        ("固定资产投资", "2031年1-4月", D("30"), D("100"), None, D("30.0"), D("25.0"), "落后序时进度3.3个百分点"),
        ("规上工业产值", "2031年1-5月", D("472.5"), D("1050"), None, D("45.0"), D("12.5"),
         "飘红（超序时进度3.3个百分点）"),
        ("进出口总额", "2031年1-5月", D("224"), None, D("10.0"), None, D("12.0"), "飘红（增速高于目标2.0个百分点）"),
    ]  # fmt: skip
    b_rows = panel_rows(conn, ZONE_DETAIL, 1, {"zone": ZONE_B, "indicator": [ALL]})
    assert pick(b_rows, "指标", "期间", "状态") == [
        ("进出口总额", "2031年1-5月", "增速低于目标5.0个百分点"),
        ("规上工业产值", "2031年1-5月", "落后序时进度4.2个百分点"),
        ("招商引资签约项目", "2031年1-5月", "飘红（超序时进度3.3个百分点）"),
        ("地区生产总值", "2031年一季度", "飘红（增速高于目标0.5个百分点）"),
    ]
    empty = panel_rows(conn, ZONE_DETAIL, 1, ZONE_A_ALL, EMPTY_YEAR)
    assert pick(empty, "指标", "状态") == [(None, "所选时间范围内暂无数据")]


@panel(ZONE_DETAIL, 2)
def zone_cumulative(conn):
    found = series(panel_rows(conn, ZONE_DETAIL, 2, ZONE_A_OUTPUT))
    assert found["本年累计（亿元）"] == [("2031-04", D("380")), ("2031-05", D("472.5"))]
    assert found["上年同期累计（亿元）"] == [("2031-04", D("350")), ("2031-05", D("420"))]
    # 1050 × month / 12, every month of the range (December 2030 is outside "This year" in UTC+8).
    assert found["目标序时进度线（亿元）"] == [(f"2031-{m:02d}", D(1050) * m / 12) for m in range(1, 13)]
    assert dict(found["目标序时进度线（亿元）"])["2031-05"] == D("437.5")
    assert set(found) == {"本年累计（亿元）", "上年同期累计（亿元）", "目标序时进度线（亿元）"}
    counts = series(panel_rows(conn, ZONE_DETAIL, 2, {"zone": ZONE_A, "indicator": "signed_projects"}))
    assert counts["本年累计（个）"] == [("2031-05", D("20"))]
    assert dict(counts["目标序时进度线（个）"])["2031-05"] == D("22.08")  # 53 × 5 / 12 = 22.083…
    gdp = series(panel_rows(conn, ZONE_DETAIL, 2, {"zone": ZONE_A, "indicator": "gdp"}))
    assert gdp["本年累计（亿元）"] == [("2031-03", D("2700"))]
    assert gdp["上年同期累计（亿元）"] == [("2031-03", D("2500"))]
    assert dict(gdp["目标序时进度线（亿元）"])["2031-03"] == D("3750")  # 15000 × 3 / 12
    assert panel_rows(conn, ZONE_DETAIL, 2, ZONE_A_OUTPUT, EMPTY_YEAR) == []


@panel(ZONE_DETAIL, 3)
def zone_monthly(conn):
    found = series(panel_rows(conn, ZONE_DETAIL, 3, ZONE_A_OUTPUT))
    # May alone = 472.5 − 380; April alone is unknown (no March report): missing, never zero.
    assert found == {"本年当月（亿元）": [("2031-05", D("92.5"))], "上年同月（亿元）": [("2031-05", D("70"))]}
    quarters = series(panel_rows(conn, ZONE_DETAIL, 3, {"zone": ZONE_A, "indicator": "gdp"}))
    assert quarters == {"本年当季（亿元）": [("2031-03", D("2700"))], "上年同季（亿元）": [("2031-03", D("2500"))]}
    assert panel_rows(conn, ZONE_DETAIL, 3, ZONE_A_OUTPUT, EMPTY_YEAR) == []


@panel(ZONE_DETAIL, 4)
def zone_growth(conn):
    assert series(panel_rows(conn, ZONE_DETAIL, 4, ZONE_A_ALL)) == {
        "规上工业产值": [("2031-04", D("8.6")), ("2031-05", D("12.5"))],
        "固定资产投资": [("2031-04", D("25.0"))],
        "进出口总额": [("2031-05", D("12.0"))],
        "招商引资签约项目": [("2031-05", D("25.0"))],
        "地区生产总值": [("2031-03", D("8.0"))],
    }
    assert panel_rows(conn, ZONE_DETAIL, 4, ZONE_A_ALL, EMPTY_YEAR) == []


@panel(ZONE_DETAIL, 5)
def zone_completion(conn):
    found = series(panel_rows(conn, ZONE_DETAIL, 5, ZONE_A_ALL))
    assert found["规上工业产值 完成率"] == [("2031-04", D("36.2")), ("2031-05", D("45.0"))]
    assert found["固定资产投资 完成率"] == [("2031-04", D("30.0"))]
    assert found["招商引资签约项目 完成率"] == [("2031-05", D("37.7"))]
    assert found["地区生产总值 完成率"] == [("2031-03", D("18.0"))]
    assert "进出口总额 完成率" not in found  # a growth target only: no completion
    assert found["序时进度"] == [
        (f"2031-{m:02d}", D(v))
        for m, v in enumerate(
            ("8.3", "16.7", "25.0", "33.3", "41.7", "50.0", "58.3", "66.7", "75.0", "83.3", "91.7", "100.0"), start=1
        )
    ]
    # No figures: only the time-progress line is drawn.
    assert set(series(panel_rows(conn, ZONE_DETAIL, 5, ZONE_A_ALL, EMPTY_YEAR))) == {"序时进度"}


# ------------------------------------------------------------------ every panel, every variable

SQL_PANELS = sorted(
    {(q.dashboard_uid, q.panel_id): q.panel_title for path in SQL_BOARDS for q in dashboard_queries(path)}.items()
)
QUERY_VARIABLES = sorted((v.dashboard_uid, v.name) for path in SQL_BOARDS for v in variable_queries(path))


def test_the_boards_read_the_provisioned_timescaledb_datasource():
    """The SQL of every panel and variable goes to indicators-db, whose jsonData says TimescaleDB."""
    assert TIMESCALEDB is True
    assert {uid_of(path) for path in SQL_BOARDS} == {
        "half-year-red-overview",
        "rankings",
        "zone-detail",
        "major-projects",
    }
    for path in SQL_BOARDS:
        for query in dashboard_queries(path):
            assert query.datasource_uid == DATASOURCE_UID, (path.name, query.panel_title)
        for variable in variable_queries(path):
            assert variable.datasource_uid == DATASOURCE_UID, (path.name, variable.name)


def test_every_sql_panel_and_query_variable_has_its_figures_here():
    """A panel or variable added to a board (or removed) must be added here (or removed) too."""
    assert sorted(PANEL_CHECKS) == [key for key, _ in SQL_PANELS]
    assert sorted(VARIABLE_CHECKS) == QUERY_VARIABLES


@pytest.mark.parametrize(
    ("uid", "panel_id"), [key for key, _ in SQL_PANELS], ids=[f"{u}:{p}" for (u, p), _ in SQL_PANELS]
)
def test_panel_figures(conn, uid: str, panel_id: int):
    check = PANEL_CHECKS.get((uid, panel_id))
    assert check is not None, f"{uid} panel {panel_id} has no expected figures here: add them, its empty state at least"
    RAN_PANELS.discard((uid, panel_id))
    check(conn)
    assert (uid, panel_id) in RAN_PANELS, f"the check {check.__name__} does not run {uid} panel {panel_id}"


@pytest.mark.parametrize("uid", sorted({uid for uid, _ in QUERY_VARIABLES}))
def test_variable_options(conn, uid: str):
    names = [name for board, name in QUERY_VARIABLES if board == uid]
    missing = [name for name in names if (uid, name) not in VARIABLE_CHECKS]
    assert not missing, f"{uid} variables {missing} have no expected options here: add them"
    RAN_VARIABLES.difference_update((uid, name) for name in names)
    for check in dict.fromkeys(VARIABLE_CHECKS[(uid, name)] for name in names):  # each board's check once
        check(conn)
    assert {(uid, name) for name in names} <= RAN_VARIABLES


@pytest.mark.parametrize("path", SQL_BOARDS, ids=[p.name for p in SQL_BOARDS])
def test_every_query_runs_as_the_board_loads(conn, path: Path):
    """Default selections (latest year and month, first option or All), each repeated panel once per
    option: no query fails, time series come sorted by time (Grafana requires it), columns are unique."""
    dashboard = load_dashboard(path)
    values, specs, _ = resolve_variables(conn, dashboard, {}, YEAR)
    panels = {p["id"]: p for p in iter_panels(dashboard["panels"])}
    repeats = repeat_variables(dashboard)
    ran = set()
    for query in dashboard_queries(path):
        repeat = repeats.get(query.panel_id)
        scopes: list[dict[str, str]] = [{}]
        if repeat:
            chosen = values[repeat]
            options = specs[repeat].options if chosen in (ALL, [ALL]) else chosen
            assert options, (path.name, query.panel_title)
            scopes = [{repeat: option} for option in options]
        target = next(t for t in panels[query.panel_id]["targets"] if t.get("refId") == query.ref_id)
        for scope in scopes:
            sql = render_sql(query.raw_sql, {**values, **scope}, *YEAR, specs=specs, timescaledb=TIMESCALEDB)
            columns, rows = run(conn, sql)
            assert len(columns) == len(set(columns)), (path.name, query.panel_title, columns)
            if target.get("format") == "time_series":
                times = [row[columns.index("time")] for row in rows]
                assert times == sorted(times), (path.name, query.panel_title)
            ran.add(query.panel_id)
    assert ran == {query.panel_id for query in dashboard_queries(path)}


def test_time_group_becomes_time_bucket_on_timescaledb(board_db: str):
    """No board groups by $__timeGroup today (the figures are monthly rows); one that does gets
    TimescaleDB's time_bucket from this datasource, and it runs on the hypertable: weeks start on
    Monday 3 January 2000, TimescaleDB's default origin, so 1 March, 1 April and 1 May 2031 fall in the
    weeks of Monday 24 February, Monday 31 March and Monday 28 April."""
    raw = (
        "SELECT $__timeGroupAlias(period, 7d), count(*) AS reports FROM progress "
        "WHERE $__timeFilter(period) AND zone = ANY(ARRAY[$zone]::text[]) GROUP BY 1 ORDER BY 1"
    )
    sql = render_sql(raw, {"zone": list(ZONES)}, *YEAR, timescaledb=TIMESCALEDB)
    assert "time_bucket('604800.000s',period) AS \"time\"" in sql
    with psycopg.connect(board_db, connect_timeout=10, autocommit=True) as conn:
        rows = conn.execute(sql).fetchall()
    # March: A's and B's 地区生产总值 (1季度); April: three zones' 规上工业产值 and A's 固定资产投资;
    # May: 规上工业产值 and 签约项目 of three zones, and A's and B's 进出口总额.
    assert rows == [(date(2031, 2, 24), 2), (date(2031, 3, 31), 4), (date(2031, 4, 28), 8)]


# The 重大项目督导 board's checks live with its seed (they register themselves in PANEL_CHECKS / VARIABLE_CHECKS).
from tests.timescale import test_projects_board  # noqa: E402, F401
