"""The chaos tests' own stack: a broker, a PostgreSQL cluster and the five services that nobody else uses,
so that killing them hurts no other test. Started once for the chaos module, on free loopback ports."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from stack.kafka import KafkaBroker, default_jars_dir
from stack.postgres import PostgresServer
from tests.chaos.crashes import ChaosStack
from tests.support import ARTIFACTS, pipeline_env, running_pipeline


@pytest.fixture(scope="module")
def chaos_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosStack]:
    broker = KafkaBroker(tmp_path_factory.mktemp("chaos-kafka"), jars_dir=default_jars_dir())
    postgres = PostgresServer(tmp_path_factory.mktemp("chaos-postgres"))
    broker.start()
    try:
        postgres.start()
        try:
            env = pipeline_env(
                broker.bootstrap,
                postgres.create_database("indicators_chaos"),
                "chaos-admin-key-0123456789",
                tmp_path_factory.mktemp,
                "chaos",
                # A batch the dead broker cannot take is a 503 within seconds, not 15 s (the default).
                PUBLISH_TIMEOUT_S="5",
                BROKER_CONNECT_TIMEOUT_S="2",
                # The workers try the database again at most 2 s apart (default 30 s): the measured recovery
                # is the pipeline's, not the back-off's ceiling.
                DB_RETRY_MAX_WAIT_S="2",
                ALERTS_DB_RETRY_MAX_WAIT_S="2",
            )
            with running_pipeline(env, ARTIFACTS / "logs-chaos", with_alerts=True) as pipeline:
                yield ChaosStack(broker, postgres, pipeline)
        finally:
            postgres.stop()
    finally:
        broker.stop()


@pytest.fixture
def chaos(chaos_stack: ChaosStack) -> Iterator[ChaosStack]:
    """The stack, every part running and ready at the start of a case. A case that failed may leave a part
    dead: started again here, so that the next case is judged on its own."""
    stack = chaos_stack
    if stack.broker.process is None or stack.broker.process.poll() is not None:
        stack.broker.start()
    if stack.postgres.process is None or stack.postgres.process.poll() is not None:
        stack.postgres.start()
    for name in stack.dead_services():
        stack.pipeline.services[name].start()
    deadline = time.monotonic() + 120
    for service in stack.pipeline.services.values():
        service.wait_ready(max(1.0, deadline - time.monotonic()))
    yield stack
    if stack.second_processor is not None:  # a two-worker case that failed before its kill
        stack.second_processor.stop()
        stack.second_processor = None
