"""A broker that refuses a batch as too large is a 413 (it will never fit), not "503, send it again".

Real broker: the batches topic is created with a per-topic max.message.bytes of 1 KiB, below what the
producer allows, so the refusal comes from the broker itself (MESSAGE_TOO_LARGE).
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from ingest.config import IngestSettings
from ingest.main import create_app
from stack.kafka import KafkaBroker

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
ADMIN_KEY = "broker-limit-admin-key-0123456789"


async def test_a_batch_the_broker_refuses_as_too_large_is_413_saying_to_split_it(kafka_broker: KafkaBroker):
    prefix = f"limit-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap, client_id="test-broker-limit")
    try:
        admin.create_topics([NewTopic(f"{prefix}.batches", 1, 1, topic_configs={"max.message.bytes": "1024"})])
    finally:
        admin.close()
    settings = IngestSettings(
        kafka_bootstrap=kafka_broker.bootstrap,
        admin_key=ADMIN_KEY,
        topic_batches=f"{prefix}.batches",
        topic_reports=f"{prefix}.reports",
        topic_results=f"{prefix}.results",
        topic_partitions=1,
    )
    app = create_app(settings)
    # Zones that do not compress: the compressed batch stays well above 1 KiB.
    rows = [
        {"zone": uuid.uuid4().hex, "indicator": "export", "period": "2025-01", "value": 1, "unit": "亿元"}
        for _ in range(100)
    ]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ingest", timeout=60
    ) as client:
        first = await client.post(
            "/v1/observations", json={"observations": rows[1:2]}, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        )
        response = await client.post(
            "/v1/observations", json={"observations": rows}, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        )
        small = await client.post(
            "/v1/observations", json={"observations": rows[:1]}, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        )
    assert first.status_code == 202, first.text
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert detail.startswith(f"Kafka at {kafka_broker.bootstrap} ") and "(MessageSizeTooLargeError" in detail
    assert detail.endswith("; split the batch; nothing was published")
    assert response.json()["errors"][0]["field"] == "body"
    # The refusal was about that batch only: the next one that fits is accepted (kafka-python's idempotent
    # producer treats MESSAGE_TOO_LARGE as fatal, so the publisher must not keep using it).
    assert small.status_code == 202, small.text
