"""One row of the `progress` table as the API, the board and anyone else show it.

Percentages are rounded once, half up (四舍五入), from the stored 12-decimal figures; values are returned
exactly as stored. /v1/progress, /v1/series and the board all build their items here, so they never disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from indicators_core.catalog import Catalog
from indicators_core.progress import round_half_up
from query.schemas import ProgressItem
from query.wording import judge


def finite(value: Decimal | None) -> Decimal | None:
    """NaN and ±Infinity (which PostgreSQL numeric admits) are unknown: None."""
    return value if value is not None and value.is_finite() else None


def utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def progress_item(row: dict[str, Any], catalog: Catalog, digits: int) -> ProgressItem:
    """One row of the progress table as the API shows it: percentages rounded, values as stored."""

    def pct(value: Decimal | None) -> Decimal | None:
        value = finite(value)
        return None if value is None else round_half_up(value, digits)

    indicator = catalog.get(row["indicator"])
    target = finite(row["target_value"])
    status, status_zh = judge(row["on_track"], finite(row["progress_gap_pp"]), target is not None and target > 0)
    return ProgressItem(
        zone=row["zone"],
        indicator=row["indicator"],
        # A code dropped from the catalog since the row was computed still shows, by its code.
        indicator_name=indicator.name_zh if indicator else row["indicator"],
        unit=indicator.unit if indicator else None,
        period=f"{row['year']:04d}-{row['month']:02d}",
        ytd_value=finite(row["ytd_value"]),
        month_value=finite(row["month_value"]),
        ytd_last_year=finite(row["ytd_last_year"]),
        month_last_year=finite(row["month_last_year"]),
        yoy_base=finite(row["yoy_base"]),
        yoy_base_comparable=row["yoy_base_comparable"],
        yoy_pct=pct(row["yoy_pct"]),
        month_yoy_pct=pct(row["month_yoy_pct"]),
        target_value=target,
        completion_pct=pct(row["completion_pct"]),
        time_progress_pct=round_half_up(row["time_progress_pct"], digits),  # NOT NULL in the table
        progress_gap_pp=pct(row["progress_gap_pp"]),
        on_track=row["on_track"],
        status=status,
        status_zh=status_zh,
        reported_at=utc(row["reported_at"]),
        computed_at=row["computed_at"].astimezone(UTC),
        explanation=row.get("explanation"),
    )
