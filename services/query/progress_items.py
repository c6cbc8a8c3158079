"""One row of the `progress` table as the API, the board and anyone else show it.

Percentages are rounded once, half up (四舍五入), from the stored 12-decimal figures; values are returned
exactly as stored. /v1/progress, /v1/series and the board all build their items here, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from indicators_core.catalog import Catalog
from indicators_core.progress import period_text, round_half_up
from query.rankings import share_pct
from query.schemas import ProgressItem
from query.wording import judge_item


def finite(value: Decimal | None) -> Decimal | None:
    """NaN and ±Infinity (which PostgreSQL numeric admits) are unknown: None."""
    return value if value is not None and value.is_finite() else None


def utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


# What a row's item depends on, as a key for keeping its rendering (query.answer_cache.RowPieces): the progress
# row's version (xmin: every committed write of the row gives it a new one; a version is seen only once committed)
# and the columns read with it from other tables. Cheaper to hash than every figure; an itemgetter (C) because a
# rebuilt month asks it twice for each of ten thousand rows.
ROW_KEY_COLUMNS = ("zone", "indicator", "year", "month", "row_version", "zone_name", "explanation", "parent_ytd_value")
row_key: Callable[[dict[str, Any]], tuple[Any, ...]] = itemgetter(*ROW_KEY_COLUMNS)


def progress_item(row: dict[str, Any], catalog: Catalog, digits: int) -> ProgressItem:
    """One row of the progress table as the API shows it: percentages rounded, values as stored."""
    return ProgressItem.model_construct(**progress_item_fields(row, catalog, digits))


def progress_item_fields(row: dict[str, Any], catalog: Catalog, digits: int) -> dict[str, Any]:
    """progress_item's fields as a dict, in the model's order: what the API writes, without building (and
    validating, then dumping) a model per row, which took most of a thousand-zone /v1/progress
    (tests/bench/reads_bench.py --profile). Every value is already of its field's type."""

    def pct(value: Decimal | None) -> Decimal | None:
        value = finite(value)
        return None if value is None else round_half_up(value, digits)

    indicator = catalog.get(row["indicator"])
    target = finite(row["target_value"])
    growth_target = finite(row.get("growth_target_pct"))
    completion = finite(row["completion_pct"])
    status, status_zh = judge_item(
        row["on_track"],
        finite(row["progress_gap_pp"]),
        target is not None and target > 0,
        growth_on_track=row.get("growth_on_track"),
        growth_gap_pp=finite(row.get("growth_gap_pp")),
        has_growth_target=growth_target is not None,
        stock_completion_pct=completion if indicator is not None and indicator.stock else None,
    )
    return dict(
        zone=row["zone"],
        zone_name=row.get("zone_name"),
        indicator=row["indicator"],
        # A code dropped from the catalog since the row was computed still shows, by its code.
        indicator_name=indicator.name_zh if indicator else row["indicator"],
        unit=indicator.unit if indicator else None,
        # A quarterly series is stored at each quarter's last month and read back as the quarter: 2026-Q2.
        period=period_text(row["year"], row["month"], indicator.step if indicator else 1),
        ytd_value=finite(row["ytd_value"]),
        month_value=finite(row["month_value"]),
        ytd_last_year=finite(row["ytd_last_year"]),
        month_last_year=finite(row["month_last_year"]),
        yoy_base=finite(row["yoy_base"]),
        yoy_base_comparable=row["yoy_base_comparable"],
        yoy_pct=pct(row["yoy_pct"]),
        yoy_source=row.get("yoy_source"),
        reported_yoy_pct=pct(row.get("reported_yoy_pct")),
        month_yoy_pct=pct(row["month_yoy_pct"]),
        target_value=target,
        completion_pct=pct(completion),
        time_progress_pct=round_half_up(row["time_progress_pct"], digits),  # NOT NULL in the table
        progress_gap_pp=pct(row["progress_gap_pp"]),
        on_track=row["on_track"],
        growth_target_pct=pct(growth_target),
        growth_gap_pp=pct(row.get("growth_gap_pp")),
        growth_on_track=row.get("growth_on_track"),
        status=status,
        status_zh=status_zh,
        reported_at=utc(row["reported_at"]),
        computed_at=row["computed_at"].astimezone(UTC),
        share_of_parent_pct=pct(share_pct(finite(row["ytd_value"]), finite(row.get("parent_ytd_value")))),
        explanation=row.get("explanation"),
    )
