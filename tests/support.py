"""Helpers shared by the integration tests: the running pipeline and polling."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
from kafka import KafkaConsumer, TopicPartition

from stack.run import ServiceProcess


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, last: Callable[[], Any] | None = None) -> Any:
    """Poll until `predicate` returns something truthy; fail naming what was awaited and what was last seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    seen = f"; last seen: {last()!r}" if last else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{seen}")


@dataclass
class Pipeline:
    ingest_url: str
    query_url: str
    processor_url: str
    admin_key: str
    database_url: str
    kafka_bootstrap: str
    topic_batches: str
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    alerts_url: str = ""
    notifier_url: str = ""

    def _write(self, method: str, path: str, body_key: str, rows: list[dict], key: str | None) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.ingest_url}{path}",
            json={body_key: rows},
            headers={"Authorization": f"Bearer {key or self.admin_key}"},
            timeout=30,
        )

    def post_observations(self, rows: list[dict], key: str | None = None) -> httpx.Response:
        return self._write("POST", "/v1/observations", "observations", rows, key)

    def put_targets(self, rows: list[dict], key: str | None = None) -> httpx.Response:
        return self._write("PUT", "/v1/targets", "targets", rows, key)

    def revision_count(self, zone: str) -> int:
        with psycopg.connect(self.database_url) as conn:
            (count,) = conn.execute("SELECT count(*) FROM observation_revisions WHERE zone = %s", (zone,)).fetchone()
        return int(count)

    def stop_processor(self, sig: int = signal.SIGTERM) -> None:
        self.services["processor"].stop(sig)

    def start_processor(self, timeout: float = 120) -> None:
        processor = self.services["processor"]
        processor.start()
        processor.wait_ready(timeout)


def batches_published(pipeline: Pipeline) -> int:
    """How many messages the batches topic holds (sum of end offsets)."""
    consumer = KafkaConsumer(bootstrap_servers=pipeline.kafka_bootstrap)
    try:
        partitions = consumer.partitions_for_topic(pipeline.topic_batches) or set()
        ends = consumer.end_offsets([TopicPartition(pipeline.topic_batches, p) for p in partitions])
        return sum(ends.values())
    finally:
        consumer.close()
