"""PUT /v1/projects: the major-project supervision list, all or nothing like every write (docs/projects.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from indicators_core.projects import shanghai_today
from ingest.acceptance import publish_rows, read_rows
from ingest.dependencies import ContextDep, WriterDep
from ingest.limits import BodyTooLarge
from ingest.problems import forbidden, rejected, too_large
from ingest.projects import project_scope_violations, validate_projects
from ingest.schemas import PROJECTS_EXAMPLE, ProjectBatch, request_body, responses
from ingest.validation import BatchInvalid
from ingest.zone_checks import check_zones

router = APIRouter()
KIND = "project"


@router.put(
    "/v1/projects",
    status_code=202,
    summary="Send projects of the supervision list (重大项目): a later PUT of an id replaces the project",
    openapi_extra=request_body(ProjectBatch, PROJECTS_EXAMPLE),
    responses=responses("Accepted: the broker acknowledged the whole batch."),
)
async def put_projects(request: Request, context: ContextDep, writer: WriterDep) -> Response:
    # Stage dates may not lie after today, judged on China's calendar: a project signed this morning in Hangzhou
    # is signed today there, whatever the date in UTC.
    today = shanghai_today(datetime.now(UTC))
    try:
        rows = await read_rows(
            request,
            context,
            KIND,
            "projects",
            lambda payload: validate_projects(payload, today, context.settings.max_batch_rows),
        )
    except BodyTooLarge as error:
        return too_large(KIND, str(error))
    except BatchInvalid as error:
        return rejected(KIND, error)
    derived = [indicator.code for indicator in context.catalog.indicators.values() if indicator.derived]
    violations = project_scope_violations(writer, rows, [*derived, "major_project_investment"])
    if violations:
        return forbidden(KIND, writer, violations)
    refusal = await check_zones(context, KIND, rows)
    if refusal is not None:
        return refusal
    return await publish_rows(context, KIND, rows, writer.source)
