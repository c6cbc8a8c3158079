"""Session fixtures: a real PostgreSQL and a real Kafka, started by the project's own code on free ports;
the running pipeline; databases of a test's (or a module's) own; the async backend.

They start only when a test asks for them, so `make test-unit` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stack.kafka import KafkaBroker, default_jars_dir
from stack.ports import free_port
from stack.postgres import PostgresServer
from tests.support import ARTIFACTS, Pipeline, fresh_database, ingest_process, pipeline_env, running_pipeline


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests and fixtures run on asyncio, as the services do (anyio would also try trio).

    Session scope, so that fixtures of any scope may be async."""
    return "asyncio"


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


def _module_name(request: pytest.FixtureRequest) -> str:
    """The test module's name, for the database's: a person listing the cluster's databases sees whose it is."""
    return request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")


@pytest.fixture
def database(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A migrated database of this test's own: what it reads back (deliveries, alerts) is only what it wrote."""
    return fresh_database(postgres_server, _module_name(request))


@pytest.fixture(scope="module")
def module_database(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A migrated database shared by one module's tests (and its module-scoped app clients), no other module's."""
    return fresh_database(postgres_server, _module_name(request))


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
