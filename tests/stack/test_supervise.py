"""`make run`'s supervisor, as an operator meets it: SIGKILL the processor (twice), Kafka and PostgreSQL;
the console says each was restarted and is ready again, and the stack serves a new report end to end.
Ctrl-C during a back-off wait still stops everything, leaving no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.stack.make_run import stack_env, start_stack
from tests.support import wait_for

pytestmark = pytest.mark.integration

SUPERVISED = {"postgres", "kafka", "ingest", "processor", "query", "alerts", "notifier", "stack"}


def pid_files(data: Path) -> dict[str, int]:
    return {path.stem: int(path.read_text()) for path in (data / "pids").glob("*.pid")}


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped) is not running either.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def test_killed_processes_are_restarted_and_the_stack_serves_again(tmp_path: Path):
    data = tmp_path / "data"
    env = stack_env(data)
    env |= {"INDICATORS_ADMIN_KEY": "stack-admin-key-0123456789", "INDICATORS_TAKE_WITHIN_S": "0.05"}
    console = tmp_path / "console.log"
    stack = start_stack(env, console)
    printed = lambda: console.read_text(encoding="utf-8")  # noqa: E731
    seen: set[int] = set()

    def kill(name: str) -> int:
        pid = pid_files(data)[name]
        seen.add(pid)
        os.kill(pid, signal.SIGKILL)
        return pid

    def await_line(line: str, timeout: float = 90) -> None:
        wait_for(lambda: line in printed() or stack.poll() is not None, timeout, repr(line), lambda: printed()[-3000:])
        assert line in printed(), printed()

    def back(name: str, restart: int, old_pid: int) -> None:
        await_line(f"[stack] {name} is ready again (restart {restart}, pid ")
        new_pid = pid_files(data)[name]
        assert new_pid != old_pid
        assert f"[stack] {name} is ready again (restart {restart}, pid {new_pid}; down " in printed()
        seen.add(new_pid)

    try:
        await_line("supervised (a crashed one is restarted): ", 300)
        pids = pid_files(data)
        assert set(pids) == SUPERVISED
        assert pids["stack"] == stack.pid
        assert f"postgres {pids['postgres']}, kafka {pids['kafka']}, ingest {pids['ingest']}" in printed()
        seen.update(pids.values())

        old = kill("processor")
        await_line(
            f"[stack] processor exited with code -9 (SIGKILL); restarting in 1 s (restart 1); "
            f"its log: {data / 'logs' / 'processor.log'}"
        )
        back("processor", 1, old)
        # A second crash soon after: the wait doubles.
        old = kill("processor")
        await_line("[stack] processor exited with code -9 (SIGKILL); restarting in 2 s (restart 2)")
        back("processor", 2, old)

        old = kill("kafka")
        await_line(
            f"[stack] kafka exited with code -9 (SIGKILL); restarting in 1 s (restart 1); "
            f"its log: {data / 'kafka' / 'broker.log'}"
        )
        back("kafka", 1, old)

        old = kill("postgres")
        await_line(
            f"[stack] postgres exited with code -9 (SIGKILL); restarting in 1 s (restart 1); "
            f"its log: {data / 'postgres' / 'postgres.log'}"
        )
        back("postgres", 1, old)

        # The same ports and data dirs: a new report goes through ingest, Kafka, the processor and PostgreSQL.
        ingest = f"http://127.0.0.1:{env['INDICATORS_INGEST_PORT']}"
        query = f"http://127.0.0.1:{env['INDICATORS_QUERY_PORT']}"
        rows = {
            "observations": [
                {
                    "zone": "重启园区",
                    "indicator": "industrial_output",
                    "period": "2025-05",
                    "value": "69.33",
                    "unit": "亿元",
                },
                {
                    "zone": "重启园区",
                    "indicator": "industrial_output",
                    "period": "2026-05",
                    "value": "75.02",
                    "unit": "亿元",
                },
            ]
        }
        headers = {"Authorization": f"Bearer {env['INDICATORS_ADMIN_KEY']}"}
        posted = wait_for(
            lambda: (
                (r := httpx.post(f"{ingest}/v1/observations", json=rows, headers=headers, timeout=30)).status_code
                == 202
                and r
            ),
            90,
            "ingest to accept a report again",
        )
        assert posted.json()["accepted"] == 2

        def progress() -> list[tuple]:
            try:
                answer = httpx.get(
                    f"{query}/v1/progress", params={"year": 2026, "month": 5, "zone": "重启园区"}, timeout=10
                )
            except httpx.HTTPError:
                return []
            if answer.status_code != 200:
                return []
            return [
                (i["zone"], i["indicator"], i["ytd_value"], i["ytd_last_year"], i["yoy_pct"])
                for i in answer.json()["items"]
            ]

        rows_seen = wait_for(progress, 90, "the report in /v1/progress", progress)
        assert rows_seen == [("重启园区", "industrial_output", 75.02, 69.33, 8.2)]

        # Ctrl-C in the middle of a back-off wait: nothing is restarted, everything stops.
        old = kill("processor")
        await_line("[stack] processor exited with code -9 (SIGKILL); restarting in 4 s (restart 3)")
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            raise
    assert stack.returncode == 0, printed()
    assert "[stack] stopped; data kept in" in printed()
    assert "processor is ready again (restart 3" not in printed()
    assert [pid for pid in seen if running(pid)] == []
    assert pid_files(data) == {}
