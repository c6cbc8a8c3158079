"""GET /v1/projects, /v1/projects/stats and /v1/projects/{id}: the supervision list (清单式管理) as a project office
reads it — where each project stands, what falls due next, what is overdue, worst first (docs/projects.md).

Where a project stands is judged on `as_of` (default: today in Asia/Shanghai), by indicators_core.projects; the
derived figures are the progress rows the processor keeps, with their targets and 序时进度 like any series.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from indicators_core.progress import round_half_up
from indicators_core.projects import (
    DERIVED_CODES,
    MAIN_LINE,
    MAJOR_PROJECT_INVESTMENT,
    STAGE_ZH,
    STAGES,
    TIER_ZH,
    TIERS,
    Project,
    as_of,
    investment_completion_pct,
    load_deadlines,
    month_end,
    overdue_message,
    project_investment_ytd,
    project_status,
    shanghai_today,
    stage_counts,
    version_changes,
)
from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from query.dependencies import CatalogDep, RepositoryDep, SettingsDep
from query.params import BadQuery, character_problem, cleaned_values
from query.problems import PROBLEM_RESPONSES, problem
from query.progress_items import progress_item
from query.projects_repository import read_projects, read_versions
from query.schemas import ExactJSONResponse, JsonNumber, Problem, ProgressItem

router = APIRouter()
DEFAULT_LIMIT, MAX_LIMIT = 500, 5000
STAGE_WORDS = ", ".join(f"{stage} ({STAGE_ZH[stage]})" for stage in MAIN_LINE)


class OverdueItem(BaseModel):
    stage: str
    stage_zh: str
    due_on: date
    days_overdue: int = Field(description="Whole days since the due date")
    message: str = Field(examples=["富春湾新城 XX项目 签约后2个月未供地，已逾期15天（应于2023年3月10日前供地）"])


class LateItem(BaseModel):
    stage: str
    stage_zh: str
    due_on: date
    done_on: date
    days_late: int


class ProjectItem(BaseModel):
    id: str
    zone: str
    zone_name: str | None
    name: str
    tier: str | None
    tier_zh: str | None
    industry: str | None
    total_investment: JsonNumber = Field(description="计划总投资, 亿元")
    stages: dict[str, date | None] = Field(description="Actual date of every stage, null when not reached")
    planned: dict[str, date | None]
    current_stage: str | None = Field(description="The last main-line stage reached (注册 runs beside it)")
    current_stage_zh: str | None
    next_stage: str | None
    next_stage_zh: str | None
    next_due_on: date | None = Field(description="When the next stage falls due (planned, or the deadline)")
    days_overdue: int | None = Field(description="Of the most overdue stage; null when none is overdue")
    overdue: list[OverdueItem]
    late: list[LateItem] = Field(description="Stages reached after their due date")
    source: str
    reported_at: datetime


class ProjectsResponse(BaseModel):
    as_of: date
    items: list[ProjectItem]


class InvestmentMonth(BaseModel):
    period: str
    ytd_value: JsonNumber = Field(description="本年累计完成投资, 亿元")


class InvestmentYear(BaseModel):
    year: int
    plan: JsonNumber | None = Field(description="年度计划投资, 亿元")
    months: list[InvestmentMonth]
    completion_pct: JsonNumber | None = Field(description="The latest 本年累计 against the plan, %")


class ProjectVersion(BaseModel):
    source: str
    reported_at: datetime
    batch_id: str
    row_index: int
    changes: list[str] = Field(description="What this version changed: fields, stages.<stage>, planned.<stage>")
    version: dict[str, Any] = Field(description="The project as this version sent it")


class ProjectDetail(ProjectItem):
    annual_plan_investment: dict[str, JsonNumber]
    investment: list[InvestmentYear]
    versions: list[ProjectVersion] = Field(description="Every accepted version, oldest first")


class StatsResponse(BaseModel):
    year: int
    month: int | None
    by_stage: dict[str, dict[str, int]] = Field(
        description="Per zone, how many projects stand at each stage at the month's end (none: no stage yet)"
    )
    items: list[ProgressItem] = Field(description="The derived figures, as /v1/progress shows them")


def _checked_text(name: str, values: list[str] | None, allowed: tuple[str, ...]) -> list[str] | None:
    cleaned = cleaned_values(values)
    for value in cleaned or []:
        if value not in allowed:
            raise BadQuery(name, f"'{value[:40]}' is not one of {', '.join(allowed)}")
    return cleaned


def _as_of(text: str | None) -> date:
    if text is None or not text.strip():
        return shanghai_today(datetime.now(UTC))
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadQuery("as_of", f"'{text[:40]}' is not a date YYYY-MM-DD") from None


def project_item(project: Project, row: dict[str, Any], day: date) -> ProjectItem:
    """One project as the list shows it on `day`: its stages, where it stands, what is overdue and what was late."""
    status = project_status(project, load_deadlines(), day)
    zone_name = row.get("zone_name")
    return ProjectItem(
        id=project.id,
        zone=project.zone,
        zone_name=zone_name,
        name=project.name,
        tier=project.tier,
        tier_zh=TIER_ZH.get(project.tier) if project.tier else None,
        industry=project.industry,
        total_investment=project.total_investment,
        stages={stage: project.stages.get(stage) for stage in STAGES},
        planned={stage: project.planned.get(stage) for stage in STAGES},
        current_stage=status.current_stage,
        current_stage_zh=STAGE_ZH.get(status.current_stage or ""),
        next_stage=status.next_stage,
        next_stage_zh=STAGE_ZH.get(status.next_stage or ""),
        next_due_on=status.next_due_on,
        days_overdue=status.days_overdue,
        overdue=[
            OverdueItem(
                stage=o.stage,
                stage_zh=STAGE_ZH[o.stage],
                due_on=o.due_on,
                days_overdue=o.days_overdue,
                message=overdue_message(project, o, zone_name),
            )
            for o in status.overdue
        ],
        late=[
            LateItem(
                stage=s.stage, stage_zh=STAGE_ZH[s.stage], due_on=s.due_on, done_on=s.done_on, days_late=s.days_late
            )
            for s in status.late
        ],
        source=row["source"],
        reported_at=row["reported_at"].astimezone(UTC),
    )


def _worst_first(item: ProjectItem) -> tuple[int, int, str, str]:
    days = item.days_overdue
    return (0 if days is not None else 1, -(days or 0), item.zone, item.id)


@router.get(
    "/v1/projects",
    response_model=ProjectsResponse,
    responses=PROBLEM_RESPONSES,
    summary="The project list: each project's stage, next stage and due date, overdue first (worst first)",
)
async def get_projects(
    repository: RepositoryDep,
    zone: Annotated[list[str] | None, Query(description="Repeat for several zones; omit for all")] = None,
    stage: Annotated[list[str] | None, Query(description=f"The current stage: {STAGE_WORDS}")] = None,
    tier: Annotated[list[str] | None, Query(description="province, city or zone (省/市/区重大项目)")] = None,
    overdue: Annotated[bool, Query(description="true: only projects with an overdue stage")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    as_of_text: Annotated[
        str | None, Query(alias="as_of", description="Judge on this day, YYYY-MM-DD (default: today, Asia/Shanghai)")
    ] = None,
) -> Response:
    day = _as_of(as_of_text)
    stages = _checked_text("stage", stage, MAIN_LINE)
    tiers = _checked_text("tier", tier, TIERS)
    projects = await read_projects(repository.pool, cleaned_values(zone), tiers)
    items = [project_item(as_of(project, day), row, day) for project, row in projects]
    if stages is not None:
        items = [item for item in items if item.current_stage in stages]
    if overdue:
        items = [item for item in items if item.days_overdue is not None]
    items.sort(key=_worst_first)
    return ExactJSONResponse(ProjectsResponse(as_of=day, items=items[:limit]).model_dump())


@router.get(
    "/v1/projects/stats",
    response_model=StatsResponse,
    responses=PROBLEM_RESPONSES,
    summary="The figures derived from the project list for a month (1月 to its end), with targets and 序时进度",
)
async def get_project_stats(
    catalog: CatalogDep,
    repository: RepositoryDep,
    settings: SettingsDep,
    year: Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR)],
    month: Annotated[int | None, Query(ge=1, le=12, description="Default: the latest month with figures")] = None,
    zone: Annotated[list[str] | None, Query(description="Repeat for several zones; omit for all")] = None,
) -> Response:
    zones = cleaned_values(zone)
    codes = [code for code in (*DERIVED_CODES, MAJOR_PROJECT_INVESTMENT) if catalog.get(code) is not None]
    if month is None:
        latest = await repository.latest_period(zones, codes, year)
        month = latest[1] if latest is not None else None
    rows = [] if month is None else await repository.progress(year, month, zones, codes)
    items = [progress_item(row, catalog, settings.default_pct_digits) for row in rows]
    projects = await read_projects(repository.pool, zones)
    by_zone: dict[str, list[Project]] = {}
    for project, _ in projects:
        by_zone.setdefault(project.zone, []).append(project)
    day = month_end(year, month or 12)
    by_stage = {code: stage_counts(listed, day) for code, listed in sorted(by_zone.items())}
    return ExactJSONResponse(StatsResponse(year=year, month=month, by_stage=by_stage, items=items).model_dump())


def _investment(project: Project) -> list[InvestmentYear]:
    years = sorted({m.year for m in project.completed_investment} | set(project.annual_plan_investment))
    shown = []
    for year in years:
        ytd = project_investment_ytd(project.completed_investment, year)
        completion = investment_completion_pct(project, year, 12)
        shown.append(
            InvestmentYear(
                year=year,
                plan=project.annual_plan_investment.get(year),
                months=[InvestmentMonth(period=f"{year:04d}-{m:02d}", ytd_value=v) for m, v in sorted(ytd.items())],
                completion_pct=None if completion is None else round_half_up(completion, 1),
            )
        )
    return shown


def _versions(rows: list[dict[str, Any]]) -> list[ProjectVersion]:
    versions: list[ProjectVersion] = []
    previous: dict[str, Any] | None = None
    for row in rows:
        sent = {
            key: row[key]
            for key in ("name", "zone", "tier", "industry", "total_investment", "stages", "planned")
            + ("annual_plan_investment", "completed_investment", "reported_total_investment", "reported_unit")
        }
        changes = version_changes(previous, sent)
        versions.append(
            ProjectVersion(
                source=row["source"],
                reported_at=row["reported_at"].astimezone(UTC),
                batch_id=row["batch_id"],
                row_index=row["row_index"],
                changes=changes,
                version=sent,
            )
        )
        previous = sent
    return versions


@router.get(
    "/v1/projects/{project_id}",
    response_model=ProjectDetail,
    responses=PROBLEM_RESPONSES | {404: {"model": Problem, "description": "No project of this id"}},
    summary="One project: where it stands, its completed investment against its annual plan, every version",
)
async def get_project(
    repository: RepositoryDep,
    project_id: Annotated[str, Path(min_length=1, max_length=100)],
    as_of_text: Annotated[str | None, Query(alias="as_of", description="Judge on this day, YYYY-MM-DD")] = None,
) -> Response:
    bad = character_problem(project_id)
    if bad is not None:
        raise BadQuery("project_id", bad)
    day = _as_of(as_of_text)
    found = await read_projects(repository.pool, ids=[project_id])
    if not found:
        return problem(404, f"no project '{project_id}'")
    ((project, row),) = found
    item = project_item(as_of(project, day), row, day)
    detail = ProjectDetail(
        **item.model_dump(),
        annual_plan_investment={str(year): value for year, value in sorted(project.annual_plan_investment.items())},
        investment=_investment(project),
        versions=_versions(await read_versions(repository.pool, project_id)),
    )
    return ExactJSONResponse(detail.model_dump())
