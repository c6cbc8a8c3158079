"""Prometheus metrics of the stream processor."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from indicators_core.dead_letters import init_dead_letter_metric

BATCHES_CONSUMED = Counter(
    "indicators_processor_batches_total",
    "Upstream batches taken from the batches topic and fully stored or dead-lettered",
)
REPORTS_CONSUMED = Counter("indicators_processor_reports_total", "Reports applied to the database", ["kind"])
UNDECODABLE = Counter(
    "indicators_processor_undecodable_total",
    "Messages that are not valid events (sent to the dead-letter topic)",
    ["topic"],
)
RESULTS_WRITTEN = Counter("indicators_processor_results_written_total", "Progress rows upserted")
RESULTS_PUBLISHED = Counter(
    "indicators_processor_results_published_total", "Progress results published on the results topic"
)
DB_RETRIES = Counter("indicators_processor_db_retries_total", "Database transactions retried after an outage")
DB_WRITE_SECONDS = Histogram(
    "indicators_processor_db_write_seconds",
    "Duration of one chunk's database transaction",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LATENCY_SECONDS = Histogram(
    "indicators_processor_latency_seconds",
    "From acceptance by the ingest API to the figures committed in the database",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
CONSUMER_LAG = Gauge(
    "indicators_processor_consumer_lag",
    "Messages in each partition assigned to this worker that the processor has not committed yet "
    "(the partition's end offset minus the group's committed offset, read from the broker)",
    ["topic", "partition"],
)
CONSUMER_LAG_READ_AT = Gauge(
    "indicators_processor_consumer_lag_read_timestamp_seconds",
    "When the consumer lag was last read from the broker (stale while the broker does not answer)",
)
DEAD_LETTERS = Counter(
    "indicators_processor_dead_letters_total",
    "Messages sent to the dead-letter topic (acknowledged by the broker) instead of being stored, by reason "
    "(undecodable, invalid_data, arithmetic, other); the other reports of their chunk were stored",
    ["reason"],
)
init_dead_letter_metric(DEAD_LETTERS)
