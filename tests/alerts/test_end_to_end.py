"""From a posted report to a subscriber's endpoint, every part real and running as a process.

ingest → Kafka → processor → PostgreSQL → alerts worker (rules, outbox) → notifier → a webhook
receiver on loopback. Subscriptions are made through the query service's API with the admin key,
as an operator would. Zones 送达甲区/送达乙区 and the year 2013 are this file's alone.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import psycopg
import pytest
from kafka import KafkaProducer

from indicators_core import events
from indicators_core.topics import series_key
from stack.postgres import PostgresServer
from tests.alerts.pipeline_steps import obs, post, put_target, settle, ytd_series
from tests.metrics import metric
from tests.notifier.receivers import OK, receivers
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration

ZONE = "送达甲区"
OTHER_ZONE = "送达乙区"
SECRET = "送达-甲区管委会-secret-0123456789"


def subscribe(pipeline: Pipeline, **subscription: object) -> str:
    response = httpx.post(
        f"{pipeline.query_url}/v1/subscriptions",
        json={"channel": "webhook", "secret": SECRET, **subscription},
        headers={"Authorization": f"Bearer {pipeline.admin_key}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def signature_is_valid(headers: dict[str, str], body: bytes) -> bool:
    """What docs/api.md tells a receiver to do: HMAC-SHA256 over "{timestamp}.{body}", compared in constant time."""
    timestamp = headers["x-indicators-timestamp"]
    expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-indicators-signature"]) and abs(time.time() - int(timestamp)) < 300


def delivery_statuses(pipeline: Pipeline, subscription_id: str) -> list[tuple[int, str, int]]:
    with psycopg.connect(pipeline.database_url) as conn:
        return conn.execute(
            "SELECT d.id, d.status, count(i.*) FROM deliveries d LEFT JOIN delivery_items i ON i.delivery_id = d.id "
            "WHERE d.subscription_id = %s GROUP BY d.id ORDER BY d.id",
            (subscription_id,),
        ).fetchall()


def test_a_lagging_zone_reaches_its_subscriber_once_signed_and_its_recovery_once(pipeline: Pipeline):
    with receivers([OK], [OK], [OK]) as (manager, other_zone, critical_only):
        manager_id = subscribe(pipeline, name="送达甲区管委会", target=manager.url, zones=[ZONE], min_severity="info")
        other_id = subscribe(pipeline, name="送达乙区管委会", target=other_zone.url, zones=[OTHER_ZONE])
        critical_id = subscribe(
            pipeline, name="送达甲区分管领导", target=critical_only.url, zones=[ZONE], min_severity="critical"
        )

        put_target(pipeline, ZONE, "industrial_output", 2013, 100)
        # 1-5月: 35 of 100 is 35.0% against a time progress of 41.7%: 6.7 points behind (a warning, not critical).
        # Jan–Apr stay inside the 5-point line (Apr: 30.0% against 33.3%): however the months reach the evaluator,
        # the one alert is May's.
        post(pipeline, ytd_series(ZONE, "industrial_output", 2013, ["6", "13", "21", "30", "35"]))

        (fired,) = wait_for(lambda: manager.accepted(), 120, "the alert at the zone's subscriber")
        assert signature_is_valid(fired.headers, fired.body)
        body = fired.json()
        assert body["title"] == "【预警】送达甲区规上工业产值落后序时进度（2013年1-5月）"
        assert body["subscription"] == {"id": manager_id, "name": "送达甲区管委会"}
        (event,) = body["events"]
        assert (event["zone"], event["indicator"], event["rule"], event["transition"], event["severity"]) == (
            ZONE,
            "industrial_output",
            "behind_schedule",
            "fired",
            "warning",
        )
        assert event["message"] == (
            "送达甲区 规上工业产值 2013年1-5月完成率35.0%，落后序时进度6.7个百分点"
            "（序时进度41.7%，累计35亿元，全年目标100亿元）"
        )
        assert (event["figures"]["ytd_value"], event["figures"]["completion_pct"], event["figures"]["month"]) == (
            "35",
            "35",
            "5",
        )
        assert event["period_zh"] == "2013年1-5月"

        # The bureau revises May to 40: 40.0%, 1.7 points behind, inside the 5-point line.
        post(pipeline, [obs(ZONE, "industrial_output", "2013-05", "40")])
        resolved = wait_for(lambda: len(found := manager.accepted()) >= 2 and found[1], 120, "the recovery")
        assert signature_is_valid(resolved.headers, resolved.body)
        body = resolved.json()
        assert body["title"] == "【已恢复】送达甲区规上工业产值落后序时进度（2013年1-5月）"
        assert [(e["transition"], e["message"]) for e in body["events"]] == [
            (
                "resolved",
                "送达甲区 规上工业产值 2013年1-5月完成率40.0%，落后序时进度1.7个百分点，未超过5个百分点的预警线"
                "（序时进度41.7%，累计40亿元，全年目标100亿元）",
            )
        ]

        # Everything posted has been judged; the outbox agrees with what arrived: two deliveries, one event each.
        settle(pipeline)

        def all_sent() -> list[tuple[int, str, int]] | None:
            rows = delivery_statuses(pipeline, manager_id)
            return rows if all(status == "sent" for _, status, _ in rows) else None

        deliveries = wait_for(all_sent, 30, "both deliveries marked sent")
        assert [(status, items) for _, status, items in deliveries] == [("sent", 1), ("sent", 1)]
        assert [r.json()["delivery_id"] for r in manager.received] == [row[0] for row in deliveries]
        assert len(manager.received) == 2  # nothing sent twice

        # Subscribers whose filters do not match got nothing, and nothing waits for them in the outbox.
        assert other_zone.received == [] and delivery_statuses(pipeline, other_id) == []
        assert critical_only.received == [] and delivery_statuses(pipeline, critical_id) == []


def test_a_database_outage_delays_the_alert_and_loses_none(pipeline: Pipeline, postgres_server: PostgresServer):
    zone = "送达停库区"
    with receivers([OK]) as (manager,):
        subscribe(pipeline, name="送达停库区管委会", target=manager.url, zones=[zone])
        put_target(pipeline, zone, "industrial_output", 2013, 100)
        # 1-2月 18 of 100: 18.0% against 16.7%, on track; nothing to tell.
        post(pipeline, ytd_series(zone, "industrial_output", 2013, ["9", "18"]))
        settle(pipeline)
        retries_before = metric(pipeline.alerts_url, "indicators_alerts_db_retries_total")

        postgres_server.stop()
        try:
            # March arrives (ingest needs only Kafka): 19.0% against 25.0%, 6.0 points behind.
            post(pipeline, [obs(zone, "industrial_output", "2013-03", "19")])
            # The processor waits for the database too, so hand the evaluator a result of its own to judge now.
            producer = KafkaProducer(bootstrap_servers=pipeline.kafka_bootstrap, acks="all")
            result = events.pb.ProgressResult(zone=zone, indicator="industrial_output", year=2013, month=2)
            producer.send(
                "indicators.results", key=series_key(zone, "industrial_output"), value=result.SerializeToString()
            ).get(timeout=30)
            producer.close()
            wait_for(
                lambda: metric(pipeline.alerts_url, "indicators_alerts_db_retries_total") > retries_before,
                60,
                "the alerts worker to wait for the database (and say so)",
            )
        finally:
            postgres_server.start()

        (fired,) = wait_for(lambda: manager.accepted(), 180, "the alert once the database is back")
        assert signature_is_valid(fired.headers, fired.body)
        assert [(e["transition"], e["message"]) for e in fired.json()["events"]] == [
            (
                "fired",
                "送达停库区 规上工业产值 2013年1-3月完成率19.0%，落后序时进度6.0个百分点"
                "（序时进度25.0%，累计19亿元，全年目标100亿元）",
            )
        ]
        settle(pipeline)
        assert len(manager.received) == 1
        for service in (pipeline.alerts_url, pipeline.notifier_url):
            assert httpx.get(f"{service}/readyz", timeout=10).status_code == 200  # waited, never died
