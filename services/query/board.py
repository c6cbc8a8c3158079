"""GET /board: the 半年红 board as one server-rendered HTML page, for a wall screen.

The local stack has no Grafana, so the query service shows the same view
itself: for one month, every indicator with how many zones are on track
(飘红), and each zone's completion against time progress (序时进度) as a bar
with a marker line, lagging zones first. It reads what /v1/progress reads (the
repository, `query.progress_items`, the wording), so the page and the API never
disagree.

Above the indicators, the open alerts of the year (当前预警: what the alert
evaluator raised and has not resolved), most severe first, then the most
recently changed: the level in words (严重/预警/提示), zone, indicator, rule
and period in the words subscribers' messages use (alerts.model.RULE_ZH,
alerts.model.period_zh), and the message with its figures. The 半年红 Grafana
overview's 当前预警 panel shows the same rows in the same order.

Red is the good colour in this domain (docs/domain.md): the page says so in a
legend, and every status is also a mark (✔/✘) and words, never colour alone;
alert levels are orange, amber and blue, never red.
Plain HTML and inline CSS: no CDN, no script; the page refreshes itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from alerts.model import RULE_ZH, Rule, Severity, period_zh
from indicators_core.catalog import Catalog, subject_name
from indicators_core.progress import round_half_up, time_progress_pct
from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from query import metrics
from query.answer_cache import RowPieces
from query.dependencies import AnswerCacheDep, CatalogDep, RepositoryDep
from query.params import FieldProblem, cleaned_values, unknown_indicator
from query.progress_items import progress_item, row_key
from query.repository import AlertSelection, select_alerts
from query.schemas import ProgressItem
from query.wording import Status

log = logging.getLogger("query.board")

# Percentages to one decimal, as releases print them; the status words are always to one decimal.
BOARD_DIGITS = 1
REFRESH_S = 60
# While the database is down the page keeps trying, sooner than the normal refresh.
UNAVAILABLE_REFRESH_S = 15
# China has one time zone and no daylight saving: a fixed offset needs no tz database in the image.
BEIJING = timezone(timedelta(hours=8), "北京时间")
TEMPLATES_DIR = Path(__file__).with_name("board")

MARKS = {Status.ON_TRACK: "✔", Status.BEHIND: "✘", Status.UNKNOWN: "?", Status.NO_TARGET: "—"}
# A wall screen does not scroll and the alerts sit above the indicators: at most this many are listed (the most
# severe, most recently changed), and the page says how many more there are.
ALERT_ROWS_SHOWN = 5
SEVERITY_ORDER = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)

_templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    # Zone names are upstream input: everything is escaped.
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class BoardQuery:
    year: int | None
    month: int | None
    zones: list[str] | None
    indicators: list[str] | None


@dataclass(frozen=True)
class ZoneRow:
    """One zone's line in an indicator's table, every figure already in words or digits."""

    zone: str
    name: str  # the registered name_zh (GET /v1/zones), else the code
    status: str
    mark: str
    status_text: str  # "飘红 · 超序时进度3.5个百分点", "落后序时进度2.1个百分点", "无目标"
    completion_text: str  # "45.2%" or "—"
    bar_width: str  # CSS percentage of the bar filled, capped at 100
    bar_over: bool  # completion beyond 100 %: the bar is full and says so
    bar_label: str  # the bar for screen readers
    ytd_text: str
    target_text: str
    yoy_text: str


@dataclass(frozen=True)
class BoardLine:
    """One progress row as the page shows it: its table row rendered (board_row.html), with what the page counts
    and groups it by. Rendered once per version of the row and reused while the row is unchanged
    (query.answer_cache.RowPieces): rendering ten thousand rows was most of a rebuilt page."""

    indicator: str
    indicator_name: str
    unit: str
    status: str
    reported_at: datetime | None
    html: Markup


@dataclass
class IndicatorSection:
    code: str
    name: str
    unit: str
    rows: list[BoardLine] = field(default_factory=list)

    @property
    def rows_html(self) -> Markup:
        """The section's table rows, each already rendered (and escaped) once: joined as text, not passed one by one
        through the template, whose escaping asked each of ten thousand rows whether it was markup."""
        return Markup("\n".join(row.html for row in self.rows))  # noqa: S704 (each row.html is rendered Markup)

    @property
    def on_track(self) -> int:
        return sum(1 for row in self.rows if row.status == Status.ON_TRACK)


@dataclass(frozen=True)
class AlertRow:
    """One open alert as the page lists it, every field already in words."""

    severity: str  # critical, warning, info: the badge's class
    severity_zh: str  # 严重, 预警, 提示
    zone: str
    indicator_name: str
    rule_zh: str  # 落后序时进度, 增速为负或低于目标, …
    period_text: str  # 2020年1-5月 for the year-to-date rules, 2020年4月 for the others
    message: str
    fired_text: str  # Beijing time, "2020-06-10 09:00"
    updated_text: str


@dataclass(frozen=True)
class AlertsPanel:
    year: int
    rows: list[AlertRow]  # the first ALERT_ROWS_SHOWN, in order
    total: int
    counts: list[tuple[str, str, int]]  # (severity, 严重/预警/提示, open alerts of that level), most severe first

    @property
    def hidden(self) -> int:
        return self.total - len(self.rows)

    @property
    def top_severity(self) -> str | None:
        """The most severe open level (the rows come most severe first): the section's edge takes its colour."""
        return self.rows[0].severity if self.rows else None


