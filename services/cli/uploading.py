"""Posting a file's rows to ingest in batches: what `indicators upload` and `make sample` both do.

A file (JSON, CSV or XLSX) is first read here into the JSON rows ingest validates (sheets by ingest.sheets, the
same code ingest runs on an uploaded sheet, so every problem is told by its cell), then sent in batches within
ingest's limits. Unless told otherwise, every batch is first sent as a dry run (?dry_run=true): a file with a
bad row anywhere publishes nothing. Then the batches are published in order; each is all-or-nothing, and when
one is refused the batches before it stay accepted (their ids are printed) and the later ones are not sent.
Sending the whole file again is safe: the same rows give the same figures (a later report replaces an earlier).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from indicators_core.catalog import Catalog, load_catalog
from indicators_core.projects import shanghai_today
from ingest.projects import validate_projects
from ingest.sheets import SheetBatch, SheetUnreadable, read_sheet
from ingest.validation import BatchInvalid, parse_json_body, validate_observations, validate_targets
from ingest.zones import validate_zones

# Below ingest's 5000 rows per batch and its 10 MB body (1000 rows are about 0.5 MB with long zone names).
DEFAULT_BATCH_ROWS = 1000
PATHS = {
    "observations": ("POST", "/v1/observations"),
    "targets": ("PUT", "/v1/targets"),
    "zones": ("PUT", "/v1/zones"),
    "projects": ("PUT", "/v1/projects"),
}


class UploadFailed(Exception):
    """The file could not be read, or ingest refused a batch: what to tell the person, with every problem."""

    def __init__(self, detail: str, problems: list[dict[str, Any]] | None = None, accepted: list[str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []
        self.accepted = accepted or []


@dataclass
class FileRows:
    """The rows of a file, of one kind, and (for a sheet) where each came from."""

    kind: str
    rows: list[dict[str, Any]]
    sheet: SheetBatch | None = None

    def locate(self, start: int, problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A batch's problems (rows from 0 within the batch) by the file's own rows: cells for a sheet, else indices."""
        shifted = [{**p, "row": p["row"] + start} if isinstance(p.get("row"), int) else p for p in problems]
        return self.sheet.relabel(shifted) if self.sheet is not None else shifted


@dataclass
class UploadResult:
    kind: str
    rows: int
    batches: list[dict[str, Any]] = field(default_factory=list)  # ingest's answers, in order
    dry_run: bool = False


def _sheet_kind(path: Path, body: bytes, form: str, sheet: str | None, kind: str | None) -> SheetBatch:
    catalog = _catalog()
    kinds = [kind] if kind else ["observations", "targets", "zones", "projects"]
    first_error: SheetUnreadable | None = None
    for candidate in kinds:
        try:
            return read_sheet(body, "csv" if form == "csv" else "xlsx", candidate, catalog, sheet)  # type: ignore[arg-type]
        except SheetUnreadable as error:
            # Without --kind, a sheet whose header has no 期间 but a 年份 is a targets sheet.
            if first_error is None:
                first_error = error
            if "no header row" not in error.reason:
                raise UploadFailed(f"{path}: {error.reason}", [error.as_dict()]) from None
    assert first_error is not None  # noqa: S101
    raise UploadFailed(f"{path}: {first_error.reason}", [first_error.as_dict()])


def _validation_problems(batch: SheetBatch) -> list[dict[str, Any]]:
    catalog = _catalog()
    rows = batch.payload[batch.kind]
    try:
        if batch.kind == "observations":
            validate_observations(batch.payload, catalog, datetime.now(UTC).date(), len(rows))
        elif batch.kind == "targets":
            validate_targets(batch.payload, catalog, len(rows))
        elif batch.kind == "zones":
            validate_zones(batch.payload, len(rows))
        else:
            validate_projects(batch.payload, shanghai_today(datetime.now(UTC)), len(rows))
    except BatchInvalid as error:
        return [p.as_dict() for p in error.errors]
    return []


def _catalog() -> Catalog:
    catalog_path = os.environ.get("INDICATORS_CATALOG_PATH")
    return load_catalog(Path(catalog_path) if catalog_path else None)


def read_file(path: Path, kind: str | None = None, sheet: str | None = None) -> FileRows:
    """The rows of a .json ({"observations": […]}, {"targets": […]} or {"zones": […]}), .csv or .xlsx file."""
    try:
        body = path.read_bytes()
    except OSError as error:
        raise UploadFailed(f"{path}: {error.strerror}") from None
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx", ".xlsm"):
        batch = _sheet_kind(path, body, "csv" if suffix == ".csv" else "xlsx", sheet, kind)
        if batch.problems:
            # The rest of the file's problems too, by the validation ingest runs, so that one run lists them all.
            problems = [p.as_dict() for p in batch.problems] + batch.relabel(_validation_problems(batch))
            raise UploadFailed(f"{path}: {len(problems)} problem(s) in the sheet; nothing was sent", problems)
        return FileRows(batch.kind, batch.payload[batch.kind], batch)
    if suffix != ".json":
        raise UploadFailed(f"{path}: not a .json, .csv or .xlsx file")
    try:
        payload = parse_json_body(body)  # exact decimals, as ingest reads them
    except BatchInvalid as error:
        problems = [p.as_dict() for p in error.errors]
        raise UploadFailed(f"{path}: {problems[0]['reason']}", problems) from None
    keys = [key for key in PATHS if isinstance(payload, dict) and isinstance(payload.get(key), list)]
    if len(keys) != 1 or (kind is not None and keys[0] != kind):
        raise UploadFailed(
            f'{path}: a JSON file holds {{"observations": [...]}}, {{"targets": [...]}}, {{"zones": [...]}}'
            ' or {"projects": [...]}'
        )
    return FileRows(keys[0], payload[keys[0]])


