"""GET /healthz, /readyz and /metrics: whether the process is up, whether it can answer, and its Prometheus metrics."""

from __future__ import annotations

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import PoolTimeout

from indicators_core.db import describe_database
from query.dependencies import RepositoryDep, SettingsDep
from query.problems import problem
from query.schemas import ExactJSONResponse, Problem

# A probe answers quickly: no waiting the full pool timeout behind busy requests.
READY_TIMEOUT_S = 2.0

router = APIRouter()


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and migrated", responses={503: {"model": Problem}})
async def readyz(request: Request, repository: RepositoryDep, settings: SettingsDep) -> Response:
    database = describe_database(settings.database_url)
    try:
        missing = await repository.missing_migrations(
            request.app.state.expected_migrations, timeout_s=min(READY_TIMEOUT_S, settings.db_pool_timeout_s)
        )
    except (psycopg.Error, PoolTimeout) as error:
        return problem(503, f"PostgreSQL at {database} is unreachable ({type(error).__name__}: {error})")
    if missing:
        return problem(503, f"PostgreSQL at {database} lacks migrations {', '.join(missing)}")
    return ExactJSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
