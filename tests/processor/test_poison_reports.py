"""Poison reports written straight onto the reports topic (bypassing ingest) amid 1,000 good ones: every good
report is stored with its exact figures and its results published, each poison one is on the dead-letter topic
with its reason and source, the metric counts them, and the operator tool lists, shows and replays them.

Zones 隔离01区…隔离25区, 隔离毒区, 重放区 and the year 2041 are this file's alone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest

from indicators_core import events
from processor.dead_letters import read_letters
from tests.metrics import metric
from tests.processor.reports import REPORTS, UNITS, YEAR, observation_report, send_reports, tool
from tests.support import Pipeline, caught_up, topic_messages, wait_for

pytestmark = pytest.mark.integration

DEAD_LETTERS = "indicators.reports.dead-letter"
ZONES = [f"隔离{i:02d}区" for i in range(1, 26)]
INDICATORS = list(UNITS)
METRIC = "indicators_processor_dead_letters_total"


def rate(zone_index: int, indicator_index: int) -> Decimal:
    """Each series grows by the same amount every month: 隔离03区's import_export by 3.2 a month."""
    return Decimal(f"{zone_index + 1}.{indicator_index + 1}")


def dead_letters_of(pipeline: Pipeline, batch_id: str) -> list[tuple[events.Report, dict[str, str]]]:
    """The dead letters whose report came from `batch_id`, with their headers (and offset), in row order."""
    found = []
    for letter in read_letters(pipeline.kafka_bootstrap, DEAD_LETTERS):
        if letter.headers.get("source-topic") != REPORTS:  # a batch's (tests/processor/test_poison_batches.py)
            continue
        report = events.Report.FromString(letter.value)
        if report.batch_id == batch_id:
            found.append((report, letter.headers | {"offset": str(letter.offset)}))
    return sorted(found, key=lambda item: item[0].row_index)


def stored(pipeline: Pipeline, zones: list[str]) -> dict[tuple[str, str, int], Decimal]:
    with psycopg.connect(pipeline.database_url) as conn:
        rows = conn.execute(
            "SELECT zone, indicator, period, value FROM observations WHERE zone = ANY(%s)", (zones,)
        ).fetchall()
    return {(zone, indicator, period.month): value for zone, indicator, period, value in rows}


def test_poison_reports_amid_a_thousand_good_ones_are_dead_lettered_and_every_good_one_is_stored(pipeline: Pipeline):
    before = {
        reason: metric(pipeline.processor_url, METRIC, reason=reason) for reason in ("invalid_data", "arithmetic")
    }
    batch_id = str(uuid.uuid4())
    good = []
    for z, zone in enumerate(ZONES):
        for i, indicator in enumerate(INDICATORS):
            for month in range(1, 11):
                value = str(rate(z, i) * month)
                good.append(observation_report(batch_id, len(good), zone, indicator, month, value))
    assert len(good) == 1000
    poison = [
        # Text PostgreSQL cannot hold.
        observation_report(batch_id, 1000, "隔离毒区\x00", "industrial_output", 5, "12.5"),
        # A comparable base so small that the growth has more digits than the arithmetic holds.
        observation_report(batch_id, 1001, ZONES[2], "industrial_output", 11, "40", yoy_base="1e-20"),
        # A number NUMERIC cannot hold.
        observation_report(batch_id, 1002, ZONES[7], "import_export", 12, "1e200000"),
    ]
    # The poison in the middle of the good ones, so they share the processor's chunks.
    send_reports(pipeline.kafka_bootstrap, good[:400] + poison[:2] + good[400:700] + poison[2:] + good[700:])

    expected = {
        (zone, indicator, month): rate(z, i) * month
        for z, zone in enumerate(ZONES)
        for i, indicator in enumerate(INDICATORS)
        for month in range(1, 11)
    }
    wait_for(
        lambda: len(stored(pipeline, ZONES)) >= 1000 and len(dead_letters_of(pipeline, batch_id)) >= 3,
        timeout=120,
        what="1,000 good reports stored and 3 dead letters",
        last=lambda: (len(stored(pipeline, ZONES)), len(dead_letters_of(pipeline, batch_id))),
    )
    wait_for(
        lambda: caught_up(pipeline.kafka_bootstrap, {"indicators-processor": [REPORTS]}),
        timeout=60,
        what="the processor to commit every report",
    )
    assert stored(pipeline, ZONES) == expected  # exact figures, nothing of the poison, nothing extra
    assert stored(pipeline, ["隔离毒区"]) == {}

    with psycopg.connect(pipeline.database_url) as conn:
        progress = conn.execute(
            "SELECT zone, indicator, ytd_value, month_value FROM progress WHERE zone = ANY(%s) AND period = %s",
            (ZONES, date(YEAR, 10, 1)),
        ).fetchall()
        months = conn.execute(
            "SELECT count(*), max(month) FROM progress WHERE zone = ANY(%s) AND year = %s", (ZONES, YEAR)
        ).fetchone()
    assert months == (1000, 10)
    assert {(zone, indicator): (ytd, month) for zone, indicator, ytd, month in progress} == {
        (zone, indicator): (rate(z, i) * 10, rate(z, i))
        for z, zone in enumerate(ZONES)
        for i, indicator in enumerate(INDICATORS)
    }
    # 隔离03区 industrial_output: 3.1 a month, 31 by October.
    assert (ZONES[2], "industrial_output") in {(zone, indicator) for zone, indicator, _, _ in progress}

    # The results of the stored reports were published: October's figures of every series.
    published = {}
    for _, value in topic_messages(pipeline.kafka_bootstrap, "indicators.results"):
        for result in events.results_of(value):
            if result.zone in ZONES and result.year == YEAR and result.month == 10:
                published[(result.zone, result.indicator)] = Decimal(result.ytd_value)
    assert published == {
        (zone, indicator): rate(z, i) * 10 for z, zone in enumerate(ZONES) for i, indicator in enumerate(INDICATORS)
    }

    letters = dead_letters_of(pipeline, batch_id)
    assert [report for report, _ in letters] == poison
    (nul, base, overflow) = [headers for _, headers in letters]
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
        assert headers["source-topic"] == REPORTS
        assert headers["source-partition"].isdigit() and headers["source-offset"].isdigit()
        assert headers["dead-lettered-by"] == "indicators-processor"
        at = datetime.fromisoformat(headers["dead-lettered-at"])
        assert abs((datetime.now(UTC) - at).total_seconds()) < 300

    after = {reason: metric(pipeline.processor_url, METRIC, reason=reason) for reason in ("invalid_data", "arithmetic")}
    assert (after["invalid_data"] - before["invalid_data"], after["arithmetic"] - before["arithmetic"]) == (2, 1)
    assert pipeline.services["processor"].process.poll() is None  # the agent did not take the worker down

    # What the operator sees.
    listing = tool(pipeline, "list", "--topic", "reports")
    assert f"  {nul['offset']}  {nul['dead-lettered-at']}  invalid_data  {REPORTS}[" in listing
    assert "observation '隔离毒区\\x00' industrial_output 2041-05 value '12.5'" in listing
    assert "      InvalidOperation: decimal arithmetic signalled InvalidOperation" in listing
    shown = tool(pipeline, "show", base["offset"])
    assert f"dead letter {base['offset']} on {DEAD_LETTERS}" in shown
    assert "  dead-letter-reason: arithmetic" in shown
    assert f'    zone: "{ZONES[2]}"' in shown and '    yoy_base: "1e-20"' in shown


