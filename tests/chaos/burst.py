"""The chaos tests' burst: what is posted (a plan of series, pure), what the final figures imply, and the
load generator that posts it from a thread, sending a refused batch again as a real upstream would.

Each case has zones of its own (混沌<case>区00…19) in the year 2011, far from today, so the late-report
check never looks at them. Four indicators without parts (no part-of plausibility between them) ×
20 zones = 80 series; 12 cumulative months each, with 上年同期可比数 on every row: 960 rows, 40 batches
of 24, posted month by month so that every batch mixes zones and indicators.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import httpx

YEAR = 2011
INDICATORS = ("industrial_output", "import_export", "signed_investment", "major_project_investment")
ZONES_PER_CASE = 20
MONTHS = 12
ROWS_PER_BATCH = 24
BATCHES = ZONES_PER_CASE * len(INDICATORS) * MONTHS // ROWS_PER_BATCH  # 40
# A refused batch is sent again after the Retry-After ingest gives (5 s), capped at this: the measured
# recovery would otherwise be rounded up to the next 5 s.
RETRY_CAP_S = 1.0
# Between two batches: the burst lasts a few seconds, so the kill lands in its middle.
PACE_S = 0.05


@dataclass(frozen=True)
class Series:
    """One zone's indicator for the year: the same amount every month, so the year to date is month × monthly."""

    zone: str
    indicator: str
    monthly: Decimal
    base_monthly: Decimal  # last year's comparable monthly amount (上年同期可比数 is month × this)
    target: Decimal
    lagging: bool  # target 16 × monthly: completion m/16 against m/12, behind by more than 5 points from March
    shrinking: bool  # last year's base 5% above this year's: negative growth all year

    def ytd(self, month: int) -> Decimal:
        return self.monthly * month

    def base(self, month: int) -> Decimal:
        return self.base_monthly * month


def zone_name(case: str, index: int) -> str:
    return f"混沌{case}区{index:02d}"


def plan(case: str) -> list[Series]:
    """The case's 80 series: 10 亿元 a month and up in steps of 0.25; one in four lagging, every fifth zone shrinking."""
    series = []
    for index in range(ZONES_PER_CASE):
        for position, indicator in enumerate(INDICATORS):
            monthly = Decimal(10 + index) + Decimal(position) / 4
            lagging = (index + position) % 4 == 0
            shrinking = index % 5 == 2
            series.append(
                Series(
                    zone=zone_name(case, index),
                    indicator=indicator,
                    monthly=monthly,
                    base_monthly=monthly * (Decimal("1.05") if shrinking else Decimal("0.95")),
                    # On-track series: 12/11 of the target by December, ahead of time progress every month.
                    target=monthly * (16 if lagging else 11),
                    lagging=lagging,
                    shrinking=shrinking,
                )
            )
    return series


def zones(case: str) -> list[str]:
    return [zone_name(case, index) for index in range(ZONES_PER_CASE)]


def row(series: Series, month: int) -> dict:
    return {
        "zone": series.zone,
        "indicator": series.indicator,
        "period": f"{YEAR}-{month:02d}",
        "value": str(series.ytd(month)),
        "yoy_base": str(series.base(month)),
        "unit": "亿元",
    }


def batches(series: list[Series]) -> list[list[dict]]:
    """Month by month, every series' row; cut into batches of ROWS_PER_BATCH."""
    rows = [row(s, month) for month in range(1, MONTHS + 1) for s in series]
    return [rows[start : start + ROWS_PER_BATCH] for start in range(0, len(rows), ROWS_PER_BATCH)]


def targets(series: list[Series]) -> list[dict]:
    return [{"zone": s.zone, "indicator": s.indicator, "year": YEAR, "value": str(s.target)} for s in series]


