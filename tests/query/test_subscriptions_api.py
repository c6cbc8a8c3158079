"""The subscription API of the query service against a real PostgreSQL, the app called in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest

from query.config import QuerySettings
from tests.alerts.outbox_rows import behind, fire_async
from tests.in_process import query_api

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

ADMIN_KEY = "subscriptions-admin-key-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
SECRET = "甲区-webhook-secret-0123456789"
WEBHOOK = {
    "name": "甲区管委会",
    "channel": "webhook",
    "target": "https://receiver.example/hook?token=abcdef123456",
    "secret": SECRET,
    "zones": ["通知甲区"],
    "indicators": ["industrial_output", "fixed_asset_investment"],
    "rules": ["behind_schedule"],
    "min_severity": "warning",
}


@pytest.fixture
async def client(module_database: str) -> AsyncIterator[httpx.AsyncClient]:
    async with query_api(QuerySettings(database_url=module_database, admin_key=ADMIN_KEY)) as api:
        yield api


def stored_count(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM subscriptions").fetchone()
    return int(count)


async def test_create_read_update_pause_delete(client: httpx.AsyncClient, module_database: str) -> None:
    created = await client.post("/v1/subscriptions", json=WEBHOOK, headers=AUTH)
    assert created.status_code == 201, created.text
    body = created.json()
    subscription_id = body["id"]
    assert created.headers["location"] == f"/v1/subscriptions/{subscription_id}"
    assert body["name"] == "甲区管委会"
    assert body["target"] == "https://receiver.example/hook?token=abcd…"  # the token is not echoed
    assert body["secret_set"] is True
    assert "secret" not in body and SECRET not in created.text
    assert body["zones"] == ["通知甲区"] and body["min_severity"] == "warning" and body["paused"] is False

    got = await client.get(f"/v1/subscriptions/{subscription_id}", headers=AUTH)
    assert got.status_code == 200
    assert got.json()["deliveries"] == {"pending": 0, "sent": 0, "failed": 0}
    assert SECRET not in got.text

    listed = await client.get("/v1/subscriptions", headers=AUTH)
    assert subscription_id in [item["id"] for item in listed.json()["items"]]
    assert SECRET not in listed.text

    paused = await client.patch(f"/v1/subscriptions/{subscription_id}", json={"paused": True}, headers=AUTH)
    assert paused.status_code == 200 and paused.json()["paused"] is True
    assert paused.json()["zones"] == ["通知甲区"]  # the rest unchanged
    widened = await client.patch(
        f"/v1/subscriptions/{subscription_id}", json={"zones": None, "paused": False}, headers=AUTH
    )
    assert widened.json()["zones"] is None and widened.json()["paused"] is False

    replaced = await client.put(
        f"/v1/subscriptions/{subscription_id}",
        json={"name": "甲区邮件", "channel": "email", "target": "zhang@example.com"},
        headers=AUTH,
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["channel"], replaced.json()["secret_set"], replaced.json()["indicators"]) == (
        "email",
        False,
        None,
    )

    deleted = await client.delete(f"/v1/subscriptions/{subscription_id}", headers=AUTH)
    assert deleted.status_code == 204
    assert (await client.get(f"/v1/subscriptions/{subscription_id}", headers=AUTH)).status_code == 404
    assert (await client.delete(f"/v1/subscriptions/{subscription_id}", headers=AUTH)).status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"target": "not a url"}, "target", "a URL has no spaces (channel webhook)"),
        (
            {"target": "mailto:zhang@example.com"},
            "target",
            "'mailto:zhang@example.com' is not an http(s) URL with a host (channel webhook)",
        ),
        (
            {"rules": ["behind_schedule", "too_hot"]},
            "rules[1]",
            "unknown rule 'too_hot' (known: behind_schedule, negative_growth, sharp_swing, late_report, implausible, stage_overdue)",
        ),
        (
            {"indicators": ["gross_output"]},
            "indicators[0]",
            "unknown indicator 'gross_output' (known: industrial_output, fixed_asset_investment, manufacturing_investment, import_export, export, import, foreign_capital, signed_projects, signed_investment, major_project_investment, gdp, industrial_investment, industrial_value_added, tax_revenue, domestic_capital, enterprises_above_scale, projects_signed, projects_signed_investment, projects_signed_100m, projects_started, projects_in_production, project_start_rate_pct, project_production_rate_pct, project_registration_rate_pct, land_to_start_avg_days)",
        ),
        ({"secret": None}, "secret", "is required for a webhook: messages are signed with it (HMAC-SHA256)"),
        ({"min_severity": "fatal"}, "min_severity", "'fatal' is not one of info, warning, critical"),
    ],
)
async def test_bad_input_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, module_database: str, change: dict, field: str, reason: str
) -> None:
    before = stored_count(module_database)
    response = await client.post("/v1/subscriptions", json={**WEBHOOK, **change}, headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert {"field": field, "reason": reason} in body["errors"]
    assert body["detail"].startswith(f"{field}: {reason}") and body["detail"].endswith("nothing was stored")
    assert stored_count(module_database) == before


async def test_bad_patch_changes_nothing(client: httpx.AsyncClient, module_database: str) -> None:
    subscription_id = (await client.post("/v1/subscriptions", json=WEBHOOK, headers=AUTH)).json()["id"]
    response = await client.patch(
        f"/v1/subscriptions/{subscription_id}", json={"name": "新名字", "target": "ftp://x"}, headers=AUTH
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "target", "reason": "'ftp://x' is not an http(s) URL with a host (channel webhook)"}
    ]
    assert (await client.get(f"/v1/subscriptions/{subscription_id}", headers=AUTH)).json()["name"] == "甲区管委会"
    not_json = await client.post("/v1/subscriptions", content=b"{", headers=AUTH)
    assert not_json.status_code == 422 and not_json.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": ADMIN_KEY}])
async def test_no_admin_key_no_access(client: httpx.AsyncClient, module_database: str, headers: dict) -> None:
    before = stored_count(module_database)
    response = await client.post("/v1/subscriptions", json=WEBHOOK, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "admin key" in response.json()["detail"]
    assert stored_count(module_database) == before
    assert (await client.get("/v1/subscriptions", headers=headers)).status_code == 401
    # The read API needs no key.
    assert (await client.get("/v1/indicators")).status_code == 200


async def test_test_message_and_deliveries_listing(client: httpx.AsyncClient, module_database: str) -> None:
    subscription_id = (
        await client.post("/v1/subscriptions", json={**WEBHOOK, "zones": ["通知戊区"]}, headers=AUTH)
    ).json()["id"]
    queued = await client.post(f"/v1/subscriptions/{subscription_id}/test", headers=AUTH)
    assert queued.status_code == 202
    test_delivery = queued.json()["delivery_id"]
    [alerts_delivery] = await fire_async(
        module_database, [behind("通知戊区"), behind("通知戊区", "fixed_asset_investment", gap="8.1")]
    )

    listed = await client.get(f"/v1/subscriptions/{subscription_id}/deliveries", headers=AUTH)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [item["id"] for item in items] == [alerts_delivery, test_delivery]  # newest first
    assert items[0]["kind"] == "alerts" and items[0]["status"] == "pending" and items[0]["attempts"] == 0
    assert [(e["zone"], e["indicator"], e["period"], e["transition"], e["severity"]) for e in items[0]["events"]] == [
        ("通知戊区", "fixed_asset_investment", "2015-05", "fired", "warning"),
        ("通知戊区", "industrial_output", "2015-05", "fired", "warning"),
    ]
    assert items[1]["kind"] == "test" and items[1]["events"] == []
    pending_only = await client.get(
        f"/v1/subscriptions/{subscription_id}/deliveries?status=pending&limit=1", headers=AUTH
    )
    assert [item["id"] for item in pending_only.json()["items"]] == [alerts_delivery]
    bad = await client.get(f"/v1/subscriptions/{subscription_id}/deliveries?status=lost", headers=AUTH)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    assert (await client.get(f"/v1/subscriptions/{subscription_id}", headers=AUTH)).json()["deliveries"] == {
        "pending": 2,
        "sent": 0,
        "failed": 0,
    }
    assert (await client.post("/v1/subscriptions/not-a-uuid/test", headers=AUTH)).status_code == 404


async def test_disabled_without_an_admin_key(module_database: str) -> None:
    async with query_api(QuerySettings(database_url=module_database, admin_key=None)) as api:
        response = await api.get("/v1/subscriptions", headers=AUTH)
    assert response.status_code == 503
    assert "INDICATORS_ADMIN_KEY is not set" in response.json()["detail"]
