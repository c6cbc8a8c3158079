"""Chaos: one component of the pipeline SIGKILLed in the middle of a burst and started again; then every row
and every alert is accounted for.

Each case posts the same burst (burst.py: 960 rows in 40 batches, 80 series of 20 zones of its own) from a
thread, kills one component once 12 batches are accepted, and starts it again:

- broker: once ingest refused a batch (the outage is felt); the burst waits and sends it again;
- PostgreSQL, processor, evaluator: once the burst is over (ingest needs only Kafka, so it accepts all of
  it meanwhile): the component comes back to a backlog.

Then, within bounds: every row answered 202 is stored exactly once with its exact value and batch id, no
row is stored under a batch that was refused, nothing extra; the progress figures are right (a few worked
out by hand below); every alert the December figures imply is firing, each with exactly one `fired` event,
also on the alerts topic, and no other alert exists. The recovery times are written to
test-artifacts/chaos/recovery.json and .md (docs/operations.md's table is from such a run).

The broker case runs last: should ingest not heal after a broker restart, the other cases are unaffected.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal

import httpx
import psycopg
import pytest
from kafka.errors import KafkaError

from indicators_core import events
from tests.chaos import burst as plan_
from tests.chaos.burst import BATCHES, Burst, Series
from tests.chaos.crashes import ONE_OF_TWO_PROCESSORS, ChaosStack
from tests.metrics import metric
from tests.support import ARTIFACTS, alert_state, caught_up, topic_messages, wait_for

pytestmark = pytest.mark.integration

CASES = ["processor", ONE_OF_TWO_PROCESSORS, "evaluator", "postgres", "broker"]
KILL_AFTER_BATCHES = 12
# Bounds: the burst gives up sending a batch again after this long; the pipeline must have stored and
# judged everything within DRAIN_BOUND_S of the component's restart (each case stays under ~90 s).
BURST_DEADLINE_S = 70
DRAIN_BOUND_S = 75
GROUPS = {
    "indicators-processor": ["indicators.batches", "indicators.reports"],
    "indicators-alerts": ["indicators.results"],
}
RECOVERY = ARTIFACTS / "chaos" / "recovery.json"
HOW_KILLED = {
    "broker": "SIGKILL, then started on the same ports and data dir",
    "postgres": "SIGKILL of the postmaster and every backend (crash recovery at start)",
    "processor": "SIGKILL of the Faust worker",
    ONE_OF_TWO_PROCESSORS: "SIGKILL of one of two processor workers (not started again: the other takes over)",
    "evaluator": "SIGKILL of the alerts worker",
}


class Milestones:
    """Conditions that come true one after the other, polled from a thread until `bound_s` has passed;
    `reached` holds when each first held. A check that fails because a component is still starting
    (PostgreSQL or Kafka not answering yet) counts as not yet."""

    def __init__(self, checks: list[tuple[str, Callable[[], bool]]], bound_s: float):
        self.checks = checks
        self.bound_s = bound_s
        self.reached: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="chaos-watch", daemon=True)

    def start(self) -> None:
        self.thread.start()

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()

    def _run(self) -> None:
        deadline = time.monotonic() + self.bound_s
        for name, check in self.checks:
            while not self.stop.is_set():
                if time.monotonic() > deadline:
                    return
                try:
                    holds = check()
                except (psycopg.Error, KafkaError, OSError):
                    holds = False
                if holds:
                    self.reached[name] = time.monotonic()
                    break
                self.stop.wait(0.2)


@dataclass
class Recovery:
    """What one case measured (seconds, from time.monotonic)."""

    case: str
    killed: str
    down_s: float  # kill → start again
    ready_s: float  # start → the component answers (broker metadata, PostgreSQL connection, worker /readyz)
    first_202_s: float | None  # start → the first batch accepted again (None: ingest never refused one)
    stored_s: float  # start → every accepted row stored with its figures
    judged_s: float  # start → every alert in place, every message committed by both workers
    refused_attempts: int
    longest_batch_wait_s: float  # the longest a batch waited, first attempt → 202
    rows: int


def save(recovery: Recovery) -> None:
    """Merge this case into recovery.json and rewrite the Markdown table beside it."""
    RECOVERY.parent.mkdir(parents=True, exist_ok=True)
    found = json.loads(RECOVERY.read_text()) if RECOVERY.exists() else {}
    found[recovery.case] = {**asdict(recovery), "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    RECOVERY.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "| killed | how | down | ready | first 202 | all stored | all judged | refused | longest wait |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in CASES:
        if case in found:
            r = found[case]
            first = "—" if r["first_202_s"] is None else f"{r['first_202_s']:.1f} s"
            lines.append(
                f"| {case} | {r['killed']} | {r['down_s']:.1f} s | {r['ready_s']:.1f} s | {first} | "
                f"{r['stored_s']:.1f} s | {r['judged_s']:.1f} s | {r['refused_attempts']} | {r['longest_batch_wait_s']:.1f} s |"
            )
    RECOVERY.with_suffix(".md").write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------- reading what the pipeline did


def revisions(database_url: str, zones: list[str]) -> list[tuple]:
    """Every stored revision of the zones: (zone, indicator, period, value, yoy_base, batch_id, row_index)."""
    with psycopg.connect(database_url) as conn:
        return sorted(
            conn.execute(
                "SELECT zone, indicator, period, value, yoy_base, batch_id::text, row_index FROM observation_revisions "
                "WHERE zone = ANY(%s)",
                (zones,),
            ).fetchall()
        )


def observations(database_url: str, zones: list[str]) -> dict[tuple, tuple]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT zone, indicator, period, value, yoy_base, batch_id::text, row_index FROM observations "
            "WHERE zone = ANY(%s)",
            (zones,),
        ).fetchall()
    return {(z, i, p): tuple(rest) for z, i, p, *rest in rows}


def progress_rows(database_url: str, zones: list[str]) -> dict[tuple, tuple]:
    """(zone, indicator, period) → (ytd, month, yoy_base, comparable, target, on_track, yoy_pct, completion_pct, gap)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT zone, indicator, period, ytd_value, month_value, yoy_base, yoy_base_comparable, target_value, "
            "on_track, yoy_pct, completion_pct, progress_gap_pp FROM progress WHERE zone = ANY(%s)",
            (zones,),
        ).fetchall()
    return {(z, i, p): tuple(rest) for z, i, p, *rest in rows}


