"""indicator_catalog, the boards' source of Chinese names and units, follows the catalog file."""

from __future__ import annotations

import psycopg
import pytest

from indicators_core.catalog import load_catalog, parse_catalog
from indicators_core.db import apply_migrations
from stack.postgres import PostgresServer

pytestmark = pytest.mark.integration

RENAMED = """
[[indicator]]
code = "industrial_output"
name_zh = "工业总产值"
unit = "万元"
scale = "cny"

[[indicator]]
code = "new_indicator"
name_zh = "新指标"
unit = "个"
scale = "count"
integer = true
frequency = "quarter"
"""


def catalog_rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT code, name_zh, unit, part_of, position, frequency FROM indicator_catalog ORDER BY position"
        ).fetchall()


def test_every_migration_run_rewrites_the_table_from_the_catalog(postgres_server: PostgresServer):
    url = postgres_server.create_database("dashboards_catalog")
    apply_migrations(url)
    packaged = load_catalog()
    expected = [
        (i.code, i.name_zh, i.unit, i.part_of, n, i.frequency)
        for n, i in enumerate(packaged.indicators.values(), start=1)
    ]
    assert catalog_rows(url) == expected
    assert expected[2] == ("manufacturing_investment", "制造业投资", "亿元", "fixed_asset_investment", 3, "month")
    assert ("gdp", "quarter") in {(row[0], row[5]) for row in expected}  # the boards say its periods as quarters

    # Another catalog file (INDICATORS_CATALOG_PATH): renamed, removed and added rows follow.
    apply_migrations(url, parse_catalog(RENAMED))
    assert catalog_rows(url) == [
        ("industrial_output", "工业总产值", "万元", None, 1, "month"),
        ("new_indicator", "新指标", "个", None, 2, "quarter"),
    ]
    apply_migrations(url)  # and back: nothing is left of the other file
    assert catalog_rows(url) == expected
