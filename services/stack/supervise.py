"""Keeping the local stack's processes alive: a crashed one is restarted with back-off, and the console says so.

Each thing `make run` started (PostgreSQL, Kafka, the services, the alert inbox) gets a keeper thread
that waits for it to end. When it ends while the stack is running, the keeper says how ("processor
exited with code -9 (SIGKILL); restarting in 2 s (restart 3)"), waits, starts it again with the same
settings (same data dir, same port) and says when it is ready again. Crashes in a row wait 1, 2, 4 … 30 s;
a child that stayed up STABLE_AFTER_S starts again from 1 s. `halt()` stops every keeper first (no restart
once the stack is stopping, also in the middle of a wait or a restart), then the stack stops its children
in order.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from stack.logs import log_tail

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
# Up this long after being ready, a crash counts as the first in a row again.
STABLE_AFTER_S = 60.0
POLL_S = 0.5
# Terminal control sequences and other control characters in a child's log (Faust's spinner):
# echoed to the console they would redraw it, so they are dropped.
CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")


def restart_delay(crashes_in_a_row: int, first: float = FIRST_DELAY_S, most: float = MAX_DELAY_S) -> float:
    """Seconds to wait before restarting after the n-th crash in a row: 1, 2, 4, 8, 16, 30, 30, …"""
    # The exponent is capped so that a child crashing for days does not overflow the float.
    return min(most, first * 2 ** min(max(crashes_in_a_row, 1) - 1, 16))


def printable(line: str) -> str:
    """A log line as the console may show it: without control characters."""
    return CONTROL.sub("", line).rstrip()


def exit_words(code: int) -> str:
    """How a process ended, as the console says it: 'exited with code -9 (SIGKILL)'."""
    if code < 0:
        try:
            return f"exited with code {code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"exited with code {code}"
    return f"exited with code {code}"


@dataclass
class Child:
    """How the keeper drives one thing the stack started; every call is the child's own code."""

    name: str
    launch: Callable[[], object]  # start it (quick); raises when it cannot
    wait_ready: Callable[[float], None]  # until it serves; raises when it ends or stays unready
    stop: Callable[[], None]  # stop it (idempotent)
    ended: Callable[[], str | None]  # None while it runs, else how it ended ("exited with code 1")
    pid: Callable[[], int | None]  # its process id (None for a thread of ours)
    reap: Callable[[], None] = lambda: None  # clear what a dead child left behind, before it starts again
    log_path: Path | None = None


class RunsAProcess(Protocol):
    process: subprocess.Popen[bytes] | None


def process_child(
    name: str,
    owner: RunsAProcess,
    launch: Callable[[], object],
    wait_ready: Callable[[float], None],
    stop: Callable[[], None],
    log_path: Path,
) -> Child:
    """A child that is one process, `owner.process`: read at every call, as each restart replaces it."""
    return Child(
        name,
        launch,
        wait_ready,
        stop,
        ended=lambda: process_ended(owner.process),
        pid=lambda: None if owner.process is None else owner.process.pid,
        reap=lambda: reap_group(owner.process),
        log_path=log_path,
    )


def process_ended(process: subprocess.Popen[bytes] | None) -> str | None:
    if process is None:
        return "was not started"
    code = process.poll()
    return None if code is None else exit_words(code)


