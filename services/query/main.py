"""The query API: progress against goals for boards (Grafana), alerts and people.

Read-only over the `progress` table that the processor keeps. Percentages are
rounded once, half up (四舍五入), from the stored 12-decimal figures; values are
returned exactly as stored (see schemas.py for why they never pass through a
float).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from yoyo import read_migrations

from indicators_core.catalog import Catalog, load_catalog
from indicators_core.db import MIGRATIONS_DIR, apply_migrations_when_reachable, describe_database
from indicators_core.progress import round_half_up
from query import metrics
from query.alerts_api import alerts_router
from query.board import board_router, problem_page
from query.config import QuerySettings
from query.params import ParameterProblem, query_problems
from query.repository import ProgressRepository
from query.schemas import (
    ExactJSONResponse,
    IndicatorItem,
    IndicatorsResponse,
    Problem,
    ProgressItem,
    ProgressResponse,
    SeriesResponse,
)
from query.subscriptions import subscriptions_router
from query.wording import judge

log = logging.getLogger("query")

MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_DIGITS = 4
READY_TIMEOUT_S = 2.0
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
DB_ERRORS = (psycopg.OperationalError, PoolTimeout)


class BadQuery(Exception):
    """A query parameter that is well-formed but wrong (unknown indicator, reversed range)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class QueryTextInvalid(Exception):
    """Query parameters no route can use (NUL, control characters, not UTF-8, too long): see query.params."""

    def __init__(self, problems: Sequence[ParameterProblem]):
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = list(problems)


async def checked_query_text(request: Request) -> None:
    """A dependency of every route: the raw query string is checked before any parameter is read."""
    problems = query_problems(request.scope.get("query_string", b""))
    if problems:
        raise QueryTextInvalid(problems)


class DatabaseUnavailable(RuntimeError):
    pass


def _problem(
    status: int, detail: str, errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None
) -> ExactJSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return ExactJSONResponse(body, status_code=status, headers=headers)


def _finite(value: Decimal | None) -> Decimal | None:
    return value if value is not None and value.is_finite() else None


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def progress_item(row: dict[str, Any], catalog: Catalog, digits: int) -> ProgressItem:
    """One row of the progress table as the API shows it: percentages rounded, values as stored."""

    def pct(value: Decimal | None) -> Decimal | None:
        value = _finite(value)
        return None if value is None else round_half_up(value, digits)

    indicator = catalog.get(row["indicator"])
    target = _finite(row["target_value"])
    status, status_zh = judge(row["on_track"], _finite(row["progress_gap_pp"]), target is not None and target > 0)
    return ProgressItem(
        zone=row["zone"],
        indicator=row["indicator"],
        # A code dropped from the catalog since the row was computed still shows, by its code.
        indicator_name=indicator.name_zh if indicator else row["indicator"],
        unit=indicator.unit if indicator else None,
        period=f"{row['year']:04d}-{row['month']:02d}",
        ytd_value=_finite(row["ytd_value"]),
        month_value=_finite(row["month_value"]),
        ytd_last_year=_finite(row["ytd_last_year"]),
        month_last_year=_finite(row["month_last_year"]),
        yoy_base=_finite(row["yoy_base"]),
        yoy_base_comparable=row["yoy_base_comparable"],
        yoy_pct=pct(row["yoy_pct"]),
        month_yoy_pct=pct(row["month_yoy_pct"]),
        target_value=target,
        completion_pct=pct(row["completion_pct"]),
        time_progress_pct=round_half_up(row["time_progress_pct"], digits),  # NOT NULL in the table
        progress_gap_pp=pct(row["progress_gap_pp"]),
        on_track=row["on_track"],
        status=status,
        status_zh=status_zh,
        reported_at=_utc(row["reported_at"]),
        computed_at=row["computed_at"].astimezone(UTC),
        explanation=row.get("explanation"),
    )


