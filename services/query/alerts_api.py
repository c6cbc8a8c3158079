"""GET /v1/alerts and /v1/alerts/history: the alerts the evaluator raised, and every change it recorded.

Read-only and without auth, like /v1/progress: the `alerts` table (the current state of each alert) and
`alert_events` (each transition: fired, escalated, deescalated, resolved — what subscribers were sent) as the
alert evaluator wrote them. The rows are selected and ordered by the same SQL as the board's 当前预警
(query.repository.select_alerts): most severe first, then the most recently changed. Rule, period, severity
and transition are also given in the words subscribers' messages use; `figures` are the numbers behind the
message, exact decimals as strings, as stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from alerts.model import TRANSITION_ZH, Rule, Severity, Transition, period_zh
from indicators_core.catalog import Catalog, subject_name
from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from query.board import rule_words, severity_words
from query.dependencies import CatalogDep, RepositoryDep
from query.params import BadQuery, check_indicators, cleaned_values
from query.problems import PROBLEM_RESPONSES
from query.progress_items import utc
from query.repository import AlertSelection, select_alert_events, select_alerts
from query.schemas import ExactJSONResponse

DEFAULT_LIMIT, MAX_LIMIT = 200, 1000
SEVERITY_RANKED = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)
KNOWN_RULES = [rule.value for rule in Rule]

# Parameters both endpoints take (module level: the annotations are resolved by name, postponed).
Year = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description="The year of the alerts' period")]
Zones = Annotated[list[str] | None, Query(description="Repeat for several zones; omit for all")]
Indicators = Annotated[list[str] | None, Query(description="Indicator code; repeat for several; omit for all")]
Rules = Annotated[
    list[str] | None, Query(description=f"Rule; repeat for several; omit for all ({', '.join(KNOWN_RULES)})")
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many items (1..{MAX_LIMIT})")]


class StateFilter(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    ALL = "all"


class AlertItem(BaseModel):
    """The current state of one alert (identity: rule + zone + indicator + period)."""

    rule: str = Field(examples=["behind_schedule"])
    rule_zh: str = Field(examples=["落后序时进度"])
    zone: str
    zone_name: str | None = Field(default=None, description="The zone's registered name_zh; null when not registered")
    indicator: str
    indicator_name: str = Field(description="Chinese name from the catalog (the code when no longer in it)")
    period: str = Field(description="YYYY-MM; January for the year-to-date rules", examples=["2026-01"])
    period_zh: str = Field(description="The period judged, in words", examples=["2026年1-5月", "2026年4月"])
    state: str = Field(examples=["firing", "resolved"])
    severity: str = Field(examples=["warning"])
    severity_zh: str = Field(examples=["严重", "预警", "提示"])
    version: int = Field(description="Grows by one with each transition")
    message: str = Field(description="Chinese, with the figures, as subscribers read it")
    figures: dict[str, Any] = Field(description="The numbers behind the message, exact decimals as strings")
    fired_at: datetime
    updated_at: datetime = Field(description="The last change (a transition, or new figures of the same severity)")
    resolved_at: datetime | None


class AlertCounts(BaseModel):
    critical: int
    warning: int
    info: int


class AlertsResponse(BaseModel):
    items: list[AlertItem] = Field(description="Most severe first, then the most recently changed; at most `limit`")
    counts: AlertCounts = Field(description="Alerts of each severity among all that match (before the limit)")


class AlertEventItem(BaseModel):
    """One transition of one alert: what the history records and what subscribers were sent."""

    rule: str
    rule_zh: str
    zone: str
    zone_name: str | None = None
    indicator: str
    indicator_name: str
    period: str = Field(description="YYYY-MM; January for the year-to-date rules")
    period_zh: str = Field(description="The period judged at this transition, in words")
    version: int
    transition: str = Field(examples=["fired", "escalated", "deescalated", "resolved"])
    transition_zh: str = Field(examples=["新触发", "升级", "降级", "已恢复"])
    severity: str
    severity_zh: str
    message: str
    figures: dict[str, Any]
    occurred_at: datetime
    published_at: datetime | None = Field(description="When it went onto the alerts topic; null: not yet")


class AlertHistoryResponse(BaseModel):
    items: list[AlertEventItem] = Field(description="Newest first; at most `limit`")


def transition_words(transition: str) -> str:
    """The transition in the words subscribers' messages use; one this version does not know, as stored."""
    try:
        return TRANSITION_ZH[Transition(transition)]
    except ValueError:
        return transition


