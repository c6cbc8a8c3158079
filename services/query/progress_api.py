"""GET /v1/progress, /v1/series and /v1/indicators: progress against goals, as boards and people read it.

Read-only over the `progress` table that the processor keeps (query.repository); each row is shown by
query.progress_items: percentages rounded half up (四舍五入), values exactly as stored.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from query import downloads
from query.answer_cache import RowPieces
from query.dependencies import AnswerCacheDep, CatalogDep, RepositoryDep, SettingsDep
from query.params import MAX_DIGITS, BadQuery, check_indicators, cleaned_values, parse_month
from query.problems import PROBLEM_RESPONSES
from query.progress_items import progress_item_fields, row_key
from query.schemas import (
    ExactJSONResponse,
    IndicatorItem,
    IndicatorsResponse,
    ProgressResponse,
    SeriesResponse,
    dumps_bytes,
)

router = APIRouter()

Digits = Annotated[int | None, Query(ge=0, le=MAX_DIGITS, description="Decimals of percentages (default 1)")]
# A download instead of JSON (query.downloads); the Accept header (text/csv or the XLSX type) says the same.
AsFormat = Annotated[
    str | None, Query(alias="format", description="json (default), csv or xlsx: the items as a sheet, Chinese headers")
]
DOWNLOADS: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}, downloads.XLSX_TYPE: {}}}}


@router.get(
    "/v1/progress",
    response_model=ProgressResponse,
    responses=PROBLEM_RESPONSES | DOWNLOADS,
    summary="Progress of one month: every zone and indicator, lagging first",
)
async def get_progress(
    request: Request,
    catalog: CatalogDep,
    repository: RepositoryDep,
    settings: SettingsDep,
    cache: AnswerCacheDep,
    year: Annotated[
        int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description="Default: the latest year with data for the filters")
    ] = None,
    month: Annotated[
        int | None, Query(ge=1, le=12, description="1..12. Default: the latest month with data in that year")
    ] = None,
    zone: Annotated[list[str] | None, Query(description="Repeat for several zones; omit for all")] = None,
    indicator: Annotated[
        list[str] | None, Query(description="Indicator code; repeat for several; omit for all")
    ] = None,
    digits: Digits = None,
    as_format: AsFormat = None,
) -> Response:
    form = downloads.wanted_format(request, as_format)
    zones, indicators = cleaned_values(zone), cleaned_values(indicator)
    check_indicators(indicators, catalog)
    places = settings.default_pct_digits if digits is None else digits
    if month is None or year is None:
        latest = await repository.latest_period(zones, indicators, year)
        if latest is None:
            return downloads.answer(form, {"year": year, "month": None, "items": []}, [], "progress", places)
        year = year if year is not None else latest[0]
        month = month if month is not None else latest[1]
    # Kept for all zones only: one zone's answer is built in less time than the month's version takes to read.
    if form != "json" or zones is not None:
        rows = await repository.progress(year, month, zones, indicators)
        items = [progress_item_fields(row, catalog, places) for row in rows]
        content = {"year": year, "month": month, "items": items}
        return downloads.answer(form, content, items, f"进度{year}-{month:02d}", places)
    # The same month asked again (a wall screen polling) is answered from the cache while its rows are unchanged
    # (query.answer_cache). Dicts in the response model's shape (response_model documents it), not a model per row.
    key: tuple[object, ...] = ("progress", year, month, tuple(zones or ()), tuple(indicators or ()), places)
    version = await repository.progress_version(year, month)
    body = cache.get(key, version)
    if body is None:
        pieces = RowPieces(
            cache.pieces(key),
            lambda row: orjson.Fragment(dumps_bytes(progress_item_fields(row, catalog, places))),
            row_key,
        )
        if pieces.kept is None:
            items = [pieces.of(row) for row in await repository.progress(year, month, None, indicators)]
        else:
            keyed = await repository.progress_reusing(year, month, indicators, pieces.kept)
            items = [pieces.of_keyed(key_of_row, row) for key_of_row, row in keyed]
        body = dumps_bytes({"year": year, "month": month, "items": items})
        cache.put(key, version, body, pieces.pieces)
    return Response(body, media_type="application/json")


@router.get(
    "/v1/series",
    response_model=SeriesResponse,
    responses=PROBLEM_RESPONSES | DOWNLOADS,
    summary="The monthly history of one zone and indicator, oldest first",
)
async def get_series(
    request: Request,
    catalog: CatalogDep,
    repository: RepositoryDep,
    settings: SettingsDep,
    zone: Annotated[str, Query(min_length=1)],
    indicator: Annotated[str, Query(min_length=1, description="Indicator code")],
    from_: Annotated[str | None, Query(alias="from", description="First month, YYYY-MM (inclusive)")] = None,
    to: Annotated[str | None, Query(description="Last month, YYYY-MM (inclusive)")] = None,
    digits: Digits = None,
    as_format: AsFormat = None,
) -> Response:
    form = downloads.wanted_format(request, as_format)
    zone, indicator = zone.strip(), indicator.strip()
    check_indicators([indicator], catalog)
    first, last = parse_month("from", from_), parse_month("to", to)
    if first is not None and last is not None and first > last:
        raise BadQuery("from", f"'{from_}' is after to '{to}'")
    places = settings.default_pct_digits if digits is None else digits
    rows = await repository.series(zone, indicator, first, last)
    known = catalog.get(indicator)
    assert known is not None  # checked above  # noqa: S101
    items = [progress_item_fields(row, catalog, places) for row in rows]
    content = {
        "zone": zone,
        "indicator": indicator,
        "indicator_name": known.name_zh,
        "unit": known.unit,
        "items": items,
    }
    return downloads.answer(form, content, items, f"{zone}-{known.name_zh}", places)


@router.get("/v1/indicators", response_model=IndicatorsResponse, summary="The indicator catalog")
async def get_indicators(catalog: CatalogDep) -> Response:
    items = [
        IndicatorItem(code=i.code, name_zh=i.name_zh, unit=i.unit, part_of=i.part_of)
        for i in catalog.indicators.values()
    ]
    return ExactJSONResponse(IndicatorsResponse(items=items).model_dump())
