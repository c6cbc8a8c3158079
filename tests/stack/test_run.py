"""`make run` then `make sample`, as a person does it: the console shows the board's address and the
alerts the sample's lagging zones cause, as the stack's own inbox subscriber receives them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from stack.sample import ZONES
from tests.stack.make_run import stack_env, start_stack
from tests.support import wait_for

pytestmark = pytest.mark.integration


def test_make_run_then_make_sample_prints_the_delivered_alerts(tmp_path: Path):
    env = stack_env(tmp_path / "data")
    env.pop("INDICATORS_ADMIN_KEY", None)
    console = tmp_path / "console.log"
    stack = start_stack(env, console)
    try:
        printed = lambda: console.read_text(encoding="utf-8")  # noqa: E731
        wait_for(
            lambda: "alert inbox: http" in printed() or stack.poll() is not None, 300, "the stack to start", printed
        )
        assert stack.poll() is None, printed()
        query = f"http://127.0.0.1:{env['INDICATORS_QUERY_PORT']}"
        assert f"board (半年红): {query}/board" in printed()

        sample = subprocess.run(
            [sys.executable, "-m", "stack.sample"],
            # The sample as of a fixed day (1-6月 released): lagging zones whatever month the suite runs in.
            env={
                **env,
                "INDICATORS_INGEST_URL": f"http://127.0.0.1:{env['INDICATORS_INGEST_PORT']}",
                "INDICATORS_SAMPLE_TODAY": "2026-07-20",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert sample.returncode == 0, sample.stderr
        assert f"for {len(ZONES)} zones" in sample.stdout

        # A digest arrives at the inbox, signed, and its alerts are printed in words with the figures.
        wait_for(lambda: "落后序时进度" in printed(), 300, "a delivered behind-schedule alert in the console", printed)
        inbox = [line for line in printed().splitlines() if line.startswith("[inbox] ")]
        assert re.fullmatch(r"\[inbox\] 投递#\d+（签名有效）：.+", inbox[0]), inbox[:3]
        behind = [line for line in inbox if "落后序时进度" in line]
        assert any(zone in line for zone in ZONES for line in behind)
        assert re.search(r"完成率\d+\.\d%，落后序时进度\d+\.\d个百分点", behind[0])
        assert not [line for line in inbox if "refused" in line]

        # The stack's subscription is a normal one, visible in the API like any other.
        key = (tmp_path / "data" / "admin-key").read_text().strip()
        listed = httpx.get(f"{query}/v1/subscriptions", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
        inbox_url = f"http://127.0.0.1:{env['INDICATORS_INBOX_PORT']}/alerts"
        assert [(s["name"], s["channel"], s["target"]) for s in listed["items"]] == [
            ("本机预警收件箱", "webhook", inbox_url)
        ]
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            raise
    assert stack.returncode == 0, printed()
    assert "[stack] stopped; data kept in" in printed()
