"""The two writes upstream systems make: a batch of monthly statistics, and annual targets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ingest.dependencies import ContextDep, WriterDep
from ingest.schemas import (
    OBSERVATIONS_EXAMPLE,
    TARGETS_EXAMPLE,
    ObservationBatch,
    TargetBatch,
    request_body,
    responses,
)
from ingest.uploads import UPLOAD_RESPONSES, receive_any, with_sheets
from ingest.validation import validate_observations, validate_targets

router = APIRouter()

# Read as text and checked by ingest.uploads, so that a bad value is answered in ingest's own 422 shape.
DryRun = Annotated[
    str | None,
    Query(
        description="true: validate the whole batch (rows, scope, plausibility) and answer 200 without publishing"
        " anything (true/false, 1/0)"
    ),
]
SheetName = Annotated[str | None, Query(description="XLSX: the sheet to read (default: the first)")]


@router.post(
    "/v1/observations",
    status_code=202,
    summary="Post a batch of monthly statistics",
    openapi_extra=with_sheets(request_body(ObservationBatch, OBSERVATIONS_EXAMPLE)),
    responses=responses("Accepted: the broker acknowledged the whole batch.") | UPLOAD_RESPONSES,
)
async def post_observations(
    request: Request, context: ContextDep, writer: WriterDep, dry_run: DryRun = None, sheet: SheetName = None
) -> Response:
    # Today's date bounds the periods: a month not yet over cannot have been reported.
    today = datetime.now(UTC).date()
    return await receive_any(
        request,
        context,
        writer,
        "observation",
        "observations",
        lambda payload: validate_observations(payload, context.catalog, today, context.settings.max_batch_rows),
        dry_run,
        sheet,
    )


@router.put(
    "/v1/targets",
    status_code=202,
    summary="Set annual targets (absolute figures)",
    openapi_extra=with_sheets(request_body(TargetBatch, TARGETS_EXAMPLE)),
    responses=responses("Accepted: the broker acknowledged the whole batch.") | UPLOAD_RESPONSES,
)
async def put_targets(
    request: Request, context: ContextDep, writer: WriterDep, dry_run: DryRun = None, sheet: SheetName = None
) -> Response:
    return await receive_any(
        request,
        context,
        writer,
        "target",
        "targets",
        lambda payload: validate_targets(payload, context.catalog, context.settings.max_batch_rows),
        dry_run,
        sheet,
    )
