"""Plausibility warnings at ingest, for real: ingest reads the stored history from PostgreSQL, a batch
with implausible figures is a 422 listing its warnings, and the same rows with an explanation are
accepted, stored with the explanation in observations and observation_revisions, and shown by /v1/series.

Zones 合理性甲区/乙区/丙区/丁区 and the years 2003 (last year) and 2004 (this year) are this file's alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from stack.ports import free_port
from tests.support import Pipeline, ingest_process, wait_for

pytestmark = pytest.mark.integration

JIA, YI, BING, DING = "合理性甲区", "合理性乙区", "合理性丙区", "合理性丁区"
EXPLANATION = "上年同期可比数按万元口径填报，已与统计局核实：实为3.52亿元"


def obs(zone: str, indicator: str, period: str, value: str | int, **extra: str) -> dict:
    return {"zone": zone, "indicator": indicator, "period": period, "value": value, "unit": "亿元", **extra}


def stored(pipeline: Pipeline, zone: str) -> dict[tuple[str, str], tuple]:
    with psycopg.connect(pipeline.database_url) as conn:
        rows = conn.execute(
            "SELECT indicator, to_char(period, 'YYYY-MM'), value, explanation, explained_warnings FROM observations"
            " WHERE zone = %s",
            (zone,),
        ).fetchall()
    return {(indicator, period): rest for indicator, period, *rest in rows}


def post_stored(pipeline: Pipeline, zone: str, rows: list[dict]) -> httpx.Response:
    """Post rows that must be accepted, and wait until the processor has stored every one of them."""
    response = pipeline.post_observations(rows)
    assert response.status_code == 202, response.text
    keys = {(row["indicator"], row["period"]) for row in rows}
    wait_for(lambda: keys <= set(stored(pipeline, zone)), 60, f"{len(keys)} row(s) of {zone} stored")
    return response


WRONG_UNIT_BASE = {
    "zone": JIA,
    "indicator": "manufacturing_investment",
    "period": "2004-05",
    "value": 65100,
    "unit": "万元",
    "yoy_base": "3.52",
}
WRONG_UNIT_WARNINGS = [
    {
        "row": 0,
        "field": "yoy_base",
        "rule": "growth",
        "reason": "制造业投资 2004-05 1-5月累计 6.51亿元 against its comparable base 0.000352亿元 is a growth of"
        " +1,849,331.8%, outside -90% to +500%; check the figures and their unit",
        "figures": {
            "ytd_value": "6.51",
            "base": "0.000352",
            "growth_pct": "1849331.818181818182",
            "min_pct": "-90",
            "max_pct": "500",
        },
    },
    {
        "row": 0,
        "field": "yoy_base",
        "rule": "comparable_base",
        "reason": "the comparable base 0.000352亿元 of 制造业投资 2004-05 is 1/10000 of last year's 1-5月累计 (2003-05)"
        " 3.52亿元; bases more than 3 times apart are usually in another unit (万元 for 亿元) or of another period",
        "figures": {"yoy_base": "0.000352", "last_year_ytd": "3.52", "ratio": "0.0001", "max_ratio": "3"},
    },
]


def test_a_base_in_the_wrong_unit_is_refused_until_explained_then_kept_and_shown(pipeline: Pipeline):
    last_year = post_stored(
        pipeline,
        JIA,
        [
            obs(JIA, "manufacturing_investment", "2003-05", "3.52"),
            obs(JIA, "fixed_asset_investment", "2003-05", "18.1"),
        ],
    )
    assert last_year.json()["plausibility"] == "checked"

    refused = pipeline.post_observations([WRONG_UNIT_BASE])
    assert refused.status_code == 422, refused.text
    assert refused.json() == {
        "detail": "1 row(s) look implausible (2 warning(s)); nothing was published. Correct the figures, or send each"
        ' row again with an "explanation" of why they are right',
        "warnings": WRONG_UNIT_WARNINGS,
    }
    assert ("manufacturing_investment", "2004-05") not in stored(pipeline, JIA)

    accepted = post_stored(pipeline, JIA, [{**WRONG_UNIT_BASE, "explanation": EXPLANATION}])
    assert accepted.json()["plausibility"] == "checked"
    value, explanation, explained = stored(pipeline, JIA)[("manufacturing_investment", "2004-05")]
    assert (value, explanation) == (Decimal("6.51"), EXPLANATION)
    assert explained == [{k: v for k, v in w.items() if k != "row"} for w in WRONG_UNIT_WARNINGS]
    with psycopg.connect(pipeline.database_url) as conn:
        revisions = conn.execute(
            "SELECT value, explanation, explained_warnings FROM observation_revisions"
            " WHERE zone = %s AND indicator = 'manufacturing_investment' AND period = '2004-05-01'",
            (JIA,),
        ).fetchall()
    assert [(v, e, [w["rule"] for w in ws]) for v, e, ws in revisions] == [
        (Decimal("6.51"), EXPLANATION, ["growth", "comparable_base"])
    ]

    def series() -> list[dict]:
        response = httpx.get(
            f"{pipeline.query_url}/v1/series", params={"zone": JIA, "indicator": "manufacturing_investment"}, timeout=10
        )
        response.raise_for_status()
        return response.json()["items"]

    items = wait_for(lambda: len(found := series()) == 2 and found, 60, "both months in /v1/series")
    assert [(i["period"], i["ytd_value"], i["yoy_pct"], i["explanation"]) for i in items] == [
        ("2003-05", 3.52, None, None),
        ("2004-05", 6.51, 1849331.8, EXPLANATION),
    ]

    # A later report without an explanation replaces the figures and the explanation with them.
    post_stored(pipeline, JIA, [obs(JIA, "manufacturing_investment", "2004-05", "6.51", yoy_base="3.52")])
    wait_for(
        lambda: stored(pipeline, JIA)[("manufacturing_investment", "2004-05")][1] is None,
        60,
        "the revision without an explanation stored",
    )


def test_a_part_above_its_whole_in_one_batch_warns_on_the_part(pipeline: Pipeline):
    response = pipeline.post_observations(
        [obs(YI, "import_export", "2004-05", "100"), obs(YI, "export", "2004-05", "120")]
    )
    assert response.status_code == 422, response.text
    assert response.json()["warnings"] == [
        {
            "row": 1,
            "field": "value",
            "rule": "part_of",
            "reason": "出口额 2004-05 1-5月累计 120亿元 is above its whole, 进出口总额 100亿元, of the same zone and months;"
            " a part cannot exceed its whole",
            "figures": {"part": "120", "whole": "100"},
        }
    ]


def test_real_figures_are_accepted_without_a_word(pipeline: Pipeline):
    post_stored(
        pipeline,
        BING,
        [
            obs(BING, "industrial_output", "2003-05", "69.33"),
            obs(BING, "export", "2003-05", "8.9"),
            obs(BING, "import_export", "2003-05", "20"),
            obs(BING, "fixed_asset_investment", "2003-05", "18.1"),
            obs(BING, "manufacturing_investment", "2003-05", "3.52"),
        ],
    )
    response = post_stored(
        pipeline,
        BING,
        [
            obs(BING, "industrial_output", "2004-05", "75.02", yoy_base="69.33"),  # +8.2%
            obs(BING, "export", "2004-05", "13.7"),  # +53.93%
            obs(BING, "import_export", "2004-05", "39.5"),  # +97.5%
            obs(BING, "fixed_asset_investment", "2004-05", "20.4"),
            obs(BING, "manufacturing_investment", "2004-05", "6.51", yoy_base="3.52"),  # +84.94%
        ],
    )
    assert set(response.json()) == {"accepted", "batch_id", "reported_at", "plausibility"}
    assert (response.json()["accepted"], response.json()["plausibility"]) == (5, "checked")


@pytest.fixture
def ingest_without_database(pipeline: Pipeline, tmp_path: Path) -> Iterator[str]:
    """An ingest process on the pipeline's Kafka whose PostgreSQL has nothing listening."""
    env = {
        "INDICATORS_KAFKA_BOOTSTRAP": pipeline.kafka_bootstrap,
        "INDICATORS_DATABASE_URL": f"postgresql://indicators@127.0.0.1:{free_port()}/indicators",
        "INDICATORS_ADMIN_KEY": pipeline.admin_key,
    }
    with ingest_process(env, tmp_path) as url:
        yield url