def _common(row: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The fields an alert and an alert event share, in words as well as codes."""
    period: date = row["period"]
    figures = dict(row["figures"] or {})
    indicator = catalog.get(row["indicator"])  # None for a project's stage (project:<id>/<stage>)
    return {
        "rule": row["rule"],
        "rule_zh": rule_words(row["rule"]),
        "zone": row["zone"],
        "zone_name": row.get("zone_name"),
        "indicator": row["indicator"],
        "indicator_name": subject_name(catalog, row["indicator"], figures),
        "period": f"{period.year:04d}-{period.month:02d}",
        "period_zh": period_zh(row["rule"], period, figures, quarterly=bool(indicator and indicator.quarterly)),
        "severity": row["severity"],
        "severity_zh": severity_words(row["severity"]),
        "version": row["version"],
        "message": row["message"],
        "figures": figures,
    }


def alert_item(row: dict[str, Any], catalog: Catalog) -> AlertItem:
    return AlertItem(
        **_common(row, catalog),
        state=row["state"],
        fired_at=row["fired_at"].astimezone(UTC),
        updated_at=row["updated_at"].astimezone(UTC),
        resolved_at=utc(row["resolved_at"]),
    )


def alert_event_item(row: dict[str, Any], catalog: Catalog) -> AlertEventItem:
    return AlertEventItem(
        **_common(row, catalog),
        transition=row["transition"],
        transition_zh=transition_words(row["transition"]),
        occurred_at=row["occurred_at"].astimezone(UTC),
        published_at=utc(row["published_at"]),
    )


def selection(
    zone: Sequence[str] | None,
    indicator: Sequence[str] | None,
    rule: Sequence[str] | None,
    year: int | None,
    catalog: Catalog,
) -> AlertSelection:
    """The filters both endpoints take, checked (BadQuery names the first wrong one)."""
    zones, indicators, rules = cleaned_values(zone), cleaned_values(indicator), cleaned_values(rule)
    check_indicators(indicators, catalog)
    for code in rules or ():
        if code not in KNOWN_RULES:
            raise BadQuery("rule", f"unknown rule '{code}' (known: {', '.join(KNOWN_RULES)})")
    return AlertSelection(year=year, zones=zones, indicators=indicators, rules=rules)


# /v1/alerts and /v1/alerts/history read through the app's pool with the app's catalog.
router = APIRouter()


@router.get(
    "/v1/alerts",
    response_model=AlertsResponse,
    responses=PROBLEM_RESPONSES,
    summary="Alerts and their current state, most severe first, then the most recently changed",
)
async def get_alerts(
    catalog: CatalogDep,
    repository: RepositoryDep,
    state: Annotated[StateFilter, Query(description="firing (default), resolved or all")] = StateFilter.FIRING,
    year: Year = None,
    zone: Zones = None,
    indicator: Indicators = None,
    rule: Rules = None,
    min_severity: Annotated[
        Severity | None, Query(description="info, warning or critical: this severity and above; omit for all")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    chosen = selection(zone, indicator, rule, year, catalog)
    states = None if state is StateFilter.ALL else [state.value]
    severities = None if min_severity is None else [s.value for s in SEVERITY_RANKED if s.rank >= min_severity.rank]
    page = await select_alerts(repository.pool, replace(chosen, states=states, severities=severities), limit)
    response = AlertsResponse(items=[alert_item(row, catalog) for row in page.rows], counts=AlertCounts(**page.counts))
    return ExactJSONResponse(response.model_dump())


@router.get(
    "/v1/alerts/history",
    response_model=AlertHistoryResponse,
    responses=PROBLEM_RESPONSES,
    summary="Every transition of the alerts (fired, escalated, deescalated, resolved), newest first",
)
async def get_alert_history(
    catalog: CatalogDep,
    repository: RepositoryDep,
    zone: Zones = None,
    indicator: Indicators = None,
    rule: Rules = None,
    year: Year = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    rows = await select_alert_events(repository.pool, selection(zone, indicator, rule, year, catalog), limit)
    response = AlertHistoryResponse(items=[alert_event_item(row, catalog) for row in rows])
    return ExactJSONResponse(response.model_dump())
