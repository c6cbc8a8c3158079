"""GET /v1/templates/{observations,targets,zones,projects}.xlsx: the sheets reporters fill in and upload (ingest.templates)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ingest.dependencies import ContextDep
from ingest.problems import problem
from ingest.schemas import Refusal
from ingest.sheets import XLSX_TYPE
from ingest.templates import TEMPLATES, template_xlsx

router = APIRouter()


@router.get(
    "/v1/templates/{kind}.xlsx",
    summary="A ready XLSX sheet to fill in: headers, an example row, drop-down lists of indicators and units",
    responses={
        200: {"content": {XLSX_TYPE: {}}, "description": "The workbook"},
        404: {"model": Refusal, "description": "No template of that name; the detail lists the ones there are."},
    },
    response_class=Response,
    # Declared here rather than as a typed argument: FastAPI would add its own 422 shape to the spec.
    openapi_extra={
        "parameters": [
            {"name": "kind", "in": "path", "required": True, "schema": {"type": "string", "enum": list(TEMPLATES)}}
        ]
    },
)
async def get_template(request: Request, context: ContextDep) -> Response:
    kind = request.path_params["kind"]
    if kind not in TEMPLATES:
        known = ", ".join(f"{name}.xlsx" for name in TEMPLATES)
        return problem(404, f"no template {kind + '.xlsx'!r}; there are: {known}")
    # No key needed: the template holds the catalog only, which the query API's /v1/indicators shows to anyone.
    body = await run_in_threadpool(template_xlsx, kind, context.catalog)
    filename = f"{TEMPLATES[kind].sheet}模板.xlsx"
    return Response(
        body,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f"attachment; filename=\"{kind}.xlsx\"; filename*=UTF-8''{quote(filename)}"},
    )
