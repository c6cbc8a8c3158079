"""Scoped writers through a real ingest process on the session's broker and pipeline.

A county statistics office may post its own zones' figures and nothing else: a row outside its
key's scope is a 403 naming the row and field, and nothing of the batch is published. Its old key
and its new one (configured only as a sha256 digest) both work while it rotates. Zones 权限甲区 and
权限乙区 and the year 2011 are this file's alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.support import Pipeline, batches_published, ingest_process, wait_for

pytestmark = pytest.mark.integration

ADMIN_KEY = "scoped-ingest-admin-key-0123"
OLD_KEY = "jia-bureau-old-key-0123456789"
NEW_KEY = "jia-bureau-new-key-9876543210"
ZONE, OTHER_ZONE = "权限甲区", "权限乙区"
API_KEYS = {
    "甲区统计局": {
        "keys": [OLD_KEY, "sha256:" + hashlib.sha256(NEW_KEY.encode()).hexdigest()],
        "zones": [ZONE],
        "indicators": ["industrial_output"],
        "targets": False,
    }
}


@pytest.fixture
def scoped_ingest(pipeline: Pipeline, tmp_path: Path) -> Iterator[str]:
    """A second ingest on the pipeline's broker and topics: what it accepts, the pipeline stores."""
    env = {
        "INDICATORS_KAFKA_BOOTSTRAP": pipeline.kafka_bootstrap,
        "INDICATORS_ADMIN_KEY": ADMIN_KEY,
        "INDICATORS_API_KEYS": json.dumps(API_KEYS, ensure_ascii=False),
    }
    with ingest_process(env, tmp_path) as url:
        yield url


def post(url: str, path: str, body: dict, key: str) -> httpx.Response:
    method = "PUT" if path == "/v1/targets" else "POST"
    return httpx.request(method, f"{url}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def obs(zone: str, indicator: str, month: int, value: str) -> dict:
    return {"zone": zone, "indicator": indicator, "period": f"2011-{month:02d}", "value": value, "unit": "亿元"}


def stored(pipeline: Pipeline, zone: str) -> list[tuple[str, str, str]]:
    """(period, value, source) of the zone's stored 2011 reports."""
    with psycopg.connect(pipeline.database_url) as conn:
        rows = conn.execute(
            "SELECT to_char(period, 'YYYY-MM'), value::text, source FROM observations "
            "WHERE zone = %s AND period >= '2011-01-01' AND period < '2012-01-01' ORDER BY period",
            (zone,),
        ).fetchall()
    return [tuple(row) for row in rows]


def test_a_scoped_writer_posts_its_own_zone_with_either_key_and_nothing_outside_it(
    pipeline: Pipeline, scoped_ingest: str
):
    assert (
        post(
            scoped_ingest, "/v1/observations", {"observations": [obs(ZONE, "industrial_output", 1, "8.5")]}, OLD_KEY
        ).status_code
        == 202
    )
    assert (
        post(
            scoped_ingest, "/v1/observations", {"observations": [obs(ZONE, "industrial_output", 2, "17.25")]}, NEW_KEY
        ).status_code
        == 202
    )

    before = batches_published(pipeline)
    outside = post(
        scoped_ingest,
        "/v1/observations",
        {
            "observations": [
                obs(ZONE, "industrial_output", 3, "26"),
                obs(OTHER_ZONE, "industrial_output", 3, "999999"),
                obs(ZONE, "export", 3, "1"),
            ]
        },
        NEW_KEY,
    )
    assert outside.status_code == 403
    assert outside.json() == {
        "detail": "2 row(s) outside the scope of the key of '甲区统计局'; nothing was published",
        "errors": [
            {
                "row": 1,
                "field": "zone",
                "reason": "the key of '甲区统计局' may not write zone '权限乙区' (allowed: 权限甲区)",
            },
            {
                "row": 2,
                "field": "indicator",
                "reason": "the key of '甲区统计局' may not write indicator 'export' (allowed: industrial_output)",
            },
        ],
    }
    targets = post(
        scoped_ingest,
        "/v1/targets",
        {"targets": [{"zone": ZONE, "indicator": "industrial_output", "year": 2011, "value": 100, "unit": "亿元"}]},
        OLD_KEY,
    )
    assert targets.status_code == 403
    assert targets.json()["errors"] == [
        {"row": None, "field": "targets", "reason": "the key of '甲区统计局' may not set targets"}
    ]
    # The digest in the configuration is not itself a key.
    digest = API_KEYS["甲区统计局"]["keys"][1]
    assert (
        post(
            scoped_ingest, "/v1/observations", {"observations": [obs(ZONE, "industrial_output", 3, "1")]}, digest
        ).status_code
        == 401
    )

    # The two accepted months are stored with the writer as their source; the refused batches published nothing.
    wait_for(
        lambda: len(stored(pipeline, ZONE)) == 2, 60, "the two accepted months", last=lambda: stored(pipeline, ZONE)
    )
    assert stored(pipeline, ZONE) == [("2011-01", "8.5", "甲区统计局"), ("2011-02", "17.25", "甲区统计局")]
    # Ingest answers 202 only after the broker's acknowledgement: a refused batch that had been sent would be there.
    assert batches_published(pipeline) == before
    assert stored(pipeline, OTHER_ZONE) == []

    metrics = httpx.get(f"{scoped_ingest}/metrics", timeout=10).text
    assert 'indicators_ingest_batches_total{kind="observation",outcome="forbidden"} 1.0' in metrics
    assert 'indicators_ingest_batches_total{kind="target",outcome="forbidden"} 1.0' in metrics
