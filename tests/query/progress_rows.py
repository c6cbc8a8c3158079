"""Progress rows seeded straight into PostgreSQL, with the derived figures the core arithmetic gives (as the
processor writes them): for the query tests that read what the pipeline would have stored."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg

from indicators_core.progress import completion_pct, growth_pct, is_on_track, progress_gap_pp, time_progress_pct

REPORTED_AT = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)


def zones(*names: str) -> list[str]:
    tag = uuid.uuid4().hex[:6]
    return [f"{name}-{tag}" for name in names]


def dec(value: str | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def seed(
    database_url: str,
    zone: str,
    indicator: str,
    year: int,
    month: int,
    ytd: str | int | None,
    last: str | int | None = None,
    target: str | int | None = None,
    month_value: str | int | None = None,
) -> None:
    """One progress row, with the derived figures computed by the core arithmetic as the processor does."""
    ytd_d, last_d, target_d = dec(ytd), dec(last), dec(target)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            """
            INSERT INTO progress (zone, indicator, period, year, month, ytd_value, month_value, ytd_last_year,
                                  yoy_base, yoy_pct, target_value, completion_pct, time_progress_pct,
                                  progress_gap_pp, on_track, reported_at, yoy_source)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (
                zone,
                indicator,
                date(year, month, 1),
                year,
                month,
                ytd_d,
                dec(month_value),
                last_d,
                last_d,
                growth_pct(ytd_d, last_d),
                target_d,
                completion_pct(ytd_d, target_d),
                time_progress_pct(month),
                progress_gap_pp(ytd_d, target_d, month),
                is_on_track(ytd_d, target_d, month),
                REPORTED_AT,
                None if growth_pct(ytd_d, last_d) is None else "computed",
            ),
        )