def reap_group(process: subprocess.Popen[bytes] | None) -> None:
    """Kill what is left in a dead child's process group (a helper process it forked), so that the restart
    finds the port free. (PostgreSQL's backends have sessions of their own and quit when the postmaster dies;
    one still holding the shared memory makes the restart fail, and the next try succeeds.)"""
    if process is None or process.poll() is None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Keeper:
    """One child's keeper thread: waits for it to end and restarts it, until halted."""

    def __init__(
        self,
        child: Child,
        ready_timeout_s: float,
        pid_dir: Path,
        say: Callable[[str], None],
        stable_after_s: float = STABLE_AFTER_S,
    ):
        self.child = child
        self.stable_after_s = stable_after_s
        self.ready_timeout_s = ready_timeout_s
        self.pid_dir = pid_dir
        self.say = say
        self.restarts = 0
        self.crashes_in_a_row = 0
        self.halting = threading.Event()
        # Held while launching: halt() waits for a launch in progress, so no child starts after it.
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._keep, name=f"keeper-{child.name}", daemon=True)

    @property
    def pid_path(self) -> Path:
        return self.pid_dir / f"{self.child.name}.pid"

    def start(self) -> None:
        """The child is running and ready: write its pid file and start watching it."""
        self._write_pid()
        self.thread.start()

    def halt(self) -> None:
        with self.lock:
            self.halting.set()

    def join(self, timeout: float) -> None:
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.pid_path.unlink(missing_ok=True)

    def _write_pid(self) -> None:
        pid = self.child.pid()
        if pid is not None:
            self.pid_dir.mkdir(parents=True, exist_ok=True)
            self.pid_path.write_text(f"{pid}\n")

    def _ended(self) -> str | None:
        """How the child ended, or None once halted (then the stack is stopping it on purpose)."""
        while not self.halting.wait(POLL_S):
            how = self.child.ended()
            if how is not None:
                return how
        return None

    def _keep(self) -> None:
        ready_at = time.monotonic()
        while True:
            how = self._ended()
            if how is None:
                return
            ended_at = time.monotonic()
            if ended_at - ready_at >= self.stable_after_s:
                self.crashes_in_a_row = 0
            self._announce(f"{self.child.name} {how}", last_words=True)
            while not self.halting.wait(restart_delay(self.crashes_in_a_row)):
                try:
                    self._restart()
                except Exception as error:  # noqa: BLE001 -- whatever stops a restart, the next one may work
                    if self.halting.is_set():
                        return
                    self.child.stop()
                    self._announce(f"{self.child.name} did not come back: {error}", last_words=False)
                    continue
                if self.halting.is_set():
                    return
                ready_at = time.monotonic()
                self._write_pid()
                pid = self.child.pid() or os.getpid()
                self.say(
                    f"{self.child.name} is ready again (restart {self.restarts}, pid {pid}; "
                    f"down {ready_at - ended_at:.1f} s)"
                )
                break
            else:
                return

    def _announce(self, problem: str, last_words: bool) -> None:
        """Count one more crash and say what happens next; with `last_words`, the end of its log too."""
        self.crashes_in_a_row += 1
        self.restarts += 1
        delay = restart_delay(self.crashes_in_a_row)
        hint = "" if self.child.log_path is None else f"; its log: {self.child.log_path}"
        lines = [printable(line) for line in problem.splitlines()] or [""]
        self.say(f"{lines[0]}; restarting in {delay:g} s (restart {self.restarts}){hint}")
        for line in lines[1:]:
            self.say(f"  {line}")
        if last_words and self.child.log_path is not None:
            # They usually say why it ended (a traceback, a FATAL line).
            for line in log_tail(self.child.log_path, 5).splitlines():
                self.say(f"  {self.child.name}| {printable(line)}")

    def _restart(self) -> None:
        with self.lock:
            if self.halting.is_set():
                return
            self.child.reap()
            self.child.launch()
        self.child.wait_ready(self.ready_timeout_s)


class Supervisor:
    """The keepers of every child, started once the stack is ready."""

    def __init__(self, pid_dir: Path, ready_timeout_s: float, say: Callable[[str], None]):
        self.pid_dir = pid_dir
        self.ready_timeout_s = ready_timeout_s
        self.say = say
        self.keepers: list[Keeper] = []

    def watch(self, children: list[Child]) -> None:
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        (self.pid_dir / "stack.pid").write_text(f"{os.getpid()}\n")
        for child in children:
            keeper = Keeper(child, self.ready_timeout_s, self.pid_dir, self.say)
            self.keepers.append(keeper)
            keeper.start()

    def pids(self) -> str:
        """'postgres 812, kafka 840, …' for the console: what an operator would kill or trace."""
        return ", ".join(f"{k.child.name} {k.child.pid()}" for k in self.keepers if k.child.pid() is not None)

    def halt(self) -> None:
        """No restart from now on; a launch in progress finishes first, so the stack can stop it."""
        for keeper in self.keepers:
            keeper.halt()

    def join(self, timeout: float = 10) -> None:
        for keeper in self.keepers:
            keeper.join(timeout)
        (self.pid_dir / "stack.pid").unlink(missing_ok=True)


def wait_until_set(event: threading.Event) -> None:
    """Wait for `event`, waking every second. CPython runs a signal's handler in the main thread only when that
    thread next runs Python code; a wait without a timeout can sleep through a Ctrl-C the kernel handed to another
    of the process's threads (a fresh-clone run once kept the whole stack up for two minutes after SIGINT)."""
    while not event.wait(1.0):
        pass
