"""A broker killed mid-burst and started again: ingest heals itself, and nothing it accepted is lost.

The test's own broker (a fresh data dir, SIGKILLed and restarted on the same port and data dir) and its
own pipeline (ingest, processor, query, alerts, notifier as processes), on a database of the session's
PostgreSQL. Several writers post while the broker dies, so batches are in flight in kafka-python's
idempotent producer: it resets its producer id and, the broker back, never gets one again; ingest must
drop it and make a fresh one. Zone 断电重启区 is this file's alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import psycopg
import pytest

from stack.kafka import KafkaBroker, default_jars_dir
from stack.postgres import PostgresServer
from tests.conftest import ARTIFACTS
from tests.support import Pipeline, caught_up, pipeline_env, running_pipeline, wait_for

pytestmark = pytest.mark.integration

ZONE = "断电重启区"
WRITERS = 4
# Bounds of the burst, in batches and seconds: it ends once the broker is dead and every writer saw a 503.
BURST_MAX_BATCHES = 300
BURST_MAX_S = 60
# The promise: accepting again within 30 s of the broker's return.
RECOVERY_BOUND_S = 30
PUBLISH_TIMEOUT_S = 5


@dataclass
class Outcomes:
    """What ingest answered to each batch, by the batch's number (one row, one month of its own)."""

    accepted: dict[int, str] = field(default_factory=dict)  # number → batch_id
    refused: dict[int, str] = field(default_factory=dict)  # number → status and detail
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_number: int = 0

    def take_number(self) -> int:
        with self.lock:
            self.next_number += 1
            return self.next_number


def row_of(number: int) -> dict:
    """Batch `number`'s one row: a month of its own (1990-01 onwards), cumulative 10 亿元 a month."""
    year, month = 1990 + (number - 1) // 12, (number - 1) % 12 + 1
    return {
        "zone": ZONE,
        "indicator": "industrial_output",
        "period": f"{year}-{month:02d}",
        "value": str(10 * month),
        "unit": "亿元",
    }


def post_batch(pipeline: Pipeline, outcomes: Outcomes) -> httpx.Response | None:
    number = outcomes.take_number()
    try:
        response = pipeline.post_observations([row_of(number)])
    except httpx.HTTPError as error:  # counted as refused: the writer would send it again
        with outcomes.lock:
            outcomes.refused[number] = f"no answer: {error}"
        return None
    with outcomes.lock:
        if response.status_code == 202:
            outcomes.accepted[number] = response.json()["batch_id"]
        else:
            outcomes.refused[number] = f"{response.status_code} {response.text[:300]}"
    return response


