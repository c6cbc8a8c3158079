"""The chaos tests' own stack: a broker, a PostgreSQL cluster and the five services that nobody else uses,
so that killing them hurts no other test. Started once for the chaos module, on free loopback ports."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stack.kafka import KafkaBroker, default_jars_dir
from stack.postgres import PostgresServer
from tests.conftest import ARTIFACTS
from tests.support import Pipeline, pipeline_env, running_pipeline, wait_for

# The service a case kills, by the name running_pipeline gives it.
SERVICE_OF = {"processor": "processor", "evaluator": "alerts"}


@dataclass
class ChaosStack:
    broker: KafkaBroker
    postgres: PostgresServer
    pipeline: Pipeline

    def crash(self, component: str) -> None:
        """Kill `component` as a crash would: SIGKILL, no clean shutdown, its data kept."""
        if component == "broker":
            self.broker.kill()
        elif component == "postgres":
            crash_postgres(self.postgres)
        else:
            self.pipeline.services[SERVICE_OF[component]].stop(signal.SIGKILL)

    def launch(self, component: str) -> None:
        """Start it again on the same port and data (returns at once; `wait_ready` waits)."""
        if component == "broker":
            self.broker.launch()
        elif component == "postgres":
            self.postgres.launch()
        else:
            self.pipeline.services[SERVICE_OF[component]].start()

    def wait_ready(self, component: str) -> None:
        if component == "broker":
            self.broker.wait_ready(90)
        elif component == "postgres":
            self.postgres.wait_ready(60)
        else:
            self.pipeline.services[SERVICE_OF[component]].wait_ready(120)

    def dead_services(self) -> list[str]:
        return [
            name
            for name, service in self.pipeline.services.items()
            if service.process is None or service.process.poll() is not None
        ]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after the last ')'.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def crash_postgres(server: PostgresServer) -> None:
    """SIGKILL the postmaster and every backend of it at once, as a power cut would (not a shutdown: the
    next start replays the WAL). Stopped first, so that it forks no backend between the listing and the kill;
    the backends, each in a session of its own, are found as its children."""
    assert server.process is not None and server.process.poll() is None
    postmaster = server.process.pid
    os.kill(postmaster, signal.SIGSTOP)
    backends = _children(postmaster)
    os.kill(postmaster, signal.SIGKILL)
    for pid in backends:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.process.wait(timeout=10)
    server.started = False
    # Its shared memory is free only once every backend is gone; a start before would be refused.
    wait_for(lambda: not any(_alive(pid) for pid in backends), 10, "the killed backends to be gone")


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
