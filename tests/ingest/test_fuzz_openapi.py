"""Ingest fuzzed from its own OpenAPI (schemathesis, in-process): never a 500, every answer as documented.

Bounded: 60 generated bodies per operation and mode (valid by the schema, and not), with a writer's key,
against a broker address nothing listens on. A body validation accepts gets as far as publishing and is
a 503 (documented); everything else is a 4xx in the documented shape.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ingest.config import IngestSettings
from ingest.main import create_app
from stack.ports import free_port

ADMIN_KEY = "fuzz-admin-key-0123456789"
APP = create_app(
    IngestSettings(
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        admin_key=ADMIN_KEY,
        broker_connect_timeout_s=0.2,
        publish_timeout_s=0.5,
    )
)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
WRITES = [result.ok() for result in SCHEMA.get_all_operations() if result.ok().method.upper() in {"POST", "PUT"}]


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("operation", WRITES, ids=lambda operation: operation.label)
def test_fuzzed_bodies_get_documented_4xx_answers_never_a_server_error(operation, mode):
    statuses: set[int] = set()

    @given(case=operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode)))
    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {ADMIN_KEY}"}
        response = case.call()
        statuses.add(response.status_code)
        assert response.status_code < 500 or response.status_code == 503, response.text
        case.validate_response(
            response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance]
        )

    fuzz()
    # 200: a dry run's verdict (?dry_run=true); 415: a body neither JSON nor a sheet.
    assert statuses <= {200, 202, 413, 415, 422, 503}
    assert 422 in statuses  # the fuzzer reached validation (a broken harness would see only 401s)
