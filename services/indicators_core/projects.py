"""Major projects (重大项目): the stage model, deadlines, overdue and late stages, and the figures derived from a
zone's project list. Pure functions of dates and Decimals; "today" is always a parameter (Asia/Shanghai).

The rules are docs/projects.md; each function cites the one it follows.

- **Stages**, in order: 上会 meeting → 签约 signed → 注册 registered → 供地 land → 开工 start → 竣工 completion →
  投产 production. Actual dates never go backwards along the order and never lie after today; a stage may have a
  date only when every stage before it has one, except 注册 (a project of a firm already registered in the zone
  never registers anew), which may stay empty.
- **Deadlines** (project_deadlines.toml): a stage falls due a number of months (or days) after the stage it is
  counted from; per zone and per tier they may differ. A planned date, when the project has one, is the stage's
  deadline instead.
- **Overdue**: the stage it is counted from has a date, it has none, and its due date is before today; **late**:
  it got its date after its due date.
- **Derived figures** per zone, year and month (1月 to the month's end, 累计): counts, the signed investment, the
  rates and the average days from land to start; `major_project_investment` sums the projects' completed
  investment (本年累计).
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from indicators_core.progress import (
    HUNDRED,
    Basis,
    MonthReport,
    cumulate_year,
    month_number,
    month_of_number,
    quantize_pct,
)
from indicators_core.vocabulary import PROJECT_TIER_ZH, PROJECT_TIERS

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_DEADLINES_PATH = Path(__file__).with_name("project_deadlines.toml")

STAGES = ("meeting", "signed", "registered", "land", "start", "completion", "production")
STAGE_ZH = {
    "meeting": "上会",
    "signed": "签约",
    "registered": "注册",
    "land": "供地",
    "start": "开工",
    "completion": "竣工",
    "production": "投产",
}
# 注册 runs beside the main line (a firm registers while land is being prepared, or is registered already): it is
# checked in the order when dated, but a project's current and next stage follow the main line.
OPTIONAL_STAGES = frozenset({"registered"})
MAIN_LINE = tuple(stage for stage in STAGES if stage not in OPTIONAL_STAGES)
TIERS, TIER_ZH = PROJECT_TIERS, PROJECT_TIER_ZH
# 亿元以上项目: total investment of at least 1亿元 (the catalog unit of investment).
HUNDRED_MILLION = Decimal(1)

# The figures derived from a zone's project list, as catalog codes (indicators.toml, derived_from = "projects").
PROJECTS_SIGNED = "projects_signed"
PROJECTS_SIGNED_INVESTMENT = "projects_signed_investment"
PROJECTS_SIGNED_100M = "projects_signed_100m"
PROJECTS_STARTED = "projects_started"
PROJECTS_IN_PRODUCTION = "projects_in_production"
START_RATE = "project_start_rate_pct"
PRODUCTION_RATE = "project_production_rate_pct"
REGISTRATION_RATE = "project_registration_rate_pct"
LAND_TO_START_DAYS = "land_to_start_avg_days"
DERIVED_CODES = (
    PROJECTS_SIGNED,
    PROJECTS_SIGNED_INVESTMENT,
    PROJECTS_SIGNED_100M,
    PROJECTS_STARTED,
    PROJECTS_IN_PRODUCTION,
    START_RATE,
    PRODUCTION_RATE,
    REGISTRATION_RATE,
    LAND_TO_START_DAYS,
)
# Already a catalog series that upstreams post as observations; a zone-year whose projects carry completed
# investment takes it from the projects instead.
MAJOR_PROJECT_INVESTMENT = "major_project_investment"


def shanghai_today(now: datetime) -> date:
    """The calendar day in China at `now` (deadlines and "the future" are judged on it, not on UTC's)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(SHANGHAI).date()


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, the day clamped to the month's end: Jan 31 + 1 month = Feb 28 (29 in a leap year)."""
    year, month = month_of_number(month_number(day.year, day.month) + months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# ------------------------------------------------------------------ deadlines


class DeadlinesError(ValueError):
    """The deadlines file itself is wrong: fail at start, naming the entry."""


@dataclass(frozen=True)
class Deadline:
    """`stage` falls due `months` calendar months (or `days` days) after the date of `after`."""

    stage: str
    after: str
    months: int = 0
    days: int = 0

    def due_on(self, start: date) -> date:
        return add_months(start, self.months) if self.months else date.fromordinal(start.toordinal() + self.days)

    @property
    def words(self) -> str:
        """ "2个月" or "15天": how the message says the deadline."""
        return f"{self.months}个月" if self.months else f"{self.days}天"


@dataclass(frozen=True)
class Deadlines:
    default: Mapping[str, Deadline]
    by_tier: Mapping[str, Mapping[str, Deadline]] = field(default_factory=dict)
    by_zone: Mapping[str, Mapping[str, Deadline]] = field(default_factory=dict)

    def for_project(self, zone: str, tier: str | None) -> dict[str, Deadline]:
        """Each stage's deadline for a project of `zone` and `tier`: the zone's entry, else the tier's, else the default."""
        chosen = dict(self.default)
        if tier is not None:
            chosen.update(self.by_tier.get(tier, {}))
        chosen.update(self.by_zone.get(zone, {}))
        return chosen


def _deadline(origin: str, where: str, stage: str, entry: Any) -> Deadline:
    name = f"{origin}: [{where}] {stage}"
    if stage not in STAGES:
        raise DeadlinesError(f"{name}: unknown stage (known: {', '.join(STAGES)})")
    if not isinstance(entry, dict) or set(entry) - {"after", "months", "days"}:
        raise DeadlinesError(f"{name}: expected {{ after = <stage>, months = N }} or {{ after = <stage>, days = N }}")
    after = entry.get("after")
    if after not in STAGES or STAGES.index(after) >= STAGES.index(stage):
        raise DeadlinesError(f"{name}: after = {after!r} must be a stage before {stage}")
    months, days = entry.get("months", 0), entry.get("days", 0)
    for value in (months, days):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DeadlinesError(f"{name}: months and days are whole numbers, at least 0")
    if (months > 0) == (days > 0):
        raise DeadlinesError(f"{name}: give exactly one of months or days, above 0")
    return Deadline(stage, after, months, days)


def _table(origin: str, where: str, raw: Any) -> dict[str, Deadline]:
    if not isinstance(raw, dict):
        raise DeadlinesError(f"{origin}: [{where}] must be a table of stages")
    return {stage: _deadline(origin, where, stage, entry) for stage, entry in raw.items()}


def parse_deadlines(text: str, origin: str = "<deadlines>") -> Deadlines:
    raw = tomllib.loads(text)
    unknown = sorted(set(raw) - {"default", "tier", "zone"})
    if unknown:
        raise DeadlinesError(f"{origin}: unknown table(s) {', '.join(unknown)} (known: default, tier, zone)")
    by_tier = {}
    for tier, table in raw.get("tier", {}).items():
        if tier not in TIERS:
            raise DeadlinesError(f"{origin}: [tier.{tier}]: unknown tier (known: {', '.join(TIERS)})")
        by_tier[tier] = _table(origin, f"tier.{tier}", table)
    by_zone = {zone: _table(origin, f'zone."{zone}"', table) for zone, table in raw.get("zone", {}).items()}
    return Deadlines(_table(origin, "default", raw.get("default", {})), by_tier, by_zone)


@lru_cache(maxsize=4)
def load_deadlines(path: Path | None = None) -> Deadlines:
    deadlines_path = path or DEFAULT_DEADLINES_PATH
    return parse_deadlines(deadlines_path.read_text(encoding="utf-8"), str(deadlines_path))


# ------------------------------------------------------------------ a project


@dataclass(frozen=True)
class InvestmentReport:
    """A project's completed investment (完成投资) for one month, in 亿元: 本年累计 (ytd) or 当月 (month)."""

    year: int
    month: int
    basis: Basis
    value: Decimal


@dataclass(frozen=True)
class Project:
    id: str
    zone: str
    name: str
    total_investment: Decimal  # 亿元
    stages: Mapping[str, date | None]
    planned: Mapping[str, date | None] = field(default_factory=dict)
    tier: str | None = None
    industry: str | None = None
    annual_plan_investment: Mapping[int, Decimal] = field(default_factory=dict)  # year → 亿元
    completed_investment: Sequence[InvestmentReport] = ()
    reported_at: datetime | None = None  # when the version was accepted (the figures say the newest they used)

    def on(self, stage: str) -> date | None:
        return self.stages.get(stage)


def stage_problems(stages: Mapping[str, date | None], today: date) -> list[tuple[str, str]]:
    """(stage, reason) for every actual date that lies after today, goes backwards along the order, or has an
    earlier stage (other than 注册) without a date. Empty when the dates are a possible history."""
    problems: list[tuple[str, str]] = []
    latest: tuple[str, date] | None = None  # the latest dated stage before the one checked
    missing: str | None = None  # the first undated stage that must have a date before later ones
    for stage in STAGES:
        day = stages.get(stage)
        if day is None:
            if missing is None and stage not in OPTIONAL_STAGES:
                missing = stage
            continue
        zh = STAGE_ZH[stage]
        if day > today:
            problems.append((stage, f"{zh} {day.isoformat()} is after today ({today.isoformat()})"))
        if missing is not None:
            problems.append(
                (stage, f"{zh} has a date but {STAGE_ZH[missing]} ({missing}), which comes before it, has none")
            )
        if latest is not None and day < latest[1]:
            before, before_day = latest
            problems.append(
                (stage, f"{zh} {day.isoformat()} is before {STAGE_ZH[before]} ({before}) {before_day.isoformat()}")
            )
        if latest is None or day >= latest[1]:
            latest = (stage, day)
    return problems


def _predecessor(stage: str) -> str | None:
    """The stage a stage without a configured deadline is counted from: the one before it on the main line."""
    if stage in OPTIONAL_STAGES:
        return "signed"
    position = MAIN_LINE.index(stage)
    return MAIN_LINE[position - 1] if position else None


@dataclass(frozen=True)
class StageDue:
    """When a stage falls due and why: its planned date, or the stage it is counted from plus its deadline."""

    stage: str
    due_on: date
    after: str | None  # the stage it is counted from; None for a planned date of the first stage
    planned: bool
    deadline: Deadline | None  # None when the planned date decides


def stage_due(project: Project, stage: str, deadlines: Mapping[str, Deadline]) -> StageDue | None:
    """The stage's due date: the planned date when there is one (it wins over the default), else the date of the
    stage it is counted from plus the deadline; None when neither is known."""
    configured = deadlines.get(stage)
    after = configured.after if configured is not None else _predecessor(stage)
    planned = project.planned.get(stage)
    if planned is not None:
        return StageDue(stage, planned, after, True, None)
    if configured is None:
        return None
    start = project.on(configured.after)
    if start is None:
        return None
    return StageDue(stage, configured.due_on(start), configured.after, False, configured)


@dataclass(frozen=True)
class OverdueStage:
    stage: str
    due_on: date
    days_overdue: int  # whole days since the due date
    after: str | None
    deadline: Deadline | None


@dataclass(frozen=True)
class LateStage:
    stage: str
    due_on: date
    done_on: date
    days_late: int


@dataclass(frozen=True)
class ProjectStatus:
    current_stage: str | None  # the last main-line stage with a date
    next_stage: str | None  # the first main-line stage after it without one
    next_due_on: date | None
    overdue: tuple[OverdueStage, ...]
    late: tuple[LateStage, ...]

    @property
    def days_overdue(self) -> int | None:
        """The project's days overdue: its most overdue stage's, None when none is overdue."""
        return max((stage.days_overdue for stage in self.overdue), default=None)


def project_status(project: Project, deadlines: Deadlines, today: date) -> ProjectStatus:
    """Where a project stands on `today`: its stages' due dates, overdue and late stages (docs/projects.md)."""
    chosen = deadlines.for_project(project.zone, project.tier)
    overdue: list[OverdueStage] = []
    late: list[LateStage] = []
    for stage in STAGES:
        due = stage_due(project, stage, chosen)
        if due is None:
            continue
        done_on = project.on(stage)
        if done_on is not None:
            if done_on > due.due_on:
                late.append(LateStage(stage, due.due_on, done_on, (done_on - due.due_on).days))
            continue
        # Overdue only once the stage it waits for has happened: a project not yet signed is not late to get land.
        waiting_on_done = due.after is None or project.on(due.after) is not None
        if waiting_on_done and due.due_on < today:
            overdue.append(OverdueStage(stage, due.due_on, (today - due.due_on).days, due.after, due.deadline))
    dated = [stage for stage in MAIN_LINE if project.on(stage) is not None]
    current = dated[-1] if dated else None
    after_current = MAIN_LINE[MAIN_LINE.index(current) + 1 :] if current is not None else MAIN_LINE
    next_stage = after_current[0] if after_current else None
    next_due = stage_due(project, next_stage, chosen) if next_stage is not None else None
    return ProjectStatus(current, next_stage, next_due.due_on if next_due else None, tuple(overdue), tuple(late))


def overdue_message(project: Project, stage: OverdueStage, zone_name: str | None = None) -> str:
    """项目节点逾期 as a subscriber reads it: "富春湾新城 XX项目 签约后2个月未供地，已逾期15天（应于2023年3月10日前供地）"."""
    zh = STAGE_ZH[stage.stage]
    due = f"{stage.due_on.year}年{stage.due_on.month}月{stage.due_on.day}日"
    if stage.deadline is not None and stage.after is not None:
        why = f"{STAGE_ZH[stage.after]}后{stage.deadline.words}未{zh}"
    else:
        why = f"计划{due}{zh}，尚未{zh}"
    return f"{zone_name or project.zone} {project.name} {why}，已逾期{stage.days_overdue}天（应于{due}前{zh}）"


# ------------------------------------------------------------------ completed investment


def project_investment_ytd(reports: Iterable[InvestmentReport], year: int) -> dict[int, Decimal]:
    """A project's 本年累计完成投资 per month of `year` (the arithmetic of any flow: progress.cumulate_year)."""
    months = {
        report.month: MonthReport(report.year, report.month, report.basis, report.value)
        for report in reports
        if report.year == year
    }
    ytd, _ = cumulate_year(months)
    return ytd


def zone_investment_year(projects: Sequence[Project], year: int) -> dict[int, Decimal]:
    """major_project_investment of a zone per month of `year`: the sum of its projects' 本年累计.

    A month is known when at least one project reported it; a project that did not counts with its latest
    本年累计 of the year before that month (nothing recorded since), or nothing if it has none yet.
    """
    per_project = [project_investment_ytd(project.completed_investment, year) for project in projects]
    reported_months = sorted({month for ytd in per_project for month in ytd})
    figures: dict[int, Decimal] = {}
    for month in reported_months:
        total = Decimal(0)
        for ytd in per_project:
            known = [m for m in ytd if m <= month]
            if known:
                total += ytd[max(known)]
        figures[month] = total
    return figures


def investment_completion_pct(project: Project, year: int, month: int) -> Decimal | None:
    """A project's completed investment of `year` up to `month` against its annual plan (年度计划投资), %."""
    plan = project.annual_plan_investment.get(year)
    ytd = project_investment_ytd(project.completed_investment, year)
    known = [m for m in ytd if m <= month]
    if plan is None or plan <= 0 or not known:
        return None
    return quantize_pct(ytd[max(known)] * HUNDRED / plan)


# ------------------------------------------------------------------ derived figures


def _in(day: date | None, first: date, last: date) -> bool:
    return day is not None and first <= day <= last


def _rate(done: int, of: int) -> Decimal | None:
    return None if of == 0 else quantize_pct(Decimal(done) * HUNDRED / Decimal(of))


def derived_figures(projects: Iterable[Project], year: int, month: int) -> dict[str, Decimal | None]:
    """Every derived figure of one zone's projects for 1月 to the end of `month` of `year` (docs/projects.md).

    None is unknown (a rate of no project, an average over none), never zero; a count of none is 0.
    """
    first, last = date(year, 1, 1), month_end(year, month)
    signed = [p for p in projects if _in(p.on("signed"), first, last)]
    started = [p for p in projects if _in(p.on("start"), first, last)]
    produced = [p for p in projects if _in(p.on("production"), first, last)]
    due_to_start = [p for p in projects if _in(p.planned.get("start"), first, last)]
    due_to_produce = [p for p in projects if _in(p.planned.get("production"), first, last)]
    land_to_start = [(p.on("start") - p.on("land")).days for p in started if p.on("land") is not None]  # type: ignore[operator]

    def done_by_then(group: list[Project], stage: str) -> int:
        return sum(1 for p in group if (p.on(stage) or date.max) <= last)

    return {
        PROJECTS_SIGNED: Decimal(len(signed)),
        PROJECTS_SIGNED_INVESTMENT: sum((p.total_investment for p in signed), Decimal(0)),
        PROJECTS_SIGNED_100M: Decimal(sum(1 for p in signed if p.total_investment >= HUNDRED_MILLION)),
        PROJECTS_STARTED: Decimal(len(started)),
        PROJECTS_IN_PRODUCTION: Decimal(len(produced)),
        START_RATE: _rate(done_by_then(due_to_start, "start"), len(due_to_start)),
        PRODUCTION_RATE: _rate(done_by_then(due_to_produce, "production"), len(due_to_produce)),
        REGISTRATION_RATE: _rate(done_by_then(signed, "registered"), len(signed)),
        LAND_TO_START_DAYS: (
            quantize_pct(Decimal(sum(land_to_start)) / Decimal(len(land_to_start))) if land_to_start else None
        ),
    }


def derived_year(projects: Sequence[Project], year: int, last_month: int) -> dict[str, dict[int, Decimal]]:
    """Each derived figure per month 1..`last_month` of `year` (the months without a figure left out)."""
    series: dict[str, dict[int, Decimal]] = {code: {} for code in DERIVED_CODES}
    for month in range(1, last_month + 1):
        for code, value in derived_figures(projects, year, month).items():
            if value is not None:
                series[code][month] = value
    return series


def months_to_derive(year: int, today: date) -> int:
    """How many months of `year` have begun by `today`: 12 for a past year, none for a future one."""
    if year < today.year:
        return 12
    if year > today.year:
        return 0
    return today.month


def project_years(project: Project) -> set[int]:
    """The years whose derived figures a project's dates, planned dates and completed investment enter."""
    days = [*project.stages.values(), *project.planned.values()]
    years = {day.year for day in days if day is not None}
    years.update(report.year for report in project.completed_investment)
    return years


# ------------------------------------------------------------------ versions


def version_changes(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> list[str]:
    """The fields of a project version that differ from the version before it (for the first version, every field
    it fills); stages and planned dates are named one by one (stages.land, planned.start)."""
    before: Mapping[str, Any] = previous or {}
    changed: list[str] = []
    for name, value in current.items():
        if name in ("stages", "planned"):
            new, old = value or {}, before.get(name) or {}
            changed += [f"{name}.{stage}" for stage in STAGES if new.get(stage) != old.get(stage)]
        elif value != before.get(name) and not (previous is None and value in (None, {}, [])):
            changed.append(name)
    return changed


def project_from_record(record: Mapping[str, Any], investment: Sequence[InvestmentReport] = ()) -> Project:
    """A stored row of `projects` (as a mapping of its columns: <stage>_on, planned_<stage>_on, …) as the model."""
    plan = record.get("annual_plan_investment") or {}
    return Project(
        id=record["id"],
        zone=record["zone"],
        name=record["name"],
        total_investment=Decimal(str(record["total_investment"])),
        stages={stage: record[f"{stage}_on"] for stage in STAGES if record.get(f"{stage}_on") is not None},
        planned={
            stage: record[f"planned_{stage}_on"] for stage in STAGES if record.get(f"planned_{stage}_on") is not None
        },
        tier=record.get("tier"),
        industry=record.get("industry"),
        annual_plan_investment={int(year): Decimal(str(value)) for year, value in plan.items()},
        completed_investment=tuple(investment),
        reported_at=record.get("reported_at"),
    )


def as_of(project: Project, day: date) -> Project:
    """The project as it stood at the end of `day`: the stages dated after it not yet reached."""
    stages = {stage: on for stage, on in project.stages.items() if on is not None and on <= day}
    return Project(
        project.id,
        project.zone,
        project.name,
        project.total_investment,
        stages,
        project.planned,
        project.tier,
        project.industry,
        project.annual_plan_investment,
        project.completed_investment,
        project.reported_at,
    )


def stage_counts(projects: Iterable[Project], day: date) -> dict[str, int]:
    """How many projects stand at each main-line stage at the end of `day` (their last stage reached by then);
    `none` counts those with no stage yet."""
    counts = {stage: 0 for stage in ("none", *MAIN_LINE)}
    for project in projects:
        reached = [stage for stage in MAIN_LINE if (project.on(stage) or date.max) <= day]
        counts[reached[-1] if reached else "none"] += 1
    return counts
