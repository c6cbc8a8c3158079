"""Reading a service's /metrics (the Prometheus text exposition) the way Prometheus does."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str) -> Samples:
    """Every sample the service at `url` exposes now."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    response.raise_for_status()
    return samples(response.text)


def value(scraped: Samples, name: str, **labels: str) -> float:
    """One sample of a scrape; 0 when the series is not there yet (a counter no event has touched)."""
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def metric(url: str, name: str, **labels: str) -> float:
    """One sample, scraped now."""
    return value(scrape(url), name, **labels)
