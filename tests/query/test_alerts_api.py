"""GET /v1/alerts and /v1/alerts/history on alerts the real alert evaluator raised from data posted through
ingest → Kafka → processor → PostgreSQL, read from the query service (a real process); and, in-process against a
PostgreSQL of its own that is stopped for real, the 503 while the database is down.

Zones 接口预警甲区/乙区/丙区 and the year 2008 are this file's alone. Each step posts, then waits until the
`alerts` table holds exactly the expected state:

| step | posted | alert (2008) |
|---|---|---|
| 1 | 甲 规上工业产值 Jan–May 8, 16, 24, 32, 35 (target 100; inside the 5-point line until May) | behind_schedule 预警 fires: 35.0% against 41.7% |
| 2 | 乙 招商引资签约项目 2008-05 12 (target 60) | behind_schedule 预警 fires: 20.0% against 41.7% |
| 3 | 乙 招商引资签约项目 2008-06 15 | escalates to 严重 (June: 25.0% against 50.0%) |
| 4 | 丙 固定资产投资 2008-05 25, 制造业投资 2008-05 30 | implausible 预警 fires: a part larger than its whole |
| 5 | 甲 规上工业产值 2008-05 revised to 40 | 甲's alert resolves: 40.0%, 1.7 points behind |
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from query.config import QuerySettings
from query.main import describe_database
from stack.postgres import PostgresServer
from tests.board.reading import read_board
from tests.in_process import query_api
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration

JIA, YI, BING = "接口预警甲区", "接口预警乙区", "接口预警丙区"
ZONES = [JIA, YI, BING]
YEAR = 2008

FIRED_JIA = (
    "接口预警甲区 规上工业产值 2008年1-5月完成率35.0%，落后序时进度6.7个百分点"
    "（序时进度41.7%，累计35亿元，全年目标100亿元）"
)
RESOLVED_JIA = (
    "接口预警甲区 规上工业产值 2008年1-5月完成率40.0%，落后序时进度1.7个百分点，未超过5个百分点的预警线"
    "（序时进度41.7%，累计40亿元，全年目标100亿元）"
)
FIRED_YI = (
    "接口预警乙区 招商引资签约项目 2008年1-5月完成率20.0%，落后序时进度21.7个百分点"
    "（序时进度41.7%，累计12个，全年目标60个）"
)
ESCALATED_YI = (
    "接口预警乙区 招商引资签约项目 2008年1-6月完成率25.0%，落后序时进度25.0个百分点，时间过半、任务未过半"
    "（序时进度50.0%，累计15个，全年目标60个）"
)
FIRED_BING = (
    "接口预警丙区 制造业投资 2008年1-5月数据存疑：制造业投资累计30亿元大于固定资产投资累计25亿元（部分不应大于整体）"
)


def obs(zone: str, indicator: str, period: str, value: str) -> dict:
    unit = "个" if indicator == "signed_projects" else "亿元"
    return {"zone": zone, "indicator": indicator, "period": period, "value": value, "unit": unit}


def alert_state(database_url: str) -> set[tuple[str, str, str, str, str, int]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT rule, zone, indicator, state, severity, version FROM alerts WHERE zone = ANY(%s)", (ZONES,)
        ).fetchall()
    return set(rows)


def unpublished(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM alert_events WHERE zone = ANY(%s) AND published_at IS NULL", (ZONES,)
        ).fetchone()[0]


def stored(database_url: str, table: str) -> dict[tuple, dict[str, Any]]:
    """Rows of `alerts` or `alert_events` of this file's zones, by identity (+ version for events)."""
    with psycopg.connect(database_url) as conn:
        cursor = conn.cursor(row_factory=dict_row)
        rows = cursor.execute(f"SELECT * FROM {table} WHERE zone = ANY(%s)", (ZONES,)).fetchall()  # noqa: S608
    key = ("zone", "rule", "version") if table == "alert_events" else ("zone", "rule")
    return {tuple(row[k] for k in key): row for row in rows}


