"""The ingest API: upstream systems post monthly statistics and annual targets here."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from kafka.errors import MessageSizeTooLargeError, RecordListTooLargeError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from indicators_core.auth import unauthorized_reason
from indicators_core.catalog import Catalog, load_catalog
from indicators_core.plausibility import PlausibilityWarning, check_batch, load_rules, series_needed
from indicators_core.writers import ScopeViolation, Writer, scope_violations, writer_of
from ingest import metrics
from ingest.config import IngestSettings
from ingest.history import HistoryUnavailable, StoredHistory
from ingest.limits import BodyTooLarge, read_body
from ingest.publisher import BatchPublisher, BatchTooLarge, BrokerUnavailable, build_batch, check_message_size
from ingest.schemas import (
    OBSERVATIONS_EXAMPLE,
    TARGETS_EXAMPLE,
    ObservationBatch,
    TargetBatch,
    request_body,
    responses,
)
from ingest.validation import (
    BatchInvalid,
    ObservationRow,
    TargetRow,
    parse_json_body,
    validate_observations,
    validate_targets,
)

log = logging.getLogger("ingest")


class Unauthorized(Exception):
    pass


def _problem(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail, **fields}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


# What the 202 of an observation batch says about the second tier.
PLAUSIBILITY_CHECKED = "checked"
PLAUSIBILITY_BATCH_ONLY = "batch only (database unavailable)"


def create_app(
    settings: IngestSettings | None = None,
    publisher: BatchPublisher | None = None,
    history: StoredHistory | None = None,
) -> FastAPI:
    settings = settings or IngestSettings()
    catalog: Catalog = load_catalog(settings.catalog_path)
    plausibility_rules = load_rules(settings.plausibility_path, catalog)
    history = history or StoredHistory(settings.database_url, settings.plausibility_lookup_timeout_s)
    writers = settings.scoped_writers()
    metrics.start_sources(writer.source for writer in writers)
    publisher = publisher or BatchPublisher(
        bootstrap=settings.kafka_bootstrap,
        topic=settings.topic_batches,
        all_topics=[settings.topic_batches, settings.topic_reports, settings.topic_results],
        partitions=settings.topic_partitions,
        publish_timeout_s=settings.publish_timeout_s,
        connect_timeout_s=settings.broker_connect_timeout_s,
        ready_timeout_s=settings.broker_probe_timeout_s,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.admin_key_generated:
            assert settings.admin_key is not None  # noqa: S101
            log.warning("no INDICATORS_ADMIN_KEY set; generated admin key: %s", settings.admin_key.get_secret_value())
        try:
            await run_in_threadpool(publisher.connect)
        except BrokerUnavailable as error:
            # Start anyway: requests answer 503 until the broker is back.
            log.warning("%s; batches will be refused with 503 until it is reachable", error)
        history.open()  # connects in the background: ingest never waits for PostgreSQL to start
        yield
        await run_in_threadpool(publisher.close)
        await run_in_threadpool(history.close)

    app = FastAPI(
        title="Development-zone indicators: ingest",
        description="Upstream systems post monthly statistics and annual targets. A batch is all-or-nothing.",
        version="1.0",
        lifespan=lifespan,
    )

    def writer_of_request(request: Request) -> Writer:
        header = request.headers.get("authorization", "")
        writer = writer_of(header, writers)
        if writer is not None:
            return writer
        metrics.AUTH_FAILURES.inc()
        raise Unauthorized(unauthorized_reason(header))

    def forbidden(kind: str, writer: Writer, violations: list[ScopeViolation]) -> JSONResponse:
        metrics.BATCHES.labels(kind, "forbidden").inc()
        rows = sorted({v.row for v in violations if v.row is not None})
        detail = (
            f"{len(rows)} row(s) outside the scope of the key of '{writer.source}'; nothing was published"
            if rows
            else f"{violations[0].reason}; nothing was published"
        )
        return _problem(403, detail, [v.as_dict() for v in violations])

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, error: Unauthorized) -> JSONResponse:
        return _problem(401, f"{error}; nothing was published", headers={"WWW-Authenticate": "Bearer"})

    async def accept(
        kind: str, rows: Sequence[ObservationRow | TargetRow], source: str, plausibility: str | None = None
    ) -> JSONResponse:
        reported_at = datetime.now(UTC)
        batch = build_batch(rows, source, reported_at)
        try:
            check_message_size(batch)
        except BatchTooLarge as error:
            return too_large(kind, str(error))
        try:
            await run_in_threadpool(publisher.publish, batch)
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
            return _problem(503, detail, headers={"Retry-After": "5"}, batch_id=batch.batch_id)
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

    async def plausible(rows: list[ObservationRow]) -> tuple[list[ObservationRow], str, list[PlausibilityWarning]]:
        """(rows with their explained warnings, how much was checked, the warnings no explanation answers)."""
        mode = PLAUSIBILITY_CHECKED
        try:
            stored = await run_in_threadpool(history.read, series_needed(rows, catalog, plausibility_rules))
        except HistoryUnavailable as error:
            # Kafka alone must keep ingest working: the batch's own figures are still checked.
            stored, mode = None, PLAUSIBILITY_BATCH_ONLY
            metrics.PLAUSIBILITY_UNCHECKED.inc()
            log.warning("plausibility of a batch of %d row(s) checked on the batch only: %s", len(rows), error)
        warnings = check_batch(rows, stored, catalog, plausibility_rules)
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

    def implausible(kind: str, warnings: list[PlausibilityWarning]) -> JSONResponse:
        metrics.BATCHES.labels(kind, "implausible").inc()
        rows = sorted({w.row for w in warnings})
        return JSONResponse(
            {
                "detail": f"{len(rows)} row(s) look implausible ({len(warnings)} warning(s)); nothing was published."
                ' Correct the figures, or send each row again with an "explanation" of why they are right',
                "warnings": [w.as_dict() for w in warnings],
            },
            status_code=422,
        )

    def too_large(kind: str, reason: str) -> JSONResponse:
        metrics.BATCHES.labels(kind, "rejected").inc()
        return _problem(413, f"{reason}; nothing was published", [{"row": None, "field": "body", "reason": reason}])

    def rejected(kind: str, error: BatchInvalid) -> JSONResponse:
        metrics.BATCHES.labels(kind, "rejected").inc()
        for problem in error.errors:
            # A field a row should not have is counted as unknown_field: its name is the sender's,
            # unbounded (one series each) and possibly not encodable (a lone surrogate).
            field = problem.field if problem.field in metrics.REJECTABLE_FIELDS[kind] else metrics.UNKNOWN_FIELD
            metrics.ROWS_REJECTED.labels(kind, field).inc()
        rows = sorted({p.row for p in error.errors if p.row is not None})
        detail = (
            f"{len(rows)} row(s) rejected ({len(error.errors)} problem(s)); nothing was published"
            if rows
            else f"{error.errors[0].field}: {error.errors[0].reason}; nothing was published"
        )
        return _problem(422, detail, [p.as_dict() for p in error.errors])

    async def receive(
        request: Request, kind: str, body_key: str, validate: Callable[[Any], Sequence[ObservationRow | TargetRow]]
    ) -> Response:
        writer = writer_of_request(request)
        try:
            payload = parse_json_body(await read_body(request, settings.max_body_bytes))
            if isinstance(payload, dict) and isinstance(payload.get(body_key), list):
                metrics.ROWS_RECEIVED.labels(kind).inc(len(payload[body_key]))
            rows = validate(payload)
        except BodyTooLarge as error:
            return too_large(kind, str(error))
        except BatchInvalid as error:
            return rejected(kind, error)
        violations = scope_violations(writer, kind, rows)
        if violations:
            return forbidden(kind, writer, violations)
        if kind != "observation":
            return await accept(kind, rows, writer.source)
        observations = [row for row in rows if isinstance(row, ObservationRow)]
        observations, mode, warnings = await plausible(observations)
        if warnings:
            return implausible(kind, warnings)
        return await accept(kind, observations, writer.source, mode)

    @app.post(
        "/v1/observations",
        status_code=202,
        summary="Post a batch of monthly statistics",
        openapi_extra=request_body(ObservationBatch, "observations", catalog, OBSERVATIONS_EXAMPLE),
        responses=responses("Accepted: the broker acknowledged the whole batch."),
    )
    async def post_observations(request: Request) -> Response:
        return await receive(
            request,
            "observation",
            "observations",
            lambda payload: validate_observations(payload, catalog, datetime.now(UTC).date(), settings.max_batch_rows),
        )

    @app.put(
        "/v1/targets",
        status_code=202,
        summary="Set annual targets (absolute figures)",
        openapi_extra=request_body(TargetBatch, "targets", catalog, TARGETS_EXAMPLE),
        responses=responses("Accepted: the broker acknowledged the whole batch."),
    )
    async def put_targets(request: Request) -> Response:
        return await receive(
            request, "target", "targets", lambda payload: validate_targets(payload, catalog, settings.max_batch_rows)
        )

    @app.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="A batch posted now could be published: the broker answers and the topic has leaders")
    async def readyz() -> JSONResponse:
        problem = await run_in_threadpool(publisher.readiness)
        if problem is None:
            return JSONResponse({"status": "ready"})
        return _problem(503, f"{problem}; batches are refused with 503 until it is back")

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
