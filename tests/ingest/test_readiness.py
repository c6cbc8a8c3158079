"""Ingest's readiness asks the broker itself, every time: against the session's real broker and a dead address."""

from __future__ import annotations

import uuid

import pytest

from indicators_core.topics import ensure_topics
from ingest.publisher import BatchPublisher, batches_topic_problem
from stack.kafka import KafkaBroker
from stack.ports import free_port


def publisher(bootstrap: str, topic: str) -> BatchPublisher:
    return BatchPublisher(
        bootstrap, topic, [topic], partitions=3, publish_timeout_s=5, connect_timeout_s=2, ready_timeout_s=1
    )


@pytest.mark.integration
def test_ready_only_once_the_batches_topic_exists_with_leaders(kafka_broker: KafkaBroker):
    topic = f"readiness.{uuid.uuid4().hex[:8]}"
    checked = publisher(kafka_broker.bootstrap, topic)
    # Asking does not create the topic (the broker auto-creates topics a producer asks for).
    assert checked.readiness() == f"Kafka cannot describe topic {topic}: UnknownTopicOrPartitionError"
    assert checked.readiness() == f"Kafka cannot describe topic {topic}: UnknownTopicOrPartitionError"
    ensure_topics(kafka_broker.bootstrap, [topic], 3)
    assert checked.readiness() is None
    assert checked.ready() is True


def test_not_ready_when_nothing_answers_and_the_answer_says_how_long_it_waited():
    port = free_port()
    problem = publisher(f"127.0.0.1:{port}", "indicators.batches").readiness()
    assert problem is not None
    assert problem.startswith(f"Kafka at 127.0.0.1:{port} did not answer within 1 s (KafkaTimeoutError: ")


def test_a_partition_without_a_leader_is_named():
    described = {
        "error_code": 0,
        "partitions": [
            {"partition_index": 0, "leader_id": 1},
            {"partition_index": 2, "leader_id": -1},
            {"partition_index": 1, "leader_id": -1},
        ],
    }
    assert batches_topic_problem("indicators.batches", described) == (
        "topic indicators.batches has no leader for partition(s) 1, 2"
    )
    assert batches_topic_problem("indicators.batches", {"error_code": 0, "partitions": []}) == (
        "topic indicators.batches has no partitions"
    )
    assert (
        batches_topic_problem(
            "indicators.batches",
            {
                "error_code": 0,
                "partitions": [
                    {"partition_index": 0, "leader_id": 1},
                ],
            },
        )
        is None
    )
