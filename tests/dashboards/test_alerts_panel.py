"""The 半年红 overview's alerts panels (当前预警, 当前预警数), expanded as Grafana expands them, on alerts that the real
alert evaluator raised from data posted through ingest → Kafka → processor → PostgreSQL.

Zones 看板预警甲区/乙区/丙区 and the years 2010 (last year) and 2011 (this year) are this file's alone. Each step
posts, then waits until the `alerts` table holds exactly the expected state, so the order of the alerts' last
changes is known:

| step | posted | alert (2011) |
|---|---|---|
| 1 | 乙 规上工业产值 2010-05 500, 2011-05 450 (target 1000: 45.0%, on track) | negative_growth 预警: 同比下降10.0% |
| 2 | 丙 进出口总额 2011-05 100, 出口额 2011-05 120 | implausible 预警: 出口额 > 进出口总额 |
| 3 | 甲 规上工业产值 2011-05 300 (target 1000), 固定资产投资 2011-05 20 (target 100) | behind_schedule 预警 ×2: 30.0% and 20.0% against 41.7% |
| 4 | 甲 规上工业产值 2011-06 350 | the same alert escalates to 严重: 35.0% in June, 时间过半、任务未过半 |
| 5 | 丙 招商引资签约项目 2011-05 10 (target 53) | behind_schedule 预警: 10/53 = 18.9%, 22.8 points behind |
| 6 | 甲 固定资产投资 2011-05 revised to 45 | resolved: it leaves the panel |
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

from alerts.model import period_zh
from indicators_core.catalog import load_catalog
from indicators_core.vocabulary import RULE_ZH, Rule
from tests.dashboards.grafana_sql import ALL, BEIJING, OVERVIEW, beijing_year, load_dashboard
from tests.dashboards.panels import YEAR_2009, panel_rows, pick, resolve_variables
from tests.support import Pipeline, post_until_alerts
from tests.support import report as obs

pytestmark = pytest.mark.integration

JIA, YI, BING = "看板预警甲区", "看板预警乙区", "看板预警丙区"
ZONES = (JIA, YI, BING)
YEAR_2011 = beijing_year(2011)
YEAR_2012 = beijing_year(2012)
TABLE, COUNTS = 4, 5
COLUMNS = ("级别", "开发区", "指标", "规则", "期间", "说明")
CHOSEN = {"year": "2011", "month": "6", "zone": [ALL], "indicator": [ALL]}

BEHIND_CRITICAL = (
    "严重",
    JIA,
    "规上工业产值",
    "落后序时进度",
    "2011年1-6月",
    "看板预警甲区 规上工业产值 2011年1-6月完成率35.0%，落后序时进度15.0个百分点，时间过半、任务未过半"
    "（序时进度50.0%，累计350亿元，全年目标1000亿元）",
)
BEHIND_PROJECTS = (
    "预警",
    BING,
    "招商引资签约项目",
    "落后序时进度",
    "2011年1-5月",
    "看板预警丙区 招商引资签约项目 2011年1-5月完成率18.9%，落后序时进度22.8个百分点"
    "（序时进度41.7%，累计10个，全年目标53个）",
)
PART_OVER_WHOLE = (
    "预警",
    BING,
    "出口额",
    "数据不合理",
    "2011年5月",
    "看板预警丙区 出口额 2011年1-5月数据存疑：出口额累计120亿元大于进出口总额累计100亿元（部分不应大于整体）",
)
NEGATIVE_GROWTH = (
    "预警",
    YI,
    "规上工业产值",
    "增速为负或低于目标",
    "2011年1-5月",
    "看板预警乙区 规上工业产值 2011年1-5月累计450亿元，同比下降10.0%（上年同期500亿元）",
)


@pytest.fixture(scope="module")
def alerts_db(pipeline: Pipeline) -> str:
    """The steps of the module docstring, each waited for in the `alerts` table."""
    targets = pipeline.put_targets(
        [
            {"zone": JIA, "indicator": "industrial_output", "year": 2011, "value": "1000"},
            {"zone": JIA, "indicator": "fixed_asset_investment", "year": 2011, "value": "100"},
            {"zone": YI, "indicator": "industrial_output", "year": 2011, "value": "1000"},
            {"zone": BING, "indicator": "signed_projects", "year": 2011, "value": "53"},
        ]
    )
    assert targets.status_code == 202, targets.text
    growth = ("negative_growth", YI, "industrial_output", "firing", "warning")
    part = ("implausible", BING, "export", "firing", "warning")
    output = ("behind_schedule", JIA, "industrial_output", "firing", "warning")
    investment = ("behind_schedule", JIA, "fixed_asset_investment", "firing", "warning")
    output_critical = ("behind_schedule", JIA, "industrial_output", "firing", "critical")
    projects = ("behind_schedule", BING, "signed_projects", "firing", "warning")
    investment_resolved = ("behind_schedule", JIA, "fixed_asset_investment", "resolved", "warning")
    steps = [
        ([obs(YI, "industrial_output", "2010-05", "500"), obs(YI, "industrial_output", "2011-05", "450")], {growth}),
        (
            [
                obs(BING, "import_export", "2011-05", "100"),
                {**obs(BING, "export", "2011-05", "120"), "explanation": "测试：分项大于总量，用于触发数据存疑预警"},
            ],
            {growth, part},
        ),
        (
            [obs(JIA, "industrial_output", "2011-05", "300"), obs(JIA, "fixed_asset_investment", "2011-05", "20")],
            {growth, part, output, investment},
        ),
        ([obs(JIA, "industrial_output", "2011-06", "350")], {growth, part, output_critical, investment}),
        ([obs(BING, "signed_projects", "2011-05", "10")], {growth, part, output_critical, investment, projects}),
        (
            [obs(JIA, "fixed_asset_investment", "2011-05", "45")],
            {growth, part, output_critical, investment_resolved, projects},
        ),
    ]
    post_until_alerts(pipeline, ZONES, steps)
    return pipeline.database_url


@pytest.fixture()
def conn(alerts_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(alerts_db, autocommit=True) as connection:
        connection.execute("SET default_transaction_read_only = on")  # as Grafana's grafana_reader
        yield connection


def test_open_alerts_most_severe_first_then_newest(conn):
    rows = panel_rows(conn, OVERVIEW, TABLE, CHOSEN, YEAR_2011)
    # zone_code: hidden on the board, the code the 开发区 link passes (these zones are not registered: 开发区 is the code).
    assert list(rows[0]) == ["级别", "开发区", "指标", "规则", "期间", "说明", "首次触发", "最近变化", "zone_code"]
    assert [row["zone_code"] for row in rows] == [row["开发区"] for row in rows] == [JIA, BING, BING, YI]
    # The resolved 固定资产投资 alert is gone; the escalated one leads; the warnings newest first.
    assert pick(rows, *COLUMNS) == [BEHIND_CRITICAL, BEHIND_PROJECTS, PART_OVER_WHOLE, NEGATIVE_GROWTH]
    fired = [row["首次触发"] for row in rows]
    changed = [row["最近变化"] for row in rows]
    assert all(moment.tzinfo is not None for moment in fired + changed)  # timestamptz: Grafana shows local time
    # The escalation changed the alert but not when it first fired (step 3, before the 预警 of step 5).
    assert fired[0] < changed[0] and fired[0] < fired[1]
    assert fired[1:] == changed[1:]
    assert changed[1] > changed[2] > changed[3] and changed[0] < changed[1]


def test_open_alerts_counted_by_severity(conn):
    assert pick(panel_rows(conn, OVERVIEW, COUNTS, CHOSEN, YEAR_2011), "严重", "预警", "提示") == [(1, 3, 0)]
    only_jia = {**CHOSEN, "zone": [JIA]}
    assert pick(panel_rows(conn, OVERVIEW, COUNTS, only_jia, YEAR_2011), "严重", "预警", "提示") == [(1, 0, 0)]


def test_alerts_follow_the_zone_and_indicator_variables(conn):
    assert pick(panel_rows(conn, OVERVIEW, TABLE, {**CHOSEN, "zone": [YI]}, YEAR_2011), *COLUMNS) == [NEGATIVE_GROWTH]
    output = {**CHOSEN, "indicator": ["industrial_output"]}
    assert pick(panel_rows(conn, OVERVIEW, TABLE, output, YEAR_2011), *COLUMNS) == [BEHIND_CRITICAL, NEGATIVE_GROWTH]
    both = {**CHOSEN, "zone": [JIA, BING], "indicator": ["export", "signed_projects"]}
    assert pick(panel_rows(conn, OVERVIEW, TABLE, both, YEAR_2011), *COLUMNS) == [BEHIND_PROJECTS, PART_OVER_WHOLE]
    _, specs = resolve_variables(conn, load_dashboard(OVERVIEW), CHOSEN, YEAR_2011)
    assert specs["zone"].options == (BING, YI, JIA)  # code-point order: 丙 U+4E19 < 乙 U+4E59 < 甲 U+7532


def test_no_open_alert_says_so(conn):
    nothing = {**CHOSEN, "indicator": ["import"]}
    assert pick(panel_rows(conn, OVERVIEW, TABLE, nothing, YEAR_2011), *COLUMNS, "首次触发", "最近变化") == [
        (None, None, None, None, None, "当前无预警", None, None)
    ]
    assert pick(panel_rows(conn, OVERVIEW, COUNTS, nothing, YEAR_2011), "严重", "预警", "提示") == [(0, 0, 0)]


def test_a_year_without_any_data_says_no_alert(conn):
    """No month, no zone option: Grafana sends '' and an empty list; the panels still run."""
    chosen = {"year": "2009", "indicator": [ALL]}
    assert pick(panel_rows(conn, OVERVIEW, TABLE, chosen, YEAR_2009), "说明") == [("当前无预警",)]
    assert pick(panel_rows(conn, OVERVIEW, COUNTS, chosen, YEAR_2009), "严重", "预警", "提示") == [(0, 0, 0)]


# ------------------------------------------------------------------ every level, rule and period form

# Alerts of 2012 written straight into the table inside a transaction that is rolled back: the info level
# and the rules the default thresholds make hard to reach through the pipeline (a growth target, a swing,
# a late report), and every period form of a quarterly indicator (地区生产总值, stored at a quarter's last
# month), so the panel's words can be held against the Python that subscribers' messages use.
# 看板预警丁区 is not registered (shown by its code); 看板预警戊区 is, in the same transaction (shown by its name).
LEVELS_ZONE, NAMED_ZONE, NAMED_ZONE_NAME = "看板预警丁区", "看板预警戊区", "看板预警戊开发区"
AT = datetime(2012, 7, 20, 9, 0, tzinfo=BEIJING)
INSERTED = [
    # zone, rule, indicator, period, state, severity, figures, fired, updated
    (LEVELS_ZONE, "negative_growth", "industrial_output", date(2012, 1, 1), "firing", "info", {"month": "7"}, AT, AT),
    (LEVELS_ZONE, "sharp_swing", "export", date(2012, 6, 1), "firing", "warning", {"month": "6"}, AT,
     AT + timedelta(hours=2)),
    (LEVELS_ZONE, "late_report", "import", date(2012, 6, 1), "firing", "warning", {"month": "6"}, AT,
     AT + timedelta(hours=1)),
    (LEVELS_ZONE, "behind_schedule", "signed_projects", date(2012, 1, 1), "firing", "critical", {"month": "1"}, AT, AT),
    (LEVELS_ZONE, "implausible", "export", date(2012, 3, 1), "firing", "critical", {}, AT, AT + timedelta(days=1)),
    (LEVELS_ZONE, "behind_schedule", "industrial_output", date(2012, 1, 1), "firing", "info", {}, AT, AT),
    (LEVELS_ZONE, "late_report", "export", date(2012, 5, 1), "resolved", "warning", {"month": "5"}, AT, AT),  # not open
    (LEVELS_ZONE, "late_report", "export", date(2011, 12, 1), "firing", "warning", {"month": "12"}, AT, AT),  # 2011
    # 地区生产总值 (frequency = "quarter"): 一季度 / 上半年 / 前三季度 / 全年 for the year-to-date rules, 二季度 …
    (LEVELS_ZONE, "behind_schedule", "gdp", date(2012, 1, 1), "firing", "warning", {"month": "6"}, AT,
     AT + timedelta(hours=3)),
    (LEVELS_ZONE, "negative_growth", "gdp", date(2012, 1, 1), "firing", "info", {"month": "9"}, AT, AT),
    (LEVELS_ZONE, "sharp_swing", "gdp", date(2012, 6, 1), "firing", "info", {"month": "6"}, AT, AT),
    (LEVELS_ZONE, "late_report", "gdp", date(2012, 12, 1), "firing", "info", {"month": "12"}, AT, AT),
    (LEVELS_ZONE, "implausible", "gdp", date(2012, 3, 1), "firing", "critical", {}, AT, AT),
    (NAMED_ZONE, "negative_growth", "gdp", date(2012, 1, 1), "firing", "info", {"month": "12"}, AT, AT),
]  # fmt: skip


def message_of(zone: str, rule: str, indicator: str, period: date) -> str:
    return f"{rule} {indicator} {period}" + ("" if zone == LEVELS_ZONE else f" {zone}")


def test_every_level_rule_and_period_in_the_words_subscribers_get(alerts_db: str):
    zones = [LEVELS_ZONE, NAMED_ZONE]
    with psycopg.connect(alerts_db) as conn, conn.transaction(force_rollback=True):
        conn.execute("DELETE FROM alerts WHERE zone = ANY(%s)", (zones,))
        conn.execute(
            "INSERT INTO zones (code, name_zh, level, kind, source, batch_id, row_index, reported_at) "
            "VALUES (%s, %s, 'other', '开发区', 'test', gen_random_uuid(), 0, now())",
            (NAMED_ZONE, NAMED_ZONE_NAME),
        )
        for zone, rule, indicator, period, state, severity, figures, fired, updated in INSERTED:
            conn.execute(
                "INSERT INTO alerts (rule, zone, indicator, period, state, severity, version, message, figures, "
                "fired_at, updated_at, resolved_at) VALUES (%s, %s, %s, %s, %s, %s, 1, %s, %s, %s, %s, %s)",
                (rule, zone, indicator, period, state, severity, message_of(zone, rule, indicator, period),
                 Jsonb(figures), fired, updated, updated if state == "resolved" else None),
            )  # fmt: skip
        chosen = {"year": "2012", "zone": zones, "indicator": [ALL]}
        rows = panel_rows(conn, OVERVIEW, TABLE, chosen, YEAR_2012)
        counts = panel_rows(conn, OVERVIEW, COUNTS, chosen, YEAR_2012)
        # The zone is offered although it has no progress and no target in 2012: it has open alerts.
        _, specs = resolve_variables(conn, load_dashboard(OVERVIEW), chosen, YEAR_2012)
        assert LEVELS_ZONE in specs["zone"].options
    assert pick(rows, "级别", "开发区", "规则", "指标", "期间", "说明") == [
        ("严重", LEVELS_ZONE, "数据不合理", "出口额", "2012年3月", "implausible export 2012-03-01"),  # newest first
        ("严重", LEVELS_ZONE, "落后序时进度", "招商引资签约项目", "2012年1月", "behind_schedule signed_projects 2012-01-01"),
        ("严重", LEVELS_ZONE, "数据不合理", "地区生产总值", "2012年一季度", "implausible gdp 2012-03-01"),
        ("预警", LEVELS_ZONE, "落后序时进度", "地区生产总值", "2012年上半年", "behind_schedule gdp 2012-01-01"),
        ("预警", LEVELS_ZONE, "异常波动", "出口额", "2012年6月", "sharp_swing export 2012-06-01"),
        ("预警", LEVELS_ZONE, "数据迟报", "进口额", "2012年6月", "late_report import 2012-06-01"),
        # Same level and time: by zone (code points of the code), then catalog order of the indicator, then rule.
        ("提示", LEVELS_ZONE, "落后序时进度", "规上工业产值", "2012年", "behind_schedule industrial_output 2012-01-01"),
        ("提示", LEVELS_ZONE, "增速为负或低于目标", "规上工业产值", "2012年1-7月",
         "negative_growth industrial_output 2012-01-01"),
        ("提示", LEVELS_ZONE, "数据迟报", "地区生产总值", "2012年四季度", "late_report gdp 2012-12-01"),
        ("提示", LEVELS_ZONE, "增速为负或低于目标", "地区生产总值", "2012年前三季度", "negative_growth gdp 2012-01-01"),
        ("提示", LEVELS_ZONE, "异常波动", "地区生产总值", "2012年二季度", "sharp_swing gdp 2012-06-01"),
        # A registered zone by its name (the link still carries the code).
        ("提示", NAMED_ZONE_NAME, "增速为负或低于目标", "地区生产总值", "2012年全年",
         f"negative_growth gdp 2012-01-01 {NAMED_ZONE}"),
    ]  # fmt: skip
    assert rows[-1]["zone_code"] == NAMED_ZONE
    assert pick(counts, "严重", "预警", "提示") == [(3, 3, 6)]
    # The same words as the DingTalk/WeCom/e-mail messages and the webhook's period_zh.
    catalog = load_catalog()
    by_message = {row["说明"]: row for row in rows}
    for zone, rule, indicator, period, state, _, figures, _, _ in INSERTED:
        row = by_message.get(message_of(zone, rule, indicator, period))
        if state == "firing" and period.year == 2012:
            assert row is not None
            assert row["规则"] == RULE_ZH[Rule(rule)]
            assert row["期间"] == period_zh(rule, period, figures, quarterly=catalog.indicators[indicator].quarterly)
        else:
            assert row is None
    with psycopg.connect(alerts_db) as conn:
        assert conn.execute("SELECT count(*) FROM alerts WHERE zone = ANY(%s)", (zones,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM zones WHERE code = %s", (NAMED_ZONE,)).fetchone() == (0,)
