"""GET /v1/rankings and GET /v1/rollups: zones compared with each other, and children summed for their parent.

The arithmetic is query.rankings (pure); this module picks the field (a peer group, a parent's children,
or every zone with figures), the period and the previous period, and shows the figures as every item does
(percentages rounded half up, values exactly as stored).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from psycopg_pool import AsyncConnectionPool

from indicators_core.catalog import Catalog, Indicator
from indicators_core.progress import period_text, round_half_up
from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from indicators_core.zone_codes import closest_codes
from query.dependencies import AnswerCacheDep, CatalogDep, RepositoryDep, SettingsDep
from query.params import MAX_DIGITS, BadQuery, check_indicators
from query.problems import PROBLEM_RESPONSES
from query.progress_items import finite
from query.rankings import ChildFigures, previous_period, rank, rank_change, rollup
from query.schemas import ExactJSONResponse, dumps_bytes
from query.zones_repository import ZoneRegistry, latest_year, read_registry, year_figures
from query.zones_schemas import RankBy, RankingItem, RankingResponse, RollupChild, RollupResponse

router = APIRouter()

Year = Annotated[
    int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description="Default: the latest year with data for the indicator")
]
Month = Annotated[
    int | None,
    Query(ge=1, le=12, description="1..12 (a quarter by its last month: 6 = 1-2季度). Default: the latest with data"),
]
Digits = Annotated[int | None, Query(ge=0, le=MAX_DIGITS, description="Decimals of percentages (default 1)")]


def _indicator(code: str, catalog: Catalog) -> Indicator:
    check_indicators([code.strip()], catalog)
    found = catalog.get(code.strip())
    assert found is not None  # checked above  # noqa: S101
    return found


def _unknown_code(field: str, code: str, registry: ZoneRegistry) -> BadQuery:
    closest = closest_codes(code, registry.zones)
    hint = f" (closest registered: {', '.join(closest)})" if closest else ""
    return BadQuery(field, f"'{code}' is not a registered zone{hint}")


def field_of(registry: ZoneRegistry, group: str | None, parent: str | None) -> list[str] | None:
    """The zones compared: a peer group's members, a parent's children (both: those in both), None: every zone."""
    zones: set[str] | None = None
    if group is not None:
        if group not in registry.groups():
            known = "、".join(registry.groups()) or "none registered"
            raise BadQuery("group", f"'{group}' is not a peer group of any registered zone (known: {known})")
        zones = set(registry.members(group))
    if parent is not None:
        if parent not in registry.zones:
            raise _unknown_code("parent", parent, registry)
        children = set(registry.children(parent))
        zones = children if zones is None else zones & children
    return None if zones is None else sorted(zones)


def _shown(value: Decimal | None, by: str, digits: int) -> Decimal | None:
    value = finite(value)
    if value is None or by == "ytd_value":
        return value
    return round_half_up(value, digits)


def _values(rows: Sequence[dict[str, Any]], month: int, by: str, field: Sequence[str] | None) -> list[tuple[str, Any]]:
    of_month = {row["zone"]: finite(row[by]) for row in rows if row["month"] == month}
    zones = field if field is not None else sorted({row["zone"] for row in rows})
    return [(zone, of_month.get(zone)) for zone in zones]


@router.get(
    "/v1/rankings",
    response_model=RankingResponse,
    responses=PROBLEM_RESPONSES,
    summary="Zones ranked by one indicator's completion, growth or cumulative value, with the change of rank",
)
async def get_rankings(
    catalog: CatalogDep,
    repository: RepositoryDep,
    settings: SettingsDep,
    cache: AnswerCacheDep,
    indicator: Annotated[str, Query(min_length=1, description="Indicator code")],
    year: Year = None,
    month: Month = None,
    by: Annotated[RankBy, Query(description="What is ranked, highest first")] = "completion_pct",
    group: Annotated[str | None, Query(min_length=1, description="A peer group: its members only")] = None,
    parent: Annotated[str | None, Query(min_length=1, description="A registered zone: its children only")] = None,
    digits: Digits = None,
) -> Response:
    places = settings.default_pct_digits if digits is None else digits
    if year is None or catalog.get(indicator) is None:  # the latest year, or a refusal: nothing to keep
        response = await ranking(repository.pool, catalog, indicator, year, month, by, group, parent, places)
        return ExactJSONResponse(response.model_dump())
    # A ranking asked again is answered from the cache while the indicator's year and the registry are unchanged
    # (query.answer_cache): it reads every month of the year (the previous period's ranks) and the registry.
    key: tuple[object, ...] = ("rankings", indicator, year, month, by, group, parent, places)
    version = await repository.indicator_year_version(indicator, year)
    body = cache.get(key, version)
    if body is None:
        response = await ranking(repository.pool, catalog, indicator, year, month, by, group, parent, places)
        body = dumps_bytes(response.model_dump())
        cache.put(key, version, body)
    return Response(body, media_type="application/json")


async def ranking(
    pool: AsyncConnectionPool,
    catalog: Catalog,
    indicator: str,
    year: int | None,
    month: int | None,
    by: str,
    group: str | None,
    parent: str | None,
    places: int,
) -> RankingResponse:
    """The ranking /v1/rankings answers and the board's 排名 view shows (BadQuery for a wrong parameter)."""
    known = _indicator(indicator, catalog)
    group = group.strip() if group and group.strip() else None
    parent = parent.strip() if parent and parent.strip() else None
    registry = await read_registry(pool)
    field = field_of(registry, group, parent)
    year = year if year is not None else await latest_year(pool, known.code, field)
    rows = [] if year is None else await year_figures(pool, known.code, year, field)
    months = sorted({row["month"] for row in rows})
    if month is None:
        month = months[-1] if months else None
    body: dict[str, Any] = {
        "year": year,
        "month": month,
        "period": None if year is None or month is None else period_text(year, month, known.step),
        "indicator": known.code,
        "indicator_name": known.name_zh,
        "by": by,
        "group": group,
        "parent": parent,
    }
    if month is None:
        return RankingResponse(**body, previous_month=None, items=[])
    previous_month = previous_period(months, month)
    current = rank(_values(rows, month, by, field))
    previous = (
        {r.zone: r.rank for r in rank(_values(rows, previous_month, by, field))} if previous_month is not None else {}
    )
    items = []
    for ranked in current:
        previous_rank = previous.get(ranked.zone)
        change, change_zh = rank_change(previous_rank, ranked.rank)
        items.append(
            RankingItem(
                rank=ranked.rank,
                zone=ranked.zone,
                zone_name=registry.name(ranked.zone),
                value=_shown(ranked.value, by, places),
                previous_rank=previous_rank,
                rank_change=change,
                rank_change_zh=change_zh,
            )
        )
    return RankingResponse(**body, previous_month=previous_month, items=items)


