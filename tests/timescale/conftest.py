"""Session fixtures of the Timescale tests: one TimescaleDB 2.23 (PGlite, WASM) server, migrated once,
and the seed written into it by the processor's own store.

The server is one PostgreSQL backend shared by every client at transaction boundaries, so all
tests of a run see one database: each writes its own zones (tests/timescale/seed.py).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from indicators_core import events
from indicators_core.db import apply_migrations
from stack.pglite import PgliteServer
from tests.support import ARTIFACTS
from tests.timescale import seed
from tests.timescale.storing import Migrated, reports_of, store_reports


@pytest.fixture(scope="session")
def pglite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgliteServer]:
    server = PgliteServer(tmp_path_factory.mktemp("pglite"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        # The server's log (connections, any backend failure) is kept with the other artifacts.
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(server.log_path, ARTIFACTS / "pglite.log")


@pytest.fixture(scope="session")
def timescale(pglite_server: PgliteServer) -> Migrated:
    """The project's migrations (yoyo, as every service applies them at start), applied twice."""
    url = pglite_server.url()
    first = apply_migrations(url)
    second = apply_migrations(url)
    return Migrated(url, first, second)


SEEDED_AT = datetime(2023, 6, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def seed_reports() -> list[events.Report]:
    """The seed's first batches as the processor receives them (kept: a replay sends the very same)."""
    return reports_of(seed.observation_rows(), seed.target_rows(), SEEDED_AT)


@pytest.fixture(scope="session")
def seeded(timescale: Migrated, seed_reports: list[events.Report]) -> str:
    """The seed of tests/timescale/seed.py stored by the processor's ProgressStore, then the revision."""
    revision = reports_of(seed.observation_rows(seed.REVISION), [], SEEDED_AT + timedelta(days=1))
    # Two chunks of the first batches (as `take` may cut them), then the revision.
    half = len(seed_reports) // 2
    asyncio.run(store_reports(timescale.url, [seed_reports[:half], seed_reports[half:], revision]))
    return timescale.url
