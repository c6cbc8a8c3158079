"""The 半年红 overview's 状态 for series judged against a growth target only, and for a stock: the same
words as the query API, on figures posted through the real pipeline (zones of this test's own, 2023)."""

from __future__ import annotations

import uuid

import httpx
import psycopg
import pytest

from tests.dashboards.grafana_sql import ALL, OVERVIEW
from tests.dashboards.panels import beijing_year, panel_rows, pick
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration

SUFFIX = uuid.uuid4().hex[:6]
ABOVE, BELOW, UNKNOWN, STOCK = (f"{name}-{SUFFIX}" for name in ("增速看板甲", "增速看板乙", "增速看板丙", "存量看板"))
ZONES = [ABOVE, BELOW, UNKNOWN, STOCK]


def test_growth_target_and_stock_words_on_the_overview_match_the_api(pipeline: Pipeline):
    def row(zone: str, indicator: str, period: str, value: str, unit: str = "亿元") -> dict:
        return {"zone": zone, "indicator": indicator, "period": period, "value": value, "unit": unit}

    accepted = pipeline.post_observations(
        [
            row(ABOVE, "export", "2022-05", "40"),
            row(ABOVE, "export", "2023-05", "45"),  # +12.5% against 10%
            row(BELOW, "export", "2022-05", "40"),
            row(BELOW, "export", "2023-05", "43.8"),  # +9.5% against 10%
            row(UNKNOWN, "export", "2023-05", "12"),  # no 2022 figure: no growth to judge
            row(STOCK, "enterprises_above_scale", "2023-05", "96", "家"),
        ]
    )
    assert accepted.status_code == 202, accepted.text
    targets = pipeline.put_targets(
        [{"zone": zone, "indicator": "export", "year": 2023, "kind": "growth", "value": 10} for zone in ZONES[:3]]
        + [{"zone": STOCK, "indicator": "enterprises_above_scale", "year": 2023, "value": 120}]
    )
    assert targets.status_code == 202, targets.text

    def judged() -> int:
        with psycopg.connect(pipeline.database_url) as conn:
            (count,) = conn.execute(
                "SELECT count(*) FROM progress WHERE zone = ANY(%s) AND year = 2023"
                " AND (growth_target_pct IS NOT NULL OR target_value IS NOT NULL)",
                (ZONES,),
            ).fetchone()
        return int(count)

    wait_for(lambda: judged() == 4, timeout=60, what="the four 2023 rows with their targets", last=judged)
    with psycopg.connect(pipeline.database_url, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = on")
        rows = panel_rows(
            conn, OVERVIEW, 3, {"year": "2023", "month": "5", "zone": ZONES, "indicator": [ALL]}, beijing_year(2023)
        )
    words = dict(((zone, indicator), status) for zone, indicator, status in pick(rows, "开发区", "指标", "状态"))
    assert words == {
        (ABOVE, "出口额"): "飘红（增速高于目标2.5个百分点）",
        (BELOW, "出口额"): "增速低于目标0.5个百分点",
        (UNKNOWN, "出口额"): "增速缺失，无法对比增长目标",
        (STOCK, "规上工业企业数"): "完成目标80.0%（期末数，不对比序时进度）",
    }
    response = httpx.get(
        f"{pipeline.query_url}/v1/progress", params={"year": 2023, "month": 5, "zone": ZONES}, timeout=10
    )
    response.raise_for_status()
    api = {
        (item["zone"], item["indicator_name"]): (
            f"飘红（{item['status_zh']}）" if item["status"] == "on_track" else item["status_zh"]
        )
        for item in response.json()["items"]
    }
    assert api == words
