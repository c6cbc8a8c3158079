"""The two writes upstream systems make: a batch of monthly statistics, and annual targets."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ingest.acceptance import receive
from ingest.dependencies import ContextDep, WriterDep
from ingest.schemas import (
    OBSERVATIONS_EXAMPLE,
    TARGETS_EXAMPLE,
    ObservationBatch,
    TargetBatch,
    request_body,
    responses,
)
from ingest.validation import validate_observations, validate_targets

router = APIRouter()


@router.post(
    "/v1/observations",
    status_code=202,
    summary="Post a batch of monthly statistics",
    openapi_extra=request_body(ObservationBatch, OBSERVATIONS_EXAMPLE),
    responses=responses("Accepted: the broker acknowledged the whole batch."),
)
async def post_observations(request: Request, context: ContextDep, writer: WriterDep) -> Response:
    # Today's date bounds the periods: a month not yet over cannot have been reported.
    today = datetime.now(UTC).date()
    return await receive(
        request,
        context,
        writer,
        "observation",
        "observations",
        lambda payload: validate_observations(payload, context.catalog, today, context.settings.max_batch_rows),
    )


@router.put(
    "/v1/targets",
    status_code=202,
    summary="Set annual targets (absolute figures)",
    openapi_extra=request_body(TargetBatch, TARGETS_EXAMPLE),
    responses=responses("Accepted: the broker acknowledged the whole batch."),
)
async def put_targets(request: Request, context: ContextDep, writer: WriterDep) -> Response:
    return await receive(
        request,
        context,
        writer,
        "target",
        "targets",
        lambda payload: validate_targets(payload, context.catalog, context.settings.max_batch_rows),
    )
