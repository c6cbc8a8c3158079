"""The machine's ceilings for the bench's rows: Kafka (kafka-python produce + Faust consume, no work) and COPY.

The end-to-end rate is compared with the lower of the two: that is how close the pipeline comes to what
the broker and the database alone allow on this machine, for the same messages and the same rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from indicators_core import events
from stack.ports import free_port
from tests.support import stable_members


@dataclass(frozen=True)
class Ceiling:
    name: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def batch_messages(batches: list[list[dict]]) -> list[tuple[bytes, bytes]]:
    """The messages the processor consumes for these rows: one protobuf ReportBatch per batch of rows (as ingest
    publishes an accepted request), keyed by its batch id."""
    stamp = events.to_timestamp(datetime.now(UTC))
    messages = []
    for number, rows in enumerate(batches):
        batch_id = f"00000000-0000-0000-0000-{number:012d}"
        batch = events.ReportBatch(batch_id=batch_id, source="bench", reported_at=stamp)
        for index, row in enumerate(rows):
            year, month = (int(part) for part in row["period"].split("-"))
            report = batch.reports.add(batch_id=batch_id, row_index=index, source="bench", reported_at=stamp)
            report.observation.CopyFrom(
                events.Observation(
                    zone=row["zone"],
                    indicator=row["indicator"],
                    year=year,
                    month=month,
                    basis=events.BASIS_YTD,
                    value=row["value"],
                    reported_value=row["value"],
                    reported_unit=row["unit"],
                )
            )
        messages.append((batch_id.encode(), batch.SerializeToString()))
    return messages


def wait_assigned(bootstrap: str, group: str, consumer: subprocess.Popen, log_name: str) -> None:
    deadline = time.monotonic() + 180
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        while True:
            if stable_members(admin, group) > 0:
                return
            if time.monotonic() > deadline or consumer.poll() is not None:
                raise SystemExit(f"the no-work consumer did not join its group: see {log_name}")
            time.sleep(0.2)
    finally:
        admin.close()


def kafka_ceiling(
    bootstrap: str, messages: list[tuple[bytes, bytes]], rows: int, partitions: int, work_dir: Path
) -> Ceiling:
    """Produce every message with kafka-python (acks=all, as ingest) while a no-work Faust worker consumes them;
    the rate is of the `rows` the messages carry."""
    topic = f"bench.ceiling.{int(time.time() * 1000)}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, partitions, 1)])
    admin.close()
    output = work_dir / f"{topic}.done"
    env = {
        **os.environ,
        "BENCH_KAFKA_BOOTSTRAP": bootstrap,
        "BENCH_TOPIC": topic,
        "BENCH_PARTITIONS": str(partitions),
        "BENCH_EXPECTED": str(len(messages)),
        "BENCH_OUTPUT": str(output),
        "BENCH_DATADIR": str(work_dir / "null-consumer"),
        "BENCH_WEB_PORT": str(free_port()),
    }
    with (work_dir / "null-consumer.log").open("ab") as log:
        consumer = subprocess.Popen(  # noqa: S603 (this interpreter, our module)
            [sys.executable, "-m", "tests.bench.null_consumer", "worker", "--loglevel", "warn"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # The consumer joins first (Faust takes some seconds to be assigned the partitions): the clock runs
        # from the first message sent to the last one counted, with no start-up in it.
        wait_assigned(bootstrap, f"bench-null-{topic}", consumer, log.name)
        producer = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_request_size=10 * 1024 * 1024
        )
        started = time.time()
        futures = [producer.send(topic, key=key, value=value) for key, value in messages]
        producer.flush()
        for future in futures:
            future.get(timeout=60)
        producer.close()
        deadline = time.monotonic() + 300
        while not output.exists():
            if time.monotonic() > deadline or consumer.poll() is not None:
                raise SystemExit(f"the no-work consumer did not count {len(messages)} messages: see {log.name}")
            time.sleep(0.05)
        _count, _first, last = output.read_text().split()
        return Ceiling("Kafka produce + Faust consume (no work)", rows, float(last) - started)
    finally:
        consumer.terminate()
        consumer.wait(30)


def copy_ceiling(database_url: str, rows: list[dict]) -> Ceiling:
    """COPY the same rows, in the observations table's shape, into a table of that shape: PostgreSQL alone."""
    stamp = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute("CREATE TABLE bench_copy (LIKE observations INCLUDING DEFAULTS)")
        columns = "zone, indicator, period, basis, value, reported_value, reported_unit, source, batch_id, row_index, reported_at"
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:  # noqa: S608 (fixed columns)
            for index, row in enumerate(rows):
                year, month = (int(part) for part in row["period"].split("-"))
                value = Decimal(row["value"])
                copy.write_row(
                    (
                        row["zone"],
                        row["indicator"],
                        date(year, month, 1),
                        "ytd",
                        value,
                        value,
                        row["unit"],
                        "bench",
                        "00000000-0000-0000-0000-000000000000",
                        index,
                        stamp,
                    )
                )
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return Ceiling("COPY into PostgreSQL", len(rows), seconds)
