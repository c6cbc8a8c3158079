"""A PostgreSQL 15 cluster of the project's own: initdb into a data folder, its own loopback port."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql

from stack.logs import log_tail
from stack.ports import ensure_port_free, free_port

CANDIDATE_BINDIRS = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"), Path("/usr/lib/postgresql/17/bin")]


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
    raise PostgresStartError("PostgreSQL server binaries not found: install the Debian package postgresql-15 "
                             "(apt-get install -y postgresql-15), or run `make setup`")


class PostgresServer:
    """Our own cluster in `data_dir`; created on first start, kept afterwards."""

    def __init__(self, data_dir: Path, port: int | None = None, user: str = "indicators"):
        self.root = Path(data_dir).resolve()
        self.port = port or free_port()
        self.user = user
        self.bindir = find_bindir()
        self.started = False

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
            raise PostgresStartError("running as root needs the 'postgres' system user: apt-get install -y postgresql-15") from missing
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

    def start(self, timeout: float = 60) -> None:
        ensure_port_free(self.port, "PostgreSQL", "INDICATORS_POSTGRES_PORT")
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_ownership()
        if not (self.pgdata / "PG_VERSION").exists():
            result = subprocess.run(
                self._as_owner([str(self.bindir / "initdb"), "-D", str(self.pgdata), "-U", self.user,
                                "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]),
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0:
                raise PostgresStartError(f"initdb failed:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=on"
        result = subprocess.run(
            self._as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.pgdata), "-o", options,
                            "-l", str(self.log_path), "-w", "-t", str(int(timeout)), "start"]),
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise PostgresStartError(f"PostgreSQL did not start on port {self.port}:\n{result.stdout[-1000:]}"
                                     f"{result.stderr[-1000:]}\n{log_tail(self.log_path)}")
        self.started = True
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=3):
                    return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise PostgresStartError(f"PostgreSQL on port {self.port} refuses connections: {error}") from error
                time.sleep(0.3)


    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create `name` unless it exists; return its URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def stop(self) -> None:
        if not self.started:
            return
        subprocess.run(
            self._as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"]),
            capture_output=True, check=False,
        )
        self.started = False

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
