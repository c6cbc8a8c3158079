"""What ingest's routes are given (FastAPI dependencies): the app's IngestContext and the writer of the request.

Each is `async def` although none waits: FastAPI runs a plain `def` dependency in its thread pool, a thread
hand-off per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from indicators_core.auth import unauthorized_reason
from indicators_core.writers import Writer, writer_of
from ingest import metrics
from ingest.context import IngestContext
from ingest.problems import Unauthorized


async def ingest_context(request: Request) -> IngestContext:
    context: IngestContext = request.app.state.ingest
    return context


ContextDep = Annotated[IngestContext, Depends(ingest_context)]


async def request_writer(request: Request, context: ContextDep) -> Writer:
    """The writer whose key the request carries; 401 (counted) when there is none or it is not valid."""
    header = request.headers.get("authorization", "")
    writer = writer_of(header, context.writers)
    if writer is not None:
        return writer
    metrics.AUTH_FAILURES.inc()
    raise Unauthorized(unauthorized_reason(header))


WriterDep = Annotated[Writer, Depends(request_writer)]