def utc(moment: datetime | None) -> str | None:
    """A timestamp as the API writes it."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def get(pipeline: Pipeline, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{pipeline.query_url}{path}", params=params, timeout=30)


def alerts(pipeline: Pipeline, **params: Any) -> dict:
    response = get(pipeline, "/v1/alerts", **({"zone": ZONES} | params))
    assert response.status_code == 200, response.text
    return response.json()


def history(pipeline: Pipeline, **params: Any) -> list[dict]:
    response = get(pipeline, "/v1/alerts/history", **({"zone": ZONES} | params))
    assert response.status_code == 200, response.text
    return response.json()["items"]


@dataclass(frozen=True)
class Raised:
    pipeline: Pipeline
    while_firing: dict  # GET /v1/alerts?zone=甲&state=all after step 1, before the revision


@pytest.fixture(scope="module")
def raised(pipeline: Pipeline) -> Raised:
    """The steps of the module docstring, each waited for in the `alerts` table."""
    targets = pipeline.put_targets(
        [
            {"zone": JIA, "indicator": "industrial_output", "year": YEAR, "value": "100"},
            {"zone": YI, "indicator": "signed_projects", "year": YEAR, "value": "60"},
        ]
    )
    assert targets.status_code == 202, targets.text
    jia = ("behind_schedule", JIA, "industrial_output", "firing", "warning", 1)
    yi = ("behind_schedule", YI, "signed_projects", "firing", "warning", 1)
    yi_critical = ("behind_schedule", YI, "signed_projects", "firing", "critical", 2)
    bing = ("implausible", BING, "manufacturing_investment", "firing", "warning", 1)
    jia_resolved = ("behind_schedule", JIA, "industrial_output", "resolved", "warning", 2)
    # Jan–Apr stay inside the 5-point line (Apr: 32.0% against 33.3%), so however the months reach the evaluator
    # the alert fires once, on May's figures.
    jan_may = [
        obs(JIA, "industrial_output", f"{YEAR}-{m:02d}", v) for m, v in enumerate(["8", "16", "24", "32", "35"], 1)
    ]
    steps = [
        (jan_may, {jia}),
        ([obs(YI, "signed_projects", f"{YEAR}-05", "12")], {jia, yi}),
        ([obs(YI, "signed_projects", f"{YEAR}-06", "15")], {jia, yi_critical}),
        (
            [
                obs(BING, "fixed_asset_investment", f"{YEAR}-05", "25"),
                {
                    **obs(BING, "manufacturing_investment", f"{YEAR}-05", "30"),
                    "explanation": "测试：分项大于总量，用于触发数据存疑预警",
                },
            ],
            {jia, yi_critical, bing},
        ),
        ([obs(JIA, "industrial_output", f"{YEAR}-05", "40")], {jia_resolved, yi_critical, bing}),
    ]
    while_firing: dict = {}
    for number, (rows, expected) in enumerate(steps, start=1):
        accepted = pipeline.post_observations(rows)
        assert accepted.status_code == 202, accepted.text
        wait_for(
            lambda expected=expected: alert_state(pipeline.database_url) == expected,
            timeout=120,
            what=f"step {number}: the alerts {sorted(expected)}",
            last=lambda: sorted(alert_state(pipeline.database_url)),
        )
        if number == 1:
            while_firing = alerts(pipeline, zone=[JIA], state="all")
    # Every transition on the alerts topic, so the history's published_at are all set.
    wait_for(lambda: unpublished(pipeline.database_url) == 0, 60, "every alert event published")
    return Raised(pipeline, while_firing)


def expected_item(row: dict[str, Any], **words: str) -> dict[str, Any]:
    """An alert as /v1/alerts must show it: the stored row, with the words given."""
    return {
        "rule": row["rule"],
        "rule_zh": words["rule_zh"],
        "zone": row["zone"],
        "zone_name": None,  # the test's zones are not registered
        "indicator": row["indicator"],
        "indicator_name": words["indicator_name"],
        "period": words["period"],
        "period_zh": words["period_zh"],
        "state": row["state"],
        "severity": row["severity"],
        "severity_zh": words["severity_zh"],
        "version": row["version"],
        "message": row["message"],
        "figures": row["figures"],
        "fired_at": utc(row["fired_at"]),
        "updated_at": utc(row["updated_at"]),
        "resolved_at": utc(row["resolved_at"]),
    }


def test_a_lag_is_listed_firing_with_its_figures_then_resolved_by_the_revision(raised: Raised):
    (fired,) = raised.while_firing["items"]
    assert raised.while_firing["counts"] == {"critical": 0, "warning": 1, "info": 0}
    assert {k: v for k, v in fired.items() if k not in ("fired_at", "updated_at")} == {
        "rule": "behind_schedule",
        "rule_zh": "落后序时进度",
        "zone": JIA,
        "zone_name": None,
        "indicator": "industrial_output",
        "indicator_name": "规上工业产值",
        "period": "2008-01",
        "period_zh": "2008年1-5月",
        "state": "firing",
        "severity": "warning",
        "severity_zh": "预警",
        "version": 1,
        "message": FIRED_JIA,
        "figures": {
            "year": "2008",
            "month": "5",
            "ytd_value": "35",
            "target_value": "100",
            "unit": "亿元",
            "completion_pct": "35",
            # Exact decimals as the evaluator stored them: 5/12 of the year, and 35 − 41.666… points.
            "time_progress_pct": "41.666666666667",
            "progress_gap_pp": "-6.666666666667",
            "gap_threshold_pp": "5",
        },
        "resolved_at": None,
    }
    assert fired["fired_at"] == fired["updated_at"]

    # After the revision: no longer firing; listed as resolved with the figures that resolved it.
    assert alerts(raised.pipeline, zone=[JIA])["items"] == []
    (resolved,) = alerts(raised.pipeline, zone=[JIA], state="resolved")["items"]
    row = stored(raised.pipeline.database_url, "alerts")[(JIA, "behind_schedule")]
    assert resolved == expected_item(
        row,
        rule_zh="落后序时进度",
        indicator_name="规上工业产值",
        period="2008-01",
        period_zh="2008年1-5月",
        severity_zh="预警",
    )
    assert (resolved["state"], resolved["version"], resolved["message"]) == ("resolved", 2, RESOLVED_JIA)
    assert resolved["figures"]["ytd_value"] == "40" and resolved["figures"]["completion_pct"] == "40"
    assert resolved["fired_at"] == fired["fired_at"]  # the same alert, not a new one
    assert resolved["resolved_at"] == resolved["updated_at"] > fired["updated_at"]


def test_every_state_most_severe_first_then_most_recently_changed(raised: Raised):
    rows = stored(raised.pipeline.database_url, "alerts")
    body = alerts(raised.pipeline, state="all")
    assert body["items"] == [
        expected_item(
            rows[(YI, "behind_schedule")],
            rule_zh="落后序时进度",
            indicator_name="招商引资签约项目",
            period="2008-01",
            period_zh="2008年1-6月",
            severity_zh="严重",
        ),
        # Of the two warnings, 甲's resolution (step 5) changed last.
        expected_item(
            rows[(JIA, "behind_schedule")],
            rule_zh="落后序时进度",
            indicator_name="规上工业产值",
            period="2008-01",
            period_zh="2008年1-5月",
            severity_zh="预警",
        ),
        expected_item(
            rows[(BING, "implausible")],
            rule_zh="数据不合理",
            indicator_name="制造业投资",
            period="2008-05",
            period_zh="2008年5月",
            severity_zh="预警",
        ),
    ]
    assert [(i["state"], i["version"], i["message"]) for i in body["items"]] == [
        ("firing", 2, ESCALATED_YI),
        ("resolved", 2, RESOLVED_JIA),
        ("firing", 1, FIRED_BING),
    ]
    assert body["items"][2]["figures"] == {
        "year": "2008",
        "month": "5",
        "ytd_value": "30",
        "unit": "亿元",
        "whole_indicator": "fixed_asset_investment",
        "whole_ytd_value": "25",
        "problems": "part_exceeds_whole",
    }
    assert body["counts"] == {"critical": 1, "warning": 2, "info": 0}
    # The year alone selects the same alerts: 2008 is this file's.
    assert alerts(raised.pipeline, zone=[], state="all", year=YEAR) == body


def test_firing_is_the_default_and_the_counts_are_of_the_whole_selection(raised: Raised):
    firing = alerts(raised.pipeline)
    assert [(i["zone"], i["rule"], i["severity"]) for i in firing["items"]] == [
        (YI, "behind_schedule", "critical"),
        (BING, "implausible", "warning"),
    ]
    assert firing == alerts(raised.pipeline, state="firing")
    assert firing["counts"] == {"critical": 1, "warning": 1, "info": 0}
    resolved = alerts(raised.pipeline, state="resolved")
    assert [(i["zone"], i["state"]) for i in resolved["items"]] == [(JIA, "resolved")]
    assert resolved["counts"] == {"critical": 0, "warning": 1, "info": 0}
    # The limit cuts the list, not the counts.
    first = alerts(raised.pipeline, state="all", limit=1)
    assert [(i["zone"], i["severity"]) for i in first["items"]] == [(YI, "critical")]
    assert first["counts"] == {"critical": 1, "warning": 2, "info": 0}


def test_filters_by_zone_indicator_rule_severity_and_year(raised: Raised):
    def shown(**params: Any) -> list[tuple[str, str]]:
        return [(i["zone"], i["indicator"]) for i in alerts(raised.pipeline, state="all", **params)["items"]]

    assert shown(zone=[BING, JIA]) == [(JIA, "industrial_output"), (BING, "manufacturing_investment")]
    assert shown(indicator=["signed_projects"]) == [(YI, "signed_projects")]
    assert shown(indicator=["signed_projects", "manufacturing_investment"]) == [
        (YI, "signed_projects"),
        (BING, "manufacturing_investment"),
    ]
    assert shown(rule=["implausible"]) == [(BING, "manufacturing_investment")]
    assert shown(rule=["behind_schedule", "late_report"]) == [(YI, "signed_projects"), (JIA, "industrial_output")]
    assert shown(min_severity="critical") == [(YI, "signed_projects")]
    assert shown(min_severity="warning") == shown() == shown(min_severity="info")
    assert alerts(raised.pipeline, min_severity="critical")["counts"] == {"critical": 1, "warning": 0, "info": 0}
    assert shown(year=YEAR) == shown()
    empty = alerts(raised.pipeline, state="all", year=YEAR - 1)
    assert empty == {"items": [], "counts": {"critical": 0, "warning": 0, "info": 0}}
    assert shown(zone=["接口预警无此区"]) == []


def test_history_lists_every_transition_newest_first(raised: Raised):
    events = stored(raised.pipeline.database_url, "alert_events")
    items = history(raised.pipeline, year=YEAR)
    assert [
        (i["zone"], i["rule"], i["version"], i["transition"], i["transition_zh"], i["severity_zh"], i["period_zh"])
        for i in items
    ] == [
        (JIA, "behind_schedule", 2, "resolved", "已恢复", "预警", "2008年1-5月"),
        (BING, "implausible", 1, "fired", "新触发", "预警", "2008年5月"),
        (YI, "behind_schedule", 2, "escalated", "升级", "严重", "2008年1-6月"),
        (YI, "behind_schedule", 1, "fired", "新触发", "预警", "2008年1-5月"),
        (JIA, "behind_schedule", 1, "fired", "新触发", "预警", "2008年1-5月"),
    ]
    assert [i["message"] for i in items] == [RESOLVED_JIA, FIRED_BING, ESCALATED_YI, FIRED_YI, FIRED_JIA]
    for item in items:
        row = events[(item["zone"], item["rule"], item["version"])]
        assert item == {
            "rule": row["rule"],
            "rule_zh": "数据不合理" if row["rule"] == "implausible" else "落后序时进度",
            "zone": row["zone"],
            "zone_name": None,
            "indicator": row["indicator"],
            "indicator_name": {JIA: "规上工业产值", YI: "招商引资签约项目", BING: "制造业投资"}[row["zone"]],
            "period": "2008-05" if row["rule"] == "implausible" else "2008-01",
            "period_zh": item["period_zh"],  # asserted above, per transition
            "version": row["version"],
            "transition": row["transition"],
            "transition_zh": item["transition_zh"],
            "severity": row["severity"],
            "severity_zh": item["severity_zh"],
            "message": row["message"],
            "figures": row["figures"],
            "occurred_at": utc(row["occurred_at"]),
            "published_at": utc(row["published_at"]),
        }
        assert item["published_at"] >= item["occurred_at"]  # what was sent, and when it went out
    occurred = [i["occurred_at"] for i in items]
    assert occurred == sorted(occurred, reverse=True) and len(set(occurred)) == len(occurred)
    # The figures each transition was sent with: 甲 fired on 35 and resolved on the revised 40.
    assert [i["figures"]["ytd_value"] for i in items if i["zone"] == JIA] == ["40", "35"]


def test_history_filters_and_limit(raised: Raised):
    def shown(**params: Any) -> list[tuple[str, int, str]]:
        return [(i["zone"], i["version"], i["transition"]) for i in history(raised.pipeline, **params)]

    assert shown(zone=[JIA]) == [(JIA, 2, "resolved"), (JIA, 1, "fired")]
    assert shown(indicator=["signed_projects"]) == [(YI, 2, "escalated"), (YI, 1, "fired")]
    assert shown(rule=["implausible"]) == [(BING, 1, "fired")]
    assert shown(limit=2) == [(JIA, 2, "resolved"), (BING, 1, "fired")]
    assert shown(year=YEAR) == shown() and len(shown()) == 5
    assert shown(year=YEAR + 1) == []


def test_the_api_and_the_board_list_the_same_open_alerts(raised: Raised):
    query = "&".join(f"zone={zone}" for zone in ZONES)
    page = httpx.get(f"{raised.pipeline.query_url}/board?{query}&year={YEAR}&month=6", timeout=30)
    assert page.status_code == 200, page.text
    board = read_board(page.text)
    assert [alert.words for alert in board.alerts] == [
        (i["severity_zh"], i["zone"], i["indicator_name"], i["rule_zh"], i["period_zh"], i["message"])
        for i in alerts(raised.pipeline, year=YEAR)["items"]
    ]
    assert board.alert_counts == {"critical": "严重 1", "warning": "预警 1", "info": "提示 0"}


BAD_ALERTS = [
    ({"state": "open"}, "state", "Input should be 'firing', 'resolved' or 'all'"),
    ({"year": "1989"}, "year", "Input should be greater than or equal to 1990"),
    ({"year": "2008年"}, "year", "Input should be a valid integer, unable to parse string as an integer"),
    ({"indicator": ["export", "gross_output"]}, "indicator", "unknown indicator 'gross_output' (known: "),
    ({"rule": ["behind_schedule", "behind"]}, "rule", "unknown rule 'behind' (known: behind_schedule, "),
    ({"min_severity": "high"}, "min_severity", "Input should be 'info', 'warning' or 'critical'"),
    ({"limit": "0"}, "limit", "Input should be greater than or equal to 1"),
    ({"limit": "1001"}, "limit", "Input should be less than or equal to 1000"),
]
BAD_HISTORY = [
    ({"year": "2101"}, "year", "Input should be less than or equal to 2100"),
    ({"indicator": "gross_output"}, "indicator", "unknown indicator 'gross_output' (known: "),
    ({"rule": "resolved"}, "rule", "unknown rule 'resolved' (known: behind_schedule, "),
    ({"limit": "all"}, "limit", "Input should be a valid integer, unable to parse string as an integer"),
]


@pytest.mark.parametrize(
    ("path", "params", "field", "reason"),
    [("/v1/alerts", *case) for case in BAD_ALERTS] + [("/v1/alerts/history", *case) for case in BAD_HISTORY],
)
def test_bad_parameters_are_named(pipeline: Pipeline, path: str, params: dict, field: str, reason: str):
    response = get(pipeline, path, **params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["errors"][0]["reason"].startswith(reason), body
    assert body["detail"] == f"{field}: {body['errors'][0]['reason']}"


def test_requests_are_counted_and_timed(raised: Raised):
    get(raised.pipeline, "/v1/alerts", limit="0")
    text = get(raised.pipeline, "/metrics").text
    assert 'indicators_query_requests_total{method="GET",route="/v1/alerts",status="200"}' in text
    assert 'indicators_query_requests_total{method="GET",route="/v1/alerts",status="422"}' in text
    assert 'indicators_query_requests_total{method="GET",route="/v1/alerts/history",status="200"}' in text
    assert 'indicators_query_db_seconds_count{query="alerts"}' in text
    assert 'indicators_query_db_seconds_count{query="alert_events"}' in text


def test_the_openapi_document_describes_both_endpoints(pipeline: Pipeline):
    spec = get(pipeline, "/openapi.json").json()
    listed = spec["paths"]["/v1/alerts"]["get"]
    assert listed["summary"] == "Alerts and their current state, most severe first, then the most recently changed"
    assert [p["name"] for p in listed["parameters"]] == [
        "state",
        "year",
        "zone",
        "indicator",
        "rule",
        "min_severity",
        "limit",
    ]
    assert set(listed["responses"]) == {"200", "422", "503"}
    changes = spec["paths"]["/v1/alerts/history"]["get"]
    assert changes["summary"].startswith("Every transition of the alerts")
    assert [p["name"] for p in changes["parameters"]] == ["zone", "indicator", "rule", "year", "limit"]


# ---------------------------------------------------------------- the database down


@pytest.mark.anyio
async def test_while_the_database_is_down_both_answer_503_and_recover():
    # A folder of our own rather than pytest's tmp_path: a concurrent pytest session may prune old basetemp
    # folders, and a cluster whose folder vanished can no longer be stopped by pg_ctl.
    with tempfile.TemporaryDirectory(prefix="alerts-api-outage-") as folder:
        server = PostgresServer(Path(folder) / "postgres")
        server.start()
        try:
            database_url = server.create_database("alerts_api_outage")
            settings = QuerySettings(database_url=database_url, db_pool_timeout_s=1.0)
            async with query_api(settings, timeout=30) as client:
                up = await client.get("/v1/alerts", params={"state": "all"})
                assert up.status_code == 200, up.text
                assert up.json() == {"items": [], "counts": {"critical": 0, "warning": 0, "info": 0}}
                assert (await client.get("/v1/alerts/history")).json() == {"items": []}

                server.stop()
                with pytest.raises(psycopg.OperationalError):  # really down
                    psycopg.connect(server.url("postgres"), connect_timeout=3).close()
                for path in ("/v1/alerts", "/v1/alerts/history"):
                    down = await client.get(path)
                    assert down.status_code == 503, down.text
                    assert down.headers["retry-after"] == "5"
                    detail = down.json()["detail"]
                    assert detail.startswith(f"PostgreSQL at {describe_database(database_url)} is unavailable (")
                    assert detail.endswith("); try again")

                server.start()
                again = await wait_for_status(client, "/v1/alerts/history", 200)
                assert again.json() == {"items": []}
        finally:
            server.stop()


async def wait_for_status(client: httpx.AsyncClient, path: str, status: int) -> httpx.Response:
    """The pool may need a moment to replace the connections the restart broke."""
    deadline = time.monotonic() + 30
    while (response := await client.get(path)).status_code != status and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    return response
