"""PUT /v1/projects: the major-project supervision list, all or nothing like every write (docs/projects.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from indicators_core.projects import shanghai_today
from ingest.acceptance import publish_rows
from ingest.dependencies import ContextDep, WriterDep
from ingest.problems import forbidden
from ingest.projects import ProjectRow, project_scope_violations, validate_projects
from ingest.reports_api import DryRun, SheetName
from ingest.schemas import PROJECTS_EXAMPLE, ProjectBatch, request_body, responses
from ingest.uploads import (
    UPLOAD_RESPONSES,
    dry_run_answer,
    flags_refusal,
    read_any,
    relabelled,
    with_sheet,
    with_sheets,
)
from ingest.zone_checks import check_zones

router = APIRouter()
KIND = "project"


@router.put(
    "/v1/projects",
    status_code=202,
    summary="Send projects of the supervision list (重大项目): a later PUT of an id replaces the project",
    openapi_extra=with_sheets(request_body(ProjectBatch, PROJECTS_EXAMPLE)),
    responses=responses("Accepted: the broker acknowledged the whole batch.") | UPLOAD_RESPONSES,
)
async def put_projects(
    request: Request, context: ContextDep, writer: WriterDep, dry_run: DryRun = None, sheet: SheetName = None
) -> Response:
    # Stage dates may not lie after today, judged on China's calendar: a project signed this morning in Hangzhou
    # is signed today there, whatever the date in UTC.
    today = shanghai_today(datetime.now(UTC))
    checking, refusal = flags_refusal(KIND, dry_run, sheet)
    if refusal is not None:
        return refusal
    read = await read_any(
        request,
        context,
        KIND,
        "projects",
        lambda payload: validate_projects(payload, today, context.settings.max_batch_rows),
        sheet,
    )
    if isinstance(read, Response):
        return read
    rows = [row for row in read[0] if isinstance(row, ProjectRow)]
    batch = read[1]
    derived = [indicator.code for indicator in context.catalog.indicators.values() if indicator.derived]
    violations = project_scope_violations(writer, rows, [*derived, "major_project_investment"])
    if violations:
        return relabelled(forbidden(KIND, writer, violations), batch, "errors")
    refusal = await check_zones(context, KIND, rows)
    if refusal is not None:
        return relabelled(refusal, batch, "errors")
    if checking:
        return dry_run_answer(rows, batch)
    return with_sheet(await publish_rows(context, KIND, rows, writer.source), batch)
