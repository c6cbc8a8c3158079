"""The stored current reports the plausibility checks compare a batch with, read from PostgreSQL.

Ingest's job is to get accepted rows onto Kafka, and it must keep doing that while
PostgreSQL is down: a lookup that fails or takes longer than its bound raises
HistoryUnavailable, and the caller checks the batch on its own figures instead.
After a lookup that had to wait out its bound (a host that does not answer), the database
is not asked again for `retry_after_s`, so such an outage costs one bounded wait, not one per
batch; a refused connection is tried again at the next batch (it costs nothing).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Mapping

import psycopg

from indicators_core.plausibility import Series, SeriesKey
from indicators_core.progress import Basis, MonthReport
from ingest.readonly_db import ReadOnlyConnections

log = logging.getLogger(__name__)

# All series of a batch in one round trip.
SELECT_SERIES = """
SELECT o.zone, o.indicator, o.period, o.basis, o.value, o.yoy_base
FROM observations o
JOIN unnest(%s::text[], %s::text[], %s::int[], %s::int[]) AS s(zone, indicator, first_year, last_year)
  ON o.zone = s.zone AND o.indicator = s.indicator
 AND o.period >= make_date(s.first_year, 1, 1) AND o.period < make_date(s.last_year + 1, 1, 1)
"""


class HistoryUnavailable(Exception):
    """The stored reports could not be read within the bound."""


class StoredHistory:
    """Read-only connections of its own (ingest.readonly_db); a failed connect is the only thing that sends
    the next `retry_after_s` of batches to "batch only"."""

    def __init__(self, database_url: str, timeout_s: float, retry_after_s: float = 5.0):
        self.connections = ReadOnlyConnections(database_url, timeout_s, max_idle=4)
        self.where = self.connections.where
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._open = False

    def open(self) -> None:
        """Ready to look up; connects only when a batch needs the history (ingest never waits for PostgreSQL)."""
        self._open = True

    def close(self) -> None:
        self._open = False
        self.connections.close()

    def read(self, needed: Mapping[SeriesKey, tuple[int, int]]) -> dict[SeriesKey, Series]:
        """The current reports of each (zone, indicator) for its years (first, last), inclusive."""
        if not needed:
            return {}
        if not self._open:
            raise HistoryUnavailable("the service has not started its database lookups")
        with self._lock:
            skipped = time.monotonic() < self._down_until
        if skipped:
            raise HistoryUnavailable(f"PostgreSQL at {self.where} was unavailable moments ago")
        keys = sorted(needed)
        params = (
            [zone for zone, _ in keys],
            [indicator for _, indicator in keys],
            [needed[key][0] for key in keys],
            [needed[key][1] for key in keys],
        )
        started = time.monotonic()
        try:
            rows = self.connections.fetchall(SELECT_SERIES, params)
        except psycopg.Error as error:
            # Only a failure that made the batch wait (a host that does not answer) holds the next ones off;
            # a refused connection costs nothing to try again, and PostgreSQL may be back the next moment.
            if time.monotonic() - started >= self.timeout_s / 2:
                with self._lock:
                    self._down_until = time.monotonic() + self.retry_after_s
            reason = " ".join(str(error).split()) or type(error).__name__
            raise HistoryUnavailable(f"PostgreSQL at {self.where}: {reason}") from error
        series: dict[SeriesKey, dict[int, dict[int, MonthReport]]] = defaultdict(lambda: defaultdict(dict))
        for zone, indicator, period, basis, value, yoy_base in rows:
            series[(zone, indicator)][period.year][period.month] = MonthReport(
                period.year, period.month, Basis(basis), value, yoy_base
            )
        return {key: dict(years) for key, years in series.items()}