def batches(rows: list[dict[str, Any]], size: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    for start in range(0, len(rows), size):
        yield start, rows[start : start + size]


def _json(rows: list[dict[str, Any]], kind: str) -> bytes:
    # Decimals (exact figures read from a sheet or parsed from JSON) are written as their digits.
    return json.dumps({kind: rows}, ensure_ascii=False, default=str).encode("utf-8")


def passes(dry_run: bool, check_first: bool) -> list[bool]:
    """The passes over the file, each True for a dry run: [check] for --dry-run, [check, publish], or [publish]."""
    return [True] if dry_run else ([True, False] if check_first else [False])


def upload(
    client: httpx.Client,
    url: str,
    file_rows: FileRows,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    dry_run: bool = False,
    check_first: bool = True,
    advance: Callable[[int], None] = lambda rows: None,  # rows sent, after each batch of each pass
) -> UploadResult:
    """Send the rows in batches (a dry run of every batch first unless check_first is False); UploadFailed naming
    the batch, its problems by cell and the batches already accepted when ingest refuses one."""
    method, path = PATHS[file_rows.kind]
    result = UploadResult(file_rows.kind, len(file_rows.rows), dry_run=dry_run)
    if file_rows.kind == "zones":
        # One batch: a zone's parent must be registered or in the same batch, and an earlier batch published
        # a moment ago may not be stored yet when the next is checked.
        batch_rows = max(batch_rows, len(file_rows.rows))
    for checking in passes(dry_run, check_first):
        accepted: list[str] = []
        for start, rows in batches(file_rows.rows, batch_rows):
            params = {"dry_run": "true"} if checking else {}
            try:
                response = client.request(
                    method,
                    f"{url}{path}",
                    params=params,
                    content=_json(rows, file_rows.kind),
                    headers={"Content-Type": "application/json"},
                )
            except httpx.HTTPError as error:
                raise UploadFailed(f"ingest at {url} cannot be reached: {error}", accepted=accepted) from None
            number = start // batch_rows + 1
            if response.status_code not in (200, 202):
                raise _refused(response, number, start, rows, file_rows, accepted, checking)
            answer = response.json()
            if not checking:
                accepted.append(str(answer.get("batch_id")))
                result.batches.append({**answer, "first_row": start, "rows": len(rows)})
            elif dry_run:
                result.batches.append({**answer, "first_row": start, "rows": len(rows)})
            advance(len(rows))
    return result


def _refused(
    response: httpx.Response,
    number: int,
    start: int,
    rows: list[dict[str, Any]],
    file_rows: FileRows,
    accepted: list[str],
    checking: bool,
) -> UploadFailed:
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text[:500]}
    problems = file_rows.locate(start, list(body.get("errors") or []) + list(body.get("warnings") or []))
    step = "checking" if checking else "publishing"
    where = f"batch {number} (rows {start + 1}-{start + len(rows)})"
    earlier = f"; batches accepted before it: {', '.join(accepted)}" if accepted else "; no batch was published"
    detail = f"{step} {where} was refused with {response.status_code}: {body.get('detail', '')}"
    return UploadFailed(detail + (earlier if not checking else "; nothing was published"), problems, accepted)


# Batch ids per GET /v1/batches (the query service takes up to 100).
BATCHES_PER_QUERY = 100


@dataclass
class Stored:
    rows: int
    seconds: float


def wait_stored(
    client: httpx.Client,
    query_url: str,
    batches: list[dict[str, Any]],
    *,
    advance: Callable[[int], None] = lambda rows: None,  # rows newly stored and computed
    poll_s: float = 0.5,
    stall_s: float = 300.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Stored:
    """Wait until every row of the accepted `batches` (ingest's answers, with their `rows`) is stored and its figures
    computed, as the query service's GET /v1/batches tells; UploadFailed when nothing more is stored for `stall_s`
    (the processor stopped, or a row was dead-lettered) or the query service cannot be reached."""
    started = clock()
    waiting = {str(batch["batch_id"]): int(batch["rows"]) for batch in batches}
    stored = dict.fromkeys(waiting, 0)
    total = sum(waiting.values())
    last_change = started
    while waiting:
        ids = list(waiting)
        for first in range(0, len(ids), BATCHES_PER_QUERY):
            chunk = ids[first : first + BATCHES_PER_QUERY]
            try:
                response = client.get(f"{query_url}/v1/batches", params=[("id", batch_id) for batch_id in chunk])
                response.raise_for_status()
            except httpx.HTTPError as error:
                raise UploadFailed(
                    f"every batch was accepted, but the query service at {query_url} cannot tell whether they are "
                    f"stored: {error}"
                ) from None
            for item in response.json()["items"]:
                batch_id, rows = str(item["batch_id"]), int(item["rows_stored"])
                if rows > stored[batch_id]:
                    advance(rows - stored[batch_id])
                    stored[batch_id] = rows
                    last_change = clock()
                if rows >= waiting[batch_id]:
                    del waiting[batch_id]
        if not waiting:
            break
        if clock() - last_change > stall_s:
            done = sum(stored.values())
            raise UploadFailed(
                f"every batch was accepted, but only {done} of {total} rows are stored after {clock() - started:.0f} s "
                f"and none more for {stall_s:.0f} s: is the processor running (its /readyz), and were rows "
                "dead-lettered (python -m processor.dead_letters list)? Batches still waiting: "
                + ", ".join(sorted(waiting)[:10])
                + (" …" if len(waiting) > 10 else "")
            )
        sleep(poll_s)
    return Stored(total, clock() - started)
