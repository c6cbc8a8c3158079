"""The alert evaluator for real: data posted to ingest, through Kafka, the processor and PostgreSQL, judged by
the alerts worker (a real process), recorded in `alerts` / `alert_events` and published on indicators.alerts.

Zones 预警甲区… and the years 2017 (last year) and 2018 (this year) are this file's alone, so the shared
pipeline's other data never mixes in. Waits are on observable state (rows, committed consumer offsets,
metrics), never fixed sleeps.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest
from kafka import KafkaProducer

from indicators_core import events
from stack.ports import free_port
from stack.run import ServiceProcess, service_processes
from tests.alerts.pipeline_steps import ALERTS, RESULTS, obs, post, put_target, settle, ytd_series
from tests.metrics import metric
from tests.support import ARTIFACTS, Pipeline, topic_messages, wait_for

pytestmark = pytest.mark.integration

# Monthly values of a steady series (亿元): median 4.1, median absolute deviation 0.1.
STEADY_2017 = ["4.0", "4.2", "3.9", "4.1", "4.3", "4.0", "4.1", "4.2", "3.8", "4.1", "4.0", "4.1"]


@dataclass(frozen=True)
class Event:
    rule: str
    indicator: str
    period: date
    version: int
    transition: str
    severity: str
    message: str
    figures: dict


def alert_events(pipeline: Pipeline, zone: str, rule: str | None = None) -> list[Event]:
    with psycopg.connect(pipeline.database_url) as conn:
        rows = conn.execute(
            "SELECT rule, indicator, period, version, transition, severity, message, figures FROM alert_events "
            "WHERE zone = %s AND (%s::text IS NULL OR rule = %s) ORDER BY rule, indicator, period, version",
            (zone, rule, rule),
        ).fetchall()
    return [Event(*row) for row in rows]


def alert_rows(pipeline: Pipeline, zone: str, rule: str) -> list[tuple]:
    with psycopg.connect(pipeline.database_url) as conn:
        return conn.execute(
            "SELECT indicator, period, state, severity, version, message FROM alerts WHERE zone = %s AND rule = %s "
            "ORDER BY indicator, period",
            (zone, rule),
        ).fetchall()


def wait_events(pipeline: Pipeline, zone: str, rule: str, count: int, timeout: float = 90) -> list[Event]:
    return wait_for(
        lambda: len(found := alert_events(pipeline, zone, rule)) >= count and found,
        timeout=timeout,
        what=f"{count} {rule} alert event(s) for {zone}",
        last=lambda: alert_events(pipeline, zone, rule),
    )


def summary(found: list[Event]) -> list[tuple]:
    return [(e.indicator, e.period.isoformat(), e.version, e.transition, e.severity) for e in found]


def published_alerts(bootstrap: str, zone: str, topic: str = ALERTS) -> list[events.pb.AlertEvent]:
    found = [events.pb.AlertEvent.FromString(value) for _, value in topic_messages(bootstrap, topic)]
    return [event for event in found if event.zone == zone]


# ---------------------------------------------------------------- behind schedule, resolve, replay


@pytest.fixture
def dead_subscriber(pipeline: Pipeline) -> Iterator[Callable[[str], uuid.UUID]]:
    """Subscribe a webhook nobody answers to a zone; removed afterwards, with its deliveries.

    The session's notifier retries such deliveries for hours: left behind, they would move the
    delivery counters under every later test that reads them (tests/deploy/test_pipeline_health_board.py).
    """
    created: list[uuid.UUID] = []

    def subscribe(zone: str) -> uuid.UUID:
        subscription = uuid.uuid4()
        with psycopg.connect(pipeline.database_url) as conn:
            conn.execute(
                "INSERT INTO subscriptions (id, name, channel, target, secret, zones, min_severity) "
                "VALUES (%s, '甲区管委会', 'webhook', 'http://127.0.0.1:9/hook', 's3cret', %s, 'info')",
                (subscription, [zone]),
            )
        created.append(subscription)
        return subscription

    yield subscribe
    with psycopg.connect(pipeline.database_url) as conn:
        conn.execute("DELETE FROM subscriptions WHERE id = ANY(%s)", (created,))


def test_behind_schedule_fires_once_resolves_on_revision_and_a_replay_adds_nothing(
    pipeline: Pipeline, dead_subscriber: Callable[[str], uuid.UUID]
):
    zone = "预警甲区"
    # A subscriber of this zone: every transition must become exactly one delivery in the outbox.
    subscription = dead_subscriber(zone)
    put_target(pipeline, zone, "industrial_output", 2018, 100)
    # Jan–May 2018: 35 of 100 by May is 35.0% against 41.7%: 6.7 points behind. Jan–Apr stay inside the 5-point
    # line (Apr: 30.0% against 33.3%), so however the months reach the evaluator it fires once, on May's figures.
    post(pipeline, ytd_series(zone, "industrial_output", 2018, ["6", "13", "21", "30", "35"]))

    (fired,) = wait_events(pipeline, zone, "behind_schedule", 1)
    assert (fired.version, fired.transition, fired.severity, fired.period) == (1, "fired", "warning", date(2018, 1, 1))
    assert fired.message == (
        "预警甲区 规上工业产值 2018年1-5月完成率35.0%，落后序时进度6.7个百分点"
        "（序时进度41.7%，累计35亿元，全年目标100亿元）"
    )
    assert fired.figures["completion_pct"] == "35" and fired.figures["month"] == "5"
    settle(pipeline)
    # Exactly one: the five months may reach the evaluator in several chunks, each judged on the latest month.
    assert summary(alert_events(pipeline, zone)) == [("industrial_output", "2018-01-01", 1, "fired", "warning")]
    assert alert_rows(pipeline, zone, "behind_schedule") == [
        ("industrial_output", date(2018, 1, 1), "firing", "warning", 1, fired.message)
    ]
    on_topic = wait_for(lambda: published_alerts(pipeline.kafka_bootstrap, zone), 30, "the fired event on the topic")
    assert [
        (e.rule, e.indicator, e.indicator_name, e.year, e.month, e.version, e.transition, e.severity) for e in on_topic
    ] == [("behind_schedule", "industrial_output", "规上工业产值", 2018, 1, 1, "fired", "warning")]
    assert on_topic[0].message == fired.message and on_topic[0].figures["ytd_value"] == "35"

    # The statistics bureau revises May to 40: 40.0%, 1.7 points behind, inside the 5-point line.
    post(pipeline, [obs(zone, "industrial_output", "2018-05", "40")])
    resolved = wait_events(pipeline, zone, "behind_schedule", 2)[1]
    assert (resolved.version, resolved.transition, resolved.severity) == (2, "resolved", "warning")
    assert resolved.message == (
        "预警甲区 规上工业产值 2018年1-5月完成率40.0%，落后序时进度1.7个百分点，未超过5个百分点的预警线"
        "（序时进度41.7%，累计40亿元，全年目标100亿元）"
    )
    settle(pipeline)

    # Replay: every result of this zone published again, as after a crash before the commit of offsets.
    results = [
        (key, value)
        for key, value in topic_messages(pipeline.kafka_bootstrap, RESULTS)
        if any(result.zone == zone for result in events.results_of(value))
    ]
    assert sum(result.zone == zone for _, value in results for result in events.results_of(value)) >= 5
    producer = KafkaProducer(bootstrap_servers=pipeline.kafka_bootstrap, acks="all")
    for key, value in results:
        producer.send(RESULTS, key=key, value=value)
    producer.flush()
    producer.close()
    settle(pipeline)

    assert summary(alert_events(pipeline, zone)) == [
        ("industrial_output", "2018-01-01", 1, "fired", "warning"),
        ("industrial_output", "2018-01-01", 2, "resolved", "warning"),
    ]
    assert [(e.version, e.transition) for e in published_alerts(pipeline.kafka_bootstrap, zone)] == [
        (1, "fired"),
        (2, "resolved"),
    ]
    with psycopg.connect(pipeline.database_url) as conn:
        queued = conn.execute(
            "SELECT i.rule, i.version FROM deliveries d JOIN delivery_items i ON i.delivery_id = d.id "
            "WHERE d.subscription_id = %s ORDER BY d.id",
            (subscription,),
        ).fetchall()
        unpublished = conn.execute(
            "SELECT count(*) FROM alert_events WHERE zone = %s AND published_at IS NULL", (zone,)
        ).fetchone()[0]
    assert queued == [("behind_schedule", 1), ("behind_schedule", 2)]  # one delivery each, none twice
    assert unpublished == 0

    # The firing gauge is the database's count.
    def gauge_matches_database() -> bool:
        with psycopg.connect(pipeline.database_url) as conn:
            firing = conn.execute(
                "SELECT count(*) FROM alerts WHERE state = 'firing' AND rule = 'behind_schedule' AND severity = 'warning'"
            ).fetchone()[0]
        return (
            metric(pipeline.alerts_url, "indicators_alerts_firing", rule="behind_schedule", severity="warning")
            == firing
        )

    wait_for(gauge_matches_database, 60, "indicators_alerts_firing to equal the database's count")
    assert (
        metric(pipeline.alerts_url, "indicators_alerts_transitions_total", rule="behind_schedule", transition="fired")
        >= 1
    )
    assert metric(pipeline.alerts_url, "indicators_alerts_evaluation_seconds_count") >= 1


def test_behind_schedule_escalates_in_june_deescalates_in_july_and_a_new_target_resolves(pipeline: Pipeline):
    zone = "预警乙区"
    put_target(pipeline, zone, "industrial_output", 2018, 100)
    post(pipeline, ytd_series(zone, "industrial_output", 2018, ["7", "14", "21", "28", "35"]))
    wait_events(pipeline, zone, "behind_schedule", 1)

    # June: 42.0% against 50%: 8 points behind at 半年 is critical.
    post(pipeline, [obs(zone, "industrial_output", "2018-06", "42")])
    escalated = wait_events(pipeline, zone, "behind_schedule", 2)[1]
    assert (escalated.version, escalated.transition, escalated.severity) == (2, "escalated", "critical")
    assert escalated.message == (
        "预警乙区 规上工业产值 2018年1-6月完成率42.0%，落后序时进度8.0个百分点，时间过半、任务未过半"
        "（序时进度50.0%，累计42亿元，全年目标100亿元）"
    )

    # July: still behind (49.0% against 58.3%) but no longer at a checkpoint: back to a warning.
    post(pipeline, [obs(zone, "industrial_output", "2018-07", "49")])
    deescalated = wait_events(pipeline, zone, "behind_schedule", 3)[2]
    assert (deescalated.version, deescalated.transition, deescalated.severity) == (3, "deescalated", "warning")
    assert deescalated.message.startswith("预警乙区 规上工业产值 2018年1-7月完成率49.0%，落后序时进度9.3个百分点（")

    # The target is revised to 80: 49/80 = 61.3%, 2.9 points ahead.
    put_target(pipeline, zone, "industrial_output", 2018, 80)
    resolved = wait_events(pipeline, zone, "behind_schedule", 4)[3]
    assert (resolved.version, resolved.transition, resolved.severity) == (4, "resolved", "warning")
    assert resolved.message == (
        "预警乙区 规上工业产值 2018年1-7月完成率61.3%，超序时进度2.9个百分点"
        "（序时进度58.3%，累计49亿元，全年目标80亿元）"
    )
    settle(pipeline)
    assert [e.transition for e in alert_events(pipeline, zone, "behind_schedule")] == [
        "fired",
        "escalated",
        "deescalated",
        "resolved",
    ]
    assert [(e.version, e.transition, e.severity) for e in published_alerts(pipeline.kafka_bootstrap, zone)] == [
        (1, "fired", "warning"),
        (2, "escalated", "critical"),
        (3, "deescalated", "warning"),
        (4, "resolved", "warning"),
    ]


# ---------------------------------------------------------------- implausible, swing, growth


def test_a_part_larger_than_its_whole_fires_and_a_revised_whole_resolves_it(pipeline: Pipeline):
    zone = "预警丙区"
    post(
        pipeline,
        [
            obs(zone, "fixed_asset_investment", "2018-02", "10"),
            obs(zone, "fixed_asset_investment", "2018-03", "15"),
            obs(zone, "manufacturing_investment", "2018-02", "4"),
            {
                **obs(zone, "manufacturing_investment", "2018-03", "18"),
                "explanation": "测试：分项大于总量，用于触发数据存疑预警",
            },
        ],
    )
    (fired,) = wait_events(pipeline, zone, "implausible", 1)
    assert (fired.indicator, fired.period, fired.transition, fired.severity) == (
        "manufacturing_investment",
        date(2018, 3, 1),
        "fired",
        "warning",
    )
    assert fired.message == (
        "预警丙区 制造业投资 2018年1-3月数据存疑：制造业投资累计18亿元大于固定资产投资累计15亿元（部分不应大于整体）"
    )
    # Only the whole is revised: its result re-judges its parts.
    post(pipeline, [obs(zone, "fixed_asset_investment", "2018-03", "20")])
    resolved = wait_events(pipeline, zone, "implausible", 2)[1]
    assert (resolved.indicator, resolved.version, resolved.transition) == ("manufacturing_investment", 2, "resolved")
    assert resolved.message == "预警丙区 制造业投资 2018年1-3月累计18亿元，数据审核无异常"
    settle(pipeline)
    assert len(alert_events(pipeline, zone, "implausible")) == 2


def test_a_cumulative_value_that_falls_is_implausible_and_a_lost_publish_is_made_good(pipeline: Pipeline):
    zone = "预警丁区"
    post(pipeline, ytd_series(zone, "industrial_output", 2018, ["5", "11", "9"]))
    (fired,) = wait_events(pipeline, zone, "implausible", 1)
    assert (fired.indicator, fired.period, fired.transition) == ("industrial_output", date(2018, 3, 1), "fired")
    assert fired.message == (
        "预警丁区 规上工业产值 2018年1-3月数据存疑：累计9亿元低于1-2月累计11亿元（累计值不应在年内回落）"
    )
    assert fired.figures["problems"] == "cumulative_fell"
    wait_for(lambda: published_alerts(pipeline.kafka_bootstrap, zone), 30, "the event on the topic")

    # As if the worker had died between the commit and the publish: the event is published again.
    with psycopg.connect(pipeline.database_url) as conn:
        conn.execute(
            "UPDATE alert_events SET published_at = NULL, occurred_at = occurred_at - interval '1 minute' "
            "WHERE zone = %s AND rule = 'implausible'",
            (zone,),
        )

    def implausible_on_topic() -> list:
        return [e for e in published_alerts(pipeline.kafka_bootstrap, zone) if e.rule == "implausible"]

    again = wait_for(
        lambda: len(found := implausible_on_topic()) >= 2 and found,
        60,
        "the unpublished event published again",
    )
    assert [(e.rule, e.version, e.transition) for e in again] == [("implausible", 1, "fired")] * 2

    def unpublished() -> int:
        with psycopg.connect(pipeline.database_url) as conn:
            (count,) = conn.execute(
                "SELECT count(*) FROM alert_events WHERE zone = %s AND published_at IS NULL", (zone,)
            ).fetchone()
        return int(count)

    # The event is on the topic before the worker's transaction marks it published: wait for the mark.
    wait_for(lambda: unpublished() == 0, 30, "the republished event marked published", last=unpublished)


def test_a_month_far_outside_the_series_history_is_a_sharp_swing(pipeline: Pipeline):
    zone = "预警戊区"
    cumulative, total = [], 0
    for value in STEADY_2017:
        total += float(value)
        cumulative.append(f"{total:.1f}")
    post(pipeline, ytd_series(zone, "industrial_output", 2017, cumulative))
    post(pipeline, [obs(zone, "industrial_output", "2018-01", "12.3")])
    (fired,) = wait_events(pipeline, zone, "sharp_swing", 1)
    assert (fired.period, fired.transition, fired.severity) == (date(2018, 1, 1), "fired", "warning")
    assert fired.message == (
        "预警戊区 规上工业产值 2018年1月当月值12.3亿元，为近12个月中位数4.1亿元的3.0倍，"
        "偏离中位数8.2亿元，超过中位绝对偏差0.1亿元的5倍"
    )
    settle(pipeline)
    # The steady months of 2017 are within their own history: one swing alert only.
    assert summary(alert_events(pipeline, zone, "sharp_swing")) == [
        ("industrial_output", "2018-01-01", 1, "fired", "warning")
    ]
    # A revision to an ordinary January resolves it.
    post(pipeline, [obs(zone, "industrial_output", "2018-01", "4.4")])
    resolved = wait_events(pipeline, zone, "sharp_swing", 2)[1]
    assert (resolved.transition, resolved.severity) == ("resolved", "warning")
    assert resolved.message == (
        "预警戊区 规上工业产值 2018年1月当月值4.4亿元，在近12个月的正常波动范围内（中位数4.1亿元，为其1.1倍）"
    )


def test_negative_growth_fires_against_last_year(pipeline: Pipeline):
    zone = "预警辛区"
    post(pipeline, [obs(zone, "import_export", "2017-04", "32"), obs(zone, "import_export", "2018-04", "30")])
    (fired,) = wait_events(pipeline, zone, "negative_growth", 1)
    assert (fired.indicator, fired.period, fired.transition, fired.severity) == (
        "import_export",
        date(2018, 1, 1),
        "fired",
        "warning",
    )
    assert fired.message == "预警辛区 进出口总额 2018年1-4月累计30亿元，同比下降6.3%（上年同期32亿元）"


# ---------------------------------------------------------------- late report, frozen clock


@pytest.fixture
def clock_worker(pipeline: Pipeline, tmp_path: Path) -> Iterator:
    """Start alerts workers with a frozen clock on the pipeline's database, each with results and alerts topics
    of their own (so they judge only the clock, and their events can be counted apart)."""
    started: list[ServiceProcess] = []
    topic_alerts = f"indicators.alerts.clock-{uuid.uuid4().hex[:6]}"

    def start(frozen_now: str) -> tuple[ServiceProcess, str]:
        port = free_port()
        env = {
            "INDICATORS_KAFKA_BOOTSTRAP": pipeline.kafka_bootstrap,
            "INDICATORS_DATABASE_URL": pipeline.database_url,
            "INDICATORS_ALERTS_APP_ID": f"indicators-alerts-clock-{uuid.uuid4().hex[:6]}",
            "INDICATORS_ALERTS_DATA_DIR": str(tmp_path / f"faust-{len(started)}"),
            "INDICATORS_TOPIC_RESULTS": f"indicators.results.clock-{uuid.uuid4().hex[:6]}",
            "INDICATORS_TOPIC_ALERTS": topic_alerts,
            "INDICATORS_TOPIC_PARTITIONS": "1",
            "INDICATORS_ALERTS_FROZEN_NOW": frozen_now,
            "INDICATORS_ALERTS_LATE_CHECK_INTERVAL_S": "1",
        }
        worker = service_processes(
            env, ARTIFACTS / "logs-alerts-clock", free_port(), free_port(), free_port(), alerts_port=port
        )["alerts"]
        started.append(worker)
        worker.start()
        worker.wait_ready(180)
        return worker, f"http://127.0.0.1:{port}"

    yield start, topic_alerts
    for worker in started:
        worker.stop()


def wait_late_checks(url: str, count: int) -> None:
    wait_for(
        lambda: metric(url, "indicators_alerts_late_checks_total") >= count,
        60,
        f"{count} late-report check(s)",
        last=lambda: metric(url, "indicators_alerts_late_checks_total"),
    )


def test_a_late_report_fires_on_the_due_day_with_a_frozen_clock_and_the_report_resolves_it(
    pipeline: Pipeline, clock_worker
):
    start, topic_alerts = clock_worker
    regular, occasional = "预警己区", "预警庚区"
    post(
        pipeline,
        ytd_series(regular, "industrial_output", 2017, [4 * m for m in range(1, 13)])
        + ytd_series(regular, "industrial_output", 2018, ["4.2", "8.4", "12.6"])
        # Reported January and February last year only: not a series that normally reports April.
        + ytd_series(occasional, "industrial_output", 2017, ["3", "6"]),
    )
    settle(pipeline)

    # The 14th of May, one minute before midnight in Shanghai: April's report is not due yet.
    worker, url = start("2018-05-14T23:59:00")
    wait_late_checks(url, 2)
    assert alert_events(pipeline, regular, "late_report") == []
    worker.stop()

    # The 15th: April is late for the regular reporter only.
    worker, url = start("2018-05-15T00:00:00")
    (fired,) = wait_events(pipeline, regular, "late_report", 1)
    assert (fired.indicator, fired.period, fired.version, fired.transition, fired.severity) == (
        "industrial_output",
        date(2018, 4, 1),
        1,
        "fired",
        "warning",
    )
    assert fired.message == (
        "预警己区 规上工业产值 2018年4月数据截至5月15日仍未报送（报送期限为次月15日；上年同月已报送，前4个月中4个月已报送）"
    )
    checks = metric(url, "indicators_alerts_late_checks_total")
    wait_late_checks(url, checks + 3)  # judged again and again: still one event
    assert len(alert_events(pipeline, regular, "late_report")) == 1
    assert alert_events(pipeline, occasional) == []
    on_topic = published_alerts(pipeline.kafka_bootstrap, regular, topic_alerts)
    assert [(e.rule, e.year, e.month, e.transition) for e in on_topic] == [("late_report", 2018, 4, "fired")]
    worker.stop()

    # April arrives: the pipeline's own evaluator (wall clock) resolves it from the result.
    post(pipeline, [obs(regular, "industrial_output", "2018-04", "16.8")])
    resolved = wait_events(pipeline, regular, "late_report", 2)[1]
    assert (resolved.version, resolved.transition, resolved.severity) == (2, "resolved", "warning")
    assert resolved.message == "预警己区 规上工业产值 2018年4月数据已报送"
    assert json.loads(json.dumps(resolved.figures))["reported_month"] == "4"
