"""A freshly started ingest service exports every row counter at 0, before the first batch.

Prometheus' increase() does not count a series' first sample: a counter that appeared at its first
use would hide an upstream's first batch, or the first row rejected for a field, from the
pipeline-health board. The service runs as a real process (`python -m ingest`, configured by
environment as in production) with no broker to reach: it starts anyway and still rejects bad rows.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import ingest.validation
from stack.ports import free_port
from tests.support import ingest_process

ADMIN_KEY = "ingest-metrics-admin-key-0123"
API_KEYS = {"stats-bureau": "stats-bureau-key-0123456789", "customs": "customs-key-0123456789abcd"}
OBSERVATION_FIELDS = {
    "body",
    "observations",
    "row",
    "zone",
    "indicator",
    "period",
    "value",
    "unit",
    "basis",
    "yoy_base",
    "explanation",
    "reported_yoy_pct",
    "unknown_field",
}
TARGET_FIELDS = {"body", "targets", "row", "zone", "indicator", "year", "value", "unit", "kind", "unknown_field"}
# PUT /v1/zones (ingest.zones): the registry's rows.
ZONE_FIELDS = {"body", "zones", "row", "code", "name_zh", "level", "kind", "parent", "groups", "unknown_field"}
# PUT /v1/projects (ingest.projects): a stage or a month counts under its field (stages.land → stages).
PROJECT_FIELDS = {
    "body",
    "projects",
    "row",
    "id",
    "zone",
    "name",
    "tier",
    "industry",
    "total_investment",
    "unit",
    "stages",
    "planned",
    "annual_plan_investment",
    "completed_investment",
    "unknown_field",
}


@pytest.fixture
def ingest_url(tmp_path: Path) -> Iterator[str]:
    """A new ingest process for each test: what it exports is what a fresh start exports."""
    env = {
        "INDICATORS_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "INDICATORS_ADMIN_KEY": ADMIN_KEY,
        "INDICATORS_API_KEYS": json.dumps(API_KEYS),
        "INDICATORS_BROKER_CONNECT_TIMEOUT_S": "1",
    }
    # Not ready without a broker: alive is enough here.
    with ingest_process(env, tmp_path, ready="/healthz") as url:
        yield url


def series(url: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    response = httpx.get(f"{url}/metrics", timeout=10)
    response.raise_for_status()
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == name
    }


def test_rows_published_by_every_configured_writer_start_at_zero(ingest_url: str):
    published = series(ingest_url, "indicators_ingest_rows_published_total")
    assert published == {
        (("kind", kind), ("source", source)): 0.0
        for kind in ("observation", "target", "zone", "project")
        for source in ("admin", "stats-bureau", "customs")
    }
    # Received rows too; the time of the last batch is not invented: no series until one is accepted.
    assert series(ingest_url, "indicators_ingest_rows_received_total") == {
        (("kind", "observation"),): 0.0,
        (("kind", "target"),): 0.0,
        (("kind", "zone"),): 0.0,
        (("kind", "project"),): 0.0,
    }
    assert series(ingest_url, "indicators_ingest_last_received_timestamp_seconds") == {}


def rejected_rows(url: str) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["kind"], dict(labels)["field"]): v
        for labels, v in series(url, "indicators_ingest_rows_rejected_total").items()
    }


def test_rows_rejected_for_every_field_validation_names_start_at_zero(ingest_url: str):
    expected = (
        {("observation", field) for field in OBSERVATION_FIELDS}
        | {("target", field) for field in TARGET_FIELDS}
        | {("zone", field) for field in ZONE_FIELDS}
        | {("project", field) for field in PROJECT_FIELDS}
    )
    assert rejected_rows(ingest_url) == dict.fromkeys(expected, 0.0)


def fields_named_in_validation() -> set[str]:
    """Every field name validation.py writes literally into a rejection (fail, RowError, the checkers)."""
    tree = ast.parse(Path(ingest.validation.__file__).read_text(encoding="utf-8"))
    named = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if function in {"fail", "text", "number", "convert", "RowError", "_rows"}:
            named |= {arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    return {name for name in named if name.isidentifier()}


def test_a_field_validation_learns_to_name_is_pre_created_too(ingest_url: str):
    named = fields_named_in_validation()
    # The reader found the checks (a broken reader would pass on an empty set).
    assert {"body", "observations", "targets", "row", "zone", "period", "year", "unit", "value", "yoy_base"} <= named
    assert named <= {field for _, field in rejected_rows(ingest_url)}


def test_rejections_count_on_the_pre_created_series(ingest_url: str):
    response = httpx.put(
        f"{ingest_url}/v1/targets",
        json={
            "targets": [
                {"zone": "指标计数测试区", "indicator": "industrial_output", "year": 2016, "value": 5, "unit": "万美元"}
            ]
        },
        headers={"Authorization": f"Bearer {API_KEYS['customs']}"},
        timeout=10,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "unit"
    rejected = rejected_rows(ingest_url)
    assert rejected.pop(("target", "unit")) == 1.0
    assert set(rejected.values()) == {0.0}
