"""Growth-rate targets, quarterly indicators, growth-only reports and stocks through the real pipeline:
HTTP → Kafka → processor → PostgreSQL → query API and the alert evaluator (issue 9, parts 2 and 3).

Each test uses zones of its own on the session's pipeline (tests/conftest.py). Periods are in 2024 and
2025, so no test depends on today's month.
"""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import psycopg
import pytest

from tests.integration.pipeline_reads import obs, progress, wait_progress, zone
from tests.support import Pipeline, batches_published, wait_for

pytestmark = pytest.mark.integration


def growth_target(zone_: str, indicator: str, year: int, value) -> dict:
    return {"zone": zone_, "indicator": indicator, "year": year, "kind": "growth", "value": value}


def alert(pipeline: Pipeline, rule: str, zone_: str, indicator: str) -> tuple | None:
    with psycopg.connect(pipeline.database_url) as conn:
        return conn.execute(
            "SELECT state, severity, message FROM alerts WHERE rule = %s AND zone = %s AND indicator = %s",
            (rule, zone_, indicator),
        ).fetchone()


def wait_alert(pipeline: Pipeline, rule: str, zone_: str, indicator: str, until) -> tuple:
    return wait_for(
        lambda: (found := alert(pipeline, rule, zone_, indicator)) is not None and until(found) and found,
        timeout=60,
        what=f"{rule} alert of {zone_} {indicator}",
        last=lambda: alert(pipeline, rule, zone_, indicator),
    )


def test_a_growth_target_alone_is_judged_in_words_and_below_it_alerts(pipeline: Pipeline):
    above, below = zone("增速达标区"), zone("增速落后区")
    accepted = pipeline.post_observations(
        [
            obs(above, "import_export", "2024-05", 100),
            obs(above, "import_export", "2025-05", 112),
            obs(below, "import_export", "2024-05", 100),
            obs(below, "import_export", "2025-05", "109.5"),
        ]
    )
    assert accepted.status_code == 202, accepted.text
    targets = pipeline.put_targets(
        [growth_target(above, "import_export", 2025, 10), growth_target(below, "import_export", 2025, "10")]
    )
    assert targets.status_code == 202, targets.text

    item = wait_progress(pipeline, above, "import_export", 2025, 5, lambda i: i["growth_on_track"] is not None)
    # 112 on 100 is +12.0% against 增长10%以上: 2.0 points above; no absolute target, so the words are growth's.
    assert (item["yoy_pct"], item["yoy_source"], item["growth_target_pct"], item["growth_gap_pp"]) == (
        12,
        "computed",
        10,
        2,
    )
    assert (item["growth_on_track"], item["status"], item["status_zh"]) == (True, "on_track", "增速高于目标2.0个百分点")
    assert (item["target_value"], item["on_track"]) == (None, None)

    lagging = wait_progress(pipeline, below, "import_export", 2025, 5, lambda i: i["growth_on_track"] is not None)
    assert (lagging["yoy_pct"], lagging["growth_gap_pp"], lagging["growth_on_track"]) == (9.5, -0.5, False)
    assert (lagging["status"], lagging["status_zh"]) == ("behind", "增速低于目标0.5个百分点")

    # The negative/below-target growth rule reads the same target, from the database.
    state, severity, message = wait_alert(pipeline, "negative_growth", below, "import_export", lambda a: True)
    assert (state, severity) == ("firing", "info")
    assert message == f"{below} 进出口总额 2025年1-5月累计109.5亿元，同比增长9.5%，低于增长目标10.0%（上年同期100亿元）"
    assert alert(pipeline, "negative_growth", above, "import_export") is None  # 12% meets 10%: nothing to tell

    with psycopg.connect(pipeline.database_url) as conn:
        stored = conn.execute(
            "SELECT value_pct, source FROM growth_targets WHERE zone = %s AND indicator = 'import_export'", (below,)
        ).fetchone()
        revisions = conn.execute("SELECT count(*) FROM growth_target_revisions WHERE zone = %s", (below,)).fetchone()
        absolute = conn.execute("SELECT count(*) FROM targets WHERE zone = %s", (below,)).fetchone()
    assert stored == (Decimal("10"), "admin")
    assert revisions == (1,) and absolute == (0,)

    # A later growth target replaces the earlier one and the alert follows: 9% is met by 9.5%.
    assert pipeline.put_targets([growth_target(below, "import_export", 2025, 9)]).status_code == 202
    met = wait_progress(pipeline, below, "import_export", 2025, 5, lambda i: i["growth_on_track"] is True)
    assert (met["growth_target_pct"], met["growth_gap_pp"], met["status_zh"]) == (9, 0.5, "增速高于目标0.5个百分点")
    wait_alert(pipeline, "negative_growth", below, "import_export", lambda a: a[0] == "resolved")


