"""The whole pipeline on TimescaleDB (PGlite): ingest → Kafka → processor → hypertables → query API.

The services run as real processes, as `make run` starts them, with INDICATORS_DATABASE_URL pointing
at the PGlite server; each applies the migrations at start (a no-op by then). The processor's pool,
the query service's pool and this test's reads share the one backend at transaction boundaries.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from stack.kafka import KafkaBroker
from stack.pglite import PgliteServer
from tests.support import ARTIFACTS, Pipeline, running_pipeline, wait_for
from tests.timescale import seed
from tests.timescale.storing import Migrated

pytestmark = pytest.mark.integration

ZONE = seed.PIPELINE_ZONE
# Zone A's figures of the seed, as 时序D区: May 2023 is 472.5 of 1050.
OBSERVATIONS = seed.observation_rows([row for row in seed.OBSERVATIONS if row[0] == seed.ZONE_A], zone=ZONE)
TARGETS = seed.target_rows([row for row in seed.TARGETS if row[0] == seed.ZONE_A], zone=ZONE)


@pytest.fixture(scope="module")
def timescale_pipeline(
    kafka_broker: KafkaBroker,
    pglite_server: PgliteServer,
    timescale: Migrated,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pipeline]:
    admin_key = "test-admin-key-timescale-0123"
    env = {
        "INDICATORS_KAFKA_BOOTSTRAP": kafka_broker.bootstrap,
        "INDICATORS_DATABASE_URL": timescale.url,
        "INDICATORS_ADMIN_KEY": admin_key,
        "INDICATORS_PROCESSOR_DATA_DIR": str(tmp_path_factory.mktemp("faust-timescale")),
        # Its own consumer group and topics: the session's other pipeline shares the broker.
        "INDICATORS_PROCESSOR_APP_ID": "indicators-processor-timescale",
        "INDICATORS_TOPIC_BATCHES": "timescale.batches",
        "INDICATORS_TOPIC_REPORTS": "timescale.reports",
        "INDICATORS_TOPIC_RESULTS": "timescale.results",
        "INDICATORS_TAKE_WITHIN_S": "0.05",
    }
    with running_pipeline(env, ARTIFACTS / "logs-timescale") as pipeline:
        yield pipeline


def stored(url: str) -> tuple[int, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*), count(target_value) FROM progress WHERE zone = %s", (ZONE,)).fetchone()
    return (int(row[0]), int(row[1]))


def test_posted_figures_reach_the_hypertables_and_the_query_api(timescale_pipeline: Pipeline):
    accepted = timescale_pipeline.post_observations(OBSERVATIONS)
    assert accepted.status_code == 202, accepted.text
    targets = timescale_pipeline.put_targets(TARGETS)
    assert targets.status_code == 202, targets.text
    # 6 months reported (industrial output ×4, signed projects ×2); 2023's 3 rows carry a target.
    expected = (len(OBSERVATIONS), 3)
    wait_for(
        lambda: stored(timescale_pipeline.database_url) == expected,
        120,
        f"{expected} progress rows of {ZONE}",
        last=lambda: stored(timescale_pipeline.database_url),
    )

    response = httpx.get(
        f"{timescale_pipeline.query_url}/v1/progress", params={"year": 2023, "month": 5, "zone": ZONE}, timeout=10
    )
    assert response.status_code == 200, response.text
    items = {item["indicator"]: item for item in response.json()["items"]}
    output = items["industrial_output"]
    assert (output["ytd_value"], output["target_value"], output["ytd_last_year"], output["month_value"]) == (
        472.5,
        1050,
        420,
        92.5,
    )
    assert (output["completion_pct"], output["time_progress_pct"], output["progress_gap_pp"], output["yoy_pct"]) == (
        45.0,
        41.7,
        3.3,
        12.5,
    )
    assert (output["on_track"], output["status_zh"]) == (True, "超序时进度3.3个百分点")
    projects = items["signed_projects"]
    assert (projects["completion_pct"], projects["on_track"], projects["status_zh"]) == (
        37.7,
        False,
        "落后序时进度3.9个百分点",
    )
    # The 12-decimal figures behind them, as stored in the progress hypertable's chunk.
    with psycopg.connect(timescale_pipeline.database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT completion_pct, time_progress_pct, progress_gap_pp, tableoid::regclass::text FROM progress "
            "WHERE zone = %s AND indicator = 'industrial_output' AND period = '2023-05-01'",
            (ZONE,),
        ).fetchone()
    assert [str(value) for value in row[:3]] == ["45.000000000000", "41.666666666667", "3.333333333333"]
    assert row[3].startswith("_timescaledb_internal._hyper_"), row[3]

    # The whole month (no zone filter) is the answer query.answer_cache keeps: its version reads the rows' xmin
    # through the hypertables (uncompressed chunks: TimescaleDB decompression admits no system column but tableoid).
    def month_of_all_zones() -> dict:
        answer = httpx.get(f"{timescale_pipeline.query_url}/v1/progress", params={"year": 2023, "month": 5}, timeout=10)
        assert answer.status_code == 200, answer.text
        return {(i["zone"], i["indicator"]): (i["ytd_value"], i["completion_pct"]) for i in answer.json()["items"]}

    assert month_of_all_zones()[(ZONE, "industrial_output")] == (472.5, 45.0)
    assert month_of_all_zones()[(ZONE, "industrial_output")] == (472.5, 45.0)  # the kept answer
    # A revised target rewrites the hypertable's rows: the kept answer gives way (472.5 / 1000 = 47.25 → 47.3).
    revised = timescale_pipeline.put_targets(
        [{"zone": ZONE, "indicator": "industrial_output", "year": 2023, "value": 1000}]
    )
    assert revised.status_code == 202, revised.text
    wait_for(
        lambda: month_of_all_zones()[(ZONE, "industrial_output")] == (472.5, 47.3),
        60,
        "the revised completion in the all-zones answer",
        last=lambda: month_of_all_zones()[(ZONE, "industrial_output")],
    )
