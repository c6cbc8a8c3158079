"""A poison result written straight onto the results topic amid good ones: the alert evaluator dead-letters it with
its reason and source, counts it, and every good result is still judged: the behind-schedule alerts of the other
zones fire.

The figures are written to `progress` as the processor computes them (indicators_core.progress), and the results
are sent by the test, so the poison and the good results reach the evaluator together, not the processor's way
one series at a time. Zones 隔离告警甲区…, 隔离空区… and the year 2042 are this file's alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from kafka import KafkaProducer

from indicators_core import events
from indicators_core.progress import Basis, MonthReport, compute_year
from indicators_core.topics import series_key
from processor.dead_letters import read_letters
from processor.store import PROGRESS_COLUMNS, UPSERT_PROGRESS, json_parameter, json_records, progress_params
from tests.metrics import metric
from tests.support import Pipeline, alert_state, caught_up, result_messages, wait_for

pytestmark = pytest.mark.integration

YEAR = 2042
RESULTS = "indicators.results"
DEAD_LETTERS = "indicators.results.dead-letter"
ALERT_ZONES = ["隔离告警甲区", "隔离告警乙区", "隔离告警丙区"]
POISON_ZONE = "隔离毒区\x00"
METRIC = "indicators_alerts_dead_letters_total"


def store_progress(database_url: str, zone: str, ytd: list[str], target: str) -> list[events.ProgressResult]:
    """Jan–May 2042 of 规上工业产值 against a target, written as the processor writes it; the results it would publish."""
    reported_at = datetime.now(UTC)
    reports = {
        month: MonthReport(YEAR, month, Basis("ytd"), Decimal(value), None, reported_at)
        for month, value in enumerate(ytd, start=1)
    }
    rows = compute_year(YEAR, {YEAR: reports}, Decimal(target), target_reported_at=reported_at)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            UPSERT_PROGRESS,
            (
                json_parameter(
                    json_records(
                        PROGRESS_COLUMNS, [progress_params(zone, "industrial_output", r, reported_at) for r in rows]
                    )
                ),
            ),
        )
    return [events.progress_result(zone, "industrial_output", r, reported_at) for r in rows]


def result_of(zone: str, month: int) -> events.ProgressResult:
    return events.ProgressResult(zone=zone, indicator="industrial_output", year=YEAR, month=month)


def test_a_poison_result_is_dead_lettered_and_the_other_zones_alerts_still_fire(pipeline: Pipeline):
    before = metric(pipeline.alerts_url, METRIC, reason="invalid_data")
    good: list[events.ProgressResult] = []
    # 35 of 100 by May: 35.0% against a time progress of 41.7%, 6.7 points behind (a warning).
    for zone in ALERT_ZONES:
        good.extend(store_progress(pipeline.database_url, zone, ["6", "13", "20", "27", "35"], "100"))
    # Results of series without figures: judged, and nothing to say.
    fillers = [result_of(f"隔离空区{i:03d}", 1 + i % 12) for i in range(300)]
    poison = result_of(POISON_ZONE, 5)
    messages = fillers[:150] + good[:7] + [poison] + good[7:] + fillers[150:]

    producer = KafkaProducer(bootstrap_servers=pipeline.kafka_bootstrap, acks="all")
    try:
        futures = [
            producer.send(RESULTS, key=series_key(r.zone, r.indicator), value=r.SerializeToString()) for r in messages
        ]
        producer.flush()
        sent = [future.get(timeout=30) for future in futures]
    finally:
        producer.close()
    poison_sent = sent[messages.index(poison)]

    expected = {(("behind_schedule", zone, "industrial_output", "firing", "warning")) for zone in ALERT_ZONES}
    wait_for(
        lambda: alert_state(pipeline.database_url, ALERT_ZONES) == expected,
        timeout=120,
        what="the three zones' behind-schedule alerts",
        last=lambda: sorted(alert_state(pipeline.database_url, ALERT_ZONES)),
    )

    def poison_letters() -> list:
        return [
            letter
            for letter in read_letters(pipeline.kafka_bootstrap, DEAD_LETTERS)
            if letter.headers.get("source-offset") == str(poison_sent.offset)
            and letter.headers.get("source-partition") == str(poison_sent.partition)
        ]

    (letter,) = wait_for(poison_letters, 60, "the poison result's dead letter")
    assert events.ProgressResult.FromString(letter.value) == poison
    assert letter.key == series_key(POISON_ZONE, "industrial_output")
    assert letter.headers["dead-letter-reason"] == "invalid_data"
    assert letter.headers["dead-letter-error"] == "DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes"
    assert letter.headers["source-topic"] == RESULTS
    assert letter.headers["dead-lettered-by"] == "indicators-alerts"
    wait_for(
        lambda: caught_up(pipeline.kafka_bootstrap, {"indicators-alerts": [RESULTS]}),
        timeout=60,
        what="the evaluator to commit every result",
    )
    assert metric(pipeline.alerts_url, METRIC, reason="invalid_data") - before == 1
    assert pipeline.services["alerts"].process.poll() is None

    with psycopg.connect(pipeline.database_url) as conn:
        messages_fired = conn.execute(
            "SELECT zone, message FROM alert_events WHERE zone = ANY(%s) ORDER BY zone", (ALERT_ZONES,)
        ).fetchall()
    assert sorted(messages_fired) == sorted(
        (
            zone,
            f"{zone} 规上工业产值 2042年1-5月完成率35.0%，落后序时进度6.7个百分点"
            "（序时进度41.7%，累计35亿元，全年目标100亿元）",
        )
        for zone in ALERT_ZONES
    )

    env = {**os.environ, "INDICATORS_KAFKA_BOOTSTRAP": pipeline.kafka_bootstrap}
    listing = subprocess.run(
        [sys.executable, "-m", "processor.dead_letters", "list", "--topic", "results"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    assert f"{DEAD_LETTERS} (results): " in listing
    assert (
        f"  {letter.name}  {letter.headers['dead-lettered-at']}  invalid_data  "
        f"{RESULTS}[{poison_sent.partition}]@{poison_sent.offset}  result '隔离毒区\\x00' industrial_output 2042-05"
    ) in listing


def test_a_poison_result_inside_a_batch_is_dead_lettered_alone_and_the_rest_of_the_batch_is_judged(
    pipeline: Pipeline,
):
    """The processor's way: a transaction's results in one ProgressResultBatch message."""
    zones = ["隔离批告警甲区", "隔离批告警乙区"]
    before = metric(pipeline.alerts_url, METRIC, reason="invalid_data")
    good: list[events.ProgressResult] = []
    for zone in zones:
        good.extend(store_progress(pipeline.database_url, zone, ["6", "13", "20", "27", "35"], "100"))
    fillers = [result_of(f"隔离批空区{i:03d}", 1 + i % 12) for i in range(40)]
    poison = result_of(POISON_ZONE, 4)
    (value,) = result_messages(fillers[:20] + good[:3] + [poison] + good[3:] + fillers[20:])

    producer = KafkaProducer(bootstrap_servers=pipeline.kafka_bootstrap, acks="all")
    try:
        sent = producer.send(RESULTS, key=series_key(zones[0], "industrial_output"), value=value).get(timeout=30)
    finally:
        producer.close()

    expected = {("behind_schedule", zone, "industrial_output", "firing", "warning") for zone in zones}
    wait_for(
        lambda: alert_state(pipeline.database_url, zones) == expected,
        timeout=120,
        what="the two zones' behind-schedule alerts",
        last=lambda: sorted(alert_state(pipeline.database_url, zones)),
    )

    def poison_letters() -> list:
        return [
            letter
            for letter in read_letters(pipeline.kafka_bootstrap, DEAD_LETTERS)
            if letter.headers.get("source-offset") == str(sent.offset)
            and letter.headers.get("source-partition") == str(sent.partition)
        ]

    # The poison result alone, as a single ProgressResult: a replay after the fix judges that one result.
    (letter,) = wait_for(poison_letters, 60, "the poison result's dead letter")
    assert events.results_of(letter.value) == [poison]
    assert events.ProgressResultBatch.FromString(letter.value).results == []
    assert letter.key == series_key(POISON_ZONE, "industrial_output")
    assert letter.headers["dead-letter-reason"] == "invalid_data"
    assert letter.headers["source-topic"] == RESULTS
    wait_for(
        lambda: caught_up(pipeline.kafka_bootstrap, {"indicators-alerts": [RESULTS]}),
        timeout=60,
        what="the evaluator to commit the batch",
    )
    assert metric(pipeline.alerts_url, METRIC, reason="invalid_data") - before == 1
