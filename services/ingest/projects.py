"""The rows of PUT /v1/projects (the major-project supervision list) and who may send them: pure, no I/O.

Like every write, a batch is checked whole and every problem named by row and field; a stage is named as
`stages.land`, a planned date as `planned.start`, a month of completed investment as `completed_investment[2].value`.
The stage rules (order, nothing after today, 注册 optional) are indicators_core.projects.stage_problems; "today"
is the caller's, the calendar day in Asia/Shanghai.

Completed investment travels with the project (`completed_investment`, a list of months) rather than through a
route of its own: an upstream keeps one row per project in its 台账 and sends the row, so one PUT carries what it
knows, and one all-or-nothing answer covers it. A month sent again replaces that month; months a later PUT leaves
out are kept (a PUT with this month's figure does not have to repeat the year).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from indicators_core.progress import Basis
from indicators_core.projects import STAGE_ZH, STAGES, TIER_ZH, TIERS, stage_problems
from indicators_core.units import UnitError, convert, unit_shift
from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from indicators_core.writers import ScopeViolation, Writer
from ingest.validation import (
    PERIOD_RE,
    BatchInvalid,
    RowChecker,
    RowError,
    batch_rows,
    range_problem,
)

PROJECT_FIELDS = {
    "id",
    "zone",
    "name",
    "tier",
    "industry",
    "total_investment",
    "unit",
    "stages",
    "planned",
    "annual_plan_investment",
    "completed_investment",
}
INVESTMENT_FIELDS = {"period", "value", "unit", "basis"}
# Investment is kept in 亿元, the catalog unit of every investment series.
INVESTMENT_UNIT, INVESTMENT_SCALE = "亿元", "cny"
MAX_ID_CHARS = 100
MAX_NAME_CHARS = 200
MAX_INDUSTRY_CHARS = 50
MAX_INVESTMENT_MONTHS = 120
DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
YEAR_RE = re.compile(r"^[0-9]{4}$")


@dataclass(frozen=True)
class InvestmentRow:
    year: int
    month: int
    basis: Basis
    value: Decimal  # 亿元
    reported_value: Decimal
    reported_unit: str


@dataclass(frozen=True)
class ProjectRow:
    id: str
    zone: str
    name: str
    tier: str | None
    industry: str | None
    total_investment: Decimal  # 亿元
    reported_total_investment: Decimal
    reported_unit: str
    stages: dict[str, date] = field(default_factory=dict)  # the dated stages only
    planned: dict[str, date] = field(default_factory=dict)
    annual_plan_investment: dict[int, Decimal] = field(default_factory=dict)  # year → 亿元
    completed_investment: tuple[InvestmentRow, ...] = ()


class _ProjectChecker(RowChecker):
    """The row checker of ingest.validation, with the project's own fields."""

    def bounded(self, row: dict[str, Any], name: str, max_chars: int, required: bool = True) -> str | None:
        if not required and row.get(name) is None:
            return None
        text = self.text(row, name)
        if text is not None and len(text) > max_chars:
            self.fail(name, f"is {len(text)} characters long; at most {max_chars}")
            return None
        return text

    def amount(self, name: str, value: Any, unit: str | None) -> tuple[Decimal, Decimal] | None:
        """(亿元, as sent) of a figure in `unit` (元, 万元 or 亿元), exactly; None after naming the problem."""
        if value is None:
            self.fail(name, "is required")
            return None
        number = self.number({name: value}, name)
        if number is None or unit is None:
            return None
        try:
            shift = unit_shift(unit, INVESTMENT_UNIT, INVESTMENT_SCALE)
        except UnitError as error:
            self.fail("unit", f"{error}: investment is in 元, 万元 or 亿元")
            return None
        problem = range_problem(number, unit, shift, INVESTMENT_UNIT)
        if problem is not None:
            self.fail(name, problem)
            return None
        if number < 0:
            self.fail(name, f"{number} is negative; an investment cannot be")
            return None
        return convert(number, unit, INVESTMENT_UNIT, INVESTMENT_SCALE), number

    def day(self, name: str, value: Any) -> date | None:
        if not isinstance(value, str) or DATE_RE.match(value.strip()) is None:
            self.fail(name, f"{json.dumps(value, default=str, ensure_ascii=False)} is not a date YYYY-MM-DD or null")
            return None
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            self.fail(name, f"'{value}' is not a day of the calendar")
            return None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            self.fail(name, f"'{value}' is not between {MIN_YEAR} and {MAX_YEAR}")
            return None
        return day

    def dates(self, row: dict[str, Any], name: str) -> dict[str, date] | None:
        value = row.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(name, f"must be an object of stages ({', '.join(STAGES)}) to dates YYYY-MM-DD or null")
            return None
        dates: dict[str, date] = {}
        for stage, day_text in value.items():
            if stage not in STAGES:
                words = ", ".join(f"{s} ({STAGE_ZH[s]})" for s in STAGES)
                self.fail(f"{name}.{stage}", f"unknown stage '{stage}' (known: {words})")
            elif day_text is not None:
                day = self.day(f"{name}.{stage}", day_text)
                if day is not None:
                    dates[stage] = day
        return dates

    def plan(self, row: dict[str, Any], unit: str | None) -> dict[int, Decimal]:
        value = row.get("annual_plan_investment")
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(
                "annual_plan_investment", 'must be an object of years to amounts in the row\'s unit: {"2023": 12.5}'
            )
            return {}
        plan: dict[int, Decimal] = {}
        for year_text, amount in value.items():
            name = f"annual_plan_investment.{year_text}"
            if not YEAR_RE.match(year_text) or not MIN_YEAR <= int(year_text) <= MAX_YEAR:
                self.fail(name, f"'{year_text}' is not a year between {MIN_YEAR} and {MAX_YEAR}")
                continue
            converted = self.amount(name, amount, unit)
            if converted is not None:
                plan[int(year_text)] = converted[0]
        return plan

    def investment(self, row: dict[str, Any], unit: str | None, today: date) -> tuple[InvestmentRow, ...]:
        value = row.get("completed_investment")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("completed_investment", 'must be a list of {"period": "YYYY-MM", "value", "unit", "basis"}')
            return ()
        if len(value) > MAX_INVESTMENT_MONTHS:
            self.fail("completed_investment", f"has {len(value)} months; at most {MAX_INVESTMENT_MONTHS} per project")
            return ()
        months: list[InvestmentRow] = []
        seen: dict[tuple[int, int], int] = {}
        for position, entry in enumerate(value):
            found = self._investment_month(f"completed_investment[{position}]", entry, unit, today)
            if found is None:
                continue
            key = (found.year, found.month)
            if key in seen:
                self.fail(
                    f"completed_investment[{position}].period",
                    f"{found.year:04d}-{found.month:02d} is sent twice (completed_investment[{seen[key]}] too);"
                    " send one figure per month",
                )
                continue
            seen[key] = position
            months.append(found)
        return tuple(months)

    def _investment_month(self, name: str, entry: Any, unit: str | None, today: date) -> InvestmentRow | None:
        if not isinstance(entry, dict):
            self.fail(name, "must be an object")
            return None
        for unknown in sorted(set(entry) - INVESTMENT_FIELDS):
            self.fail(
                f"{name}.{unknown}", f"unknown field '{unknown}' (allowed: {', '.join(sorted(INVESTMENT_FIELDS))})"
            )
        period = entry.get("period")
        match = PERIOD_RE.match(period.strip()) if isinstance(period, str) else None
        year_month: tuple[int, int] | None = None
        if match is None or not 1 <= int(match.group(2)) <= 12:
            self.fail(f"{name}.period", f"{json.dumps(period, default=str, ensure_ascii=False)} is not a month YYYY-MM")
        elif (int(match.group(1)), int(match.group(2))) > (today.year, today.month):
            self.fail(f"{name}.period", f"'{period}' is in the future")
        elif int(match.group(1)) < MIN_YEAR:
            self.fail(f"{name}.period", f"'{period}' is before {MIN_YEAR}")
        else:
            year_month = (int(match.group(1)), int(match.group(2)))
        basis_text = entry.get("basis", "ytd")
        basis = Basis(basis_text) if basis_text in ("ytd", "month") else None
        if basis is None:
            self.fail(
                f"{name}.basis", f"{json.dumps(basis_text, default=str)} is not 'ytd' (本年累计) or 'month' (当月)"
            )
        month_unit = entry.get("unit", unit)
        if not isinstance(month_unit, str):
            self.fail(f"{name}.unit", "must be 元, 万元 or 亿元")
            return None
        converted = self.amount(f"{name}.value", entry.get("value"), month_unit.strip())
        if year_month is None or basis is None or converted is None:
            return None
        return InvestmentRow(year_month[0], year_month[1], basis, converted[0], converted[1], month_unit.strip())

    def identifier(self, row: dict[str, Any]) -> str | None:
        pid = self.bounded(row, "id", MAX_ID_CHARS)
        if pid is not None and "|" in pid:
            self.fail("id", "must not contain '|'")
            return None
        return pid

    def tier(self, row: dict[str, Any]) -> str | None:
        tier = row.get("tier")
        if tier is not None and tier not in TIERS:
            words = ", ".join(f"{t} ({TIER_ZH[t]})" for t in TIERS)
            self.fail("tier", f"{json.dumps(tier, default=str, ensure_ascii=False)} is not one of {words}, or null")
            return None
        return tier


