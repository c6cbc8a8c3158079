"""The body of a write in any of its forms: JSON, a CSV or an XLSX sheet (by Content-Type), or a dry run.

JSON goes the way it always went (ingest.acceptance.receive). A sheet is read into the same JSON payload
(ingest.sheets) and then takes the same steps (validation, scope, plausibility, publishing), with every
problem, scope violation and warning told by the cell it came from. `?dry_run=true` takes every step but
the last: the answer says whether the batch would be accepted, and nothing is published.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from indicators_core.writers import Writer, scope_violations
from ingest import metrics
from ingest.acceptance import AnyRows, check_plausibility, publish_rows, read_rows
from ingest.context import IngestContext
from ingest.limits import BodyTooLarge, read_body
from ingest.problems import forbidden, implausible, problem, rejected, too_large
from ingest.sheets import XLSX_TYPE, SheetBatch, SheetFormat, SheetUnreadable, read_sheet, sheet_format
from ingest.sheets import Kind as SheetKind
from ingest.validation import BatchInvalid, ObservationRow, RowError, TargetRow
from ingest.zone_checks import check_zones

SHEET_KINDS: dict[str, SheetKind] = {
    "observations": "observations",
    "targets": "targets",
    "zones": "zones",
    "projects": "projects",
}

# Bodies read as JSON: JSON itself, no Content-Type at all (as before sheets), and curl's default for -d.
JSON_TYPES = frozenset({"", "application/json", "application/x-www-form-urlencoded"})
ACCEPTED_TYPES = f"application/json, text/csv (UTF-8 or GB18030) or {XLSX_TYPE} (.xlsx)"


# What a sheet upload may also answer (OpenAPI): the dry run's verdict and a body of another type.
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "?dry_run=true: the whole batch would be accepted; nothing was published.",
        "content": {"application/json": {"example": {"valid": True, "rows": 2, "published": False}}},
    },
    415: {"description": f"A body that is not {ACCEPTED_TYPES}; nothing was published."},
}
MAX_SHEET_NAME_CHARS = 100
TRUE_WORDS, FALSE_WORDS = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no", ""})


def with_sheets(extra: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` of a write that also reads a CSV or an XLSX sheet (ingest.sheets: headers in Chinese or the
    JSON field names, periods as people write them, every problem told by its cell)."""
    content = extra["requestBody"]["content"]
    sheet = "A sheet whose header row names the JSON fields or their Chinese names (园区, 指标, 期间, 数值, 单位, …)."
    content["text/csv"] = {"schema": {"type": "string", "description": f"UTF-8 or GB18030. {sheet}"}}
    content[XLSX_TYPE] = {
        "schema": {"type": "string", "format": "binary", "description": f"The first sheet or ?sheet=. {sheet}"}
    }
    return extra


def parse_flag(name: str, value: str | None) -> tuple[bool, str | None]:
    if value is None or value.strip().lower() in FALSE_WORDS:
        return False, None
    if value.strip().lower() in TRUE_WORDS:
        return True, None
    return False, f"'{value[:40]}' is not true or false"


