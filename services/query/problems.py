"""The one shape of an error answer: {"detail": …, "errors": [{"field", "reason"}, …]}, and what gives it.

Every route answers a problem with `problem()` (JSON) or, for a page, `problem_page` (HTML): a
parameter the framework rejects, a query text no route can use, a well-formed but wrong value, a
subscription that does not validate, a database that is down. The OpenAPI says the same
(`document_problems`): every 422 has this shape, never FastAPI's own list.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from psycopg_pool import PoolTimeout

from indicators_core.db import describe_database
from query import metrics
from query.board import problem_page
from query.params import BadQuery, FieldProblem, QueryTextInvalid
from query.schemas import ExactJSONResponse, Problem

log = logging.getLogger("query")

WRONG_PARAMETER = "A parameter is wrong; `detail` names it"
# The answers every data route documents besides its 200.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": WRONG_PARAMETER},
    503: {"model": Problem, "description": "The database is unavailable"},
}

__all__ = ["PROBLEM_RESPONSES", "FieldProblem", "Problem", "document_problems", "install_problem_handlers", "problem"]


def problem(
    status: int,
    detail: str,
    errors: Sequence[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> ExactJSONResponse:
    """The service's error answer; `errors` names each wrong field (omitted when there is none to name)."""
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = [error.as_dict() for error in errors]
    return ExactJSONResponse(body, status_code=status, headers=headers)


async def _invalid(request: Request, error: RequestValidationError) -> Response:
    errors = [
        FieldProblem(".".join(str(part) for part in e["loc"] if part not in ("query", "path", "body")), e["msg"])
        for e in error.errors()
    ]
    return problem(422, "; ".join(f"{e.field}: {e.reason}" for e in errors), errors)


async def _bad_query_text(request: Request, error: QueryTextInvalid) -> Response:
    # A page answers with a page (someone typed the address into a browser); the API with its JSON shape.
    if getattr(request.scope.get("route"), "response_class", None) is HTMLResponse:
        return problem_page(error.problems, request.app.state.catalog)
    return problem(422, str(error), error.problems)


async def _bad_query(request: Request, error: BadQuery) -> Response:
    return problem(422, str(error), [FieldProblem(error.field, error.reason)])


async def _database_down(request: Request, error: Exception) -> Response:
    metrics.DB_ERRORS.inc()
    log.error("database unavailable for %s: %s", request.url.path, error)
    database = describe_database(request.app.state.settings.database_url)
    return problem(
        503,
        f"PostgreSQL at {database} is unavailable ({type(error).__name__}); try again",
        headers={"Retry-After": "5"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every failure the routes leave to the app with the one problem shape."""
    # Through the decorator, which (unlike add_exception_handler) types each handler by its own exception.
    app.exception_handler(RequestValidationError)(_invalid)
    app.exception_handler(QueryTextInvalid)(_bad_query_text)
    app.exception_handler(BadQuery)(_bad_query)
    app.exception_handler(psycopg.OperationalError)(_database_down)
    app.exception_handler(PoolTimeout)(_database_down)


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Say in the OpenAPI what a 422 really is: every route checks its query text first, and every 422 has the
    service's one problem shape ({"detail", "errors"}), an HTML page for a page, never FastAPI's own list."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            page = any("text/html" in answer.get("content", {}) for answer in operation.get("responses", {}).values())
            content = (
                {"text/html": {"schema": {"type": "string"}}}
                if page
                else {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            )
            answer = operation.setdefault("responses", {}).setdefault("422", {})
            answer["description"] = answer.get("description") or WRONG_PARAMETER
            if answer["description"] == "Validation Error":
                answer["description"] = WRONG_PARAMETER
            answer["content"] = content
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