def expected_alerts(series: list[Series]) -> set[tuple[str, str, str, str, str]]:
    """(rule, zone, indicator, state, severity) the December figures imply, by the rules of docs/operations.md:
    behind schedule ⇔ completion more than 5 points below 12/12 ⇔ 12·monthly < 0.95·target (critical in
    December: 全年); negative growth ⇔ ytd below last year's comparable base (warning). Nothing else: the
    months are steady (no swing), cumulative values rise (plausible), 2011 is long past (not late)."""
    found = set()
    for s in series:
        if s.ytd(12) < Decimal("0.95") * s.target:
            found.add(("behind_schedule", s.zone, s.indicator, "firing", "critical"))
        if s.ytd(12) < s.base(12):
            found.add(("negative_growth", s.zone, s.indicator, "firing", "warning"))
    return found


def period(month: int) -> date:
    return date(YEAR, month, 1)


# ---------------------------------------------------------------- the load generator


@dataclass(frozen=True)
class Attempt:
    """One POST of one batch: when it was sent and answered (monotonic seconds), and what came back."""

    batch: int
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all (connection refused, timeout)
    batch_id: str | None  # ingest's id of the batch: accepted (202), or refused but maybe in Kafka (503)
    detail: str


@dataclass
class Burst:
    """Posts `batches` one after the other from a thread; each refused batch (503, or no answer) is sent
    again with the same rows until accepted or `deadline_s` after the start. Any other answer stops the
    burst: the test fails with it."""

    post: Callable[[list[dict]], httpx.Response]
    batches: list[list[dict]]
    deadline_s: float
    attempts: list[Attempt] = field(default_factory=list)
    accepted: dict[int, str] = field(default_factory=dict)  # batch number → batch_id
    unexpected: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="chaos-burst", daemon=True)
        self.thread.start()

    def join(self, timeout: float) -> None:
        assert self.thread is not None
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the burst did not end within {timeout:.0f} s"

    @property
    def done(self) -> bool:
        return self.thread is not None and not self.thread.is_alive()

    def accepted_count(self) -> int:
        with self.lock:
            return len(self.accepted)

    def refusals(self) -> list[Attempt]:
        with self.lock:
            return [a for a in self.attempts if a.status != 202]

    def refused_batch_ids(self) -> dict[str, int]:
        """{batch_id: batch number} of every 503: a batch whose acknowledgement was lost may be stored all the same."""
        with self.lock:
            return {a.batch_id: a.batch for a in self.attempts if a.status == 503 and a.batch_id}

    def accepted_rows(self) -> Iterator[tuple[dict, str, int]]:
        """(row, batch_id, row_index) of every row of every accepted batch."""
        with self.lock:
            accepted = dict(self.accepted)
        for number, batch_id in sorted(accepted.items()):
            for index, posted in enumerate(self.batches[number]):
                yield posted, batch_id, index

    def _run(self) -> None:
        started = time.monotonic()
        for number, rows in enumerate(self.batches):
            while not self.stop.is_set():
                if time.monotonic() - started > self.deadline_s:
                    return
                attempt = self._send(number, rows)
                fatal = attempt.status not in (202, 503, None)
                with self.lock:
                    self.attempts.append(attempt)
                    if attempt.status == 202:
                        self.accepted[number] = attempt.batch_id or ""
                    if fatal:
                        self.unexpected.append(attempt)
                if attempt.status == 202:
                    break
                if fatal:
                    return
                self.stop.wait(RETRY_CAP_S)
            if self.stop.is_set():
                return
            self.stop.wait(PACE_S)

    def _send(self, number: int, rows: list[dict]) -> Attempt:
        sent = time.monotonic()
        try:
            response = self.post(rows)
        except httpx.HTTPError as error:
            return Attempt(number, sent, time.monotonic(), None, None, f"no answer: {type(error).__name__}: {error}")
        answered = time.monotonic()
        if response.status_code == 202:
            return Attempt(number, sent, answered, 202, response.json()["batch_id"], "")
        refused_id = response.json().get("batch_id") if response.status_code == 503 else None
        return Attempt(number, sent, answered, response.status_code, refused_id, response.text[:300])
