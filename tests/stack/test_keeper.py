"""The supervisor's keeper on a real crashing child process: what the console says, how long it waits,
and that halting in the middle of a wait starts nothing more."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

from stack.supervise import Keeper, exit_words, printable, process_child, restart_delay
from tests.support import wait_for


def test_crashes_in_a_row_wait_1_2_4_and_then_at_most_30_seconds():
    assert [restart_delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert restart_delay(10_000) == 30


def test_the_console_names_the_signal_that_ended_a_process():
    assert exit_words(-9) == "exited with code -9 (SIGKILL)"
    assert exit_words(-15) == "exited with code -15 (SIGTERM)"
    assert exit_words(3) == "exited with code 3"


def test_terminal_control_sequences_in_a_log_do_not_reach_the_console():
    assert printable("\x1b[?25l[2026-06-01] OK \x1b[32m^\x1b[0m\r") == "[2026-06-01] OK ^"


class CrashingWorker:
    """A real process that logs a line and exits with code 3 after a moment, every time it is started."""

    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.launches = 0
        self.refuse_next = False

    def launch(self) -> None:
        if self.refuse_next:
            self.refuse_next = False
            raise RuntimeError("127.0.0.1:8002 is already in use")
        self.launches += 1
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    f"import sys, time; print('\\x1b[?25lrun {self.launches} failing'); time.sleep(0.5); sys.exit(3)",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError("exited before it was ready")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def test_a_crashing_child_is_restarted_with_growing_waits_until_halted(tmp_path: Path):
    worker = CrashingWorker(tmp_path / "worker.log")
    worker.launch()
    lines: list[str] = []
    said = threading.Lock()

    def say(line: str) -> None:
        with said:
            lines.append(line)

    child = process_child("worker", worker, worker.launch, worker.wait_ready, worker.stop, worker.log_path)
    keeper = Keeper(child, ready_timeout_s=10, pid_dir=tmp_path / "pids", say=say)
    keeper.start()
    assert (tmp_path / "pids" / "worker.pid").read_text() == f"{worker.process.pid}\n"
    log = worker.log_path
    wait_for(lambda: any("restart 3" in line for line in lines), 20, "the third crash", lambda: lines)
    keeper.halt()
    keeper.join(5)
    assert not keeper.thread.is_alive()
    ready = [
        re.fullmatch(r"worker is ready again \(restart (\d), pid \d+; down \d+\.\d s\)", line)
        for line in lines
        if "ready again" in line
    ]
    assert [match and match[1] for match in ready] == ["1", "2"]
    assert [line for line in lines if "restarting" in line] == [
        f"worker exited with code 3; restarting in 1 s (restart 1); its log: {log}",
        f"worker exited with code 3; restarting in 2 s (restart 2); its log: {log}",
        f"worker exited with code 3; restarting in 4 s (restart 3); its log: {log}",
    ]
    # Each crash is followed by the end of its log, without the terminal codes.
    assert "  worker| run 1 failing" in lines
    assert "  worker| run 3 failing" in lines
    # Halted during the 4 s wait: not started a fourth time, and its pid file is gone.
    assert worker.launches == 3
    assert not (tmp_path / "pids" / "worker.pid").exists()


def test_a_restart_that_fails_is_said_and_tried_again_after_a_longer_wait(tmp_path: Path):
    worker = CrashingWorker(tmp_path / "worker.log")
    worker.launch()
    worker.refuse_next = True
    lines: list[str] = []
    child = process_child("worker", worker, worker.launch, worker.wait_ready, worker.stop, worker.log_path)
    keeper = Keeper(child, ready_timeout_s=10, pid_dir=tmp_path / "pids", say=lines.append)
    keeper.start()
    wait_for(lambda: any("ready again (restart 2" in line for line in lines), 20, "the second restart", lambda: lines)
    keeper.halt()
    keeper.join(5)
    log = worker.log_path
    assert [line for line in lines if "restarting" in line][:2] == [
        f"worker exited with code 3; restarting in 1 s (restart 1); its log: {log}",
        f"worker did not come back: 127.0.0.1:8002 is already in use; restarting in 2 s (restart 2); its log: {log}",
    ]


def test_a_child_that_stayed_up_long_enough_waits_1_s_again(tmp_path: Path):
    worker = CrashingWorker(tmp_path / "worker.log")
    worker.launch()
    lines: list[str] = []
    child = process_child("worker", worker, worker.launch, worker.wait_ready, worker.stop, worker.log_path)
    # Each run lasts 0.5 s, longer than this: every crash is the first in a row.
    keeper = Keeper(child, ready_timeout_s=10, pid_dir=tmp_path / "pids", say=lines.append, stable_after_s=0.3)
    keeper.start()
    wait_for(lambda: any("(restart 3)" in line for line in lines), 20, "the third crash", lambda: lines)
    keeper.halt()
    keeper.join(5)
    waits = [line.split("restarting in ")[1].split(" (")[0] for line in lines if "restarting" in line]
    assert waits == ["1 s", "1 s", "1 s"]
