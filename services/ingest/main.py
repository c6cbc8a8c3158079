"""The ingest API: upstream systems post monthly statistics and annual targets here."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from kafka.errors import MessageSizeTooLargeError, RecordListTooLargeError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from indicators_core.auth import unauthorized_reason
from indicators_core.catalog import Catalog, load_catalog
from indicators_core.writers import ScopeViolation, Writer, scope_violations, writer_of
from ingest import metrics
from ingest.config import IngestSettings
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


def _problem(status: int, detail: str, errors: list[dict[str, Any]] | None = None, **headers: str) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers or None)


def create_app(settings: IngestSettings | None = None, publisher: BatchPublisher | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    catalog: Catalog = load_catalog(settings.catalog_path)
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
        yield
        await run_in_threadpool(publisher.close)

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
        return _problem(401, f"{error}; nothing was published", **{"WWW-Authenticate": "Bearer"})

    async def accept(kind: str, rows: Sequence[ObservationRow | TargetRow], source: str) -> JSONResponse:
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
            return _problem(503, f"{error}; the batch was not accepted, send it again", **{"Retry-After": "5"})
        metrics.BATCHES.labels(kind, "accepted").inc()
        metrics.ROWS_PUBLISHED.labels(kind, source).inc(len(rows))
        metrics.LAST_RECEIVED.labels(source).set(time.time())
        return JSONResponse(
            {"accepted": len(rows), "batch_id": batch.batch_id, "reported_at": reported_at.isoformat()},
            status_code=202,
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
        return await accept(kind, rows, writer.source)

    @app.post(
        "/v1/observations",
        status_code=202,
        summary="Post a batch of monthly statistics",
        openapi_extra=request_body(ObservationBatch, "observations", catalog, OBSERVATIONS_EXAMPLE),
        responses=responses("Accepted: the broker acknowledged the whole batch."),
    )
    async def post_observations(request: Request) -> Response:
        return await receive(
            request, "observation", "observations",
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
