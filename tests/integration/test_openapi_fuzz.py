"""Schemathesis against both services' OpenAPI, on a real stack of their own: never a 500, shapes as documented.

The fuzzer posts whatever the schemas allow and much they do not, so it runs on a pipeline of its
own (ingest, processor and query as processes, on the session's broker under topics of their own
and a database of their own): its rows never reach the figures the other tests check, and every
row ingest accepts goes all the way through the processor. Bounded by examples per operation and
by time; the seed is fixed so that a failure is reproduced by running the test again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stack.kafka import KafkaBroker
from stack.postgres import PostgresServer
from tests.support import Pipeline, running_pipeline, wait_for

pytestmark = pytest.mark.integration

ADMIN_KEY = "fuzz-admin-key-0123456789abcdef"
EXAMPLES_PER_OPERATION = 100
SEED = 20261202


@pytest.fixture(scope="module")
def fuzz_pipeline(
    kafka_broker: KafkaBroker, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    env = {
        "INDICATORS_KAFKA_BOOTSTRAP": kafka_broker.bootstrap,
        "INDICATORS_DATABASE_URL": postgres_server.create_database("indicators_fuzz"),
        "INDICATORS_ADMIN_KEY": ADMIN_KEY,
        "INDICATORS_TOPIC_BATCHES": "fuzz.batches",
        "INDICATORS_TOPIC_REPORTS": "fuzz.reports",
        "INDICATORS_TOPIC_RESULTS": "fuzz.results",
        "INDICATORS_TOPIC_ALERTS": "fuzz.alerts",
        "INDICATORS_PROCESSOR_APP_ID": "indicators-processor-fuzz",
        "INDICATORS_PROCESSOR_DATA_DIR": str(tmp_path_factory.mktemp("faust-fuzz")),
        "INDICATORS_TAKE_WITHIN_S": "0.05",
    }
    with running_pipeline(env, tmp_path_factory.mktemp("fuzz-logs")) as pipeline:
        yield pipeline


def schemathesis(service_url: str, report_dir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{service_url}/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        # No --max-time: that is a budget fuzzing repeats until spent; the examples bound the run instead.
        "--phases",
        "examples,coverage,fuzzing",
        "--request-timeout",
        "30",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--header",
        f"Authorization: Bearer {ADMIN_KEY}",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=report_dir,  # its .schemathesis cache stays in the test's folder
        check=False,
    )


@pytest.mark.parametrize("service", ["ingest", "query"])
def test_no_request_the_schema_allows_or_forbids_makes_a_server_error(
    fuzz_pipeline: Pipeline, service: str, tmp_path: Path
):
    url = fuzz_pipeline.ingest_url if service == "ingest" else fuzz_pipeline.query_url
    run = schemathesis(url, tmp_path)
    (tmp_path / "schemathesis.out").write_text(run.stdout)
    failures = run.stdout.find("FAILURES")
    summary = run.stdout[failures - 40 :] if failures >= 0 else run.stdout[-6000:]
    assert run.returncode == 0, f"schemathesis found failures against {service}:\n{summary}\n{run.stderr[-2000:]}"
    assert "No issues found" in run.stdout or "passed" in run.stdout, summary
    # The stack is still whole afterwards: every service answers.
    for ready in (fuzz_pipeline.ingest_url, fuzz_pipeline.query_url, fuzz_pipeline.processor_url):
        wait_for(lambda r=ready: httpx.get(f"{r}/readyz", timeout=10).status_code == 200, 60, f"{ready} ready")
