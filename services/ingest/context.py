"""What every ingest route works with, built once per app: settings, catalog, rules, writers, the broker, the history.

create_app builds one IngestContext and puts it on app.state; routes receive it through ingest.dependencies,
so no router loads a file or opens a connection itself, and a test can build an app around its own publisher.
"""

from __future__ import annotations

from dataclasses import dataclass

from indicators_core.catalog import Catalog, load_catalog
from indicators_core.plausibility import PlausibilityRules, load_rules
from indicators_core.writers import Writer
from ingest.config import IngestSettings
from ingest.history import StoredHistory
from ingest.publisher import BatchPublisher
from ingest.registry import ZoneRegistry


@dataclass(frozen=True)
class IngestContext:
    settings: IngestSettings
    catalog: Catalog
    plausibility_rules: PlausibilityRules
    writers: list[Writer]
    publisher: BatchPublisher
    history: StoredHistory
    zones: ZoneRegistry  # the stored zone registry: parents of PUT /v1/zones, INDICATORS_ZONES_STRICT


def build_context(
    settings: IngestSettings, publisher: BatchPublisher | None = None, history: StoredHistory | None = None
) -> IngestContext:
    catalog = load_catalog(settings.catalog_path)
    return IngestContext(
        settings=settings,
        catalog=catalog,
        plausibility_rules=load_rules(settings.plausibility_path, catalog),
        writers=settings.scoped_writers(),
        publisher=publisher
        or BatchPublisher(
            bootstrap=settings.kafka_bootstrap,
            topic=settings.topic_batches,
            all_topics=[settings.topic_batches, settings.topic_reports, settings.topic_results],
            partitions=settings.topic_partitions,
            publish_timeout_s=settings.publish_timeout_s,
            connect_timeout_s=settings.broker_connect_timeout_s,
            ready_timeout_s=settings.broker_probe_timeout_s,
        ),
        history=history or StoredHistory(settings.database_url, settings.plausibility_lookup_timeout_s),
        zones=ZoneRegistry(settings.database_url, settings.plausibility_lookup_timeout_s),
    )
