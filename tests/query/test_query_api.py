"""The query API against a real PostgreSQL: the progress table seeded directly, the app called in-process.

Each test uses zones of its own (and filters on them), so the tests share one
database, with each other and with other test modules, without seeing each
other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal

import httpx
import psycopg
import pytest

from indicators_core.db import MIGRATIONS_DIR
from query.config import QuerySettings
from query.repository import missing_migrations
from tests.in_process import query_api
from tests.query.progress_rows import seed, zones

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
async def client(migrated: str) -> AsyncIterator[httpx.AsyncClient]:
    async with query_api(QuerySettings(database_url=migrated)) as api:
        yield api


async def progress(client: httpx.AsyncClient, **params: object) -> dict:
    response = await client.get("/v1/progress", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_public_jan_may_figures(client: httpx.AsyncClient, migrated: str):
    (a,) = zones("高新区")
    seed(migrated, a, "industrial_output", 2025, 5, ytd="75.02", last="69.33", target=166, month_value="15.1")
    with psycopg.connect(migrated) as conn:
        stored = conn.execute("SELECT yoy_pct FROM progress WHERE zone = %s", (a,)).fetchone()
    assert stored == (Decimal("8.207125342565"),)

    body = await progress(client, zone=a)
    assert (body["year"], body["month"]) == (2025, 5)
    [item] = body["items"]
    assert item == {
        "zone": a,
        "zone_name": None,  # not in the zone registry
        "share_of_parent_pct": None,  # no registered parent with a figure of its own
        "indicator": "industrial_output",
        "indicator_name": "规上工业产值",
        "unit": "亿元",
        "period": "2025-05",
        "ytd_value": 75.02,
        "month_value": 15.1,
        "ytd_last_year": 69.33,
        "month_last_year": None,
        "yoy_base": 69.33,
        "yoy_base_comparable": False,
        "yoy_pct": 8.2,
        "yoy_source": "computed",
        "reported_yoy_pct": None,  # the upstream published no rate
        "month_yoy_pct": None,
        "target_value": 166,
        "completion_pct": 45.2,
        "time_progress_pct": 41.7,
        "progress_gap_pp": 3.5,
        "on_track": True,
        "growth_target_pct": None,  # no growth target (增长X%以上) was set
        "growth_gap_pp": None,
        "growth_on_track": None,
        "status": "on_track",
        "status_zh": "超序时进度3.5个百分点",
        "reported_at": "2025-06-10T09:00:00+00:00",
        "computed_at": item["computed_at"],
        "explanation": None,  # no plausibility warning was explained
    }
    assert datetime.fromisoformat(item["computed_at"]).tzinfo is not None


async def test_digits_round_half_up(client: httpx.AsyncClient, migrated: str):
    (a,) = zones("经开区")
    seed(migrated, a, "industrial_output", 2025, 5, ytd="75.02", last="69.33", target=166)
    [two] = (await progress(client, zone=a, digits=2))["items"]
    assert (two["yoy_pct"], two["completion_pct"], two["time_progress_pct"], two["progress_gap_pp"]) == (
        8.21,
        45.19,
        41.67,
        3.53,
    )
    assert two["status_zh"] == "超序时进度3.5个百分点"  # the words keep one decimal
    [none] = (await progress(client, zone=a, digits=0))["items"]
    assert (none["yoy_pct"], none["completion_pct"], none["time_progress_pct"], none["progress_gap_pp"]) == (
        8,
        45,
        42,
        4,
    )

    # 12.5 on 10 is +25% exactly; 1.0125 on 1 is 1.25%: half up gives 1.3, not banker's 1.2.
    (b,) = zones("综保区")
    seed(migrated, b, "export", 2025, 3, ytd="1.0125", last="1")
    [item] = (await progress(client, zone=b))["items"]
    assert item["yoy_pct"] == 1.3

    for bad in (-1, 5, "x"):
        response = await client.get("/v1/progress", params={"zone": a, "digits": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"] == "digits"


async def test_values_are_returned_exactly_as_stored(client: httpx.AsyncClient, migrated: str):
    (a,) = zones("精度区")
    seed(migrated, a, "import_export", 2025, 2, ytd="12345678.123456789012", target="99999999.99")
    response = await client.get("/v1/progress", params={"zone": a})
    assert '"ytd_value":12345678.123456789012' in response.text
    assert '"target_value":99999999.99' in response.text
    assert response.json(parse_float=Decimal)["items"][0]["ytd_value"] == Decimal("12345678.123456789012")


async def test_lagging_first_then_on_track_then_without_judgement(client: httpx.AsyncClient, migrated: str):
    a, b, c, d, e, f = zones("a", "b", "c", "d", "e", "f")
    seed(migrated, d, "industrial_output", 2025, 5, ytd=50, target=100)  # on track, +8.3
    seed(migrated, b, "industrial_output", 2025, 5, ytd="39.5", target=100)  # behind 2.2
    seed(migrated, a, "industrial_output", 2025, 5, ytd=10, last=8)  # no target
    seed(migrated, c, "industrial_output", 2025, 5, ytd=30, target=100)  # behind 11.7
    seed(migrated, f, "industrial_output", 2025, 5, ytd=None, target=100)  # target, value unknown
    seed(migrated, e, "industrial_output", 2025, 5, ytd=60, target=100)  # on track, +18.3
    seed(migrated, a, "export", 2025, 5, ytd=45, target=100)  # on track, +3.3

    items = (await progress(client, zone=[a, b, c, d, e, f]))["items"]
    assert [(i["zone"], i["indicator"], i["status"], i["status_zh"]) for i in items] == [
        (c, "industrial_output", "behind", "落后序时进度11.7个百分点"),
        (b, "industrial_output", "behind", "落后序时进度2.2个百分点"),
        (a, "export", "on_track", "超序时进度3.3个百分点"),
        (d, "industrial_output", "on_track", "超序时进度8.3个百分点"),
        (e, "industrial_output", "on_track", "超序时进度18.3个百分点"),
        (f, "industrial_output", "unknown", "累计数缺失，无法对比序时进度"),
        (a, "industrial_output", "no_target", "无目标"),
    ]
    no_target = items[-1]
    assert no_target["on_track"] is None and no_target["completion_pct"] is None
    assert no_target["progress_gap_pp"] is None and no_target["target_value"] is None
    assert no_target["yoy_pct"] == 25.0


async def test_defaults_to_the_latest_month_with_data_for_the_filters(client: httpx.AsyncClient, migrated: str):
    a, b = zones("a", "b")
    seed(migrated, a, "export", 2024, 11, ytd=9)
    seed(migrated, a, "export", 2025, 2, ytd=2)
    seed(migrated, a, "export", 2025, 3, ytd=3)
    seed(migrated, b, "export", 2025, 4, ytd=4)

    latest = await progress(client, zone=a)
    assert (latest["year"], latest["month"]) == (2025, 3)
    assert [i["period"] for i in latest["items"]] == ["2025-03"]
    both = await progress(client, zone=[a, b])
    assert (both["year"], both["month"]) == (2025, 4)
    assert [i["zone"] for i in both["items"]] == [b]
    last_year = await progress(client, zone=a, year=2024)
    assert (last_year["year"], last_year["month"]) == (2024, 11)
    february = await progress(client, zone=a, month=2)
    assert (february["year"], february["month"]) == (2025, 2)
    assert [i["ytd_value"] for i in february["items"]] == [2]
    assert await progress(client, zone=a, indicator="import") == {"year": None, "month": None, "items": []}
    assert await progress(client, zone=zones("nowhere")[0]) == {"year": None, "month": None, "items": []}
    assert await progress(client, zone=a, year=2023) == {"year": 2023, "month": None, "items": []}


async def test_zone_and_indicator_filters_take_several_values(client: httpx.AsyncClient, migrated: str):
    a, b, c = zones("a", "b", "c")
    for zone in (a, b, c):
        for indicator in ("export", "import", "foreign_capital"):
            seed(migrated, zone, indicator, 2025, 6, ytd=1)
    items = (await progress(client, zone=[a, c], indicator=["import", "export"]))["items"]
    assert sorted((i["zone"], i["indicator"]) for i in items) == sorted(
        [(a, "export"), (a, "import"), (c, "export"), (c, "import")]
    )
    only_a = (await progress(client, zone=a))["items"]
    assert {i["indicator"] for i in only_a} == {"export", "import", "foreign_capital"}
    names = {i["indicator"]: (i["indicator_name"], i["unit"]) for i in only_a}
    assert names["foreign_capital"] == ("实际利用外资", "万美元")


async def test_bad_parameters_are_named(client: httpx.AsyncClient):
    response = await client.get("/v1/progress", params={"indicator": ["export", "gross_output"]})
    assert response.status_code == 422
    assert "unknown indicator 'gross_output'" in response.json()["detail"]
    for month in (0, 13, "may"):
        response = await client.get("/v1/progress", params={"month": month})
        assert response.status_code == 422, month
        assert response.json()["errors"][0]["field"] == "month"
        assert response.json()["detail"].startswith("month: ")


async def test_series_gives_the_monthly_history_oldest_first(client: httpx.AsyncClient, migrated: str):
    (a,) = zones("序列区")
    for year, month, ytd in [(2025, 3, 300), (2024, 12, 1200), (2025, 1, 100), (2025, 2, 200)]:
        seed(migrated, a, "foreign_capital", year, month, ytd=ytd, target=1200)
    response = await client.get("/v1/series", params={"zone": a, "indicator": "foreign_capital"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["zone"], body["indicator"], body["indicator_name"], body["unit"]) == (
        a,
        "foreign_capital",
        "实际利用外资",
        "万美元",
    )
    assert [(i["period"], i["ytd_value"], i["status_zh"]) for i in body["items"]] == [
        ("2024-12", 1200, "达序时进度"),
        ("2025-01", 100, "达序时进度"),
        ("2025-02", 200, "达序时进度"),
        ("2025-03", 300, "达序时进度"),
    ]
    window = (
        await client.get(
            "/v1/series",
            params={"zone": a, "indicator": "foreign_capital", "from": "2025-01", "to": "2025-02", "digits": 2},
        )
    ).json()
    assert [(i["period"], i["completion_pct"]) for i in window["items"]] == [("2025-01", 8.33), ("2025-02", 16.67)]
    empty = (await client.get("/v1/series", params={"zone": a, "indicator": "export"})).json()
    assert empty["items"] == [] and empty["unit"] == "亿元"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"indicator": "export"}, "zone"),
        ({"zone": "x"}, "indicator"),
        ({"zone": "x", "indicator": "gross_output"}, "indicator"),
        ({"zone": "x", "indicator": "export", "from": "2025-13"}, "from"),
        ({"zone": "x", "indicator": "export", "to": "2025/05"}, "to"),
        ({"zone": "x", "indicator": "export", "from": "2025-06", "to": "2025-05"}, "from"),
    ],
)
async def test_series_bad_parameters(client: httpx.AsyncClient, params: dict, field: str):
    response = await client.get("/v1/series", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_indicators_is_the_catalog(client: httpx.AsyncClient):
    items = (await client.get("/v1/indicators")).json()["items"]
    by_code = {i["code"]: i for i in items}
    assert by_code["manufacturing_investment"] == {
        "code": "manufacturing_investment",
        "name_zh": "制造业投资",
        "unit": "亿元",
        "part_of": "fixed_asset_investment",
    }
    assert by_code["signed_projects"]["unit"] == "个"


async def test_health_readiness_and_metrics(client: httpx.AsyncClient):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    await client.get("/v1/progress", params={"zone": zones("m")[0]})
    await client.get("/v1/progress", params={"month": 13})
    text = (await client.get("/metrics")).text
    assert 'indicators_query_db_seconds_count{query="latest_period"}' in text
    assert 'indicators_query_requests_total{method="GET",route="/v1/progress",status="200"}' in text
    assert 'indicators_query_requests_total{method="GET",route="/v1/progress",status="422"}' in text
    assert 'indicators_query_request_seconds_bucket{le="0.005",route="/v1/progress",status="200"}' in text


async def test_an_unmigrated_database_is_not_ready(migrated: str):
    expected = sorted(path.stem for path in MIGRATIONS_DIR.glob("*.sql"))
    async with await psycopg.AsyncConnection.connect(migrated) as conn:
        assert await missing_migrations(conn, expected) == []
        # A schema of its own, empty: as a database never migrated looks.
        schema = f"empty_{uuid.uuid4().hex[:8]}"
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            await conn.execute(f'SET search_path TO "{schema}"')
            assert await missing_migrations(conn, expected) == expected
        finally:
            await conn.execute("RESET search_path")
            await conn.execute(f'DROP SCHEMA "{schema}"')
            await conn.commit()