def _project(check: _ProjectChecker, row: dict[str, Any], today: date) -> ProjectRow | None:
    check.unknown_fields(row, PROJECT_FIELDS)
    pid = check.identifier(row)
    zone = check.zone(row)
    name = check.bounded(row, "name", MAX_NAME_CHARS)
    tier = check.tier(row)
    industry = check.bounded(row, "industry", MAX_INDUSTRY_CHARS, required=False)
    unit = check.text(row, "unit")
    total = check.amount("total_investment", row.get("total_investment"), unit)
    stages = check.dates(row, "stages")
    planned = check.dates(row, "planned")
    plan = check.plan(row, unit)
    months = check.investment(row, unit, today)
    if stages is not None:
        for stage, reason in stage_problems(stages, today):
            check.fail(f"stages.{stage}", reason)
    if not check.ok:
        return None
    assert pid and zone and name and unit and total is not None and stages is not None and planned is not None  # noqa: S101
    return ProjectRow(pid, zone, name, tier, industry, total[0], total[1], unit, stages, planned, plan, months)


def validate_projects(payload: Any, today: date, max_rows: int) -> list[ProjectRow]:
    """Check every row of a `{"projects": [...]}` body as of `today` (Asia/Shanghai); raise BatchInvalid listing
    every problem."""
    rows = batch_rows(payload, "projects", max_rows)
    errors: list[RowError] = []
    accepted: list[ProjectRow] = []
    first_row_of_id: dict[str, int] = {}
    for index, row in enumerate(rows):
        check = _ProjectChecker(index, errors)
        if not isinstance(row, dict):
            check.fail("row", "must be an object")
            continue
        project = _project(check, row, today)
        if project is None:
            continue
        if project.id in first_row_of_id:
            check.fail(
                "id", f"row {first_row_of_id[project.id]} already sends project '{project.id}'; one row per project"
            )
            continue
        first_row_of_id[project.id] = index
        accepted.append(project)
    if errors:
        raise BatchInvalid(errors)
    return accepted


def project_scope_violations(
    writer: Writer, rows: Sequence[ProjectRow], derived_codes: Sequence[str]
) -> list[ScopeViolation]:
    """What `writer` may not send: projects of zones outside its scope; any project at all when its key is scoped
    to indicators none of which is a figure of the project list (a customs key does not keep the project list)."""
    if writer.is_admin:
        return []
    if writer.indicators is not None and not writer.indicators & set(derived_codes):
        return [
            ScopeViolation(
                None,
                "projects",
                f"the key of '{writer.source}' is scoped to indicators ({', '.join(sorted(writer.indicators))}) that are"
                " not figures of the project list; it may not send projects",
            )
        ]
    if writer.zones is None:
        return []
    allowed = "、".join(sorted(writer.zones))
    return [
        ScopeViolation(
            index, "zone", f"the key of '{writer.source}' may not write zone '{row.zone}' (allowed: {allowed})"
        )
        for index, row in enumerate(rows)
        if row.zone not in writer.zones
    ]
