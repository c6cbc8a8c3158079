"""GET /board/projects: the 重大项目 view of the built-in board (清单式管理), one HTML page for a wall screen.

For a year and month (1月 to its end, 累计) and optionally some zones, it shows what the project office is judged on
and what it chases (docs/projects.md):

- how many projects stand at each stage at the month's end (上会 签约 供地 开工 竣工 投产, 注册 beside them), the
  counts of GET /v1/projects/stats (`by_stage`, indicators_core.projects.stage_counts);
- the figures derived from the list (签约项目数, 亿元以上签约项目数, 开工率, 投产率, 注册率, 拿地至开工平均天数, …)
  against their targets where set: the progress rows /v1/projects/stats lists, in the words /v1/progress uses;
- the overdue projects, worst first: the items of GET /v1/projects?overdue=true, judged on the same day (`as_of`;
  default: the month's end, or today while the month runs), by the same function (projects_api.project_item).

It reads through the same functions as those routes, so the page and the API never disagree. Parameters are taken
as text and checked here, so that a mistake is answered as a page (422), as /board does. No script.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from psycopg_pool import PoolTimeout

from indicators_core.catalog import Catalog
from indicators_core.progress import round_half_up
from indicators_core.projects import (
    DERIVED_CODES,
    MAIN_LINE,
    MAJOR_PROJECT_INVESTMENT,
    STAGE_ZH,
    Project,
    as_of,
    month_end,
    shanghai_today,
    stage_counts,
)
from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from query import metrics
from query.board import (
    BOARD_DIGITS,
    REFRESH_S,
    UNAVAILABLE_REFRESH_S,
    format_value,
    integer_parameter,
    period_label,
    problem_page,
    render_page,
    status_text,
)
from query.dependencies import CatalogDep, RepositoryDep
from query.params import FieldProblem, cleaned_values
from query.progress_items import progress_item
from query.projects_api import ProjectItem, project_item
from query.projects_repository import read_projects
from query.repository import ProgressRepository
from query.schemas import ProgressItem

log = logging.getLogger("query.board")

router = APIRouter()

# The stage columns: no stage yet (未上会), then the main line; 注册 runs beside it (其中已注册).
STAGE_COLUMNS = (("none", "未上会"), *((stage, STAGE_ZH[stage]) for stage in MAIN_LINE))
# A wall screen does not scroll: at most this many overdue projects are listed, and the page says how many more.
OVERDUE_ROWS_SHOWN = 20


@dataclass(frozen=True)
class ProjectsQuery:
    year: int | None
    month: int | None
    zones: list[str] | None
    as_of: date | None


@dataclass(frozen=True)
class StageRow:
    zone: str
    name: str
    counts: list[int]  # in STAGE_COLUMNS order
    total: int
    registered: int  # of them, registered (注册) by the month's end


@dataclass(frozen=True)
class FigureRow:
    indicator: str
    name: str
    value_text: str
    target_text: str
    completion_text: str
    status: str
    status_text: str


@dataclass(frozen=True)
class ZoneFigures:
    zone: str
    name: str
    rows: list[FigureRow]


@dataclass(frozen=True)
class OverdueRow:
    project: str
    project_name: str
    zone: str
    zone_name: str
    tier_zh: str
    current_stage_zh: str
    stage_zh: str  # the most overdue stage ("供地", "供地（另有1个节点逾期）")
    due_text: str  # 2023年3月10日
    days: int
    days_text: str  # 已逾期15天
    message: str


def day_words(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _as_of_parameter(text: str | None, problems: list[FieldProblem]) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        problems.append(FieldProblem("as_of", f"'{text[:40]}' is not a date YYYY-MM-DD"))
        return None


def parse_query(
    year: str | None, month: str | None, zone: Sequence[str] | None, as_of_text: str | None
) -> tuple[ProjectsQuery, list[FieldProblem]]:
    """The page's parameters, checked as /v1/projects/stats and /v1/projects check them; every problem returned."""
    problems: list[FieldProblem] = []
    year_value = integer_parameter("year", year, MIN_YEAR, MAX_YEAR, problems)
    month_value = integer_parameter("month", month, 1, 12, problems)
    day = _as_of_parameter(as_of_text, problems)
    return ProjectsQuery(year_value, month_value, cleaned_values(zone), day), problems


