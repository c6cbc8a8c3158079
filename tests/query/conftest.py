"""Temporary: the session `database_url` fixture of tests/conftest.py will replace this one.

Until then the integration tests run against the PostgreSQL named by
INDICATORS_TEST_DATABASE_URL, and are skipped without it.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("INDICATORS_TEST_DATABASE_URL")
    if not url:
        pytest.skip("INDICATORS_TEST_DATABASE_URL is not set")
    return url
