"""From a request's body to a batch on the broker: read, validate, check scope and plausibility, publish.

Every step either refuses the whole batch (naming what is wrong) or passes it on, so a batch is published
entirely or not at all; the answer says which.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from kafka.errors import MessageSizeTooLargeError, RecordListTooLargeError
from starlette.concurrency import run_in_threadpool

from indicators_core.plausibility import PlausibilityWarning, check_batch, series_needed
from ingest import metrics
from ingest.context import IngestContext
from ingest.history import HistoryUnavailable
from ingest.limits import read_body
from ingest.problems import problem, too_large
from ingest.projects import ProjectRow
from ingest.publisher import BatchTooLarge, BrokerUnavailable, build_batch, check_message_size
from ingest.validation import ObservationRow, TargetRow, parse_json_body
from ingest.zones import ZoneRow

log = logging.getLogger("ingest")

# What the 202 of an observation batch says about the second tier.
PLAUSIBILITY_CHECKED = "checked"
PLAUSIBILITY_BATCH_ONLY = "batch only (database unavailable)"

Rows = Sequence[ObservationRow | TargetRow]
# What a write may carry: reports, zones of the registry (PUT /v1/zones, admin only: no scope to check), or projects
# (PUT /v1/projects, whose scope ingest.projects_api checks).
AnyRows = Sequence[ObservationRow | TargetRow | ZoneRow | ProjectRow]
RowsT = TypeVar("RowsT", bound=AnyRows)


async def publish_rows(
    context: IngestContext, kind: str, rows: AnyRows, source: str, plausibility: str | None = None
) -> JSONResponse:
    """Publish the rows as one batch: 202 once the broker acknowledged it, else 413 or 503 naming the batch."""
    reported_at = datetime.now(UTC)
    batch = build_batch(rows, source, reported_at)
    try:
        check_message_size(batch)
    except BatchTooLarge as error:
        return too_large(kind, str(error))
    try:
        await run_in_threadpool(context.publisher.publish, batch)
    except BrokerUnavailable as error:
        if isinstance(error.__cause__, MessageSizeTooLargeError | RecordListTooLargeError):
            # The broker's own limit (message.max.bytes) is lower than ours: the same batch never fits.
            return too_large(kind, f"{error}; split the batch")
        metrics.BATCHES.labels(kind, "unavailable").inc()
        log.error("batch %s from %s refused: %s", batch.batch_id, source, error)
        # A batch whose acknowledgement never came may still have reached the broker's log: the answer
        # names its id, so whoever sends it again (the same rows give the same figures) can find it.
        detail = (
            f"{error}; the batch was not accepted, send it again"
            " (if the broker took it before failing, its rows are stored under this batch_id)"
        )
        return problem(503, detail, headers={"Retry-After": "5"}, batch_id=batch.batch_id)
    metrics.BATCHES.labels(kind, "accepted").inc()
    metrics.ROWS_PUBLISHED.labels(kind, source).inc(len(rows))
    metrics.LAST_RECEIVED.labels(source).set(time.time())
    accepted: dict[str, Any] = {
        "accepted": len(rows),
        "batch_id": batch.batch_id,
        "reported_at": reported_at.isoformat(),
    }
    if plausibility is not None:
        accepted["plausibility"] = plausibility
    return JSONResponse(accepted, status_code=202)


async def check_plausibility(
    context: IngestContext, rows: list[ObservationRow]
) -> tuple[list[ObservationRow], str, list[PlausibilityWarning]]:
    """(rows with their explained warnings, how much was checked, the warnings no explanation answers)."""
    mode = PLAUSIBILITY_CHECKED
    try:
        needed = series_needed(rows, context.catalog, context.plausibility_rules)
        stored = await run_in_threadpool(context.history.read, needed)
    except HistoryUnavailable as error:
        # Kafka alone must keep ingest working: the batch's own figures are still checked.
        stored, mode = None, PLAUSIBILITY_BATCH_ONLY
        metrics.PLAUSIBILITY_UNCHECKED.inc()
        log.warning("plausibility of a batch of %d row(s) checked on the batch only: %s", len(rows), error)
    warnings = check_batch(rows, stored, context.catalog, context.plausibility_rules)
    by_row: dict[int, list[PlausibilityWarning]] = {}
    for warning in warnings:
        by_row.setdefault(warning.row, []).append(warning)
    refused: list[PlausibilityWarning] = []
    explained = list(rows)
    for index, found in by_row.items():
        outcome = "explained" if rows[index].explanation else "refused"
        for warning in found:
            metrics.PLAUSIBILITY_WARNINGS.labels(warning.rule, outcome).inc()
        if outcome == "refused":
            refused.extend(found)
        else:
            kept = [{k: v for k, v in w.as_dict().items() if k != "row"} for w in found]
            explained[index] = replace(rows[index], explained_warnings=json.dumps(kept, ensure_ascii=False))
    return explained, mode, refused


async def read_rows(
    request: Request, context: IngestContext, kind: str, body_key: str, validate: Callable[[Any], RowsT]
) -> RowsT:
    """The body's rows, validated (raises BodyTooLarge or BatchInvalid); counts the rows received."""
    payload = parse_json_body(await read_body(request, context.settings.max_body_bytes))
    if isinstance(payload, dict) and isinstance(payload.get(body_key), list):
        metrics.ROWS_RECEIVED.labels(kind).inc(len(payload[body_key]))
    return validate(payload)
