"""Reports written straight onto the reports topic, bypassing ingest: what the processor must survive
(poison amid good ones) and what the operator tools replay. The year 2041 is the poison tests' alone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from kafka import KafkaProducer

from indicators_core import events
from indicators_core.topics import series_key
from tests.support import Pipeline

REPORTS = "indicators.reports"
BATCHES = "indicators.batches"
YEAR = 2041
UNITS = {"industrial_output": "亿元", "import_export": "亿元", "foreign_capital": "万美元", "signed_investment": "亿元"}


def observation_report(
    batch_id: str, row: int, zone: str, indicator: str, month: int, value: str, yoy_base: str = ""
) -> events.Report:
    report = events.Report(
        batch_id=batch_id,
        row_index=row,
        source="隔离测试",
        observation=events.Observation(
            zone=zone,
            indicator=indicator,
            year=YEAR,
            month=month,
            basis=events.BASIS_YTD,
            value=value,
            yoy_base=yoy_base,
            reported_value=value,
            reported_unit=UNITS[indicator],
        ),
    )
    report.reported_at.CopyFrom(events.to_timestamp(datetime.now(UTC)))
    return report


def send_reports(bootstrap: str, reports: list[events.Report]) -> None:
    """As the processor's own fan-out does: keyed by series, acknowledged by the broker."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        futures = [
            producer.send(
                REPORTS,
                key=series_key(r.observation.zone, r.observation.indicator),
                value=r.SerializeToString(),
            )
            for r in reports
        ]
        producer.flush()
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close()


def send_batches(bootstrap: str, batches: list[list[events.Report]]) -> None:
    """As ingest publishes accepted requests: one ReportBatch each, keyed by its batch id (that of its reports)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        futures = []
        for reports in batches:
            batch = events.ReportBatch(batch_id=reports[0].batch_id, source="隔离测试", reports=reports)
            batch.reported_at.CopyFrom(reports[0].reported_at)
            futures.append(producer.send(BATCHES, key=batch.batch_id.encode(), value=batch.SerializeToString()))
        producer.flush()
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close()


def tool(pipeline: Pipeline, *args: str) -> str:
    """`python -m processor.dead_letters …` as an operator runs it."""
    env = {**os.environ, "INDICATORS_KAFKA_BOOTSTRAP": pipeline.kafka_bootstrap}
    done = subprocess.run(
        [sys.executable, "-m", "processor.dead_letters", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