def test_both_targets_the_schedule_speaks_and_growth_is_carried_beside_it(pipeline: Pipeline):
    a = zone("双目标区")
    pipeline.post_observations(
        [obs(a, "industrial_output", "2024-05", "69.33"), obs(a, "industrial_output", "2025-05", "75.02")]
    )
    response = pipeline.put_targets(
        [
            {"zone": a, "indicator": "industrial_output", "year": 2025, "value": 166},
            growth_target(a, "industrial_output", 2025, 10),
        ]
    )
    assert response.status_code == 202, response.text
    item = wait_progress(
        pipeline,
        a,
        "industrial_output",
        2025,
        5,
        lambda i: i["on_track"] is not None and i["growth_target_pct"] is not None,
    )
    assert (item["completion_pct"], item["progress_gap_pp"], item["status_zh"]) == (45.2, 3.5, "超序时进度3.5个百分点")
    # 8.207…% against 10%: 1.8 points below.
    assert (item["yoy_pct"], item["growth_target_pct"], item["growth_gap_pp"], item["growth_on_track"]) == (
        8.2,
        10,
        -1.8,
        False,
    )


def test_a_quarterly_indicator_reads_back_as_quarters_judged_against_n_quarters(pipeline: Pipeline):
    a = zone("季度区")
    accepted = pipeline.post_observations(
        [
            obs(a, "gdp", "2024-Q2", 100),
            obs(a, "gdp", "2025-Q1", 50),
            obs(a, "gdp", "2025-Q2", 1100000, unit="万元"),
        ]
    )
    assert accepted.status_code == 202, accepted.text
    assert (
        pipeline.put_targets(
            [{"zone": a, "indicator": "gdp", "year": 2025, "value": 220}, growth_target(a, "gdp", 2025, 8)]
        ).status_code
        == 202
    )

    # 1-2季度 is asked for as month 6 (the quarter's last month) and read back as 2025-Q2.
    item = wait_progress(
        pipeline, a, "gdp", 2025, 6, lambda i: i["on_track"] is not None and i["growth_on_track"] is not None
    )
    assert (item["period"], item["indicator_name"], item["unit"]) == ("2025-Q2", "地区生产总值", "亿元")
    # 1-2季度 110 (2季度 alone 60); 110 / 220 = 50.0% against 2/4 = 50.0%: exactly on schedule.
    assert (item["ytd_value"], item["month_value"], item["ytd_last_year"]) == (110, 60, 100)
    assert (item["completion_pct"], item["time_progress_pct"], item["progress_gap_pp"]) == (50, 50, 0)
    assert (item["on_track"], item["status_zh"]) == (True, "达序时进度")
    assert (item["yoy_pct"], item["growth_gap_pp"], item["growth_on_track"]) == (10, 2, True)

    series = httpx.get(f"{pipeline.query_url}/v1/series", params={"zone": a, "indicator": "gdp"}, timeout=10).json()
    assert [(i["period"], i["ytd_value"], i["month_value"], i["time_progress_pct"]) for i in series["items"]] == [
        ("2024-Q2", 100, None, 50),  # 1-2季度 without 1季度: the 2季度 alone is unknown, never derived from nothing
        ("2025-Q1", 50, 50, 25),
        ("2025-Q2", 110, 60, 50),
    ]


def test_a_growth_only_report_gives_the_reported_rate_and_a_differing_one_is_flagged(pipeline: Pipeline):
    a = zone("增速区")
    accepted = pipeline.post_observations(
        [
            # "进出口总额增速97.5%": the published rate, without the amount behind it.
            {"zone": a, "indicator": "import_export", "period": "2025-05", "reported_yoy_pct": 97.5},
            obs(a, "industrial_output", "2024-05", "69.33"),
            obs(a, "industrial_output", "2025-05", "75.02", reported_yoy_pct="9.5"),
        ]
    )
    assert accepted.status_code == 202, accepted.text
    assert pipeline.put_targets([growth_target(a, "import_export", 2025, 10)]).status_code == 202

    rate = wait_progress(pipeline, a, "import_export", 2025, 5, lambda i: i["growth_on_track"] is not None)
    assert (rate["ytd_value"], rate["month_value"], rate["yoy_base"]) == (None, None, None)
    assert (rate["yoy_pct"], rate["yoy_source"], rate["reported_yoy_pct"]) == (97.5, "reported", 97.5)
    assert (rate["growth_gap_pp"], rate["status_zh"]) == (87.5, "增速高于目标87.5个百分点")

    both = wait_progress(pipeline, a, "industrial_output", 2025, 5, lambda i: i["ytd_last_year"] is not None)
    # Both years' amounts known: the computed 8.2% wins; the published 9.5% is carried beside it.
    assert (both["yoy_pct"], both["yoy_source"], both["reported_yoy_pct"]) == (8.2, "computed", 9.5)
    state, severity, message = wait_alert(pipeline, "implausible", a, "industrial_output", lambda found: True)
    assert (state, severity) == ("firing", "warning")
    assert message == f"{a} 规上工业产值 2025年1-5月数据存疑：上报增速与计算增速不一致（上报9.5%，按累计数计算8.2%）"

    with psycopg.connect(pipeline.database_url) as conn:
        stored = conn.execute(
            "SELECT value, reported_value, reported_yoy_pct FROM observations WHERE zone = %s AND indicator ="
            " 'import_export'",
            (a,),
        ).fetchone()
    assert stored == (None, None, Decimal("97.5"))


