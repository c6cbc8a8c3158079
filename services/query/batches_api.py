"""GET /v1/batches: how many rows of accepted batches are stored and computed (an upload's progress).

Ingest answers 202 with a batch id once a batch is on the log; the processor stores it a moment (or, behind a
backfill, minutes) later. Every stored report is kept in its revisions table with its batch id and row, and the
figures it changes are written in the same transaction, so the rows found there are stored and computed.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, Field

from query.dependencies import RepositoryDep
from query.params import BadQuery
from query.problems import PROBLEM_RESPONSES
from query.schemas import ExactJSONResponse

router = APIRouter()

MAX_BATCHES = 100

# Distinct rows: a replay after a crash stores a report again (the same batch and row), not another row.
SELECT_STORED_ROWS = """
SELECT batch_id::text, kind, count(DISTINCT row_index)
FROM (
    SELECT batch_id, row_index, 'observations' AS kind FROM observation_revisions WHERE batch_id = ANY(%(ids)s)
    UNION ALL
    SELECT batch_id, row_index, 'targets' FROM target_revisions WHERE batch_id = ANY(%(ids)s)
    UNION ALL
    SELECT batch_id, row_index, 'growth_targets' FROM growth_target_revisions WHERE batch_id = ANY(%(ids)s)
    UNION ALL
    SELECT batch_id, row_index, 'zones' FROM zone_revisions WHERE batch_id = ANY(%(ids)s)
    UNION ALL
    SELECT batch_id, row_index, 'projects' FROM project_versions WHERE batch_id = ANY(%(ids)s)
) AS stored
GROUP BY batch_id, kind
"""


class BatchRows(BaseModel):
    batch_id: str
    rows_stored: int = Field(description="Rows of the batch stored, their figures computed (0: not yet, or unknown)")
    by_kind: dict[str, int] = Field(
        description="The rows stored by kind: observations, targets, growth_targets, zones, projects"
    )


class BatchesResponse(BaseModel):
    items: list[BatchRows]


async def stored_rows(pool: AsyncConnectionPool, batch_ids: list[uuid.UUID]) -> dict[str, dict[str, int]]:
    """Per batch id (as text), the rows stored by kind; a batch with none stored is absent."""
    found: dict[str, dict[str, int]] = {}
    async with pool.connection() as conn:
        cursor = await conn.execute(SELECT_STORED_ROWS, {"ids": batch_ids})
        for batch_id, kind, rows in await cursor.fetchall():
            found.setdefault(str(batch_id), {})[str(kind)] = int(rows)
    return found


@router.get(
    "/v1/batches",
    response_model=BatchesResponse,
    responses=PROBLEM_RESPONSES,
    summary="How many rows of accepted batches (the batch_id of ingest's 202) are stored and computed",
)
async def get_batches(
    repository: RepositoryDep,
    batch_id: Annotated[
        list[str], Query(alias="id", description=f"A batch id ingest answered; up to {MAX_BATCHES}, repeated")
    ],
) -> Response:
    if len(batch_id) > MAX_BATCHES:
        raise BadQuery("id", f"at most {MAX_BATCHES} batch ids per request, not {len(batch_id)}")
    ids: list[uuid.UUID] = []
    for text in batch_id:
        try:
            ids.append(uuid.UUID(text))
        except ValueError:
            raise BadQuery("id", f"{text[:40]!r} is not a batch id (a UUID, as ingest answers it)") from None
    stored = await stored_rows(repository.pool, ids)
    items = [
        BatchRows(batch_id=str(i), rows_stored=sum(stored.get(str(i), {}).values()), by_kind=stored.get(str(i), {}))
        for i in ids
    ]
    return ExactJSONResponse(BatchesResponse(items=items).model_dump())