def beijing_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def rule_words(rule: str) -> str:
    """The rule in the words subscribers' messages use; a rule this version does not know, as stored."""
    try:
        return RULE_ZH[Rule(rule)]
    except ValueError:
        return rule


def severity_words(severity: str) -> str:
    try:
        return Severity(severity).zh
    except ValueError:
        return severity


def alert_row(record: dict[str, Any], catalog: Catalog) -> AlertRow:
    period: date = record["period"]
    indicator = catalog.get(record["indicator"])  # None for a project's stage (project:<id>/<stage>)
    return AlertRow(
        severity=record["severity"],
        severity_zh=severity_words(record["severity"]),
        zone=record.get("zone_name") or record["zone"],  # the registered name, else the code
        indicator_name=subject_name(catalog, record["indicator"], record["figures"]),
        rule_zh=rule_words(record["rule"]),
        period_text=period_zh(
            record["rule"], period, dict(record["figures"] or {}), quarterly=bool(indicator and indicator.quarterly)
        ),
        message=record["message"],
        fired_text=beijing_time(record["fired_at"]),
        updated_text=beijing_time(record["updated_at"]),
    )


def alerts_panel(year: int, records: Sequence[dict[str, Any]], catalog: Catalog) -> AlertsPanel:
    """The rows shown (records already in order), and how many alerts of each level are open."""
    counts = {severity: 0 for severity in SEVERITY_ORDER}
    for record in records:
        if record["severity"] in counts:
            counts[Severity(record["severity"])] += 1
    return AlertsPanel(
        year=year,
        rows=[alert_row(record, catalog) for record in records[:ALERT_ROWS_SHOWN]],
        total=len(records),
        counts=[(severity.value, severity.zh, counts[severity]) for severity in SEVERITY_ORDER],
    )


async def open_alerts(
    pool: AsyncConnectionPool, year: int, zones: Sequence[str] | None, indicators: Sequence[str] | None
) -> list[dict[str, Any]]:
    """The year's open alerts for the filters, in the board's order (the one /v1/alerts lists them in)."""
    selection = AlertSelection(states=["firing"], year=year, zones=zones, indicators=indicators)
    return (await select_alerts(pool, selection, query="board_alerts")).rows


def _integer(name: str, text: str | None, low: int, high: int, problems: list[FieldProblem]) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        problems.append(FieldProblem(name, f"'{text}' is not a whole number"))
        return None
    if not low <= value <= high:
        problems.append(FieldProblem(name, f"{value} is not between {low} and {high}"))
        return None
    return value


