"""The notifier as a real process with the tests' short timings, and the query API that shows its deliveries."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from query.config import QuerySettings
from stack.ports import free_port
from stack.run import ServiceProcess
from tests.in_process import query_api
from tests.support import ARTIFACTS


def notifier(database_url: str, name: str, allow: str = "127.0.0.1/32", **settings: Any) -> ServiceProcess:
    """A notifier process with short timings (tests wait seconds, not minutes).

    `allow`: INDICATORS_NOTIFY_ALLOW_NETWORKS; the receivers here listen on 127.0.0.1.
    """
    port = free_port()
    env = {
        "INDICATORS_DATABASE_URL": database_url,
        "INDICATORS_NOTIFY_ALLOW_NETWORKS": allow,
        "INDICATORS_NOTIFIER_PORT": str(port),
        "INDICATORS_NOTIFIER_POLL_INTERVAL_S": "0.1",
        "INDICATORS_NOTIFIER_SEND_TIMEOUT_S": "2",
        "INDICATORS_NOTIFIER_LEASE_S": "4",
        "INDICATORS_NOTIFIER_BACKOFF_BASE_S": "0.2",
        "INDICATORS_NOTIFIER_BACKOFF_MAX_S": "1",
        "INDICATORS_NOTIFIER_MAX_ATTEMPTS": "5",
        **{f"INDICATORS_NOTIFIER_{key.upper()}": str(value) for key, value in settings.items()},
    }
    return ServiceProcess(
        "notifier",
        [sys.executable, "-m", "notifier"],
        {**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        f"http://127.0.0.1:{port}/readyz",
        ARTIFACTS / "logs" / f"notifier-{name}.log",
    )


@contextmanager
def running(*processes: ServiceProcess) -> Iterator[None]:
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_ready(90)
        yield
    finally:
        for process in processes:
            process.stop()


def api_deliveries(database_url: str, admin_key: str, subscription_id: UUID) -> list[dict[str, Any]]:
    """GET /v1/subscriptions/{id}/deliveries of the query app, in-process."""

    async def get() -> list[dict[str, Any]]:
        async with query_api(QuerySettings(database_url=database_url, admin_key=admin_key)) as api:
            response = await api.get(
                f"/v1/subscriptions/{subscription_id}/deliveries", headers={"Authorization": f"Bearer {admin_key}"}
            )
        assert response.status_code == 200, response.text
        return response.json()["items"]

    return asyncio.run(get())
