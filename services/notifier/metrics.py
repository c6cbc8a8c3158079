"""Prometheus metrics of the notifier (served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from indicators_core.vocabulary import CHANNEL_CODES, DELIVERY_OUTCOMES

DELIVERIES = Counter(
    "indicators_notifier_deliveries_total",
    "Delivery attempts by channel and outcome: sent, retrying (failed, will be tried again), failed (given up)",
    ["channel", "outcome"],
)
LATENCY = Histogram(
    "indicators_notifier_delivery_latency_seconds",
    "From enqueued (the alert fired) to sent, retries included",
    ["channel"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400),
)
SEND_SECONDS = Histogram(
    "indicators_notifier_send_seconds",
    "One attempt: the HTTP call or the SMTP conversation, success or not",
    ["channel"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PENDING = Gauge("indicators_notifier_deliveries_pending", "Deliveries waiting in the outbox (due or backing off)")
OLDEST_PENDING = Gauge(
    "indicators_notifier_oldest_pending_age_seconds", "Age of the oldest pending delivery (0 when none)"
)
FAILED_STORED = Gauge("indicators_notifier_deliveries_failed", "Deliveries given up, as recorded in the outbox")
DB_ERRORS = Counter("indicators_notifier_db_errors_total", "Database errors while claiming or recording deliveries")

# Every series exists from the start, so rate() and alerts see zeros rather than nothing.
for _channel in CHANNEL_CODES:
    for _outcome in DELIVERY_OUTCOMES:
        DELIVERIES.labels(_channel, _outcome)
    LATENCY.labels(_channel)
    SEND_SECONDS.labels(_channel)