def derived_codes(catalog: Catalog) -> list[str]:
    """The codes /v1/projects/stats lists: the figures derived from the list, and 重大项目完成投资."""
    return [code for code in (*DERIVED_CODES, MAJOR_PROJECT_INVESTMENT) if catalog.get(code) is not None]


async def shown_period(
    repository: ProgressRepository, query: ProjectsQuery, codes: list[str]
) -> tuple[int | None, int | None]:
    """The year and month shown: as asked; a day asked (as_of) without them, its month; else, as the stats route
    does, the latest month with figures (of the year asked)."""
    year, month = query.year, query.month
    if query.as_of is not None and year is None:
        year = query.as_of.year
        month = month if month is not None else query.as_of.month
    if month is None:
        latest = await repository.latest_period(query.zones, codes, year)
        if latest is not None:
            year = year if year is not None else latest[0]
            month = latest[1] if latest[0] == year else None
    return year, month


def judged_on(query: ProjectsQuery, year: int | None, month: int | None, today: date) -> date:
    """The day the overdue list is judged on: the day asked, else the shown month's end (today while it runs)."""
    if query.as_of is not None:
        return query.as_of
    if year is None or month is None:
        return today
    return min(today, month_end(year, month))


def stage_rows(projects: Sequence[Project], names: dict[str, str], day: date) -> list[StageRow]:
    """Per zone (code order, as /v1/projects/stats), how many projects stand at each stage at the end of `day`."""
    by_zone: dict[str, list[Project]] = {}
    for project in projects:
        by_zone.setdefault(project.zone, []).append(project)
    rows = []
    for zone, listed in sorted(by_zone.items()):
        counts = stage_counts(listed, day)
        registered = sum(1 for p in listed if (p.on("registered") or date.max) <= day)
        rows.append(
            StageRow(
                zone=zone,
                name=names.get(zone) or zone,
                counts=[counts[stage] for stage, _ in STAGE_COLUMNS],
                total=len(listed),
                registered=registered,
            )
        )
    return rows


def figure_value(value: Decimal | None, unit: str) -> str:
    """A count or an amount as stored; a rate to one decimal (33.3%); days to one decimal, without a trailing .0."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{round_half_up(value, BOARD_DIGITS):f}%"
    if unit == "天":
        rounded = round_half_up(value, BOARD_DIGITS)
        return f"{rounded.to_integral_value() if rounded == rounded.to_integral_value() else rounded:f}天"
    return f"{format_value(value)} {unit}"


def figure_row(item: ProgressItem) -> FigureRow:
    unit = item.unit or ""
    return FigureRow(
        indicator=item.indicator,
        name=item.indicator_name,
        value_text=figure_value(item.ytd_value, unit),
        target_text="无目标" if item.target_value is None else figure_value(item.target_value, unit),
        completion_text="—" if item.completion_pct is None else f"{item.completion_pct:f}%",
        status=str(item.status),
        status_text=status_text(item),
    )


def zone_figures(items: Sequence[ProgressItem], codes: Sequence[str]) -> list[ZoneFigures]:
    """Per zone (code order), its figures in the catalog's order."""
    order = {code: position for position, code in enumerate(codes)}
    by_zone: dict[str, list[ProgressItem]] = {}
    for item in items:
        by_zone.setdefault(item.zone, []).append(item)
    return [
        ZoneFigures(
            zone=zone,
            name=listed[0].zone_name or zone,
            rows=[figure_row(item) for item in sorted(listed, key=lambda i: order.get(i.indicator, len(order)))],
        )
        for zone, listed in sorted(by_zone.items())
    ]


