"""Liveness, readiness (the broker answers now) and the Prometheus metrics of ingest."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from ingest.dependencies import ContextDep
from ingest.problems import problem

router = APIRouter()


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="A batch posted now could be published: the broker answers and the topic has leaders")
async def readyz(context: ContextDep) -> JSONResponse:
    found = await run_in_threadpool(context.publisher.readiness)
    if found is None:
        return JSONResponse({"status": "ready"})
    return problem(503, f"{found}; batches are refused with 503 until it is back")


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
