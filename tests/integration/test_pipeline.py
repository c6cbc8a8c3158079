"""The whole flow for real: HTTP → Kafka → Faust → PostgreSQL → query API.

Each test uses zones of its own, so tests share one running pipeline (started
once per session by tests/conftest.py) without seeing each other's figures.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import httpx
import psycopg
import pytest

from stack.sample import REGISTRY, ZONES, build, build_projects
from tests.integration.pipeline_reads import obs, progress, wait_progress, zone
from tests.support import Pipeline, batches_published, wait_for

pytestmark = pytest.mark.integration


def test_public_jan_may_figures_give_the_published_growth_and_completion(pipeline: Pipeline):
    a = zone("高新区")
    accepted = pipeline.post_observations(
        [obs(a, "industrial_output", "2024-05", 69.33), obs(a, "industrial_output", "2025-05", "750200", unit="万元")]
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["accepted"] == 2
    target = pipeline.put_targets([{"zone": a, "indicator": "industrial_output", "year": 2025, "value": 166}])
    assert target.status_code == 202, target.text

    item = wait_progress(pipeline, a, "industrial_output", 2025, 5, lambda i: i["on_track"] is not None)
    assert item["period"] == "2025-05"
    assert item["ytd_value"] == 75.02
    assert item["ytd_last_year"] == 69.33
    assert item["yoy_pct"] == 8.2  # (75.02 − 69.33) / 69.33 = 8.207…%
    assert item["target_value"] == 166
    assert item["completion_pct"] == 45.2  # 75.02 / 166 = 45.19…%
    assert item["time_progress_pct"] == 41.7  # 5/12
    assert item["progress_gap_pp"] == 3.5
    assert item["on_track"] is True
    assert item["status_zh"] == "超序时进度3.5个百分点"

    two_digits = progress(pipeline, a, "industrial_output", 2025, 5, digits=2)
    assert two_digits["yoy_pct"] == 8.21 and two_digits["completion_pct"] == 45.19

    with psycopg.connect(pipeline.database_url) as conn:
        row = conn.execute(
            "SELECT ytd_value, ytd_last_year, yoy_pct, completion_pct, on_track, reported_value, reported_unit "
            "FROM progress JOIN observations USING (zone, indicator, period) WHERE zone = %s AND period = '2025-05-01'",
            (a,),
        ).fetchone()
    assert row == (
        Decimal("75.02"),
        Decimal("69.33"),
        Decimal("8.207125342565"),
        Decimal("45.192771084337"),
        True,
        Decimal("750200"),
        "万元",
    )


def test_comparable_base_wins_over_last_years_stored_figure(pipeline: Pipeline):
    a = zone("经开区")
    pipeline.post_observations([obs(a, "fixed_asset_investment", "2024-05", "9.40")])
    response = pipeline.post_observations([obs(a, "fixed_asset_investment", "2025-05", "13.7", yoy_base="8.9")])
    assert response.status_code == 202
    item = wait_progress(
        pipeline, a, "fixed_asset_investment", 2025, 5, lambda i: i["ytd_last_year"] is not None, digits=2
    )
    assert item["ytd_last_year"] == 9.4
    assert item["yoy_pct"] == 53.93  # on the comparable base 8.9, not on 9.40 (45.74)
    assert item["yoy_base_comparable"] is True


def test_a_revision_replaces_the_report_and_every_figure_that_used_it(pipeline: Pipeline):
    a = zone("开发区")
    pipeline.post_observations(
        [
            obs(a, "industrial_output", "2024-04", 40),
            obs(a, "industrial_output", "2024-05", 50),
            obs(a, "industrial_output", "2025-04", "46.2"),
        ]
    )
    may = wait_progress(pipeline, a, "industrial_output", 2024, 5, lambda i: i["month_value"] is not None)
    assert may["month_value"] == 10
    next_april = wait_progress(pipeline, a, "industrial_output", 2025, 4, lambda i: i["yoy_pct"] is not None)
    assert next_april["yoy_pct"] == 15.5  # 46.2 on 40

    # The statistics bureau revises April 2024 from 40 to 42.
    assert pipeline.post_observations([obs(a, "industrial_output", "2024-04", 42)]).status_code == 202
    april = wait_progress(pipeline, a, "industrial_output", 2024, 4, lambda i: i["ytd_value"] == 42)
    assert april["month_value"] is None  # March is missing: April alone is unknown, not 42
    may = progress(pipeline, a, "industrial_output", 2024, 5)
    assert may["month_value"] == 8  # the next month's own value follows
    next_april = wait_progress(pipeline, a, "industrial_output", 2025, 4, lambda i: i["ytd_last_year"] == 42)
    assert next_april["yoy_pct"] == 10.0  # next year's growth follows: 46.2 on 42

    with psycopg.connect(pipeline.database_url) as conn:
        history = conn.execute(
            "SELECT value, source FROM observation_revisions WHERE zone = %s AND period = '2024-04-01' ORDER BY reported_at",
            (a,),
        ).fetchall()
    assert history == [(Decimal("40"), "admin"), (Decimal("42"), "admin")]


def test_last_years_data_arriving_after_this_years_fills_in_growth(pipeline: Pipeline):
    a = zone("综保区")
    pipeline.post_observations([obs(a, "export", "2025-06", "12.5"), obs(a, "export", "2025-05", "10")])
    # June may be computed alone first (month unknown) and again once May is stored: wait for the second.
    june = wait_progress(pipeline, a, "export", 2025, 6, lambda i: i["month_value"] is not None)
    assert june["yoy_pct"] is None and june["ytd_last_year"] is None
    assert june["month_value"] == 2.5  # June arrived before May; the difference is there once both are
    pipeline.post_observations([obs(a, "export", "2024-06", "10")])
    june = wait_progress(pipeline, a, "export", 2025, 6, lambda i: i["yoy_pct"] is not None)
    assert june["yoy_pct"] == 25.0
    assert june["ytd_last_year"] == 10


def test_the_same_batch_posted_twice_changes_nothing(pipeline: Pipeline):
    a = zone("双报区")
    batch = [
        obs(a, "signed_projects", "2025-01", 3, unit="个", basis="month"),
        obs(a, "signed_projects", "2025-02", 4, unit="个", basis="month"),
    ]
    pipeline.put_targets([{"zone": a, "indicator": "signed_projects", "year": 2025, "value": 53}])
    assert pipeline.post_observations(batch).status_code == 202
    first = wait_progress(pipeline, a, "signed_projects", 2025, 2, lambda i: i["completion_pct"] is not None)
    assert first["ytd_value"] == 7 and first["month_value"] == 4
    assert first["completion_pct"] == 13.2  # 7 / 53

    assert pipeline.post_observations(batch).status_code == 202
    wait_for(lambda: pipeline.revision_count(a) == 4, timeout=60, what="second batch stored")
    again = progress(pipeline, a, "signed_projects", 2025, 2)
    for figure in ("ytd_value", "month_value", "completion_pct", "on_track", "yoy_pct"):
        assert again[figure] == first[figure], figure
    with psycopg.connect(pipeline.database_url) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM progress WHERE zone = %s", (a,)).fetchone()
    assert rows == 2


def test_a_worker_restart_loses_nothing_and_double_counts_nothing(pipeline: Pipeline):
    a = zone("重启区")
    assert (
        pipeline.post_observations(
            [obs(a, "import", "2025-01", 3, basis="month"), obs(a, "import", "2025-02", 4, basis="month")]
        ).status_code
        == 202
    )
    wait_progress(pipeline, a, "import", 2025, 2, lambda i: i["ytd_value"] == 7)

    # Killed without a chance to commit its offsets: the events are replayed on restart.
    pipeline.stop_processor(signal.SIGKILL)
    # Posted while the worker is down: Kafka keeps it until the worker is back.
    assert pipeline.post_observations([obs(a, "import", "2025-03", 5, basis="month")]).status_code == 202
    pipeline.start_processor()

    march = wait_progress(pipeline, a, "import", 2025, 3, lambda i: i["ytd_value"] is not None)
    assert march["ytd_value"] == 12  # 3 + 4 + 5, the replayed months counted once
    assert progress(pipeline, a, "import", 2025, 2)["ytd_value"] == 7
    assert progress(pipeline, a, "import", 2025, 1)["ytd_value"] == 3


def test_bad_rows_are_named_and_nothing_is_published(pipeline: Pipeline):
    a = zone("错误区")
    before = batches_published(pipeline)
    response = pipeline.post_observations(
        [
            obs(a, "industrial_output", "2025-05", 75.02),
            obs(a, "gross_output", "2025-05", 1),
            obs(a, "foreign_capital", "2025-5", "635", unit="亿元"),
        ]
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "2 row(s) rejected (3 problem(s)); nothing was published"
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(1, "indicator"), (2, "period"), (2, "unit")}
    assert "unknown indicator 'gross_output'" in next(e["reason"] for e in body["errors"] if e["row"] == 1)

    unauthorised = httpx.post(
        f"{pipeline.ingest_url}/v1/observations", json={"observations": [obs(a, "export", "2025-01", 1)]}, timeout=10
    )
    assert unauthorised.status_code == 401
    wrong_key = pipeline.post_observations([obs(a, "export", "2025-01", 1)], key="not-the-key")
    assert wrong_key.status_code == 401
    assert wrong_key.json()["detail"] == "the key is not valid; nothing was published"

    time.sleep(1)
    assert batches_published(pipeline) == before
    assert progress(pipeline, a, "industrial_output", 2025, 5) is None


def test_an_unreachable_broker_gives_503_and_publishes_nothing(pipeline: Pipeline, unreachable_ingest_url: str):
    a = zone("断网区")
    response = httpx.post(
        f"{unreachable_ingest_url}/v1/observations",
        json={"observations": [obs(a, "export", "2025-01", 1)]},
        headers={"Authorization": f"Bearer {pipeline.admin_key}"},
        timeout=30,
    )
    assert response.status_code == 503
    assert "unreachable" in response.json()["detail"]
    assert "the batch was not accepted" in response.json()["detail"]
    assert httpx.get(f"{unreachable_ingest_url}/readyz", timeout=30).status_code == 503


def test_series_gives_the_monthly_history(pipeline: Pipeline):
    a = zone("序列区")
    pipeline.post_observations([obs(a, "foreign_capital", f"2025-{m:02d}", 100 * m, unit="万美元") for m in (1, 2, 3)])
    wait_progress(pipeline, a, "foreign_capital", 2025, 3, lambda i: True)
    response = httpx.get(
        f"{pipeline.query_url}/v1/series", params={"zone": a, "indicator": "foreign_capital"}, timeout=10
    )
    assert response.status_code == 200
    body = response.json()
    assert body["unit"] == "万美元"
    assert [(i["period"], i["ytd_value"], i["month_value"]) for i in body["items"]] == [
        ("2025-01", 100, 100),
        ("2025-02", 200, 100),
        ("2025-03", 300, 100),
    ]


def test_every_service_exposes_metrics(pipeline: Pipeline):
    a = zone("指标区")
    pipeline.post_observations([obs(a, "export", "2025-01", 1)])
    wait_progress(pipeline, a, "export", 2025, 1, lambda i: True)
    ingest = httpx.get(f"{pipeline.ingest_url}/metrics", timeout=10).text
    assert 'indicators_ingest_rows_published_total{kind="observation",source="admin"}' in ingest
    assert "indicators_ingest_publish_seconds_bucket" in ingest
    processor = httpx.get(f"{pipeline.processor_url}/metrics", timeout=10).text
    assert 'indicators_processor_reports_total{kind="observation"}' in processor
    assert "indicators_processor_db_write_seconds_count" in processor
    assert "indicators_processor_latency_seconds_count" in processor
    query = httpx.get(f"{pipeline.query_url}/metrics", timeout=10).text
    assert "indicators_query_db_seconds" in query


def test_a_database_outage_is_waited_out_and_loses_nothing(pipeline: Pipeline, postgres_server):
    a = zone("停库区")

    def retries() -> float:
        processor_metrics = httpx.get(f"{pipeline.processor_url}/metrics", timeout=10).text
        return next(
            float(line.split()[-1])
            for line in processor_metrics.splitlines()
            if line.startswith("indicators_processor_db_retries_total ")
        )

    retries_before = retries()
    postgres_server.stop()
    try:
        # Ingest needs only Kafka: the batch is accepted while PostgreSQL is down.
        response = pipeline.post_observations([obs(a, "signed_investment", "2025-06", "150.8")])
        assert response.status_code == 202
        # It waits and retries (and says so); it does not drop the report.
        wait_for(lambda: retries() > retries_before, 60, "the processor to retry its transaction")
    finally:
        postgres_server.start()
    item = wait_progress(pipeline, a, "signed_investment", 2025, 6, lambda i: True)
    assert item["ytd_value"] == 150.8


def test_make_sample_posts_a_realistic_year_that_the_pipeline_stores(pipeline: Pipeline):
    # A fixed day: the figures must not depend on the day the suite runs (the sample follows the calendar).
    observations, targets = build(date(2026, 7, 20))
    result = subprocess.run(
        [sys.executable, "-m", "stack.sample"],
        env={
            **os.environ,
            "INDICATORS_INGEST_URL": pipeline.ingest_url,
            "INDICATORS_ADMIN_KEY": pipeline.admin_key,
            "INDICATORS_SAMPLE_TODAY": "2026-07-20",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    projects, _ = build_projects(date(2026, 7, 20))
    assert result.stdout.strip().startswith(
        f"posted {len(REGISTRY)} registered zones, {len(observations)} observations, {len(targets)} targets and"
        f" {len(projects)} major projects for {len(ZONES)} zones"
    )
    assert any(project["stages"].get("signed") for project in projects)
    # The year has what the boards compare: a quarterly indicator and growth targets beside the amounts.
    assert {row["period"] for row in observations if row["indicator"] == "gdp"} == {
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
    }
    assert {(row["indicator"], row["value"]) for row in targets if row.get("kind") == "growth"} == {
        ("industrial_output", "8"),
        ("gdp", "7"),
    }

    def stored() -> int:
        with psycopg.connect(pipeline.database_url) as conn:
            # The posted series' months; the figures derived from the project list are rows of their own.
            (count,) = conn.execute(
                "SELECT count(*) FROM progress WHERE zone = ANY(%s) AND indicator = ANY(%s)",
                (list(ZONES), sorted({row["indicator"] for row in observations})),
            ).fetchone()
        return int(count)

    wait_for(lambda: stored() == len(observations), timeout=120, what="every sample month stored", last=stored)
