"""Bounded input, never a 500: body size, JSON depth, batch size, and the OpenAPI that declares the bodies.

The ingest app runs in-process (httpx's ASGI transport) against a broker address nothing listens on:
every answer here is a 4xx decided before anything is published, so no broker is needed, and a
request that did get as far as publishing shows as 503.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import jsonschema_rs
import pytest

from indicators_core.catalog import load_catalog
from ingest import metrics
from ingest.config import IngestSettings
from ingest.limits import MAX_JSON_DEPTH, json_depth_exceeds
from ingest.main import create_app
from ingest.publisher import MAX_MESSAGE_BYTES, BatchTooLarge, build_batch, check_message_size
from ingest.validation import validate_observations
from stack.ports import free_port

pytestmark = pytest.mark.anyio
ADMIN_KEY = "limits-admin-key-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
CATALOG = load_catalog()


def ingest(**settings: object) -> httpx.AsyncClient:
    app = create_app(
        IngestSettings(
            kafka_bootstrap=f"127.0.0.1:{free_port()}",
            admin_key=ADMIN_KEY,
            broker_connect_timeout_s=0.5,
            publish_timeout_s=1,
            **settings,
        )
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest", timeout=30)


def row(zone: str = "限额区", month: int = 5) -> dict[str, object]:
    return {
        "zone": zone,
        "indicator": "industrial_output",
        "period": f"2025-{month:02d}",
        "value": 75.02,
        "unit": "亿元",
    }


class CountingBody:
    """A request body sent in chunks, counting how many chunks the server pulled."""

    def __init__(self, chunk: bytes, chunks: int):
        self.chunk = chunk
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield self.chunk


# --- the body size: 413 before the body is read, or as soon as it is known to be too large ---


async def test_a_declared_content_length_over_the_limit_is_413_before_a_byte_is_read():
    body = CountingBody(b" " * 1024 * 1024, 35)  # 35 MB
    async with ingest() as client:
        response = await client.post(
            "/v1/observations", content=body, headers={**AUTH, "Content-Length": str(35 * 1024 * 1024)}
        )
    assert response.status_code == 413
    reason = (
        "the body is 36700160 bytes, larger than the 10485760 bytes accepted (INDICATORS_MAX_BODY_BYTES);"
        " split the batch"
    )
    assert response.json() == {
        "detail": f"{reason}; nothing was published",
        "errors": [{"row": None, "field": "body", "reason": reason}],
    }
    assert body.pulled == 0


async def test_a_chunked_body_is_counted_as_it_arrives_and_refused_once_over_the_limit():
    body = CountingBody(b" " * 1000, 100)  # 100 kB against a limit of 10 kB
    async with ingest(max_body_bytes=10_000) as client:
        response = await client.post("/v1/observations", content=body, headers=AUTH)
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "the body is larger than the 10000 bytes accepted (INDICATORS_MAX_BODY_BYTES); split the batch;"
        " nothing was published"
    )
    assert body.pulled == 11  # the 11th chunk crossed the limit; the other 89 were never read


async def test_a_body_at_the_limit_is_read_and_validated():
    payload = json.dumps({"observations": [row(zone="")]}).encode()
    async with ingest(max_body_bytes=len(payload)) as client:
        response = await client.post("/v1/observations", content=payload, headers=AUTH)
        assert response.status_code == 422
        assert response.json()["errors"] == [{"row": 0, "field": "zone", "reason": "must be a non-empty string"}]
        too_long = await client.put("/v1/targets", content=payload + b" ", headers=AUTH)
        assert too_long.status_code == 413


async def test_without_a_key_a_large_body_is_refused_unread():
    body = CountingBody(b" " * 1024 * 1024, 35)
    async with ingest() as client:
        response = await client.post("/v1/observations", content=body)
    assert response.status_code == 401
    assert body.pulled == 0


# --- JSON depth and characters: a clear 422, never a RecursionError or an encoding 500 ---


def test_depth_is_counted_on_brackets_outside_strings():
    assert not json_depth_exceeds(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert json_depth_exceeds(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    assert json_depth_exceeds(b'{"a":' * (MAX_JSON_DEPTH + 1))
    # Brackets in strings, escaped quotes and escaped backslashes do not fool the count.
    assert not json_depth_exceeds(json.dumps({"zone": "[" * 1000, "unit": '\\"' + "{" * 100}).encode())
    assert json_depth_exceeds(json.dumps(["\\"]).encode()[:-1] + b"," + b"[" * 40)


async def test_100000_nested_brackets_are_a_422_naming_the_body():
    async with ingest() as client:
        response = await client.post("/v1/observations", content=b"[" * 100_000, headers=AUTH)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "body: arrays and objects are nested deeper than 32 levels; nothing was published",
        "errors": [{"row": None, "field": "body", "reason": "arrays and objects are nested deeper than 32 levels"}],
    }


async def test_a_lone_surrogate_in_a_zone_or_a_field_name_is_a_422_and_metrics_still_render():
    body = (
        b'{"observations": [{"zone": "\\ud800", "indicator": "export", "period": "2025-01", "value": 1,'
        b' "unit": "\xe4\xba\xbf\xe5\x85\x83", "\\udfff": 1}]}'
    )
    async with ingest() as client:
        before = metrics.ROWS_REJECTED.labels("observation", metrics.UNKNOWN_FIELD)._value.get()
        response = await client.post("/v1/observations", content=body, headers=AUTH)
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "row": 0,
                "field": "\\udfff",
                "reason": "unknown field '\\udfff' (allowed: basis, explanation, indicator, period, reported_yoy_pct, unit, value, yoy_base, zone)",
            },
            {
                "row": 0,
                "field": "zone",
                "reason": "contains U+D800, a lone surrogate (half of a UTF-16 pair, not a character)",
            },
        ]
        assert metrics.ROWS_REJECTED.labels("observation", metrics.UNKNOWN_FIELD)._value.get() == before + 1
        exported = await client.get("/metrics")
    assert exported.status_code == 200
    assert "udfff" not in exported.text


async def test_1e40_wan_yuan_and_1e100000000_are_422s():
    rows = [{**row(month=1), "value": "1e40", "unit": "万元"}, {**row(month=2), "value": "1e100000000"}]
    async with ingest() as client:
        response = await client.post("/v1/observations", json={"observations": rows}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "row": 0,
            "field": "value",
            "reason": "1E+40 万元 (1E+36 亿元) is too large: figures must be below 1E+15 亿元",
        },
        {"row": 1, "field": "value", "reason": "1E+100000000 亿元 is too large: figures must be below 1E+15 亿元"},
    ]


# --- a batch larger than one message: 413 saying how many rows to send, not "503 send it again" ---


def long_zone_rows(count: int) -> list[dict[str, object]]:
    # 100-character zones of 4-byte characters: the largest rows validation lets through.
    return [row(zone=f"{index:06d}" + "\U0002000b" * 94, month=1) for index in range(count)]


async def test_a_batch_too_large_for_one_message_is_413_with_the_rows_that_fit():
    rows = long_zone_rows(10_000)
    async with ingest(max_batch_rows=10_000) as client:
        response = await client.post("/v1/observations", json={"observations": rows}, headers=AUTH)
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert detail.startswith("the batch is ") and detail.endswith(" rows per request; nothing was published")
    size = int(detail.removeprefix("the batch is ").split(" ")[0])
    fit = int(detail.split("send at most ")[1].split(" ")[0])
    assert detail == (
        f"the batch is {size} bytes as one message, more than the {MAX_MESSAGE_BYTES} a message may be;"
        f" send at most {fit} rows per request; nothing was published"
    )
    assert size > MAX_MESSAGE_BYTES and 5000 < fit < 10_000
    # The advice holds: that many of the same rows do fit in one message.
    accepted = validate_observations({"observations": rows[:fit]}, CATALOG, datetime.now(UTC).date(), 10_000)
    check_message_size(build_batch(accepted, "admin", datetime.now(UTC)))
    with pytest.raises(BatchTooLarge):
        accepted = validate_observations({"observations": rows}, CATALOG, datetime.now(UTC).date(), 10_000)
        check_message_size(build_batch(accepted, "admin", datetime.now(UTC)))


def test_the_largest_batch_of_the_default_limits_fits_in_one_message():
    rows = validate_observations(
        {"observations": long_zone_rows(5000)},
        CATALOG,
        datetime.now(UTC).date(),
        IngestSettings.model_fields["max_batch_rows"].default,
    )
    value = check_message_size(build_batch(rows, "a-source-name-of-forty-characters-000000", datetime.now(UTC)))
    assert len(value) < MAX_MESSAGE_BYTES * 3 // 4


# --- OpenAPI declares the bodies; validation keeps its own error shape ---


async def test_openapi_declares_both_bodies_and_the_refusals():
    async with ingest() as client:
        spec = (await client.get("/openapi.json")).json()
    observations = spec["paths"]["/v1/observations"]["post"]
    body = observations["requestBody"]["content"]["application/json"]
    schema = body["schema"]
    row_schema = schema["properties"]["observations"]["items"]
    assert schema["required"] == ["observations"] and schema["additionalProperties"] is False
    assert set(row_schema["properties"]) == {
        "zone",
        "indicator",
        "period",
        "value",
        "unit",
        "basis",
        "yoy_base",
        "explanation",
        "reported_yoy_pct",
    }
    # value and unit may be left out of a growth-only row (reported_yoy_pct); validation says which is missing.
    assert set(row_schema["required"]) == {"zone", "indicator", "period"}
    assert row_schema["properties"]["indicator"]["enum"] == list(CATALOG.codes())
    unit_choices = row_schema["properties"]["unit"]["anyOf"]
    assert {"type": "null"} in unit_choices and "万元" in unit_choices[0]["enum"]
    assert row_schema["properties"]["zone"]["maxLength"] == 100
    assert "A JSON number, or a string of plain ASCII" in row_schema["properties"]["value"]["description"]
    targets = spec["paths"]["/v1/targets"]["put"]["requestBody"]["content"]["application/json"]
    assert set(targets["schema"]["properties"]["targets"]["items"]["properties"]) == {
        "zone",
        "indicator",
        "year",
        "value",
        "unit",
        "kind",
    }
    for operation in (observations, spec["paths"]["/v1/targets"]["put"]):
        # 200: a dry run's verdict; 415: neither JSON nor a spreadsheet.
        assert set(operation["responses"]) == {"200", "202", "401", "403", "413", "415", "422", "503"}
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Refusal"
        }
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert set(spec["components"]["schemas"]["Problem"]["properties"]) == {"row", "field", "reason"}

    # The schema says what validation says: the examples pass both; loose numbers fail both.
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid(body["example"])
    for loose in ("1,5", "1_000", "١٢", "NaN", "0x10"):
        assert not validator.is_valid({"observations": [{**row(), "value": loose}]})
    assert jsonschema_rs.validator_for(targets["schema"]).is_valid(targets["example"])


async def test_the_documented_examples_pass_validation_and_reach_the_broker():
    async with ingest() as client:
        spec = (await client.get("/openapi.json")).json()
        for path, method in (("/v1/observations", "post"), ("/v1/targets", "put")):
            example = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["example"]
            response = await client.request(method, path, json=example, headers=AUTH)
            # Past validation: only the unreachable broker refuses it.
            assert response.status_code == 503, response.text
            assert "the batch was not accepted, send it again" in response.json()["detail"]