def test_a_stock_is_its_level_against_the_target(pipeline: Pipeline):
    a = zone("存量区")
    accepted = pipeline.post_observations(
        [
            obs(a, "enterprises_above_scale", "2025-04", 90, unit="家"),
            obs(a, "enterprises_above_scale", "2025-05", 96, unit="家"),
        ]
    )
    assert accepted.status_code == 202, accepted.text
    assert (
        pipeline.put_targets(
            [{"zone": a, "indicator": "enterprises_above_scale", "year": 2025, "value": 120}]
        ).status_code
        == 202
    )
    item = wait_progress(pipeline, a, "enterprises_above_scale", 2025, 5, lambda i: i["completion_pct"] is not None)
    # 96家 of 120家: 80.0%; a count of firms is not a sum over the year, so no month value and no schedule.
    assert (item["ytd_value"], item["month_value"], item["completion_pct"]) == (96, None, 80)
    assert (item["on_track"], item["progress_gap_pp"]) == (None, None)
    assert (item["status"], item["status_zh"]) == ("unknown", "完成目标80.0%（期末数，不对比序时进度）")


def test_bad_quarters_rates_and_growth_targets_are_named_and_nothing_is_published(pipeline: Pipeline):
    a = zone("错误季度区")
    before = batches_published(pipeline)
    rows = pipeline.post_observations(
        [
            obs(a, "gdp", "2025-06", 110),
            obs(a, "industrial_output", "2025-Q2", 10),
            {"zone": a, "indicator": "export", "period": "2025-05", "reported_yoy_pct": -120},
            {"zone": a, "indicator": "export", "period": "2025-04"},
            obs(a, "enterprises_above_scale", "2025-05", 3, unit="家", basis="month"),
        ]
    )
    assert rows.status_code == 422
    body = rows.json()
    assert body["detail"] == "5 row(s) rejected (5 problem(s)); nothing was published"
    assert [(e["row"], e["field"], e["reason"]) for e in body["errors"]] == [
        (
            0,
            "period",
            "'2025-06' is a month, but gdp (地区生产总值) is reported by quarter: send the quarter as YYYY-Qn"
            " (2026-Q2 for 1-2季度)",
        ),
        (
            1,
            "period",
            "'2025-Q2' is a quarter, but industrial_output (规上工业产值) is reported by month: send the month as YYYY-MM",
        ),
        (2, "reported_yoy_pct", "-120% is below -100%: an amount cannot fall by more than all of it"),
        (3, "value", "is required (or, for a growth-only row, reported_yoy_pct: the published growth rate)"),
        (
            4,
            "basis",
            "enterprises_above_scale (规上工业企业数) is a stock, a level at the period's end: send it as 'ytd' (the"
            " level), there is no month-alone value of a stock",
        ),
    ]
    targets = pipeline.put_targets(
        [
            {"zone": a, "indicator": "gdp", "year": 2025, "kind": "rate", "value": 8},
            {"zone": a, "indicator": "gdp", "year": 2025, "kind": "growth", "value": 8, "unit": "亿元"},
        ]
    )
    assert targets.status_code == 422
    assert [(e["row"], e["field"], e["reason"]) for e in targets.json()["errors"]] == [
        (0, "kind", "'rate' is not 'absolute' (an annual amount) or 'growth' (a growth rate in %)"),
        (1, "unit", "'亿元': a growth target is a rate in % (10 for 增长10%以上); send '%' or no unit"),
    ]
    time.sleep(1)
    assert batches_published(pipeline) == before
    assert progress(pipeline, a, "gdp", 2025, 6) is None
