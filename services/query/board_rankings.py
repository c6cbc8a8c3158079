"""GET /board/rankings: the 排名 view of the built-in board, one HTML page for a wall screen.

It shows what GET /v1/rankings answers (query.rankings_api.ranking, the same function), so the page, the API
and the Grafana rankings board never disagree: for one indicator and month, the zones of a peer group or of
a parent (or every zone) by completion, growth or cumulative value, ties sharing a rank, unknown last, with
the rank of the previous period and the change in words (上升1位 / 下降2位 / 持平). Zones show by their
registered name. Rank changes are words and marks (▲ ▼ ＝), never colour alone.
"""

from __future__ import annotations

import logging
from typing import Annotated

import psycopg
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from psycopg_pool import PoolTimeout

from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from query import metrics
from query.board import (
    REFRESH_S,
    UNAVAILABLE_REFRESH_S,
    format_pct,
    format_value,
    integer_parameter,
    problem_page,
    render_page,
)
from query.dependencies import CatalogDep, RepositoryDep
from query.params import BadQuery, FieldProblem, unknown_indicator
from query.rankings_api import ranking
from query.zones_schemas import RankingItem, RankingResponse

log = logging.getLogger("query.board")

BY_WORDS = {"completion_pct": "目标完成率", "yoy_pct": "同比增速", "ytd_value": "累计值"}
BOARD_DIGITS = 1

router = APIRouter()


def value_text(item: RankingItem, by: str, unit: str) -> str:
    if item.value is None:
        return "—"
    if by == "ytd_value":
        return f"{format_value(item.value)} {unit}"
    return format_pct(item.value, signed=by == "yoy_pct")


def change_mark(change: int | None) -> str:
    if change is None:
        return ""
    return "▲" if change > 0 else "▼" if change < 0 else "＝"


def period_words(response: RankingResponse, step: int) -> str | None:
    if response.year is None or response.month is None:
        return None
    if step == 3:
        quarter = response.month // 3
        return f"{response.year}年{'1季度' if quarter == 1 else f'1-{quarter}季度'}"
    return f"{response.year}年{'1月' if response.month == 1 else f'1-{response.month}月'}"


@router.get(
    "/board/rankings",
    response_class=HTMLResponse,
    summary="The board's 排名 view: zones ranked by one indicator, with the change of rank",
)
async def board_rankings(
    catalog: CatalogDep,
    repository: RepositoryDep,
    indicator: Annotated[str | None, Query(description="Indicator code; default: the catalog's first")] = None,
    year: Annotated[str | None, Query(description="1990..2100; default: the latest year with data")] = None,
    month: Annotated[str | None, Query(description="1..12; default: the latest month with data")] = None,
    by: Annotated[str | None, Query(description="completion_pct (default), yoy_pct or ytd_value")] = None,
    group: Annotated[str | None, Query(description="A peer group")] = None,
    parent: Annotated[str | None, Query(description="A registered zone: its children")] = None,
) -> HTMLResponse:
    # Taken as text and checked here, so that a mistake is answered as a page, as /board does.
    problems: list[FieldProblem] = []
    year_value = integer_parameter("year", year, MIN_YEAR, MAX_YEAR, problems)
    month_value = integer_parameter("month", month, 1, 12, problems)
    code = (indicator or "").strip() or catalog.codes()[0]
    if (unknown := unknown_indicator(code, catalog)) is not None:
        problems.append(unknown)
    ranked_by = (by or "").strip() or "completion_pct"
    if ranked_by not in BY_WORDS:
        problems.append(FieldProblem("by", f"'{ranked_by}' is not one of {', '.join(BY_WORDS)}"))
    if problems:
        return problem_page(problems, catalog)
    try:
        response = await ranking(
            repository.pool, catalog, code, year_value, month_value, ranked_by, group, parent, BOARD_DIGITS
        )
    except BadQuery as error:
        return problem_page([FieldProblem(error.field, error.reason)], catalog)
    except (psycopg.OperationalError, PoolTimeout) as error:
        metrics.DB_ERRORS.inc()
        log.error("database unavailable for /board/rankings: %s", error)
        return render_page(
            "unavailable.html",
            503,
            headers={"Retry-After": str(UNAVAILABLE_REFRESH_S)},
            refresh_s=UNAVAILABLE_REFRESH_S,
        )
    known = catalog.get(code)
    assert known is not None  # checked above  # noqa: S101
    rows = [
        {
            "rank": "—" if item.rank is None else str(item.rank),
            "zone": item.zone,
            "name": item.zone_name or item.zone,
            "value": value_text(item, ranked_by, known.unit),
            "previous": "—" if item.previous_rank is None else str(item.previous_rank),
            "mark": change_mark(item.rank_change),
            "change": item.rank_change_zh or "—",
            "direction": "none"
            if item.rank_change is None
            else "up"
            if item.rank_change > 0
            else "down"
            if item.rank_change < 0
            else "same",
        }
        for item in response.items
    ]
    previous = (
        None
        if response.previous_month is None
        else period_words(response.model_copy(update={"month": response.previous_month}), known.step)
    )
    return render_page(
        "rankings.html",
        refresh_s=REFRESH_S,
        indicator_name=known.name_zh,
        unit=known.unit,
        by_words=BY_WORDS[ranked_by],
        period=period_words(response, known.step),
        previous_period=previous,
        group=response.group,
        parent=response.parent,
        rows=rows,
    )