@router.get(
    "/v1/rollups",
    response_model=RollupResponse,
    responses=PROBLEM_RESPONSES,
    summary="A parent's registered children summed for one indicator: the sums, the growth of the sums, shares",
)
async def get_rollups(
    catalog: CatalogDep,
    repository: RepositoryDep,
    settings: SettingsDep,
    parent: Annotated[str, Query(min_length=1, description="A registered zone (a district, city…)")],
    indicator: Annotated[str, Query(min_length=1, description="Indicator code: an amount that adds up (a flow)")],
    year: Year = None,
    month: Month = None,
    digits: Digits = None,
) -> Response:
    known = _indicator(indicator, catalog)
    if getattr(known, "kind", "flow") != "flow":
        raise BadQuery("indicator", f"{known.code} ({known.name_zh}) is a stock, not an amount that adds up over zones")
    places = settings.default_pct_digits if digits is None else digits
    parent = parent.strip()
    registry = await read_registry(repository.pool)
    if parent not in registry.zones:
        raise _unknown_code("parent", parent, registry)
    children = registry.children(parent)
    wanted = [*children, parent]
    year = year if year is not None else await latest_year(repository.pool, known.code, wanted)
    rows = [] if year is None else await year_figures(repository.pool, known.code, year, wanted)
    if month is None:
        child_months = sorted({row["month"] for row in rows if row["zone"] != parent})
        month = child_months[-1] if child_months else None
    of_month = {row["zone"]: row for row in rows if row["month"] == month}
    figures = [
        ChildFigures(
            zone,
            finite(of_month[zone]["ytd_value"]) if zone in of_month else None,
            finite(of_month[zone]["ytd_last_year"]) if zone in of_month else None,
        )
        for zone in children
    ]
    summed = rollup(figures)

    def pct(value: Decimal | None) -> Decimal | None:
        return None if value is None else round_half_up(value, places)

    own = of_month.get(parent)
    response = RollupResponse(
        year=year,
        month=month,
        period=None if year is None or month is None else period_text(year, month, known.step),
        parent=parent,
        parent_name=registry.zones[parent].name_zh,
        indicator=known.code,
        indicator_name=known.name_zh,
        unit=known.unit,
        ytd_value=summed.ytd_value,
        ytd_last_year=summed.ytd_last_year,
        yoy_pct=pct(summed.yoy_pct),
        parent_ytd_value=finite(own["ytd_value"]) if own else None,
        children_reported=summed.children_reported,
        children_total=summed.children_total,
        children=[
            RollupChild(
                zone=child.zone,
                zone_name=registry.name(child.zone),
                ytd_value=child.ytd_value,
                ytd_last_year=child.ytd_last_year,
                yoy_pct=pct(child.yoy_pct),
                share_pct=pct(child.share_pct),
            )
            for child in summed.children
        ],
    )
    return ExactJSONResponse(response.model_dump())