@pytest.fixture
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka-restart"), jars_dir=default_jars_dir())
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def own_pipeline(
    own_broker: KafkaBroker, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    env = pipeline_env(
        own_broker.bootstrap,
        postgres_server.create_database("indicators_broker_restart"),
        "broker-restart-admin-key-0123",
        tmp_path_factory.mktemp,
        "restart",
        # A batch the dead broker cannot take is a 503 after 5 s (+1 s delivery, +2 s wait) instead of 15.
        PUBLISH_TIMEOUT_S=str(PUBLISH_TIMEOUT_S),
        BROKER_CONNECT_TIMEOUT_S="2",
    )
    with running_pipeline(env, ARTIFACTS / "logs-broker-restart", with_alerts=True) as pipeline:
        yield pipeline


def readyz(url: str) -> httpx.Response:
    return httpx.get(f"{url}/readyz", timeout=10)


def stored_batches(pipeline: Pipeline) -> dict[str, list[str]]:
    """batch_id → the months stored under it, of every revision of the zone."""
    with psycopg.connect(pipeline.database_url) as conn:
        rows = conn.execute(
            "SELECT batch_id::text, to_char(period, 'YYYY-MM') FROM observation_revisions WHERE zone = %s",
            (ZONE,),
        ).fetchall()
    found: dict[str, list[str]] = {}
    for batch_id, period in rows:
        found.setdefault(batch_id, []).append(period)
    return found


def test_a_broker_killed_mid_burst_and_restarted_is_healed_without_restarting_ingest(
    own_broker: KafkaBroker, own_pipeline: Pipeline
):
    pipeline, broker = own_pipeline, own_broker
    outcomes = Outcomes()
    ingest_log = pipeline.services["ingest"].log_path
    log_start = ingest_log.stat().st_size  # the log is appended to across runs
    assert post_batch(pipeline, outcomes).status_code == 202
    assert readyz(pipeline.ingest_url).status_code == 200

    # Several writers post as fast as ingest answers; the broker dies under them.
    broker_dead = threading.Event()
    burst_over = threading.Event()
    refused_after_kill: dict[int, int] = {}  # writer → 503s it got once the broker was dead
    started = time.monotonic()

    def writer(index: int) -> None:
        while not burst_over.is_set() and outcomes.next_number < BURST_MAX_BATCHES:
            if time.monotonic() - started > BURST_MAX_S:
                return
            response = post_batch(pipeline, outcomes)
            if broker_dead.is_set() and response is not None and response.status_code == 503:
                refused_after_kill[index] = refused_after_kill.get(index, 0) + 1

    writers = [threading.Thread(target=writer, args=(index,), daemon=True) for index in range(WRITERS)]
    for thread in writers:
        thread.start()
    try:
        wait_for(lambda: len(outcomes.accepted) >= 20, timeout=30, what="20 batches accepted before the kill")
        broker.kill()
        killed_at = time.monotonic()
        broker_dead.set()

        # Not from a producer's cached metadata: asked of the broker, and it does not answer.
        not_ready = wait_for(
            lambda: (r := readyz(pipeline.ingest_url)).status_code == 503 and r,
            timeout=15,
            what="/readyz to say 503 with the broker dead",
        )
        readyz_503_after_s = time.monotonic() - killed_at
        assert not_ready.json()["detail"].startswith(f"Kafka at {broker.bootstrap} did not answer within 2 s")
        assert not_ready.json()["detail"].endswith("; batches are refused with 503 until it is back")
        wait_for(
            lambda: len(refused_after_kill) == WRITERS,
            timeout=30,
            what="every writer's batch refused with 503",
            last=lambda: dict(refused_after_kill),
        )
    finally:
        burst_over.set()
        for thread in writers:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in writers)

    # A batch posted while the broker is dead: a quick 503 that says to send it again, not a hang.
    asked = time.monotonic()
    refused = post_batch(pipeline, outcomes)
    outage_503_s = time.monotonic() - asked
    assert refused is not None and refused.status_code == 503, refused and refused.text
    assert refused.headers["Retry-After"] == "5"
    assert refused.json()["detail"].startswith(f"Kafka at {broker.bootstrap} is unreachable")
    assert (
        "; the batch was not accepted, send it again (if the broker took it before failing" in refused.json()["detail"]
    )
    assert refused.json()["batch_id"]

    # The same port and data dir; ingest, the processor and the evaluator keep running.
    restarting = time.monotonic()
    broker.start()
    back_at = time.monotonic()
    first = wait_for(
        lambda: (r := post_batch(pipeline, outcomes)) is not None and r.status_code == 202 and r,
        timeout=RECOVERY_BOUND_S,
        what=f"a batch accepted within {RECOVERY_BOUND_S} s of the broker's return",
        last=lambda: outcomes.refused[max(outcomes.refused)],
    )
    recovered_s = time.monotonic() - back_at
    assert first.json()["accepted"] == 1
    wait_for(
        lambda: readyz(pipeline.ingest_url).status_code == 200,
        timeout=RECOVERY_BOUND_S,
        what="/readyz to say 200 again",
        last=lambda: readyz(pipeline.ingest_url).text,
    )
    readyz_200_s = time.monotonic() - back_at
    for _ in range(10):  # and it stays so: the fresh producer takes batch after batch
        assert post_batch(pipeline, outcomes).status_code == 202
    # The stuck producer was dropped rather than waited on.
    with ingest_log.open("rb") as log:
        log.seek(log_start)
        assert b"dropped the Kafka producer after a failed publish; the next batch gets a fresh one" in log.read()

    # Every accepted row stored exactly once; the processor resumed after the restart.
    accepted = {batch_id: row_of(number)["period"] for number, batch_id in outcomes.accepted.items()}
    wait_for(
        lambda: set(accepted) <= set(stored_batches(pipeline)),
        timeout=60,
        what="every accepted batch stored",
        last=lambda: len(set(accepted) - set(stored_batches(pipeline))),
    )
    stored = stored_batches(pipeline)
    assert {batch_id: stored[batch_id] for batch_id in accepted} == {b: [p] for b, p in accepted.items()}
    # Anything else stored is a batch the broker wrote just before it died, whose 503 the writer got
    # with its acknowledgement lost: one of the refused months, under one batch of its own, never twice.
    refused_months = {row_of(number)["period"] for number in outcomes.refused}
    extra = {batch_id: months for batch_id, months in stored.items() if batch_id not in accepted}
    assert all(len(months) == 1 and months[0] in refused_months for months in extra.values()), extra
    all_months = [month for months in stored.values() for month in months]
    assert len(all_months) == len(set(all_months))

    # The processor and the alerts evaluator committed everything, the batches posted after the restart too.
    groups = {
        "indicators-processor": ["indicators.batches", "indicators.reports"],
        "indicators-alerts": ["indicators.results"],
    }
    wait_for(
        lambda: caught_up(pipeline.kafka_bootstrap, groups) and caught_up(pipeline.kafka_bootstrap, groups),
        timeout=60,
        what="the processor and the alerts evaluator to commit every message after the restart",
    )
    for name in ("processor", "alerts"):
        assert httpx.get(pipeline.services[name].ready_url, timeout=10).status_code == 200, name

    print(
        f"\nbroker restart: {len(outcomes.accepted)} batches accepted, {len(outcomes.refused)} refused "
        f"({len(extra)} of them stored: written before the ack was lost); /readyz 503 {readyz_503_after_s:.1f} s "
        f"after the kill; a POST during the outage answered 503 in {outage_503_s:.1f} s; first 202 "
        f"{recovered_s:.1f} s and /readyz 200 {readyz_200_s:.1f} s after the broker was ready again "
        f"(its own start took {back_at - restarting:.1f} s)"
    )