def alert_events(database_url: str, zones: list[str]) -> dict[tuple, list[tuple]]:
    """(rule, zone, indicator) → its events in version order: (version, transition, severity, published)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT rule, zone, indicator, version, transition, severity, published_at IS NOT NULL FROM alert_events "
            "WHERE zone = ANY(%s) ORDER BY rule, zone, indicator, version",
            (zones,),
        ).fetchall()
    found: dict[tuple, list[tuple]] = {}
    for rule, zone, indicator, *event in rows:
        found.setdefault((rule, zone, indicator), []).append(tuple(event))
    return found


def alert_messages(database_url: str, zones: list[str]) -> dict[tuple, str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT rule, zone, indicator, message FROM alerts WHERE zone = ANY(%s)", (zones,)
        ).fetchall()
    return {(rule, zone, indicator): message for rule, zone, indicator, message in rows}


def expected_revisions(load: Burst) -> list[tuple]:
    return sorted(
        (
            row["zone"],
            row["indicator"],
            plan_.period(int(row["period"][5:])),
            Decimal(row["value"]),
            Decimal(row["yoy_base"]),
            batch_id,
            index,
        )
        for row, batch_id, index in load.accepted_rows()
    )


def expected_progress(series: list[Series]) -> dict[tuple, tuple]:
    """The figures anyone can check without the pipeline's code: the year to date, the month's own amount,
    the comparable base, the target, and whether completion keeps up with time progress (m/16 never does,
    m/11 always does)."""
    return {
        (s.zone, s.indicator, plan_.period(month)): (
            s.ytd(month),
            s.monthly,
            s.base(month),
            True,
            s.target,
            not s.lagging,
        )
        for s in series
        for month in range(1, plan_.MONTHS + 1)
    }


def without_lost_acknowledgements(found: list[tuple], load: Burst) -> list[tuple]:
    """The stored revisions less those of batches answered 503 that reached the broker's log all the same.

    When the broker dies between writing a batch and acknowledging it, ingest cannot know and says 503 (with
    the batch id); the upstream sends the rows again and they are stored twice, under two batch ids, with
    the same figures. Such a batch is allowed only whole and with exactly the rows that were posted in it.
    """
    refused = load.refused_batch_ids()
    kept = [r for r in found if r[5] not in refused]
    for batch_id, number in refused.items():
        stored = sorted(r for r in found if r[5] == batch_id)
        if not stored:
            continue
        posted = sorted(
            (
                row["zone"],
                row["indicator"],
                plan_.period(int(row["period"][5:])),
                Decimal(row["value"]),
                Decimal(row["yoy_base"]),
                batch_id,
                index,
            )
            for index, row in enumerate(load.batches[number])
        )
        if stored != posted:
            kept.extend(stored)  # part of a batch, or other rows: counted as extra
    return sorted(kept)


def stored_as_accepted(database_url: str, zones: list[str], load: Burst) -> bool:
    want = expected_revisions(load)
    found = without_lost_acknowledgements(revisions(database_url, zones), load)
    return found == want and len(progress_rows(database_url, zones)) == len(want)


def all_judged(stack: ChaosStack, zones: list[str], expected: set[tuple]) -> bool:
    """The alerts are the expected ones, every event is on the topic, and both workers committed everything
    (twice in a row: the processor may publish results between the two groups' reads)."""
    database, bootstrap = stack.pipeline.database_url, stack.pipeline.kafka_bootstrap
    if alert_state(database, zones) != expected:
        return False
    if not all(published for found in alert_events(database, zones).values() for *_, published in found):
        return False
    return caught_up(bootstrap, GROUPS) and caught_up(bootstrap, GROUPS)


def alerts_on_topic(bootstrap: str, zones: list[str]) -> set[tuple]:
    found = set()
    for _, value in topic_messages(bootstrap, "indicators.alerts"):
        event = events.pb.AlertEvent.FromString(value)
        if event.zone in zones:
            found.add((event.rule, event.zone, event.indicator, event.version, event.transition))
    return found


# ---------------------------------------------------------------- the cases


@pytest.mark.parametrize("component", CASES)
def test_a_component_killed_mid_burst_loses_no_row_and_no_alert(chaos: ChaosStack, component: str):
    pipeline = chaos.pipeline
    series = plan_.plan(component)
    zones = plan_.zones(component)
    expected = plan_.expected_alerts(series)
    assert len(expected) == 36  # 20 lagging series, 16 shrinking ones (4 zones × 4 indicators)

    put = pipeline.put_targets(plan_.targets(series))
    assert put.status_code == 202, put.text

    def targets_stored() -> bool:
        with psycopg.connect(pipeline.database_url) as conn:
            (count,) = conn.execute("SELECT count(*) FROM targets WHERE zone = ANY(%s)", (zones,)).fetchone()
        return count == len(series)

    wait_for(targets_stored, 60, "the 80 targets stored before the burst")
    chaos.prepare(component)

    db_retries_before = metric(pipeline.processor_url, "indicators_processor_db_retries_total")
    load = Burst(pipeline.post_observations, plan_.batches(series), deadline_s=BURST_DEADLINE_S)
    assert len(load.batches) == BATCHES
    watch = Milestones(
        [
            ("stored", lambda: load.done and stored_as_accepted(pipeline.database_url, zones, load)),
            ("judged", lambda: all_judged(chaos, zones, expected)),
        ],
        DRAIN_BOUND_S,
    )
    load.start()
    try:
        wait_for(
            lambda: load.accepted_count() >= KILL_AFTER_BATCHES or load.done,
            60,
            f"{KILL_AFTER_BATCHES} batches accepted before the kill",
            last=lambda: load.attempts[-3:],
        )
        assert not load.done, "the burst ended before the kill: it must be slowed down"
        chaos.crash(component)
        killed_at = time.monotonic()
        if component == "broker":
            wait_for(
                lambda: load.refusals(), 30, "a batch refused while the broker is dead", last=lambda: load.attempts[-1:]
            )
        else:
            wait_for(
                lambda: load.done,
                60,
                f"the rest of the burst answered while the {component} is down",
                last=lambda: load.attempts[-1:],
            )
        restarted_at = time.monotonic()
        chaos.launch(component)
        # Watched from the restart on, so that waiting for the component to answer delays no reading.
        watch.start()
        chaos.wait_ready(component)
        ready_at = time.monotonic()
        load.join(BURST_DEADLINE_S + 10)
        assert load.unexpected == [], f"ingest answered neither 202 nor 503: {load.unexpected}"

        # What was accepted is stored, exactly once, under the batch that was accepted; nothing else.
        wait_for(lambda: "stored" in watch.reached or watch.done, DRAIN_BOUND_S + 5, "the accepted rows stored")
        want_revisions = expected_revisions(load)
        rows_accepted = len(want_revisions)
        if "stored" not in watch.reached:
            found = Counter(without_lost_acknowledgements(revisions(pipeline.database_url, zones), load))
            missing, extra = Counter(want_revisions) - found, found - Counter(want_revisions)
            raise AssertionError(
                f"{DRAIN_BOUND_S} s after the {component}'s restart, {sum(missing.values())} of {rows_accepted} "
                f"accepted rows are not stored and {sum(extra.values())} are stored that were not accepted, or twice; "
                f"e.g. missing {sorted(missing)[:2]}, extra {sorted(extra)[:2]}"
            )
        refused = load.refusals()
        assert len(load.accepted) == BATCHES, (
            f"{BATCHES - len(load.accepted)} batches never accepted within {BURST_DEADLINE_S} s of the burst's start "
            f"({time.monotonic() - ready_at:.0f} s after the {component} was back); last answer: {refused[-1:]}"
        )
        wait_for(lambda: watch.done, DRAIN_BOUND_S + 5, "the watch over")
        assert "judged" in watch.reached, (
            f"{DRAIN_BOUND_S} s after the {component}'s restart, the alerts are not the ones the figures imply "
            f"(or not all published, or a worker has not caught up); alerts off: "
            f"{sorted(alert_state(pipeline.database_url, zones) ^ expected)}"
        )
    finally:
        load.stop.set()
        watch.stop.set()
    stored_at, judged_at = watch.reached["stored"], watch.reached["judged"]

    first_202 = min((a.ended for a in load.attempts if a.status == 202 and a.ended >= restarted_at), default=None)
    first_try = {}
    for attempt in load.attempts:
        first_try.setdefault(attempt.batch, attempt.started)
    save(
        Recovery(
            case=component,
            killed=HOW_KILLED[component],
            down_s=round(restarted_at - killed_at, 2),
            ready_s=round(ready_at - restarted_at, 2),
            first_202_s=round(first_202 - restarted_at, 2) if refused and first_202 is not None else None,
            stored_s=round(stored_at - restarted_at, 2),
            judged_s=round(judged_at - restarted_at, 2),
            refused_attempts=len(refused),
            longest_batch_wait_s=round(max(a.ended - first_try[a.batch] for a in load.attempts if a.status == 202), 2),
            rows=rows_accepted,
        )
    )
    if component == "broker":
        assert refused, "the broker's death was never felt by ingest"
    else:
        assert refused == [], f"ingest needs only Kafka, yet refused: {refused[:3]}"
    if component == "postgres":
        # The processor felt the outage and waited it out (rather than dropping or dead-lettering the rows).
        assert metric(pipeline.processor_url, "indicators_processor_db_retries_total") > db_retries_before

    # Every row exactly as posted: the current observation is the accepted row, under its batch and index.
    assert rows_accepted == 960
    assert observations(pipeline.database_url, zones) == {
        (zone, indicator, period_): (value, base, batch_id, index)
        for zone, indicator, period_, value, base, batch_id, index in want_revisions
    }
    figures = progress_rows(pipeline.database_url, zones)
    assert {key: found[:6] for key, found in figures.items()} == expected_progress(series)

    # Worked out by hand. 区00 规上工业产值: 10 a month, base 9.50 a month, target 160 (lagging).
    # May: 50 on 47.5 is +5.263157894737%; 50/160 = 31.25% against 5/12 = 41.666…%: −10.416666666667 points.
    # December: 120 on 114, the same growth; 120/160 = 75% against 100%: 25 points behind.
    # 区02 进出口总额: 12.25 a month, base 12.8625 (5% above), target 134.75 = 11 × 12.25.
    # December: 147 on 154.35 is −7.35/154.35 = −4.761904761905%; 147/134.75 = 12/11 = 109.090909090909%.
    first, second = zones[0], zones[2]
    may, december = plan_.period(5), plan_.period(12)
    assert figures[(first, "industrial_output", may)][6:] == (
        Decimal("5.263157894737"),
        Decimal("31.250000000000"),
        Decimal("-10.416666666667"),
    )
    assert figures[(first, "industrial_output", december)][6:] == (
        Decimal("5.263157894737"),
        Decimal("75.000000000000"),
        Decimal("-25.000000000000"),
    )
    assert figures[(second, "import_export", december)][6:] == (
        Decimal("-4.761904761905"),
        Decimal("109.090909090909"),
        Decimal("9.090909090909"),
    )
    shown = httpx.get(
        f"{pipeline.query_url}/v1/progress",
        timeout=10,
        params={"zone": first, "indicator": "industrial_output", "year": plan_.YEAR, "month": 12},
    ).json()["items"][0]
    assert (shown["ytd_value"], shown["yoy_pct"], shown["completion_pct"], shown["on_track"]) == (120, 5.3, 75.0, False)

    # Every alert exactly once: one `fired` each, versions 1, 2, … without a gap or a repeat, never resolved
    # (the series lag, or shrink, in every month judged), and the topic carries the same events.
    found = alert_events(pipeline.database_url, zones)
    assert set(found) == {(rule, zone, indicator) for rule, zone, indicator, _, _ in expected}
    for identity, history in found.items():
        assert [version for version, *_ in history] == list(range(1, len(history) + 1)), identity
        assert [transition for _, transition, *_ in history].count("fired") == 1, (identity, history)
        assert history[0][1] == "fired" and "resolved" not in [t for _, t, *_ in history], (identity, history)
        if identity[0] == "negative_growth":
            assert history == [(1, "fired", "warning", True)], identity
        else:
            assert history[-1][2] == "critical", (identity, history)  # December: 全年
    assert alerts_on_topic(pipeline.kafka_bootstrap, zones) == {
        (*identity, version, transition) for identity, history in found.items() for version, transition, *_ in history
    }
    messages = alert_messages(pipeline.database_url, zones)
    assert messages[("behind_schedule", first, "industrial_output")] == (
        f"{first} 规上工业产值 2011年1-12月完成率75.0%，落后序时进度25.0个百分点，全年目标未完成"
        "（序时进度100.0%，累计120亿元，全年目标160亿元）"
    )
    assert messages[("negative_growth", second, "import_export")] == (
        f"{second} 进出口总额 2011年1-12月累计147亿元，同比下降4.8%（上年同期可比数154.35亿元）"
    )

    # Nothing died on the way: every service runs, and answers ready.
    assert chaos.dead_services() == []
    for service in pipeline.services.values():
        service.wait_ready(30)
