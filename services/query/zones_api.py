"""GET /v1/zones: the zone registry, each zone with its chain of parents."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from query.dependencies import RepositoryDep
from query.problems import PROBLEM_RESPONSES
from query.schemas import ExactJSONResponse
from query.zones_repository import read_registry
from query.zones_schemas import ZoneItem, ZoneRef, ZonesResponse

router = APIRouter()


@router.get(
    "/v1/zones",
    response_model=ZonesResponse,
    responses=PROBLEM_RESPONSES,
    summary="The registered zones (PUT /v1/zones on ingest), each with its chain of parents, by code",
)
async def get_zones(repository: RepositoryDep) -> Response:
    registry = await read_registry(repository.pool)
    items = [
        ZoneItem(
            code=zone.code,
            name_zh=zone.name_zh,
            level=zone.level,  # type: ignore[arg-type]  # checked by ingest and the table's CHECK
            kind=zone.kind,
            parent=zone.parent,
            parents=[ZoneRef(code=p.code, name_zh=p.name_zh) for p in registry.parents(zone.code)],
            groups=list(zone.groups),
            source=zone.source,
            reported_at=zone.reported_at,
        )
        for zone in registry.zones.values()
    ]
    return ExactJSONResponse(ZonesResponse(items=items).model_dump())
