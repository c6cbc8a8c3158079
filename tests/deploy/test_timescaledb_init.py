"""deploy/timescaledb/init/10-grafana-reader.sh, run the way the image's entrypoint runs it.

Against a PostgreSQL cluster of this test's own (the role is cluster-wide, so the session's
shared server is left alone): the script as POSTGRES_USER on a new database, then the services'
migrations, then Grafana's role reads every table and can write none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from indicators_core.db import apply_migrations
from stack.postgres import PostgresServer

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "deploy/timescaledb/init/10-grafana-reader.sh"
# Quotes, a semicolon and a backslash: the password must arrive as a literal, not as SQL.
PASSWORD = "re'ad;er \\ pass\"word"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    server = PostgresServer(tmp_path_factory.mktemp("postgres-init"))
    server.start()
    yield server
    server.stop()


def run_script(server: PostgresServer, database: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": f"{server.bindir}:{os.environ['PATH']}",
        "PGHOST": "127.0.0.1",
        "PGPORT": str(server.port),
        "POSTGRES_USER": server.user,
        "POSTGRES_DB": database,
        **env,
    }
    return subprocess.run([str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=60)


def scram_matches(verifier: str, password: str) -> bool:
    """Does a PostgreSQL SCRAM-SHA-256 verifier (pg_authid.rolpassword) belong to `password`?"""
    method, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return (
        method == "SCRAM-SHA-256"
        and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
        and base64.b64encode(hmac.new(salted, b"Server Key", "sha256").digest()).decode() == server_key
    )


def test_without_a_password_the_script_refuses_and_creates_nothing(server: PostgresServer):
    url = server.create_database("no_password")
    result = run_script(server, "no_password")
    assert result.returncode != 0
    assert "set GRAFANA_DB_PASSWORD" in result.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'grafana_reader'").fetchone() == (0,)


def test_grafana_reader_reads_every_table_the_migrations_create_and_writes_none(server: PostgresServer):
    url = server.create_database("indicators")
    result = run_script(server, "indicators", GRAFANA_DB_PASSWORD=PASSWORD)
    assert result.returncode == 0, result.stdout + result.stderr

    # The services migrate after the volume was initialised: tables the reader has never seen.
    apply_migrations(url)
    with psycopg.connect(url) as conn:
        (verifier,) = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'grafana_reader'").fetchone()
        assert scram_matches(verifier, PASSWORD)
        assert not scram_matches(verifier, "something else")
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            )
        ]
        assert {"progress", "observations", "targets", "indicator_catalog", "alerts", "subscriptions"} <= set(tables)
        for table in tables:
            privileges = conn.execute(
                "SELECT has_table_privilege('grafana_reader', %(t)s, 'SELECT'),"
                " has_table_privilege('grafana_reader', %(t)s, 'INSERT, UPDATE, DELETE, TRUNCATE')",
                {"t": f"public.{table}"},
            ).fetchone()
            # Subscriptions hold signing secrets and robot tokens: not for Grafana (migration 0006).
            readable = table != "subscriptions"
            assert privileges == (readable, False), f"grafana_reader on {table}: SELECT, write = {privileges}"
        conn.execute(
            "INSERT INTO progress (zone, indicator, period, year, month, ytd_value, time_progress_pct)"
            " VALUES ('监控测试区', 'industrial_output', '2016-05-01', 2016, 5, 75.02, 41.666666666667)"
        )

    reader_url = url.replace(f"//{server.user}@", "//grafana_reader@")
    with psycopg.connect(reader_url) as reader:
        assert reader.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        assert reader.execute("SHOW statement_timeout").fetchone() == ("30s",)
        row = reader.execute("SELECT ytd_value FROM progress WHERE zone = '监控测试区' AND year = 2016").fetchone()
        assert str(row[0]) == "75.02"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader.execute("DELETE FROM progress")
    with psycopg.connect(reader_url) as reader:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("SELECT secret FROM subscriptions")
    # Even in a read-write transaction the role has no right to write.
    with psycopg.connect(reader_url) as reader:
        reader.execute("SET TRANSACTION READ WRITE")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("DELETE FROM progress")
