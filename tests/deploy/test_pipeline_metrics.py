"""The metrics the pipeline-health board and the alert rules read, scraped from the real services.

The consumer lag (indicators_core.consumer_lag, shared by the processor and the alert evaluator) is
checked against a real broker with offsets this test commits itself (so the figures are known),
and its wiring in the running processor and alert evaluator (the right group and partitions: a
wrong group would never reach zero on a topic that holds messages).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.structs import OffsetAndMetadata
from prometheus_client import generate_latest

from alerts import metrics as alerts_metrics
from indicators_core.consumer_lag import ConsumerLagMetric, ConsumerLagReader
from processor import metrics as processor_metrics
from stack.kafka import KafkaBroker
from stack.ports import free_port
from tests.metrics import samples, scrape, value
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration

ZONE = "监控测试区"
YEAR = 2016


def lag_series(scraped: dict, name: str = "indicators_processor_consumer_lag") -> dict[tuple[str, int], float]:
    return {
        (dict(labels)["topic"], int(dict(labels)["partition"])): v
        for (sample, labels), v in scraped.items()
        if sample == name
    }


def test_consumer_lag_is_end_offset_minus_the_groups_committed_offset(kafka_broker: KafkaBroker):
    topic, group = f"lag-test-{uuid.uuid4().hex[:8]}", f"lag-group-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    for partition, count in ((0, 5), (1, 2)):
        for i in range(count):
            producer.send(topic, value=f"m{i}".encode(), partition=partition)
    producer.flush()
    producer.close()
    # The group has processed two messages of partition 0 and never committed partitions 1 and 2.
    consumer = KafkaConsumer(bootstrap_servers=kafka_broker.bootstrap, group_id=group, enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, 0)])
    consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(2, "", -1)})
    consumer.close()

    async def read() -> dict[tuple[str, int], int]:
        reader = ConsumerLagReader(kafka_broker.bootstrap, group)
        try:
            assert await reader.read([]) == {}
            return await reader.read([(topic, 0), (topic, 1), (topic, 2)])
        finally:
            await reader.close()

    lag = asyncio.run(read())
    assert lag == {(topic, 0): 3, (topic, 1): 2, (topic, 2): 0}

    # Each service publishes into its own gauges, under its own names.
    for service_metrics, name in (
        (processor_metrics, "indicators_processor_consumer_lag"),
        (alerts_metrics, "indicators_alerts_consumer_lag"),
    ):
        gauges = ConsumerLagMetric(
            ConsumerLagReader(kafka_broker.bootstrap, group),
            consumed={topic},
            lag=service_metrics.CONSUMER_LAG,
            read_at=service_metrics.CONSUMER_LAG_READ_AT,
            log=logging.getLogger("test"),
        )
        before = time.time()
        gauges.publish(lag)
        scraped = samples(generate_latest().decode())
        assert {k: v for k, v in lag_series(scraped, name).items() if k[0] == topic} == {
            (topic, 0): 3.0,
            (topic, 1): 2.0,
            (topic, 2): 0.0,
        }
        assert before <= value(scraped, f"{name}_read_timestamp_seconds") <= time.time()
        # Partitions moved to another worker leave this worker's metrics.
        gauges.publish({(topic, 1): 2})
        assert lag_series(samples(generate_latest().decode()), name) == {(topic, 1): 2.0}
        service_metrics.CONSUMER_LAG.clear()


def test_consumer_lag_reads_only_the_consumed_topics_and_goes_away_when_the_broker_does_not_answer(
    kafka_broker: KafkaBroker,
):
    topic, group = f"lag-test-{uuid.uuid4().hex[:8]}", f"lag-group-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    for i in range(4):
        producer.send(topic, value=f"m{i}".encode(), partition=0)
    producer.flush()
    producer.close()
    log = logging.getLogger("test")
    lag, read_at = alerts_metrics.CONSUMER_LAG, alerts_metrics.CONSUMER_LAG_READ_AT

    async def refresh() -> None:
        metric = ConsumerLagMetric(ConsumerLagReader(kafka_broker.bootstrap, group), {topic}, lag, read_at, log)
        try:
            # The worker's assignment holds a partition of a topic it only produces to: not read.
            await metric.refresh([(topic, 0), ("indicators.alerts", 0)])
        finally:
            await metric.close()

    asyncio.run(refresh())
    assert lag_series(samples(generate_latest().decode()), "indicators_alerts_consumer_lag") == {(topic, 0): 4.0}

    async def refresh_unreachable() -> None:
        unreachable = ConsumerLagReader(f"127.0.0.1:{free_port()}", group)
        metric = ConsumerLagMetric(unreachable, {topic}, lag, read_at, log)
        try:
            await metric.refresh([(topic, 0)])
        finally:
            await metric.close()

    read_before = value(samples(generate_latest().decode()), "indicators_alerts_consumer_lag_read_timestamp_seconds")
    asyncio.run(refresh_unreachable())
    scraped = samples(generate_latest().decode())
    # Unknown is not zero: no series at all, and the reading time stays that of the last reading.
    assert lag_series(scraped, "indicators_alerts_consumer_lag") == {}
    assert value(scraped, "indicators_alerts_consumer_lag_read_timestamp_seconds") == read_before


def wait_lag_drained(pipeline: Pipeline, read_after: float) -> dict[tuple[str, int], float]:
    """Wait for a lag reading taken after `read_after` that has every partition of both consumed topics at zero."""
    expected = {(topic, p) for topic in ("indicators.batches", "indicators.reports") for p in range(6)}

    def drained() -> dict | None:
        scraped = scrape(pipeline.processor_url)
        lag = lag_series(scraped)
        read_at = value(scraped, "indicators_processor_consumer_lag_read_timestamp_seconds")
        fresh = read_at > read_after
        return lag if fresh and lag.keys() == expected and all(v == 0 for v in lag.values()) else None

    return wait_for(
        drained,
        timeout=90,
        what=f"a consumer lag reading after {read_after:.1f}: 0 on every partition of indicators.batches and indicators.reports",
        last=lambda: lag_series(scrape(pipeline.processor_url)),
    )


def test_pipeline_health_metrics_follow_a_posted_batch(pipeline: Pipeline):
    wait_lag_drained(pipeline, time.time())  # nothing of other tests in flight: the deltas below are this test's alone
    ingest_before, processor_before = scrape(pipeline.ingest_url), scrape(pipeline.processor_url)

    rows = [
        {
            "zone": ZONE,
            "indicator": "industrial_output",
            "period": f"{YEAR}-{month:02d}",
            "value": 10 * month,
            "unit": "亿元",
        }
        for month in (2, 3, 4)
    ]
    posted_at = time.time()
    accepted = pipeline.post_observations(rows)
    assert accepted.status_code == 202, accepted.text
    rejected = pipeline.post_observations([{**rows[0], "period": f"{YEAR}-5"}])
    assert rejected.status_code == 422, rejected.text

    ingest_after = scrape(pipeline.ingest_url)
    assert (
        value(ingest_after, "indicators_ingest_rows_published_total", kind="observation", source="admin")
        - value(ingest_before, "indicators_ingest_rows_published_total", kind="observation", source="admin")
        == 3
    )
    assert (
        value(ingest_after, "indicators_ingest_rows_rejected_total", kind="observation", field="period")
        - value(ingest_before, "indicators_ingest_rows_rejected_total", kind="observation", field="period")
        == 1
    )
    assert (
        value(ingest_after, "indicators_ingest_batches_total", kind="observation", outcome="accepted")
        - value(ingest_before, "indicators_ingest_batches_total", kind="observation", outcome="accepted")
        == 1
    )
    last_received = value(ingest_after, "indicators_ingest_last_received_timestamp_seconds", source="admin")
    assert posted_at - 1 <= last_received <= time.time()

    wait_for(
        lambda: (
            value(scrape(pipeline.processor_url), "indicators_processor_reports_total", kind="observation")
            - value(processor_before, "indicators_processor_reports_total", kind="observation")
            >= 3
        ),
        timeout=60,
        what="the processor to apply the three reports",
    )
    # Every offset committed (Faust commits every 2.8 s): a later reading of the lag is zero everywhere.
    wait_lag_drained(pipeline, time.time() + 3)
    processor_after = scrape(pipeline.processor_url)

    def delta(name: str) -> float:
        return value(processor_after, name) - value(processor_before, name)

    assert (
        value(processor_after, "indicators_processor_reports_total", kind="observation")
        - value(processor_before, "indicators_processor_reports_total", kind="observation")
        == 3
    )
    # One latency observation per report, each between acceptance and now.
    assert delta("indicators_processor_latency_seconds_count") == 3
    latency_sum = delta("indicators_processor_latency_seconds_sum")
    assert 0 < latency_sum <= 3 * (time.time() - posted_at)
    # At least one database transaction, each one taking some time but less than the whole wait.
    transactions = delta("indicators_processor_db_write_seconds_count")
    assert 1 <= transactions <= 3
    assert 0 < delta("indicators_processor_db_write_seconds_sum") <= time.time() - posted_at
    assert delta("indicators_processor_db_retries_total") == 0


ALERTS_LAG_ZONE = "监控告警积压测试区"


def results_on_topic(pipeline: Pipeline) -> int:
    """How many messages the results topic holds (sum of end offsets; each a batch of results)."""
    consumer = KafkaConsumer(bootstrap_servers=pipeline.kafka_bootstrap)
    try:
        partitions = consumer.partitions_for_topic("indicators.results") or set()
        ends = consumer.end_offsets([TopicPartition("indicators.results", p) for p in partitions])
        return sum(ends.values())
    finally:
        consumer.close()


def test_the_alert_evaluator_reports_the_lag_of_its_own_group_on_the_results_topic(pipeline: Pipeline):
    alerts_before = scrape(pipeline.alerts_url)
    on_topic_before = results_on_topic(pipeline)
    rows = [
        {
            "zone": ALERTS_LAG_ZONE,
            "indicator": "export",
            "period": f"{YEAR}-{month:02d}",
            "value": month,
            "unit": "亿元",
        }
        for month in (1, 2, 3)
    ]
    assert pipeline.post_observations(rows).status_code == 202
    # The processor publishes the months it recomputed, a transaction's results in one message: one at least.
    wait_for(lambda: results_on_topic(pipeline) >= on_topic_before + 1, 60, "the three results on the topic")
    wait_for(
        lambda: (
            value(scrape(pipeline.alerts_url), "indicators_alerts_results_total")
            - value(alerts_before, "indicators_alerts_results_total")
            >= 3
        ),
        timeout=60,
        what="the evaluator to judge the three results",
    )
    # The topic holds these results, so only the evaluator's own group (committed after judging) reads
    # 0 on every partition; another group, or none, would count them as waiting.
    expected = {("indicators.results", p) for p in range(6)}
    read_after = time.time() + 3  # after Faust's next commit (every 2.8 s)

    def drained() -> dict | None:
        scraped = scrape(pipeline.alerts_url)
        lag = lag_series(scraped, "indicators_alerts_consumer_lag")
        fresh = value(scraped, "indicators_alerts_consumer_lag_read_timestamp_seconds") > read_after
        return lag if fresh and lag.keys() == expected and all(v == 0 for v in lag.values()) else None

    # Exactly the partitions of the topic it consumes: not those of the alerts topic it publishes to.
    wait_for(
        drained,
        timeout=90,
        what=f"an evaluator lag reading after {read_after:.1f}: 0 on every partition of indicators.results",
        last=lambda: lag_series(scrape(pipeline.alerts_url), "indicators_alerts_consumer_lag"),
    )