def parse_query(
    year: str | None, month: str | None, zone: Sequence[str] | None, indicator: Sequence[str] | None, catalog: Catalog
) -> tuple[BoardQuery, list[FieldProblem]]:
    """The board's parameters, checked as /v1/progress checks them; every problem is returned, not just the first."""
    problems: list[FieldProblem] = []
    year_value = _integer("year", year, MIN_YEAR, MAX_YEAR, problems)
    month_value = _integer("month", month, 1, 12, problems)
    indicators = cleaned_values(indicator)
    problems += [problem for code in indicators or () if (problem := unknown_indicator(code, catalog)) is not None]
    return BoardQuery(year_value, month_value, cleaned_values(zone), indicators), problems


def format_value(value: Decimal | None) -> str:
    """A stored value exactly as stored (its own digits, thousands separated), or — when unknown."""
    if value is None:
        return "—"
    return format(value, ",f")


def format_pct(value: Decimal | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = format(value, "f")
    return f"+{text}%" if signed and value > 0 else f"{text}%"


def period_label(month: int) -> str:
    """累计 period in the releases' words: 1月, 1-2月, … 1-12月."""
    return "1月" if month == 1 else f"1-{month}月"


def status_text(item: ProgressItem) -> str:
    """The judgement in words; on track says 飘红 first, as the operations centre says it."""
    if item.status == Status.ON_TRACK:
        return f"飘红 · {item.status_zh}"
    return item.status_zh


def zone_row(item: ProgressItem, unit: str) -> ZoneRow:
    completion = item.completion_pct
    if completion is None:
        bar_width, bar_over = "0", False
        bar_label = f"无完成率（{item.status_zh}），序时进度{format_pct(item.time_progress_pct)}"
    else:
        bar_over = completion > 100
        bar_width = "100" if bar_over else format(max(completion, Decimal(0)), "f")
        bar_label = f"完成率{format_pct(completion)}，序时进度{format_pct(item.time_progress_pct)}"
    ytd = format_value(item.ytd_value)
    target = format_value(item.target_value)
    return ZoneRow(
        zone=item.zone,
        name=item.zone_name or item.zone,
        status=str(item.status),
        mark=MARKS[item.status],
        status_text=status_text(item),
        completion_text=format_pct(completion),
        bar_width=bar_width,
        bar_over=bar_over,
        bar_label=bar_label,
        ytd_text=ytd if item.ytd_value is None else f"{ytd} {unit}",
        target_text="无目标" if item.target_value is None else f"{target} {unit}",
        yoy_text=format_pct(item.yoy_pct, signed=True),
    )


def board_line(row: dict[str, Any], catalog: Catalog, marker_left: str) -> BoardLine:
    """A progress row as the page's line: the item /v1/progress shows, in words, rendered as a table row."""
    item = progress_item(row, catalog, BOARD_DIGITS)
    unit = item.unit or ""
    html = _templates.get_template("board_row.html").render(row=zone_row(item, unit), marker_left=marker_left)
    # The template escapes every value it writes (autoescape): its output is safe to place as it is.
    safe = Markup(html)  # noqa: S704
    return BoardLine(item.indicator, item.indicator_name, unit, str(item.status), item.reported_at, safe)


def build_sections(lines: Sequence[BoardLine], catalog: Catalog) -> list[IndicatorSection]:
    """One section per indicator, in catalog order; rows keep the lines' order (lagging first)."""
    sections: dict[str, IndicatorSection] = {}
    for line in lines:
        section = sections.get(line.indicator)
        if section is None:
            section = sections[line.indicator] = IndicatorSection(line.indicator, line.indicator_name, line.unit)
        section.rows.append(line)
    order = {code: position for position, code in enumerate(catalog.codes())}
    # A code dropped from the catalog since its rows were computed still shows, after the known ones.
    return sorted(sections.values(), key=lambda s: (order.get(s.code, len(order)), s.code))


def _html(template: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    body = _templates.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status_code, headers=headers)


def problem_page(problems: Sequence[FieldProblem], catalog: Catalog) -> HTMLResponse:
    """422 as a page: each problem's `field` and `reason`, and the parameters the board takes."""
    return _html("error.html", 422, problems=problems, codes=catalog.codes(), min_year=MIN_YEAR, max_year=MAX_YEAR)


router = APIRouter()


@router.get("/board", response_class=HTMLResponse, summary="The 半年红 board: one HTML page for a wall screen")
async def board(
    catalog: CatalogDep,
    repository: RepositoryDep,
    cache: AnswerCacheDep,
    year: Annotated[str | None, Query(description="1990..2100; default: the latest year with data")] = None,
    month: Annotated[str | None, Query(description="1..12; default: the latest month with data in that year")] = None,
    zone: Annotated[list[str] | None, Query(description="Repeat for several zones; omit for all")] = None,
    indicator: Annotated[list[str] | None, Query(description="Indicator code; repeat for several")] = None,
) -> HTMLResponse:
    # The page reads through the app's repository with the app's catalog (query.dependencies).
    # Parameters are taken as text and checked here, so a mistake is answered as a page, not as JSON.
    query, problems = parse_query(year, month, zone, indicator, catalog)
    if problems:
        return problem_page(problems, catalog)
    kept: tuple[tuple[Any, ...], tuple[Any, ...]] | None = None
    try:
        shown_year, shown_month = query.year, query.month
        shown_lines: list[BoardLine] = []
        if shown_year is None or shown_month is None:
            latest = await repository.latest_period(query.zones, query.indicators, shown_year)
            if latest is not None:
                shown_year = shown_year if shown_year is not None else latest[0]
                shown_month = shown_month if shown_month is not None else latest[1]
        if shown_year is not None and shown_month is not None and query.zones is None:
            # The whole month's page, polled by wall screens: kept while its rows and alerts are unchanged
            # (query.answer_cache). The page shows no clock, so a kept page is the page that would be rendered.
            version = (
                await repository.progress_version(shown_year, shown_month),
                await repository.alerts_version(shown_year),
            )
            kept = (("board", shown_year, shown_month, tuple(query.indicators or ())), version)
            body = cache.get(*kept)
            if body is not None:
                return HTMLResponse(body)
        # The marker line sits at the exact time progress (41.67 %), not at the rounded figure.
        marker_left = "" if shown_month is None else format(round_half_up(time_progress_pct(shown_month), 2), "f")
        previous = {} if kept is None else cache.pieces(kept[0])
        lines = RowPieces(previous, lambda row: board_line(row, catalog, marker_left), row_key)
        if shown_year is not None and shown_month is not None and lines.kept is not None:
            keyed = await repository.progress_reusing(shown_year, shown_month, query.indicators, lines.kept)
            shown_lines = [lines.of_keyed(key_of_row, row) for key_of_row, row in keyed]
        elif shown_year is not None and shown_month is not None:
            rows = await repository.progress(shown_year, shown_month, query.zones, query.indicators)
            shown_lines = [lines.of(row) for row in rows]
        alert_records = (
            [] if shown_year is None else await open_alerts(repository.pool, shown_year, query.zones, query.indicators)
        )
    except (psycopg.OperationalError, PoolTimeout) as error:
        metrics.DB_ERRORS.inc()
        log.error("database unavailable for /board: %s", error)
        return _html(
            "unavailable.html",
            503,
            headers={"Retry-After": str(UNAVAILABLE_REFRESH_S)},
            refresh_s=UNAVAILABLE_REFRESH_S,
        )
    sections = build_sections(shown_lines, catalog)
    alerts = None if shown_year is None else alerts_panel(shown_year, alert_records, catalog)
    time_progress = None if shown_month is None else round_half_up(time_progress_pct(shown_month), BOARD_DIGITS)
    reported = [line.reported_at for line in lines.pieces.values() if line.reported_at is not None]
    page = _html(
        "board.html",
        refresh_s=REFRESH_S,
        year=shown_year,
        month=shown_month,
        period=None if shown_month is None else period_label(shown_month),
        time_progress=None if time_progress is None else format_pct(time_progress),
        zones=query.zones,
        indicator_names=[catalog.get(code).name_zh for code in query.indicators or ()],  # type: ignore[union-attr]
        sections=sections,
        on_track=sum(section.on_track for section in sections),
        total=sum(len(section.rows) for section in sections),
        alerts=alerts,
        latest_report=max(reported).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if reported else None,
    )
    if kept is not None:
        cache.put(*kept, bytes(page.body), lines.pieces)
    return page


# The board's other pages (query.board_rankings: 排名) render and read their parameters the same way.
render_page = _html
integer_parameter = _integer