def _parse_month(field: str, text: str | None) -> date | None:
    if text is None:
        return None
    match = MONTH_RE.match(text.strip())
    if match is None:
        raise BadQuery(field, f"'{text}' is not a month in the form YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise BadQuery(field, f"'{text}': month {month} is not 1..12")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadQuery(field, f"'{text}': year {year} is not between {MIN_YEAR} and {MAX_YEAR}")
    return date(year, month, 1)


def _values(values: Sequence[str] | None) -> list[str] | None:
    """Repeated parameters, blanks dropped, duplicates removed; None (all) when nothing is left."""
    cleaned = list(dict.fromkeys(v.strip() for v in values or () if v.strip()))
    return cleaned or None


def _check_indicators(codes: Sequence[str] | None, catalog: Catalog) -> None:
    for code in codes or ():
        if catalog.get(code) is None:
            raise BadQuery("indicator", f"unknown indicator '{code}' (known: {', '.join(catalog.codes())})")


class RequestMetrics:
    """Count and time every request by route template (not raw path: bounded label values) and status."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            metrics.REQUESTS.labels(template, scope["method"], str(status)).inc()
            metrics.REQUEST_SECONDS.labels(template, str(status)).observe(time.perf_counter() - started)


async def open_database(settings: QuerySettings, catalog: Catalog) -> AsyncConnectionPool:
    """Apply pending migrations and open the pool, waiting (and saying so) while PostgreSQL is not up yet."""
    where = describe_database(settings.database_url)
    deadline = time.monotonic() + settings.db_connect_timeout_s
    try:
        await apply_migrations_when_reachable(settings.database_url, catalog, settings.db_connect_timeout_s, log)
    except psycopg.OperationalError as error:
        raise DatabaseUnavailable(
            f"PostgreSQL at {where} unreachable for {settings.db_connect_timeout_s:g} s: {error}"
        ) from error

    async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
        # The service only reads; a long query is cancelled rather than piling up.
        await conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(settings.db_statement_timeout_ms),))
        await conn.commit()
        await conn.set_read_only(True)

    pool = AsyncConnectionPool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        timeout=settings.db_pool_timeout_s,
        configure=configure,
        check=AsyncConnectionPool.check_connection,  # a connection broken by a database restart is replaced
        open=False,
        name="query",
    )
    try:
        # What is left of the same wait (at least a few seconds, as the migrations just connected).
        await pool.open(wait=True, timeout=max(5.0, deadline - time.monotonic()))
    except PoolTimeout as error:
        await pool.close()
        raise DatabaseUnavailable(f"PostgreSQL at {where}: no connection within {settings.db_connect_timeout_s:g} s") from error
    log.info("connected to PostgreSQL at %s", where)
    return pool


def create_app(settings: QuerySettings | None = None) -> FastAPI:
    settings = settings or QuerySettings()
    catalog = load_catalog(settings.catalog_path)
    database = describe_database(settings.database_url)
    expected_migrations = [migration.id for migration in read_migrations(str(MIGRATIONS_DIR))]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await open_database(settings, catalog)
        app.state.repository = ProgressRepository(pool)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Development-zone indicators: query",
        description=(
            "Progress of every zone and indicator against its annual target and time progress (序时进度). "
            "Percentages are rounded half up (四舍五入); values are exactly as stored; null means unknown, never zero."
        ),
        version="1.0",
        lifespan=lifespan,
        # Every route, the board and the subscription API included: one check of every query parameter.
        dependencies=[Depends(checked_query_text)],
    )
    app.add_middleware(RequestMetrics)
    app.include_router(subscriptions_router(settings))
    app.include_router(board_router(catalog))
    app.include_router(alerts_router(catalog))

    def repository(request: Request) -> ProgressRepository:
        return request.app.state.repository

    def digits_or_default(digits: int | None) -> int:
        return settings.default_pct_digits if digits is None else digits

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(part) for part in e["loc"] if part not in ("query", "path", "body")), "reason": e["msg"]}
            for e in error.errors()
        ]
        return _problem(422, "; ".join(f"{e['field']}: {e['reason']}" for e in errors), errors)

    @app.exception_handler(QueryTextInvalid)
    async def _bad_query_text(request: Request, error: QueryTextInvalid) -> Response:
        # A page answers with a page (someone typed the address into a browser); the API with its JSON shape.
        if getattr(request.scope.get("route"), "response_class", None) is HTMLResponse:
            return problem_page(error.problems, catalog)
        errors = [{"field": p.field, "reason": p.reason} for p in error.problems]
        return _problem(422, str(error), errors)

    @app.exception_handler(BadQuery)
    async def _bad_query(request: Request, error: BadQuery) -> Response:
        return _problem(422, str(error), [{"field": error.field, "reason": error.reason}])

    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_down(request: Request, error: Exception) -> Response:
        metrics.DB_ERRORS.inc()
        log.error("database unavailable for %s: %s", request.url.path, error)
        return _problem(503, f"PostgreSQL at {database} is unavailable ({type(error).__name__}); try again", headers={"Retry-After": "5"})

    problems: dict[int | str, dict[str, Any]] = {
        422: {"model": Problem, "description": "A parameter is wrong; `detail` names it"},
        503: {"model": Problem, "description": "The database is unavailable"},
    }

    @app.get("/v1/progress", response_model=ProgressResponse, responses=problems,
             summary="Progress of one month: every zone and indicator, lagging first")
    async def get_progress(
        request: Request,
        year: Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR,
                                          description="Default: the latest year with data for the filters")] = None,
        month: Annotated[int | None, Query(ge=1, le=12,
                                           description="1..12. Default: the latest month with data in that year")] = None,
        zone: Annotated[list[str] | None, Query(description="Repeat for several zones; omit for all")] = None,
        indicator: Annotated[list[str] | None, Query(description="Indicator code; repeat for several; omit for all")] = None,
        digits: Annotated[int | None, Query(ge=0, le=MAX_DIGITS, description="Decimals of percentages (default 1)")] = None,
    ) -> Response:
        zones, indicators = _values(zone), _values(indicator)
        _check_indicators(indicators, catalog)
        places = digits_or_default(digits)
        repo = repository(request)
        if month is None or year is None:
            latest = await repo.latest_period(zones, indicators, year)
            if latest is None:
                return ExactJSONResponse({"year": year, "month": None, "items": []})
            year = year if year is not None else latest[0]
            month = month if month is not None else latest[1]
        rows = await repo.progress(year, month, zones, indicators)
        items = [progress_item(row, catalog, places) for row in rows]
        return ExactJSONResponse(ProgressResponse(year=year, month=month, items=items).model_dump())

    @app.get("/v1/series", response_model=SeriesResponse, responses=problems,
             summary="The monthly history of one zone and indicator, oldest first")
    async def get_series(
        request: Request,
        zone: Annotated[str, Query(min_length=1)],
        indicator: Annotated[str, Query(min_length=1, description="Indicator code")],
        from_: Annotated[str | None, Query(alias="from", description="First month, YYYY-MM (inclusive)")] = None,
        to: Annotated[str | None, Query(description="Last month, YYYY-MM (inclusive)")] = None,
        digits: Annotated[int | None, Query(ge=0, le=MAX_DIGITS, description="Decimals of percentages (default 1)")] = None,
    ) -> Response:
        zone, indicator = zone.strip(), indicator.strip()
        _check_indicators([indicator], catalog)
        first, last = _parse_month("from", from_), _parse_month("to", to)
        if first is not None and last is not None and first > last:
            raise BadQuery("from", f"'{from_}' is after to '{to}'")
        places = digits_or_default(digits)
        rows = await repository(request).series(zone, indicator, first, last)
        known = catalog.get(indicator)
        assert known is not None  # checked above  # noqa: S101
        response = SeriesResponse(
            zone=zone, indicator=indicator, indicator_name=known.name_zh, unit=known.unit,
            items=[progress_item(row, catalog, places) for row in rows],
        )
        return ExactJSONResponse(response.model_dump())

    @app.get("/v1/indicators", response_model=IndicatorsResponse, summary="The indicator catalog")
    async def get_indicators() -> Response:
        items = [
            IndicatorItem(code=i.code, name_zh=i.name_zh, unit=i.unit, part_of=i.part_of)
            for i in catalog.indicators.values()
        ]
        return ExactJSONResponse(IndicatorsResponse(items=items).model_dump())

    @app.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="The database is reachable and migrated", responses={503: {"model": Problem}})
    async def readyz(request: Request) -> Response:
        try:
            # A probe answers quickly: no waiting the full pool timeout behind busy requests.
            missing = await repository(request).missing_migrations(
                expected_migrations, timeout_s=min(READY_TIMEOUT_S, settings.db_pool_timeout_s)
            )
        except (psycopg.Error, PoolTimeout) as error:
            return _problem(503, f"PostgreSQL at {database} is unreachable ({type(error).__name__}: {error})")
        if missing:
            return _problem(503, f"PostgreSQL at {database} lacks migrations {', '.join(missing)}")
        return ExactJSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(
                get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Say in the OpenAPI what a 422 really is: every route checks its query text first, and every 422 has the
    service's one problem shape ({"detail", "errors"}), an HTML page for a page, never FastAPI's own list."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            page = any("text/html" in answer.get("content", {}) for answer in operation.get("responses", {}).values())
            content = (
                {"text/html": {"schema": {"type": "string"}}}
                if page
                else {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            )
            answer = operation.setdefault("responses", {}).setdefault("422", {})
            answer["description"] = answer.get("description") or "A parameter is wrong; `detail` names it"
            if answer["description"] == "Validation Error":
                answer["description"] = "A parameter is wrong; `detail` names it"
            answer["content"] = content
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
