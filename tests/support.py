"""Helpers shared by the integration tests: the running pipeline, polling, Kafka topics, fresh databases."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import psycopg
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from indicators_core import events
from indicators_core.db import apply_migrations
from stack.ports import free_port
from stack.postgres import PostgresServer
from stack.run import ServiceProcess, service_processes

# Service logs, screenshots and dumps a failed run leaves for a person to read (CI uploads the folder).
ARTIFACTS = Path(os.environ.get("INDICATORS_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))


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


def topic_messages(bootstrap: str, topic: str) -> list[tuple[bytes, bytes]]:
    """Every message of `topic` up to its current end, all partitions."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            return []
        ends = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        messages: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            for records in consumer.poll(timeout_ms=500).values():
                messages.extend(
                    (r.key, r.value) for r in records if r.offset < ends[TopicPartition(r.topic, r.partition)]
                )
        return messages
    finally:
        consumer.close()


def caught_up(bootstrap: str, groups: dict[str, list[str]]) -> bool:
    """Every consumer group has committed every message of its topics (what a restarted worker resumes from)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        for group, topics in groups.items():
            committed = admin.list_group_offsets(group)[group]
            for topic in topics:
                partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
                for tp, end in consumer.end_offsets(partitions).items():
                    done = committed.get(tp)
                    if end > 0 and (done is None or done.offset < end):
                        return False
        return True
    finally:
        consumer.close()
        admin.close()


def stable_members(admin: KafkaAdminClient, group: str) -> int:
    """How many members the consumer group has once it is Stable (0 while it rebalances or is unknown)."""
    described = admin.describe_groups([group]).get(group) or {}
    state = described.get("group_state", described.get("state"))
    return len(described.get("members") or []) if state == "Stable" else 0


@contextmanager
def running_pipeline(env: Mapping[str, str], log_dir: Path, with_alerts: bool = False) -> Iterator[Pipeline]:
    """The services as real processes on free ports, configured by `env` (INDICATORS_KAFKA_BOOTSTRAP,
    INDICATORS_DATABASE_URL, INDICATORS_ADMIN_KEY, …); ingest, processor and query, and with
    `with_alerts` the alert evaluator and the notifier too. Stopped in reverse order on exit.
    Subscription targets on 127.0.0.1 (the tests' receivers) pass the SSRF guard unless `env` says otherwise."""
    env = {"INDICATORS_NOTIFY_ALLOW_NETWORKS": "127.0.0.1/32", **env}
    ingest_port, query_port, processor_port = free_port(), free_port(), free_port()
    alerts_port, notifier_port = (free_port(), free_port()) if with_alerts else (None, None)
    services = service_processes(
        env, log_dir, ingest_port, query_port, processor_port, alerts_port=alerts_port, notifier_port=notifier_port
    )
    for service in services.values():
        service.start()
    try:
        for service in services.values():
            service.wait_ready(180)
        yield Pipeline(
            ingest_url=f"http://127.0.0.1:{ingest_port}",
            query_url=f"http://127.0.0.1:{query_port}",
            processor_url=f"http://127.0.0.1:{processor_port}",
            admin_key=env["INDICATORS_ADMIN_KEY"],
            database_url=env["INDICATORS_DATABASE_URL"],
            kafka_bootstrap=env["INDICATORS_KAFKA_BOOTSTRAP"],
            topic_batches=env.get("INDICATORS_TOPIC_BATCHES", "indicators.batches"),
            services=services,
            alerts_url=f"http://127.0.0.1:{alerts_port}" if with_alerts else "",
            notifier_url=f"http://127.0.0.1:{notifier_port}" if with_alerts else "",
        )
    finally:
        for service in reversed(list(services.values())):
            service.stop()


def report(zone: str, indicator: str, period: str, value: str) -> dict:
    """One cumulative observation row, in the unit the board tests use (个 for counts, else 亿元)."""
    unit = "个" if indicator == "signed_projects" else "亿元"
    return {"zone": zone, "indicator": indicator, "period": period, "value": value, "unit": unit}


def alert_state(database_url: str, zones: Sequence[str]) -> set[tuple[str, str, str, str, str]]:
    """(rule, zone, indicator, state, severity) of every alert of `zones`."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT rule, zone, indicator, state, severity FROM alerts WHERE zone = ANY(%s)", (list(zones),)
        ).fetchall()
    return set(rows)


def post_until_alerts(
    pipeline: Pipeline, zones: Sequence[str], steps: Sequence[tuple[list[dict], set[tuple[str, ...]]]]
) -> None:
    """Post each step's rows, then wait until the alerts of `zones` are exactly the step's expected ones."""
    for number, (rows, expected) in enumerate(steps, start=1):
        accepted = pipeline.post_observations(rows)
        assert accepted.status_code == 202, accepted.text
        wait_for(
            lambda expected=expected: alert_state(pipeline.database_url, zones) == expected,
            timeout=120,
            what=f"step {number}: the alerts {sorted(expected)}",
            last=lambda: sorted(alert_state(pipeline.database_url, zones)),
        )


@contextmanager
def ingest_process(env: Mapping[str, str], log_dir: Path, ready: str = "/readyz") -> Iterator[str]:
    """One ingest service as a real process on a free port, configured by `env`; its URL.

    `ready`: the path that says it is up (`/healthz` when it has no broker to be ready with)."""
    port = free_port()
    service = service_processes(env, log_dir, port, free_port(), free_port())["ingest"]
    service.ready_url = f"http://127.0.0.1:{port}{ready}"
    service.start()
    try:
        service.wait_ready(60)
        yield f"http://127.0.0.1:{port}"
    finally:
        service.stop()


def pipeline_env(
    bootstrap: str, database_url: str, admin_key: str, data_dirs: Callable[[str], Path], name: str, **settings: str
) -> dict[str, str]:
    """The environment of a test pipeline: its broker, database and key, Faust data folders of its own
    (`data_dirs(name)` makes one, e.g. tmp_path_factory.mktemp), the tests' short timings, and `settings`
    (INDICATORS_ names, prefix left out: `PUBLISH_TIMEOUT_S="5"`) on top."""
    return {
        "INDICATORS_KAFKA_BOOTSTRAP": bootstrap,
        "INDICATORS_DATABASE_URL": database_url,
        "INDICATORS_ADMIN_KEY": admin_key,
        "INDICATORS_PROCESSOR_DATA_DIR": str(data_dirs(f"faust-{name}")),
        "INDICATORS_ALERTS_DATA_DIR": str(data_dirs(f"faust-alerts-{name}")),
        # Small chunks keep the tests' waits short; the benchmark uses the defaults.
        "INDICATORS_TAKE_WITHIN_S": "0.05",
        "INDICATORS_ALERTS_TAKE_WITHIN_S": "0.05",
        # An alert event left unpublished by a crash is published again after this long.
        "INDICATORS_ALERTS_REPUBLISH_AFTER_S": "2",
        # The tests' receivers listen on loopback: the SSRF guard lets exactly that address through.
        "INDICATORS_NOTIFY_ALLOW_NETWORKS": "127.0.0.1/32",
        **{f"INDICATORS_{key}": value for key, value in settings.items()},
    }


def fresh_database(postgres_server: PostgresServer, prefix: str) -> str:
    """A database of its own (migrated): no other test's rows in it."""
    url = postgres_server.create_database(f"{prefix}_{uuid4().hex[:8]}")
    apply_migrations(url)
    return url


def result_messages(results: Sequence[events.ProgressResult]) -> list[bytes]:
    """Ready-made results as messages of the results topic, RESULTS_PER_MESSAGE to a message, as the processor
    sends them (progress_result_messages builds its own from its rows): for tests that post results by hand."""
    return [
        events.ProgressResultBatch(results=results[first : first + events.RESULTS_PER_MESSAGE]).SerializeToString()
        for first in range(0, len(results), events.RESULTS_PER_MESSAGE)
    ]
