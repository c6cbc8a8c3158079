"""What the chaos cases do to their own stack: kill a component as a crash would, start it again, wait for it."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient

from stack.kafka import KafkaBroker
from stack.ports import free_port
from stack.postgres import PostgresServer
from stack.run import ServiceProcess
from tests.metrics import metric
from tests.support import Pipeline, stable_members, wait_for

# The service a case kills, by the name running_pipeline gives it.
SERVICE_OF = {"processor": "processor", "evaluator": "alerts"}
# The case of two processor workers in one consumer group: one is SIGKILLed mid-burst and stays dead; the other
# must take its partitions over, replay what the dead one had not acknowledged, and double-count nothing.
ONE_OF_TWO_PROCESSORS = "processor2"
PROCESSOR_GROUP = "indicators-processor"


@dataclass
class ChaosStack:
    broker: KafkaBroker
    postgres: PostgresServer
    pipeline: Pipeline
    second_processor: ServiceProcess | None = None

    def prepare(self, component: str) -> None:
        """Before the burst: for the two-worker case, a second processor joins the first one's group, and both
        hold partitions (the group is stable with two members)."""
        if component != ONE_OF_TWO_PROCESSORS:
            return
        first = self.pipeline.services["processor"]
        port = free_port()
        env = {
            **first.env,
            "INDICATORS_PROCESSOR_WEB_PORT": str(port),
            "INDICATORS_PROCESSOR_DATA_DIR": first.env["INDICATORS_PROCESSOR_DATA_DIR"] + "-second",
        }
        self.second_processor = ServiceProcess(
            "processor-second",
            first.argv,
            env,
            f"http://127.0.0.1:{port}/readyz",
            first.log_path.with_name("processor-second.log"),
        )
        self.second_processor.start()
        self.second_processor.wait_ready(120)
        self.wait_members(2)
        first.wait_ready(60)

    def wait_members(self, count: int) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self.pipeline.kafka_bootstrap)
        try:
            wait_for(
                lambda: stable_members(admin, PROCESSOR_GROUP) == count,
                90,
                f"the processors' group stable with {count} member(s)",
            )
        finally:
            admin.close()

    def crash(self, component: str) -> None:
        """Kill `component` as a crash would: SIGKILL, no clean shutdown, its data kept."""
        if component == ONE_OF_TWO_PROCESSORS:
            second = self.second_processor
            assert second is not None
            # Killed while it works: it has stored batches of the burst, and holds partitions of the rest.
            wait_for(
                lambda: metric(second.ready_url.removesuffix("/readyz"), "indicators_processor_batches_total") > 0,
                30,
                "the second processor storing batches of the burst",
            )
            second.stop(signal.SIGKILL)
        elif component == "broker":
            self.broker.kill()
        elif component == "postgres":
            crash_postgres(self.postgres)
        else:
            self.pipeline.services[SERVICE_OF[component]].stop(signal.SIGKILL)

    def launch(self, component: str) -> None:
        """Start it again on the same port and data (returns at once; `wait_ready` waits). One of two processors
        is not started again: the other is to take its work over."""
        if component == ONE_OF_TWO_PROCESSORS:
            return
        if component == "broker":
            self.broker.launch()
        elif component == "postgres":
            self.postgres.launch()
        else:
            self.pipeline.services[SERVICE_OF[component]].start()

    def wait_ready(self, component: str) -> None:
        if component == ONE_OF_TWO_PROCESSORS:
            # The survivor alone in the group: the dead member's session expired and its partitions moved.
            self.wait_members(1)
            self.pipeline.services["processor"].wait_ready(60)
        elif component == "broker":
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
