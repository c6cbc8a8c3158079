"""A PostgreSQL 15 cluster of the project's own: initdb into a data folder, its own loopback port."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql

from stack.logs import log_tail
from stack.ports import ensure_port_free, free_port

CANDIDATE_BINDIRS = [
    Path("/usr/lib/postgresql/15/bin"),
    Path("/usr/lib/postgresql/16/bin"),
    Path("/usr/lib/postgresql/17/bin"),
]


class PostgresStartError(RuntimeError):
    """The cluster could not be created or started; the message says why."""


def find_bindir() -> Path:
    pg_config = shutil.which("pg_config")
    candidates = list(CANDIDATE_BINDIRS)
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            candidates.insert(0, Path(out))
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    raise PostgresStartError(
        "PostgreSQL server binaries not found: install the Debian package postgresql-15 "
        "(apt-get install -y postgresql-15), or run `make setup`"
    )


class PostgresServer:
    """Our own cluster in `data_dir`; created on first start, kept afterwards."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        user: str = "indicators",
        server_settings: dict[str, str] | None = None,
    ):
        self.root = Path(data_dir).resolve()
        # More `-c name=value` for the server (the bench's --statements: pg_stat_statements).
        self.server_settings = dict(server_settings or {})
        self.port = port or free_port()
        self.user = user
        self.bindir = find_bindir()
        self.started = False
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def _as_owner(self, argv: list[str]) -> list[str]:
        # PostgreSQL refuses to run as root; as root we run it as the Debian 'postgres' user.
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", "postgres", "--", *argv]

    def _prepare_ownership(self) -> None:
        if os.geteuid() != 0:
            return
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as missing:
            raise PostgresStartError(
                "running as root needs the 'postgres' system user: apt-get install -y postgresql-15"
            ) from missing
        # The postgres user must be able to reach the folder through its parents (e.g. pytest's tmp dirs).
        for parent in reversed(self.root.parents):
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
        for path in (self.root, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, owner.pw_uid, owner.pw_gid)
        if self.log_path.exists():
            os.chown(self.log_path, owner.pw_uid, owner.pw_gid)

    def _owner(self) -> dict[str, object]:
        # The server itself runs as our child (not daemonised by pg_ctl): the stack's supervisor sees
        # it die and its exit code. As root it runs as 'postgres', without root's groups.
        if os.geteuid() != 0:
            return {}
        return {"user": "postgres", "group": "postgres", "extra_groups": []}

    def launch(self) -> None:
        """Start the server (creating the cluster on the first start); `wait_ready` waits for it."""
        ensure_port_free(self.port, "PostgreSQL", "INDICATORS_POSTGRES_PORT")
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_ownership()
        if not (self.pgdata / "PG_VERSION").exists():
            result = subprocess.run(
                self._as_owner(
                    [
                        str(self.bindir / "initdb"),
                        "-D",
                        str(self.pgdata),
                        "-U",
                        self.user,
                        "--auth=trust",
                        "--encoding=UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise PostgresStartError(f"initdb failed:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")
        argv = [
            str(self.bindir / "postgres"),
            "-D",
            str(self.pgdata),
            "-p",
            str(self.port),
            "-k",
            str(self.socket_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=on",
            *(argument for name, value in self.server_settings.items() for argument in ("-c", f"{name}={value}")),
        ]
        with self.log_path.open("ab") as log:
            # Own session: Ctrl-C in a terminal reaches whoever started us, who stops the server in order.
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **self._owner()
            )  # type: ignore[call-overload]
        self.started = True

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the server accepts connections; PostgresStartError when it exits or stays unreachable."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise PostgresStartError(
                    f"PostgreSQL on port {self.port} exited ({self.process.returncode}); "
                    f"its log:\n{log_tail(self.log_path)}"
                )
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=3):
                    return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise PostgresStartError(
                        f"PostgreSQL on port {self.port} refuses connections: {error}; "
                        f"its log:\n{log_tail(self.log_path)}"
                    ) from error
                time.sleep(0.3)

    def start(self, timeout: float = 60) -> None:
        self.launch()
        self.wait_ready(timeout)

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create `name` unless it exists; return its URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit); immediate if it hangs."""
        process = self.process
        self.started = False
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # Immediate shutdown: the postmaster tells its backends (each in a session of its own) to quit.
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
