"""Reports written straight onto the reports topic, bypassing ingest: what the processor must survive
(poison amid good ones) and what the operator tools replay. The year 2041 is the poison tests' alone."""

from __future__ import annotations

from datetime import UTC, datetime

from kafka import KafkaProducer

from indicators_core import events
from indicators_core.topics import series_key

REPORTS = "indicators.reports"
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
