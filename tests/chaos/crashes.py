"""What the chaos cases do to their own stack: kill a component as a crash would, start it again, wait for it."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from stack.kafka import KafkaBroker
from stack.postgres import PostgresServer
from tests.support import Pipeline, wait_for

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