def _worst_first(item: ProjectItem) -> tuple[int, str, str]:
    """The order of GET /v1/projects?overdue=true: the most days overdue first, then zone and id."""
    return (-(item.days_overdue or 0), item.zone, item.id)


def overdue_row(item: ProjectItem) -> OverdueRow:
    worst = max(item.overdue, key=lambda stage: stage.days_overdue)  # the first of the most overdue, in stage order
    others = len(item.overdue) - 1
    return OverdueRow(
        project=item.id,
        project_name=item.name,
        zone=item.zone,
        zone_name=item.zone_name or item.zone,
        tier_zh=item.tier_zh or "—",
        current_stage_zh=item.current_stage_zh or "未上会",
        stage_zh=worst.stage_zh if not others else f"{worst.stage_zh}（另有{others}个节点逾期）",
        due_text=day_words(worst.due_on),
        days=worst.days_overdue,
        days_text=f"已逾期{worst.days_overdue}天",
        message=worst.message,
    )


def overdue_items(listed: Sequence[tuple[Project, dict[str, Any]]], day: date) -> list[ProjectItem]:
    """The overdue projects on `day`, worst first: what GET /v1/projects?overdue=true&as_of=<day> lists."""
    items = [project_item(as_of(project, day), row, day) for project, row in listed]
    return sorted((item for item in items if item.days_overdue is not None), key=_worst_first)


def _unavailable(error: Exception) -> HTMLResponse:
    metrics.DB_ERRORS.inc()
    log.error("database unavailable for /board/projects: %s", error)
    return render_page(
        "unavailable.html",
        503,
        headers={"Retry-After": str(UNAVAILABLE_REFRESH_S)},
        refresh_s=UNAVAILABLE_REFRESH_S,
    )


@router.get(
    "/board/projects",
    response_class=HTMLResponse,
    summary="The board's 重大项目 view: projects by stage, the derived rates against targets, the overdue list",
)
async def board_projects(
    catalog: CatalogDep,
    repository: RepositoryDep,
    year: Annotated[str | None, Query(description="1990..2100; default: the latest year with figures")] = None,
    month: Annotated[str | None, Query(description="1..12; default: the latest month with figures")] = None,
    zone: Annotated[list[str] | None, Query(description="Repeat for several zones; omit for all")] = None,
    as_of_text: Annotated[
        str | None,
        Query(alias="as_of", description="Judge the overdue stages on this day, YYYY-MM-DD (default: the month's end)"),
    ] = None,
) -> HTMLResponse:
    query, problems = parse_query(year, month, zone, as_of_text)
    if problems:
        return problem_page(problems, catalog)
    codes = derived_codes(catalog)
    try:
        shown_year, shown_month = await shown_period(repository, query, codes)
        rows = (
            []
            if shown_year is None or shown_month is None
            else await repository.progress(shown_year, shown_month, query.zones, codes)
        )
        listed = await read_projects(repository.pool, query.zones)
    except (psycopg.OperationalError, PoolTimeout) as error:
        return _unavailable(error)
    day = judged_on(query, shown_year, shown_month, shanghai_today(datetime.now(UTC)))
    stage_day = month_end(shown_year, shown_month) if shown_year is not None and shown_month is not None else day
    names = {project.zone: row.get("zone_name") or project.zone for project, row in listed}
    items = [progress_item(row, catalog, BOARD_DIGITS) for row in rows]
    overdue = [overdue_row(item) for item in overdue_items(listed, day)]
    return render_page(
        "projects.html",
        refresh_s=REFRESH_S,
        year=shown_year,
        period=None if shown_month is None else period_label(shown_month),
        zones=[names.get(code, code) for code in query.zones or ()],
        judged_text=day_words(day),
        stage_day_text=day_words(stage_day),
        stage_columns=[words for _, words in STAGE_COLUMNS],
        stages=stage_rows([project for project, _ in listed], names, stage_day),
        figures=zone_figures(items, codes),
        projects=len(listed),
        overdue=overdue[:OVERDUE_ROWS_SHOWN],
        overdue_total=len(overdue),
    )
