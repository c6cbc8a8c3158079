"""A board's panels run as Grafana runs them, on a connection to the pipeline's PostgreSQL (no TimescaleDB:
there $__timeGroup would be time_bucket(), tests/timescale): variables resolved, SQL expanded, rows read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from tests.dashboards import grafana_sql
from tests.dashboards.grafana_sql import VariableSpec, beijing_year

YEAR_2022 = beijing_year(2022)
YEAR_2009 = beijing_year(2009)


def run(conn: psycopg.Connection, sql: str) -> tuple[list[str], list[tuple]]:
    cursor = conn.execute(sql)
    return [column.name for column in cursor.description], cursor.fetchall()


def resolve_variables(
    conn: psycopg.Connection,
    dashboard: Mapping[str, Any],
    chosen: Mapping[str, str | Sequence[str]],
    time_range: tuple[datetime, datetime],
) -> tuple[dict[str, str | Sequence[str]], dict[str, VariableSpec]]:
    # The pipeline's PostgreSQL has no TimescaleDB: $__timeGroup would be time_bucket() there (tests/timescale).
    values, specs, _ = grafana_sql.resolve_variables(
        partial(run, conn), dashboard, chosen, time_range, timescaledb=False
    )
    return values, specs


def panel_rows(
    conn: psycopg.Connection,
    path: Path,
    panel_id: int,
    chosen: Mapping[str, str | Sequence[str]],
    time_range: tuple[datetime, datetime] = YEAR_2022,
) -> list[dict[str, Any]]:
    return grafana_sql.panel_rows(partial(run, conn), path, panel_id, chosen, time_range, timescaledb=False)


def pick(rows: list[dict[str, Any]], *columns: str) -> list[tuple]:
    return [tuple(row[column] for column in columns) for row in rows]
