"""PUT /v1/zones: the zone registry, written with the admin key only, all or nothing like every write."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from indicators_core.writers import ScopeViolation
from ingest.dependencies import ContextDep, WriterDep
from ingest.problems import forbidden
from ingest.reports_api import DryRun, SheetName
from ingest.schemas import ZONES_EXAMPLE, ZoneBatch, request_body, responses
from ingest.uploads import UPLOAD_RESPONSES, receive_any, with_sheets
from ingest.zones import validate_zones

router = APIRouter()


@router.put(
    "/v1/zones",
    status_code=202,
    summary="Register zones: name, level, kind, parent and peer groups (admin key only)",
    openapi_extra=with_sheets(request_body(ZoneBatch, ZONES_EXAMPLE)),
    responses=responses("Accepted: the broker acknowledged the whole batch.") | UPLOAD_RESPONSES,
)
async def put_zones(
    request: Request, context: ContextDep, writer: WriterDep, dry_run: DryRun = None, sheet: SheetName = None
) -> Response:
    # Names, parents and groups decide what every board and ranking shows: the registry is the operations
    # centre's, not any upstream's, so scoped writers may not change it (before the body is even read).
    if not writer.is_admin:
        return forbidden(
            "zone", writer, [ScopeViolation(None, "zones", f"the key of '{writer.source}' may not register zones")]
        )
    return await receive_any(
        request,
        context,
        writer,
        "zone",
        "zones",
        lambda payload: validate_zones(payload, context.settings.max_batch_rows),
        dry_run,
        sheet,
    )
