"""Poison reports inside accepted batches (ReportBatch messages written straight onto the batches topic, as ingest
publishes them, bypassing its validation): the processor takes the batches apart itself, so each poison report
must be dead-lettered alone, as a batch of that one report from the batches topic, while every good report of the
same batches is stored with its exact figures; and a dead letter replayed after the fix is stored.

Zones 批隔离01区…批隔离10区, 批隔离毒区 and 批重放区 are this file's alone (the year is the poison tests' 2041).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from indicators_core import events
from processor.dead_letters import read_letters
from tests.metrics import metric
from tests.processor.reports import BATCHES, UNITS, YEAR, observation_report, send_batches, tool
from tests.support import Pipeline, caught_up, wait_for

pytestmark = pytest.mark.integration

DEAD_LETTERS = "indicators.reports.dead-letter"
ZONES = [f"批隔离{i:02d}区" for i in range(1, 11)]
INDICATORS = list(UNITS)
METRIC = "indicators_processor_dead_letters_total"


def rate(zone_index: int, indicator_index: int) -> Decimal:
    """Each series grows by the same amount every month: 批隔离03区's import_export by 3.2 a month."""
    return Decimal(f"{zone_index + 1}.{indicator_index + 1}")


def dead_letters_of(pipeline: Pipeline, batch_ids: set[str]) -> list[tuple[events.ReportBatch, dict[str, str]]]:
    """The dead letters that are a batch of `batch_ids` (with their headers and offset), by row."""
    found = []
    for letter in read_letters(pipeline.kafka_bootstrap, DEAD_LETTERS):
        if letter.headers.get("source-topic") != BATCHES:
            continue
        batch = events.ReportBatch.FromString(letter.value)
        if batch.batch_id in batch_ids:
            found.append((batch, letter.headers | {"offset": str(letter.offset)}))
    return sorted(found, key=lambda item: item[0].reports[0].row_index)


def stored(pipeline: Pipeline, zones: list[str]) -> dict[tuple[str, str, int], Decimal]:
    with psycopg.connect(pipeline.database_url) as conn:
        rows = conn.execute(
            "SELECT zone, indicator, period, value FROM observations WHERE zone = ANY(%s)", (zones,)
        ).fetchall()
    return {(zone, indicator, period.month): value for zone, indicator, period, value in rows}


def test_poison_reports_in_accepted_batches_are_dead_lettered_alone_and_every_good_one_is_stored(pipeline: Pipeline):
    before = {
        reason: metric(pipeline.processor_url, METRIC, reason=reason) for reason in ("invalid_data", "arithmetic")
    }
    batch_ids = [str(uuid.uuid4()) for _ in range(3)]
    good: list[list[events.Report]] = [[], [], []]
    for z, zone in enumerate(ZONES):
        for i, indicator in enumerate(INDICATORS):
            for month in range(1, 11):
                part = (z * len(INDICATORS) + i) % 3
                batch = good[part]
                value = str(rate(z, i) * month)
                batch.append(observation_report(batch_ids[part], len(batch), zone, indicator, month, value))
    assert sum(len(batch) for batch in good) == 400
    poison = [
        # Text PostgreSQL cannot hold.
        observation_report(batch_ids[0], len(good[0]), "批隔离毒区\x00", "industrial_output", 5, "12.5"),
        # A comparable base so small that the growth has more digits than the arithmetic holds.
        observation_report(batch_ids[1], len(good[1]), ZONES[2], "industrial_output", 11, "40", yoy_base="1e-20"),
        # A number NUMERIC cannot hold.
        observation_report(batch_ids[1], len(good[1]) + 1, ZONES[7], "import_export", 12, "1e200000"),
    ]
    # Each poison report in the middle of good ones of its batch, so that they share a transaction.
    batches = [
        good[0][:50] + poison[:1] + good[0][50:],
        good[1][:20] + poison[1:2] + good[1][20:90] + poison[2:] + good[1][90:],
        good[2],
    ]
    send_batches(pipeline.kafka_bootstrap, batches)

    expected = {
        (zone, indicator, month): rate(z, i) * month
        for z, zone in enumerate(ZONES)
        for i, indicator in enumerate(INDICATORS)
        for month in range(1, 11)
    }
    wait_for(
        lambda: len(stored(pipeline, ZONES)) >= 400 and len(dead_letters_of(pipeline, set(batch_ids))) >= 3,
        timeout=120,
        what="400 good reports stored and 3 dead letters",
        last=lambda: (len(stored(pipeline, ZONES)), len(dead_letters_of(pipeline, set(batch_ids)))),
    )
    wait_for(
        lambda: caught_up(pipeline.kafka_bootstrap, {"indicators-processor": [BATCHES]}),
        timeout=60,
        what="the processor to commit every batch",
    )
    assert stored(pipeline, ZONES) == expected  # exact figures, nothing of the poison, nothing extra
    assert stored(pipeline, ["批隔离毒区"]) == {}
    with psycopg.connect(pipeline.database_url) as conn:
        october = conn.execute(
            "SELECT zone, indicator, ytd_value, month_value FROM progress WHERE zone = ANY(%s) AND period = %s",
            (ZONES, date(YEAR, 10, 1)),
        ).fetchall()
    assert {(zone, indicator): (ytd, month) for zone, indicator, ytd, month in october} == {
        (zone, indicator): (rate(z, i) * 10, rate(z, i))
        for z, zone in enumerate(ZONES)
        for i, indicator in enumerate(INDICATORS)
    }

    letters = dead_letters_of(pipeline, set(batch_ids))
    # Each dead letter is a batch of the one report, under its batch's id, source and acceptance time.
    assert [(batch.batch_id, list(batch.reports)) for batch, _ in letters] == [
        (report.batch_id, [report]) for report in sorted(poison, key=lambda r: r.row_index)
    ]
    assert all(batch.source == "隔离测试" for batch, _ in letters)
    by_zone = {batch.reports[0].observation.zone: headers for batch, headers in letters}
    nul, base, overflow = by_zone["批隔离毒区\x00"], by_zone[ZONES[2]], by_zone[ZONES[7]]
    assert (nul["dead-letter-reason"], nul["dead-letter-error"]) == (
        "invalid_data",
        "DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
    )
    assert (base["dead-letter-reason"], base["dead-letter-error"]) == (
        "arithmetic",
        "InvalidOperation: decimal arithmetic signalled InvalidOperation "
        "(a result beyond 28 significant digits, or undefined)",
    )
    assert overflow["dead-letter-reason"] == "invalid_data"
    assert overflow["dead-letter-error"].startswith("NumericValueOutOfRange: value overflows numeric format")
    for headers in (nul, base, overflow):
        assert headers["source-topic"] == BATCHES
        assert headers["source-partition"].isdigit() and headers["source-offset"].isdigit()
        assert headers["dead-lettered-by"] == "indicators-processor"
    after = {reason: metric(pipeline.processor_url, METRIC, reason=reason) for reason in ("invalid_data", "arithmetic")}
    assert (after["invalid_data"] - before["invalid_data"], after["arithmetic"] - before["arithmetic"]) == (2, 1)

    # The operator sees the report, not just "a batch".
    listing = tool(pipeline, "list", "--topic", "reports")
    assert f"  {nul['offset']}  {nul['dead-lettered-at']}  invalid_data  {BATCHES}[" in listing
    assert "observation '批隔离毒区\\x00' industrial_output 2041-05 value '12.5'" in listing