def body_format(request: Request) -> SheetFormat | str | None:
    """ "json", "csv" or "xlsx" by the request's Content-Type; None for a type ingest does not read."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media in JSON_TYPES or media.endswith("+json"):
        return "json"
    return sheet_format(content_type)


async def read_any(
    request: Request,
    context: IngestContext,
    kind: str,
    body_key: str,
    validate: Callable[[Any], AnyRows],
    sheet: str | None,
) -> tuple[AnyRows, SheetBatch | None] | Response:
    """The rows of a write in any of its forms, with the sheet they came from (None for JSON); or the refusal
    (415, 413, 422 naming every problem by its cell). For a route with checks of its own after validation."""
    form = body_format(request)
    if form is None:
        return _unsupported(request, kind)
    if form == "json":
        try:
            return await read_rows(request, context, kind, body_key, validate), None
        except BodyTooLarge as error:
            return too_large(kind, str(error))
        except BatchInvalid as error:
            return rejected(kind, error)
    try:
        body = await read_body(request, context.settings.max_body_bytes)
        batch = read_sheet(body, "csv" if form == "csv" else "xlsx", SHEET_KINDS[body_key], context.catalog, sheet)
    except BodyTooLarge as error:
        return too_large(kind, str(error))
    except SheetUnreadable as unreadable:
        metrics.BATCHES.labels(kind, "rejected").inc()
        return problem(unreadable.status, f"{unreadable.reason}; nothing was published", [unreadable.as_dict()])
    metrics.ROWS_RECEIVED.labels(kind).inc(len(batch.origins))
    try:
        rows = validate(batch.payload)
        invalid: list[RowError] = []
    except BatchInvalid as error:
        invalid = error.errors
    if invalid or batch.problems:
        return _sheet_rejected(kind, batch, invalid)
    return rows, batch


def _unsupported(request: Request, kind: str) -> JSONResponse:
    metrics.BATCHES.labels(kind, "rejected").inc()
    media = request.headers.get("content-type", "")
    return problem(
        415,
        f"Content-Type '{media[:100]}' is not read here; send {ACCEPTED_TYPES}. Nothing was published",
        [{"row": None, "field": "body", "reason": f"send {ACCEPTED_TYPES}"}],
    )


def flags_refusal(kind: str, dry_run_text: str | None, sheet: str | None) -> tuple[bool, JSONResponse | None]:
    """(dry run?, the 422 for a wrong ?dry_run= or ?sheet=, else None)."""
    dry_run, wrong = parse_flag("dry_run", dry_run_text)
    field = "dry_run"
    if wrong is None and sheet is not None and len(sheet) > MAX_SHEET_NAME_CHARS:
        wrong, field = f"a sheet name has at most {MAX_SHEET_NAME_CHARS} characters", "sheet"
    if wrong is None:
        return dry_run, None
    metrics.BATCHES.labels(kind, "rejected").inc()
    return dry_run, problem(
        422, f"{field}: {wrong}; nothing was published", [{"row": None, "field": field, "reason": wrong}]
    )


def dry_run_answer(rows: AnyRows, batch: SheetBatch | None, mode: str | None = None) -> JSONResponse:
    """200: the whole batch would be accepted; nothing was published."""
    answer: dict[str, Any] = {"valid": True, "rows": len(rows), "published": False}
    if batch is not None:
        answer["sheet"] = batch.sheet
    if mode is not None:
        answer["plausibility"] = mode
    return JSONResponse(answer, status_code=200)


def with_sheet(accepted: JSONResponse, batch: SheetBatch | None) -> JSONResponse:
    """The broker's 202, naming the sheet it was read from."""
    if batch is None or accepted.status_code != 202:
        return accepted
    return JSONResponse({**json.loads(bytes(accepted.body)), "sheet": batch.sheet}, status_code=202)


async def receive_any(
    request: Request,
    context: IngestContext,
    writer: Writer,
    kind: str,
    body_key: str,
    validate: Callable[[Any], AnyRows],
    dry_run_text: str | None,
    sheet: str | None,
) -> Response:
    """One write in whatever form it came: 202 (200 for a dry run), or one refusal naming every problem."""
    dry_run, refusal = flags_refusal(kind, dry_run_text, sheet)
    if refusal is not None:
        return refusal
    read = await read_any(request, context, kind, body_key, validate, sheet)
    if isinstance(read, Response):
        return read
    rows, batch = read
    return await _checked(context, writer, kind, rows, batch, dry_run)


def _sheet_rejected(kind: str, batch: SheetBatch, invalid: list[RowError]) -> JSONResponse:
    located = [p.as_dict() for p in batch.problems] + batch.relabel(p.as_dict() for p in invalid)
    # Counted and worded as a JSON batch's refusal is, over the sheet's rows.
    counted = rejected(kind, BatchInvalid([RowError(p["row"], p["field"], p["reason"]) for p in located]))
    return problem(422, json.loads(bytes(counted.body))["detail"], located, sheet=batch.sheet)


def _relabelled(response: JSONResponse, batch: SheetBatch | None, key: str) -> JSONResponse:
    """A refusal whose rows are the payload's indices, told by the sheet's rows and cells instead."""
    if batch is None:
        return response
    body = json.loads(bytes(response.body))
    body[key] = batch.relabel(body.get(key) or [])
    body["sheet"] = batch.sheet
    return JSONResponse(body, status_code=response.status_code)


async def _checked(
    context: IngestContext, writer: Writer, kind: str, rows: AnyRows, batch: SheetBatch | None, dry_run: bool
) -> Response:
    """Scope, plausibility, then publishing (or, in a dry run, the answer that it would be published)."""
    violations = scope_violations(writer, kind, [row for row in rows if isinstance(row, ObservationRow | TargetRow)])
    if violations:
        return _relabelled(forbidden(kind, writer, violations), batch, "errors")
    # The registry's checks (parents; every zone registered under INDICATORS_ZONES_STRICT), as for JSON.
    refusal = await check_zones(context, kind, rows)
    if refusal is not None:
        return _relabelled(refusal, batch, "errors")
    mode = None
    if kind == "observation":
        observations = [row for row in rows if isinstance(row, ObservationRow)]
        observations, mode, warnings = await check_plausibility(context, observations)
        if warnings:
            return _relabelled(implausible(kind, warnings), batch, "warnings")
        rows = observations
    if dry_run:
        return dry_run_answer(rows, batch, mode)
    return with_sheet(await publish_rows(context, kind, rows, writer.source, mode), batch)


# For the routes that read with read_any and check on their own (ingest.projects_api).
relabelled = _relabelled
