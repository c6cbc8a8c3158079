"""Prometheus metrics of the ingest service."""

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from ingest.projects import PROJECT_FIELDS
from ingest.validation import OBSERVATION_FIELDS, TARGET_FIELDS
from ingest.zones import ZONE_FIELDS

ROWS_RECEIVED = Counter("indicators_ingest_rows_received_total", "Rows received in batches", ["kind"])
ROWS_REJECTED = Counter("indicators_ingest_rows_rejected_total", "Rows rejected by validation", ["kind", "field"])
ROWS_PUBLISHED = Counter(
    "indicators_ingest_rows_published_total", "Rows acknowledged by the broker", ["kind", "source"]
)
BATCHES = Counter("indicators_ingest_batches_total", "Batches by outcome", ["kind", "outcome"])
PUBLISH_ERRORS = Counter("indicators_ingest_publish_errors_total", "Batches the broker did not acknowledge")
PUBLISH_SECONDS = Histogram(
    "indicators_ingest_publish_seconds",
    "Time from send to broker acknowledgement",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LAST_RECEIVED = Gauge(
    "indicators_ingest_last_received_timestamp_seconds", "When each upstream last had a batch accepted", ["source"]
)
AUTH_FAILURES = Counter("indicators_ingest_auth_failures_total", "Requests refused for a missing or wrong key")
PLAUSIBILITY_WARNINGS = Counter(
    "indicators_ingest_plausibility_warnings_total",
    "Plausibility warnings of observation rows: refused (the batch was a 422) or explained (accepted with the"
    " row's explanation)",
    ["rule", "outcome"],
)
PLAUSIBILITY_UNCHECKED = Counter(
    "indicators_ingest_plausibility_unchecked_total",
    "Observation batches whose plausibility was checked on their own figures only: the stored history could not"
    " be read in time",
)

KINDS = ("observation", "target", "zone", "project")
# The fields a rejection names: the body that is not JSON, its list ("observations"), a row that is
# not an object, and each field of a row. A field the row should not have ("unknown field 'valu'")
# counts as unknown_field: its name is the sender's, so a series per name would be unbounded.
UNKNOWN_FIELD = "unknown_field"
REJECTABLE_FIELDS = {
    "observation": frozenset({"body", "observations", "row", UNKNOWN_FIELD, *OBSERVATION_FIELDS}),
    "target": frozenset({"body", "targets", "row", UNKNOWN_FIELD, *TARGET_FIELDS}),
    "zone": frozenset({"body", "zones", "row", UNKNOWN_FIELD, *ZONE_FIELDS}),
    # A project's problems name a stage or a month (stages.land, completed_investment[2].value): counted by the field
    # they belong to (ingest.problems.rejected), so the series stay few.
    "project": frozenset({"body", "projects", "row", UNKNOWN_FIELD, *PROJECT_FIELDS}),
}

# Every series starts at 0: Prometheus' increase() does not count a series' first sample, so
# a counter born at 1 on the first refused batch would hide that batch from the stall alert,
# and an upstream's first batch (or the first row rejected for a field) from the board.
for _kind in KINDS:
    ROWS_RECEIVED.labels(_kind)
    for _outcome in ("accepted", "rejected", "implausible", "forbidden", "unavailable"):
        BATCHES.labels(_kind, _outcome)
    for _field in sorted(REJECTABLE_FIELDS[_kind]):
        ROWS_REJECTED.labels(_kind, _field)
for _rule in ("growth", "comparable_base", "history", "part_of"):
    for _outcome in ("refused", "explained"):
        PLAUSIBILITY_WARNINGS.labels(_rule, _outcome)


def start_sources(sources: Iterable[str]) -> None:
    """Rows published by each configured writer start at 0 (the writers are configuration, known at start)."""
    for source in sources:
        for kind in KINDS:
            ROWS_PUBLISHED.labels(kind, source)
