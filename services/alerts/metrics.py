"""Prometheus metrics of the alert evaluator."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

from alerts.model import Rule, Severity, Transition
from indicators_core.dead_letters import init_dead_letter_metric

FIRING = Gauge(
    "indicators_alerts_firing",
    "Alerts firing now, by rule and severity (read from the database, so every worker reports the same)",
    ["rule", "severity"],
)
FIRING_READ_AT = Gauge("indicators_alerts_firing_read_timestamp_seconds", "When the firing gauge was last read")
TRANSITIONS = Counter(
    "indicators_alerts_transitions_total", "Alert transitions recorded by this worker", ["rule", "transition"]
)
RESULTS_CONSUMED = Counter("indicators_alerts_results_total", "Progress results evaluated")
UNDECODABLE = Counter(
    "indicators_alerts_undecodable_total",
    "Messages on the results topic that are neither ProgressResults nor batches of them (dead-lettered)",
)
EVALUATION_SECONDS = Histogram(
    "indicators_alerts_evaluation_seconds",
    "Duration of one evaluation's database transaction (judge, record, queue deliveries)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LATENCY_SECONDS = Histogram(
    "indicators_alerts_latency_seconds",
    "From the processor computing a result to its alerts committed",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
DB_RETRIES = Counter("indicators_alerts_db_retries_total", "Evaluations retried after a database outage")
EVENTS_PUBLISHED = Counter("indicators_alerts_events_published_total", "AlertEvents published on the alerts topic")
EVENTS_REPUBLISHED = Counter(
    "indicators_alerts_events_republished_total",
    "AlertEvents published late: committed, but the worker stopped before publishing them",
)
LATE_CHECKS = Counter("indicators_alerts_late_checks_total", "Late-report checks completed")
LATE_CHECK_AT = Gauge(
    "indicators_alerts_late_check_timestamp_seconds", "When the last late-report check completed (wall clock)"
)
CONSUMER_LAG = Gauge(
    "indicators_alerts_consumer_lag",
    "Results in each partition assigned to this worker that the evaluator has not committed yet "
    "(the partition's end offset minus the group's committed offset, read from the broker)",
    ["topic", "partition"],
)
CONSUMER_LAG_READ_AT = Gauge(
    "indicators_alerts_consumer_lag_read_timestamp_seconds",
    "When the consumer lag was last read from the broker (stale while the broker does not answer)",
)

# Every series exists from the start: a rule with nothing firing reads 0, not "no data".
for _rule in Rule:
    for _severity in Severity:
        FIRING.labels(_rule.value, _severity.value).set(0)
    for _transition in Transition:
        TRANSITIONS.labels(_rule.value, _transition.value)


def publish_firing(counts: Mapping[tuple[str, str], int]) -> None:
    for rule in Rule:
        for severity in Severity:
            FIRING.labels(rule.value, severity.value).set(counts.get((rule.value, severity.value), 0))
    FIRING_READ_AT.set_to_current_time()


DEAD_LETTERS = Counter(
    "indicators_alerts_dead_letters_total",
    "Results sent to the dead-letter topic (acknowledged by the broker) instead of being evaluated, by reason "
    "(undecodable, invalid_data, arithmetic, other); the other results of their chunk were evaluated",
    ["reason"],
)
init_dead_letter_metric(DEAD_LETTERS)