def test_a_report_of_a_batch_dead_lettered_and_replayed_after_the_fix_is_stored(pipeline: Pipeline):
    """A database that refuses one zone's rows: that report of the batch is dead-lettered (reason `other`), the
    other one stored; once the trigger is gone, `replay OFFSET` sends the one-report batch back and it is stored."""
    zone = "批重放区"
    with psycopg.connect(pipeline.database_url) as conn:
        conn.execute(
            "CREATE FUNCTION refuse_batch_replay_zone() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.zone = '批重放区' THEN RAISE EXCEPTION 'zone 批重放区 is refused'; END IF; RETURN NEW; END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse_batch_replay_zone BEFORE INSERT ON observations FOR EACH ROW "
            "EXECUTE FUNCTION refuse_batch_replay_zone()"
        )
    try:
        batch_id = str(uuid.uuid4())
        refused = observation_report(batch_id, 0, zone, "industrial_output", 3, "9.75")
        fine = observation_report(batch_id, 1, ZONES[0], "signed_investment", 12, "99.5")
        send_batches(pipeline.kafka_bootstrap, [[refused, fine]])
        ((batch, headers),) = wait_for(
            lambda: dead_letters_of(pipeline, {batch_id}), timeout=60, what="the refused report's dead letter"
        )
        assert list(batch.reports) == [refused]
        assert headers["dead-letter-reason"] == "other"
        assert headers["dead-letter-error"].startswith("RaiseException: zone 批重放区 is refused")
        wait_for(lambda: stored(pipeline, [ZONES[0]]).get((ZONES[0], "signed_investment", 12)), 60, "the fine report")
    finally:
        with psycopg.connect(pipeline.database_url) as conn:
            conn.execute("DROP TRIGGER refuse_batch_replay_zone ON observations")
            conn.execute("DROP FUNCTION refuse_batch_replay_zone()")
    assert stored(pipeline, [zone]) == {}

    replayed = tool(pipeline, "replay", headers["offset"])
    assert (
        f"replayed {headers['offset']} (observation '批重放区' industrial_output 2041-03 value '9.75') to {BATCHES}["
        in replayed
    )
    wait_for(lambda: stored(pipeline, [zone]), 60, "the replayed report stored")
    assert stored(pipeline, [zone]) == {(zone, "industrial_output", 3): Decimal("9.75")}
