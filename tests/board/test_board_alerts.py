"""The 当前预警 section of GET /board, on alerts the real alert evaluator raised from data posted through ingest →
Kafka → processor → PostgreSQL; read from the server's HTML and from headless Chromium's DOM, and held against
the Grafana overview's 当前预警 panel (same rows, same order).

Zones 大屏预警甲区/乙区/丙区 and the years 2012 (last year) and 2013 (this year) are this file's alone. Each step
posts, then waits until the `alerts` table holds exactly the expected state:

| step | posted | alert (2013) |
|---|---|---|
| 1 | 乙 规上工业产值 2012-05 80, 2013-05 60 (target 150: 40.0%, 1.7 points behind, inside the 5-point line); 丙 规上工业产值 2013-05 50 (target 100: on track) | negative_growth 预警: 同比下降25.0% |
| 2 | 甲 招商引资签约项目 2013-05 12 (target 60) | behind_schedule 预警: 20.0% against 41.7% |
| 3 | 甲 招商引资签约项目 2013-06 15 | the same alert escalates to 严重 (June: 25.0% against 50.0%) |
| 4 | 丙 固定资产投资 2013-05 25, 制造业投资 2013-05 30 | implausible 预警: a part larger than its whole |
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import psycopg
import pytest

from tests.board.chromium import dump_dom, near, read_png, screenshot
from tests.board.reading import Board, read_board
from tests.dashboards.grafana_sql import ALL, BEIJING, OVERVIEW, beijing_year
from tests.dashboards.panels import panel_rows
from tests.support import ARTIFACTS, Pipeline, post_until_alerts, wait_for
from tests.support import report as obs

pytestmark = pytest.mark.integration

JIA, YI, BING = "大屏预警甲区", "大屏预警乙区", "大屏预警丙区"
ZONES = (JIA, YI, BING)
YEAR_2013 = beijing_year(2013)

CRITICAL = (
    "严重",
    JIA,
    "招商引资签约项目",
    "落后序时进度",
    "2013年1-6月",
    "大屏预警甲区 招商引资签约项目 2013年1-6月完成率25.0%，落后序时进度25.0个百分点，时间过半、任务未过半"
    "（序时进度50.0%，累计15个，全年目标60个）",
)
PART_OVER_WHOLE = (
    "预警",
    BING,
    "制造业投资",
    "数据不合理",
    "2013年5月",
    "大屏预警丙区 制造业投资 2013年1-5月数据存疑：制造业投资累计30亿元大于固定资产投资累计25亿元（部分不应大于整体）",
)
NEGATIVE_GROWTH = (
    "预警",
    YI,
    "规上工业产值",
    "增速为负或低于目标",
    "2013年1-5月",
    "大屏预警乙区 规上工业产值 2013年1-5月累计60亿元，同比下降25.0%（上年同期80亿元）",
)


@pytest.fixture(scope="module")
def raised(pipeline: Pipeline) -> Pipeline:
    """The steps of the module docstring, each waited for in the `alerts` table."""
    targets = pipeline.put_targets(
        [
            {"zone": YI, "indicator": "industrial_output", "year": 2013, "value": "150"},
            {"zone": BING, "indicator": "industrial_output", "year": 2013, "value": "100"},
            {"zone": JIA, "indicator": "signed_projects", "year": 2013, "value": "60"},
        ]
    )
    assert targets.status_code == 202, targets.text
    growth = ("negative_growth", YI, "industrial_output", "firing", "warning")
    behind = ("behind_schedule", JIA, "signed_projects", "firing", "warning")
    behind_critical = ("behind_schedule", JIA, "signed_projects", "firing", "critical")
    part = ("implausible", BING, "manufacturing_investment", "firing", "warning")
    steps = [
        (
            [
                obs(YI, "industrial_output", "2012-05", "80"),
                obs(YI, "industrial_output", "2013-05", "60"),
                obs(BING, "industrial_output", "2013-05", "50"),
            ],
            {growth},
        ),
        ([obs(JIA, "signed_projects", "2013-05", "12")], {growth, behind}),
        ([obs(JIA, "signed_projects", "2013-06", "15")], {growth, behind_critical}),
        (
            [
                obs(BING, "fixed_asset_investment", "2013-05", "25"),
                {
                    **obs(BING, "manufacturing_investment", "2013-05", "30"),
                    "explanation": "测试：分项大于总量，用于触发数据存疑预警",
                },
            ],
            {growth, behind_critical, part},
        ),
    ]
    post_until_alerts(pipeline, ZONES, steps)
    # The progress of the last step too (the board's sections), not only the alert.
    wait_for(
        lambda: len(progress_rows(pipeline, 2013, 5)) == 5,
        timeout=120,
        what="five progress rows of 2013-05",
        last=lambda: progress_rows(pipeline, 2013, 5),
    )
    return pipeline


def progress_rows(pipeline: Pipeline, year: int, month: int) -> list[tuple]:
    response = httpx.get(
        f"{pipeline.query_url}/v1/progress", params={"year": year, "month": month, "zone": list(ZONES)}, timeout=10
    )
    response.raise_for_status()
    return [(item["zone"], item["indicator"]) for item in response.json()["items"]]


def url(pipeline: Pipeline, zones: tuple[str, ...] = ZONES, **params: str | int) -> str:
    query = urlencode([("zone", zone) for zone in zones] + [(name, str(value)) for name, value in params.items()])
    return f"{pipeline.query_url}/board?{query}"


def page(pipeline: Pipeline, zones: tuple[str, ...] = ZONES, **params: str | int) -> Board:
    response = httpx.get(url(pipeline, zones, **params), timeout=30)
    assert response.status_code == 200, response.text
    return read_board(response.text)


def fired_and_updated(pipeline: Pipeline) -> dict[tuple[str, str], tuple[str, str]]:
    """(zone, indicator) → when the alert first fired and last changed, in Beijing time as the page shows it."""
    with psycopg.connect(pipeline.database_url) as conn:
        rows = conn.execute(
            "SELECT zone, indicator, fired_at, updated_at FROM alerts WHERE zone = ANY(%s) AND state = 'firing'",
            (list(ZONES),),
        ).fetchall()
    shown = "%Y-%m-%d %H:%M"
    return {
        (zone, indicator): (fired.astimezone(BEIJING).strftime(shown), updated.astimezone(BEIJING).strftime(shown))
        for zone, indicator, fired, updated in rows
    }


def test_open_alerts_most_severe_first_then_newest_in_words(raised: Pipeline):
    board = page(raised, year=2013, month=5)
    assert board.texts["alerts-title"] == "当前预警 2013年 严重 1 · 预警 2 · 提示 0"
    assert board.alert_counts == {"critical": "严重 1", "warning": "预警 2", "info": "提示 0"}
    assert [alert.words for alert in board.alerts] == [CRITICAL, PART_OVER_WHOLE, NEGATIVE_GROWTH]
    assert [alert.severity for alert in board.alerts] == ["critical", "warning", "warning"]
    times = fired_and_updated(raised)
    assert [(alert.fired, alert.updated) for alert in board.alerts] == [
        times[(JIA, "signed_projects")],
        times[(BING, "manufacturing_investment")],
        times[(YI, "industrial_output")],
    ]
    assert "alerts-more" not in board.texts and "alerts-empty" not in board.texts
    # The month shown does not matter: the alerts are the year's (the escalation judged June).
    assert [alert.words for alert in page(raised).alerts] == [CRITICAL, PART_OVER_WHOLE, NEGATIVE_GROWTH]


def test_the_board_and_the_grafana_panel_list_the_same_alerts(raised: Pipeline):
    with psycopg.connect(raised.database_url, autocommit=True) as conn:
        chosen = {"year": "2013", "zone": list(ZONES), "indicator": [ALL]}
        grafana = panel_rows(conn, OVERVIEW, 4, chosen, YEAR_2013)
    columns = ("级别", "开发区", "指标", "规则", "期间", "说明")
    assert [alert.words for alert in page(raised, year=2013).alerts] == [
        tuple(row[column] for column in columns) for row in grafana
    ]


def test_alerts_follow_the_zone_and_indicator_filters(raised: Pipeline):
    assert [alert.words for alert in page(raised, (YI,), year=2013).alerts] == [NEGATIVE_GROWTH]
    both = page(raised, year=2013, indicator="manufacturing_investment")
    assert [alert.words for alert in both.alerts] == [PART_OVER_WHOLE]
    assert both.alert_counts == {"critical": "严重 0", "warning": "预警 1", "info": "提示 0"}


def test_no_open_alert_says_so(raised: Pipeline):
    board = page(raised, (BING,), year=2013, indicator="industrial_output")
    assert board.section("industrial_output").row(BING).status_text == "✔ 飘红 · 超序时进度8.3个百分点"
    assert board.alerts == []
    assert board.texts["alerts-empty"] == "当前无预警"
    assert board.alert_counts == {"critical": "严重 0", "warning": "预警 0", "info": "提示 0"}
    # A year without data or alerts: the page's own empty state, no alerts section to add to it.
    empty = page(raised, year=2012, month=1)
    assert "empty" in empty.texts and "alerts" not in empty.texts


def test_alerts_in_headless_chromium(raised: Pipeline):
    """What the wall screen's browser shows: the same rows in the DOM, and the levels' colours in the picture."""
    board = read_board(dump_dom(url(raised, year=2013, month=5)))
    assert [alert.words for alert in board.alerts] == [CRITICAL, PART_OVER_WHOLE, NEGATIVE_GROWTH]
    assert board.texts["alerts-title"] == "当前预警 2013年 严重 1 · 预警 2 · 提示 0"

    path = screenshot(url(raised, year=2013, month=5), ARTIFACTS / "board-alerts.png", 1600, 1000)
    colours = read_png(path).colours()
    assert near(colours, (239, 108, 0)) > 50, "no orange 严重 badge in the screenshot"
    assert near(colours, (255, 179, 0)) > 50, "no amber 预警 badge in the screenshot"
