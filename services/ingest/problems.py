"""Ingest's one error shape: `{"detail": …, "errors"|"warnings": […]}`, and each refusal counted once.

Every refusal says "nothing was published": a batch is all-or-nothing, and whoever sent it must know that
none of its rows reached the broker.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from indicators_core.plausibility import PlausibilityWarning
from indicators_core.writers import ScopeViolation, Writer
from ingest import metrics
from ingest.validation import BatchInvalid


class Unauthorized(Exception):
    """No key, or not a valid one: answered 401 by the handler install_problem_handlers adds."""


def problem(
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


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, error: Unauthorized) -> JSONResponse:
        return problem(401, f"{error}; nothing was published", headers={"WWW-Authenticate": "Bearer"})


def forbidden(kind: str, writer: Writer, violations: list[ScopeViolation]) -> JSONResponse:
    metrics.BATCHES.labels(kind, "forbidden").inc()
    rows = sorted({v.row for v in violations if v.row is not None})
    detail = (
        f"{len(rows)} row(s) outside the scope of the key of '{writer.source}'; nothing was published"
        if rows
        else f"{violations[0].reason}; nothing was published"
    )
    return problem(403, detail, [v.as_dict() for v in violations])


def too_large(kind: str, reason: str) -> JSONResponse:
    metrics.BATCHES.labels(kind, "rejected").inc()
    return problem(413, f"{reason}; nothing was published", [{"row": None, "field": "body", "reason": reason}])


def rejected(kind: str, error: BatchInvalid) -> JSONResponse:
    metrics.BATCHES.labels(kind, "rejected").inc()
    for found in error.errors:
        # A field a row should not have is counted as unknown_field: its name is the sender's,
        # unbounded (one series each) and possibly not encodable (a lone surrogate).
        # A project's problem names a stage or a month (stages.land): counted by the field it belongs to.
        top = found.field.split(".", 1)[0].split("[", 1)[0] if kind == "project" else found.field
        field = top if top in metrics.REJECTABLE_FIELDS[kind] else metrics.UNKNOWN_FIELD
        metrics.ROWS_REJECTED.labels(kind, field).inc()
    rows = sorted({p.row for p in error.errors if p.row is not None})
    detail = (
        f"{len(rows)} row(s) rejected ({len(error.errors)} problem(s)); nothing was published"
        if rows
        else f"{error.errors[0].field}: {error.errors[0].reason}; nothing was published"
    )
    return problem(422, detail, [p.as_dict() for p in error.errors])


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
