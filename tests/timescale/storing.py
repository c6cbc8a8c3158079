"""The Timescale tests' way in: the migrated server, and reports stored as the processor stores them
(ingest's validation and batches, then the processor's ProgressStore), without Kafka."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from psycopg_pool import AsyncConnectionPool

from indicators_core import events
from indicators_core.catalog import load_catalog
from ingest.publisher import build_batch
from ingest.validation import validate_observations, validate_targets
from ingest.zones import validate_zones
from processor.store import ProgressStore


@dataclass(frozen=True)
class Migrated:
    url: str
    first: list[str]  # migration ids applied by the first apply_migrations
    second: list[str]  # … by the second (must be none)


def reports_of(observations: list[dict], targets: list[dict], reported_at: datetime) -> list[events.Report]:
    """The reports the processor receives for these POST /v1/observations and PUT /v1/targets bodies:
    validated and converted by ingest's rules, one ReportBatch each, fanned out as split_batches does."""
    catalog = load_catalog()
    reports: list[events.Report] = []
    if observations:
        rows = validate_observations({"observations": observations}, catalog, date(2100, 1, 1), 5000)
        reports.extend(build_batch(rows, "timescale-test", reported_at).reports)
    if targets:
        rows = validate_targets({"targets": targets}, catalog, 5000)
        reports.extend(build_batch(rows, "timescale-test", reported_at + timedelta(seconds=1)).reports)
    return reports


def zone_reports_of(zones: list[dict], reported_at: datetime) -> list[events.Report]:
    """The reports the processor receives for a PUT /v1/zones body, validated by ingest's rules."""
    return list(build_batch(validate_zones({"zones": zones}, 5000), "timescale-test", reported_at).reports)


async def store_reports(url: str, chunks: list[list[events.Report]]) -> None:
    """Each chunk in one ProgressStore.apply (one transaction), as compute_progress takes them."""
    async with AsyncConnectionPool(url, min_size=1, max_size=2, open=False) as pool:
        await pool.wait(timeout=30)
        store = ProgressStore(pool, load_catalog())
        for chunk in chunks:
            await store.apply(chunk)
