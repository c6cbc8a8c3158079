"""`make run` (python -m stack run) started as a person starts it, but with a data folder and ports of its own
(the session's services keep theirs), its console written to a file the test reads."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from stack.ports import free_port

# Every port the stack listens on, by its setting (and what listens there).
PORTS = {
    "INDICATORS_INGEST_PORT": "ingest",
    "INDICATORS_QUERY_PORT": "query",
    "INDICATORS_PROCESSOR_WEB_PORT": "processor",
    "INDICATORS_NOTIFIER_PORT": "notifier",
    "INDICATORS_ALERTS_WEB_PORT": "alerts",
    "INDICATORS_INBOX_PORT": "inbox",
    "INDICATORS_KAFKA_PORT": "kafka",
    "INDICATORS_KAFKA_CONTROLLER_PORT": "kafka controller",
    "INDICATORS_POSTGRES_PORT": "postgres",
}


def stack_env(data: Path) -> dict[str, str]:
    """This environment, the stack's data kept under `data`, every port in PORTS a free one."""
    env = {**os.environ, "INDICATORS_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}
    return env | {name: str(free_port()) for name in PORTS}


def start_stack(env: Mapping[str, str], console: Path) -> subprocess.Popen[bytes]:
    """`make run` in a session of its own (a signal to its group reaches every process it started)."""
    with console.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "stack", "run"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
