"""Prometheus metrics of the ingest service."""

from prometheus_client import Counter, Gauge, Histogram

ROWS_RECEIVED = Counter("indicators_ingest_rows_received_total", "Rows received in batches", ["kind"])
ROWS_REJECTED = Counter("indicators_ingest_rows_rejected_total", "Rows rejected by validation", ["kind", "field"])
ROWS_PUBLISHED = Counter("indicators_ingest_rows_published_total", "Rows acknowledged by the broker", ["kind", "source"])
BATCHES = Counter("indicators_ingest_batches_total", "Batches by outcome", ["kind", "outcome"])
PUBLISH_ERRORS = Counter("indicators_ingest_publish_errors_total", "Batches the broker did not acknowledge")
PUBLISH_SECONDS = Histogram(
    "indicators_ingest_publish_seconds", "Time from send to broker acknowledgement",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LAST_RECEIVED = Gauge(
    "indicators_ingest_last_received_timestamp_seconds", "When each upstream last had a batch accepted", ["source"]
)
AUTH_FAILURES = Counter("indicators_ingest_auth_failures_total", "Requests refused for a missing or wrong key")

# Every outcome starts at 0: Prometheus' increase() does not count a series' first sample, so
# a counter born at 1 on the first refused batch would hide that batch from the stall alert.
for _kind in ("observation", "target"):
    for _outcome in ("accepted", "rejected", "unavailable"):
        BATCHES.labels(_kind, _outcome)
