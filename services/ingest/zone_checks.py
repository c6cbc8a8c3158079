"""The checks of a batch against the stored zone registry, before it is published.

- A zones batch (PUT /v1/zones): every parent registered or in the batch, no loop of parents. The
  registry is read only when a parent is not in the batch itself; when PostgreSQL cannot be read then,
  the answer is a 503 naming the database (a parent cannot be confirmed, and a guess would let a zone
  hang under nothing), and nothing is published.
- With INDICATORS_ZONES_STRICT=true, observations and targets: every zone a registered code, else a 422
  naming the row and the closest registered codes. When PostgreSQL cannot be read, strict mode answers
  503 naming the database and what strict mode needs: accepting unchecked would break its promise, and
  refusing with a 422 would blame the sender for an outage. Without strict mode the registry is never read,
  so ingest keeps accepting on Kafka alone, as before the registry existed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ingest import metrics
from ingest.context import IngestContext
from ingest.problems import problem, rejected
from ingest.registry import RegistryUnavailable
from ingest.validation import BatchInvalid
from ingest.zones import ZoneRow, parent_problems, unregistered_zones

log = logging.getLogger("ingest")


def _unavailable(kind: str, error: RegistryUnavailable, why: str) -> JSONResponse:
    metrics.BATCHES.labels(kind, "unavailable").inc()
    log.error("batch of %ss refused: the zone registry could not be read (%s)", kind, error)
    return problem(
        503,
        f"the zone registry could not be read ({error}); {why}; nothing was published, send it again",
        headers={"Retry-After": "5"},
    )


async def check_zones(context: IngestContext, kind: str, rows: Sequence[Any]) -> JSONResponse | None:
    """A refusal (422 or 503) when the batch does not fit the registry, else None."""
    if kind == "zone":
        zones = [row for row in rows if isinstance(row, ZoneRow)]
        in_batch = {row.code for row in zones}
        if all(row.parent is None or row.parent in in_batch for row in zones):
            errors = parent_problems(zones, {})
        else:
            try:
                registered = await run_in_threadpool(context.zones.read)
            except RegistryUnavailable as error:
                return _unavailable(kind, error, "a parent outside the batch cannot be confirmed")
            errors = parent_problems(zones, registered)
        return rejected(kind, BatchInvalid(errors)) if errors else None
    if not context.settings.zones_strict:
        return None
    try:
        registered = await run_in_threadpool(context.zones.read)
    except RegistryUnavailable as error:
        return _unavailable(
            kind, error, "INDICATORS_ZONES_STRICT=true accepts a batch only once its zones are found registered"
        )
    errors = unregistered_zones(rows, registered)
    return rejected(kind, BatchInvalid(errors)) if errors else None
