"""Session fixtures: a real PostgreSQL and a real Kafka, started by the project's own code on free ports.

They start only when a test asks for them, so `make test-unit` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.kafka import KafkaBroker, default_jars_dir
from stack.ports import free_port
from stack.postgres import PostgresServer
from tests.support import Pipeline, ingest_process, pipeline_env, running_pipeline

ARTIFACTS = Path(os.environ.get("INDICATORS_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    server = PostgresServer(tmp_path_factory.mktemp("postgres"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"), jars_dir=default_jars_dir())
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def database_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database("indicators_test")


@pytest.fixture(scope="session")
def pipeline(
    kafka_broker: KafkaBroker, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    """Ingest, processor and query as real processes on free ports, against the session's Kafka and PostgreSQL."""
    database = postgres_server.create_database("indicators_pipeline")
    admin_key = "test-admin-key-0123456789"
    env = pipeline_env(kafka_broker.bootstrap, database, admin_key, tmp_path_factory.mktemp, "session")
    with running_pipeline(env, ARTIFACTS / "logs", with_alerts=True) as pipeline:
        yield pipeline


@pytest.fixture(scope="session")
def unreachable_ingest_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An ingest service whose broker address has nothing listening."""
    env = {
        "INDICATORS_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "INDICATORS_ADMIN_KEY": "test-admin-key-0123456789",
        "INDICATORS_BROKER_CONNECT_TIMEOUT_S": "2",
    }
    with ingest_process(env, ARTIFACTS / "logs-unreachable", ready="/healthz") as url:
        yield url