def test_a_dead_letter_replayed_after_the_fix_is_stored(pipeline: Pipeline):
    """A database that refuses one zone's rows (a trigger standing for a missing migration or a bug): the row is
    dead-lettered with reason `other`; once the trigger is gone, `replay OFFSET` stores it."""
    zone = "重放区"
    with psycopg.connect(pipeline.database_url) as conn:
        conn.execute(
            "CREATE FUNCTION refuse_replay_zone() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.zone = '重放区' THEN RAISE EXCEPTION 'zone 重放区 is refused'; END IF; RETURN NEW; END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse_replay_zone BEFORE INSERT ON observations FOR EACH ROW "
            "EXECUTE FUNCTION refuse_replay_zone()"
        )
    try:
        batch_id = str(uuid.uuid4())
        refused = observation_report(batch_id, 0, zone, "industrial_output", 3, "9.75")
        fine = observation_report(batch_id, 1, ZONES[0], "signed_investment", 12, "99.5")
        send_reports(pipeline.kafka_bootstrap, [refused, fine])
        ((report, headers),) = wait_for(
            lambda: dead_letters_of(pipeline, batch_id), timeout=60, what="the refused report's dead letter"
        )
        assert report == refused
        assert headers["dead-letter-reason"] == "other"
        assert headers["dead-letter-error"] == (
            "RaiseException: zone 重放区 is refused; CONTEXT:  PL/pgSQL function refuse_replay_zone() line 1 at RAISE"
        )
        wait_for(lambda: stored(pipeline, [ZONES[0]]).get((ZONES[0], "signed_investment", 12)), 60, "the fine report")
    finally:
        with psycopg.connect(pipeline.database_url) as conn:
            conn.execute("DROP TRIGGER refuse_replay_zone ON observations")
            conn.execute("DROP FUNCTION refuse_replay_zone()")
    assert stored(pipeline, [zone]) == {}

    replayed = tool(pipeline, "replay", headers["offset"])
    assert (
        f"replayed {headers['offset']} (observation '重放区' industrial_output 2041-03 value '9.75') to {REPORTS}["
        in replayed
    )
    assert f"1 dead letter(s) replayed from {DEAD_LETTERS}" in replayed
    wait_for(lambda: stored(pipeline, [zone]), 60, "the replayed report stored")
    assert stored(pipeline, [zone]) == {(zone, "industrial_output", 3): Decimal("9.75")}