def test_without_the_database_ingest_accepts_on_the_batchs_own_checks(pipeline: Pipeline, ingest_without_database: str):
    def post(rows: list[dict]) -> httpx.Response:
        return httpx.post(
            f"{ingest_without_database}/v1/observations",
            json={"observations": rows},
            headers={"Authorization": f"Bearer {pipeline.admin_key}"},
            timeout=30,
        )

    accepted = post([obs(DING, "industrial_output", "2004-05", "75.02")])
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["plausibility"] == "batch only (database unavailable)"
    wait_for(lambda: ("industrial_output", "2004-05") in stored(pipeline, DING), 60, "the row stored")
    # In-batch checks still run: a part above its whole, a growth on the row's own base.
    refused = post(
        [
            obs(DING, "import_export", "2004-05", "100"),
            obs(DING, "export", "2004-05", "120"),
            obs(DING, "import", "2004-05", 65100, unit="万元", yoy_base="3.52"),
        ]
    )
    assert refused.status_code == 422, refused.text
    assert [(w["row"], w["field"], w["rule"]) for w in refused.json()["warnings"]] == [
        (1, "value", "part_of"),
        (2, "yoy_base", "growth"),
    ]
    metrics = httpx.get(f"{ingest_without_database}/metrics", timeout=10).text
    unchecked = [
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "indicators_ingest_plausibility_unchecked_total"
    ]
    assert unchecked == [2.0]
    assert json.loads(accepted.text)["accepted"] == 1
