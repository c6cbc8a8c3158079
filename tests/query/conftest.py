"""Fixtures of the query tests that read a real PostgreSQL."""

from __future__ import annotations

import pytest

from indicators_core.db import apply_migrations


@pytest.fixture(scope="module")
def migrated(database_url: str) -> str:
    apply_migrations(database_url)
    return database_url
