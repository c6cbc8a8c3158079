"""The sending loop: claim due deliveries from the outbox, send each in its own task, record the outcome.

Guarantees and how they are kept:

- Nothing is lost: a delivery is a row written in the evaluator's transaction;
  it stays `pending` until a send succeeded, whatever crashes in between.
- No double send by two notifiers: a claim is a short transaction
  (`SELECT … FOR UPDATE SKIP LOCKED`, then a lease `claimed_until` is set and
  committed); the HTTP call or SMTP conversation runs outside any transaction.
- At least once, not exactly once: a notifier that dies after the receiver got
  the message but before `sent` was recorded leaves a lease that expires, and the
  delivery is sent again. Receivers deduplicate on the delivery id
  (`X-Indicators-Delivery`, `delivery_id` in the body).
- A dead endpoint delays nobody else: every delivery is its own task, bounded by
  the send timeout, with at most `concurrency` in flight; only the same
  subscriber's later digests wait behind it (they go out in order).
- Retries back off exponentially (base × 2^(n−1), capped) and stop after
  `max_attempts` tries or `max_age`; the delivery is then `failed`, with the
  last error, in the API and in the metrics. A delivery is always tried at
  least once, however old it is when the notifier first sees it.

Why the backoff is a small function rather than tenacity: the wait lives in the
database (`next_attempt_at`), not in a coroutine that sleeps, so the schedule is
a pure function of the attempt count that any notifier (after a restart, too)
computes the same way.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import aiosmtplib
import httpx
import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from indicators_core.catalog import Catalog, subject_name
from indicators_core.netguard import TargetRefused, TargetUnresolved
from indicators_core.vocabulary import Severity, Transition
from notifier import channels, metrics
from notifier.config import NotifierSettings
from notifier.senders import SendFailed, load_senders

log = logging.getLogger("notifier")
DB_ERRORS = (psycopg.OperationalError, PoolTimeout)


CONNECT_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "connect timed out",
}


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def http_failure_words(error: Exception) -> str:
    """What a delivery records of a failed HTTP send: a fixed phrase, never text the other end sent.

    (An HTTP parser's complaint quotes the bytes it got: an SSH banner, a database's greeting. Those are
    what an SSRF probe reads back, so they are not recorded.)
    """
    if isinstance(error, TargetRefused):
        return f"not sent: {error.reason}"
    if isinstance(error, TargetUnresolved):
        return str(error)
    chain = _causes(error)
    if isinstance(error, httpx.TimeoutException):
        return "connect timed out" if isinstance(error, httpx.ConnectTimeout) else "timed out"
    if isinstance(error, httpx.ConnectError) or not isinstance(error, httpx.HTTPError):
        for cause in chain:
            if isinstance(cause, ssl.SSLCertVerificationError):
                return f"TLS certificate not accepted ({cause.verify_message})"
            if isinstance(cause, ssl.SSLError):
                return "TLS handshake failed"
            if isinstance(cause, OSError) and cause.errno in CONNECT_ERRNO_WORDS:
                return CONNECT_ERRNO_WORDS[cause.errno]
        return "connection failed"
    if isinstance(error, httpx.RemoteProtocolError):
        return "no valid HTTP answer (the connection closed, or the other end speaks another protocol)"
    if isinstance(error, httpx.ReadError | httpx.WriteError):
        return "connection lost"
    return type(error).__name__


def retry_delay_s(attempts: int, base_s: float, max_s: float) -> float:
    """How long to wait after the `attempts`-th failed try: base × 2^(attempts−1), at most max."""
    return min(max_s, base_s * 2 ** max(0, attempts - 1))


@dataclass(frozen=True)
class Claim:
    """A delivery this notifier holds the lease of, with where it goes."""

    delivery_id: int
    subscription_id: UUID
    kind: str
    attempts: int  # including this one
    created_at: datetime
    channel: str
    target: str
    secret: str | None
    subscription_name: str


# Due: pending, its retry time reached, not leased (or the lease expired: that
# notifier died). Alert digests of one subscriber go in order: only its oldest
# pending one is eligible. Test messages do not wait behind a backlog.
CLAIM = """
    WITH due AS (
        SELECT d.id FROM deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
          AND (d.claimed_until IS NULL OR d.claimed_until <= now())
          AND (d.kind = 'test' OR NOT EXISTS (
                SELECT 1 FROM deliveries e
                WHERE e.subscription_id = d.subscription_id AND e.status = 'pending'
                  AND e.kind = 'alerts' AND e.id < d.id))
        ORDER BY d.next_attempt_at, d.id
        LIMIT %(limit)s
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE deliveries d
    SET claimed_until = now() + make_interval(secs => %(lease_s)s), attempts = d.attempts + 1, last_attempt_at = now()
    FROM due, subscriptions s
    WHERE d.id = due.id AND s.id = d.subscription_id
    RETURNING d.id AS delivery_id, d.subscription_id, d.kind, d.attempts, d.created_at,
              s.channel, s.target, s.secret, s.name AS subscription_name
"""

EVENTS = """
    SELECT i.delivery_id, e.rule, e.zone, e.indicator, e.period, e.version, e.transition, e.severity,
           e.message, e.figures, e.occurred_at
    FROM delivery_items i JOIN alert_events e USING (rule, zone, indicator, period, version)
    WHERE i.delivery_id = ANY(%s)
"""

MARK_SENT = """
    UPDATE deliveries SET status = 'sent', sent_at = now(), claimed_until = NULL
    WHERE id = %s AND status = 'pending'
    RETURNING extract(epoch FROM sent_at - created_at)::float8 AS latency_s
"""

MARK_FAILED = """
    UPDATE deliveries SET
        status = CASE WHEN attempts >= %(max_attempts)s OR created_at <= now() - make_interval(secs => %(max_age_s)s)
                      THEN 'failed' ELSE 'pending' END,
        next_attempt_at = now() + make_interval(secs => %(delay_s)s),
        last_error = %(error)s,
        claimed_until = NULL
    WHERE id = %(id)s AND status = 'pending'
    RETURNING status
"""

OUTBOX_STATE = """
    SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
           coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8 AS oldest_s,
           count(*) FILTER (WHERE status = 'failed') AS failed
    FROM deliveries
"""

# Most severe first, recoveries last, then by place: what a reader should see first.
_SEVERITY_RANK = {str(severity): severity.rank for severity in Severity}


def _event_order(event: channels.DigestEvent) -> tuple[Any, ...]:
    resolved = event.transition == Transition.RESOLVED
    return (resolved, -_SEVERITY_RANK.get(event.severity, -1), event.zone, event.indicator, event.rule, event.period)


class Notifier:
    """Claims and sends deliveries until told to stop."""

    def __init__(
        self, settings: NotifierSettings, pool: AsyncConnectionPool, catalog: Catalog, http: httpx.AsyncClient
    ):
        self.settings = settings
        self.pool = pool
        self.catalog = catalog
        self.http = http
        self.inflight: set[asyncio.Task[None]] = set()
        self.wake = asyncio.Event()
        self.last_loop_at = time.monotonic()
        self.senders = load_senders()

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, stopping: asyncio.Event) -> None:
        settings = self.settings
        log.info(
            "notifier running: up to %d deliveries at once, poll every %g s, send timeout %g s, lease %g s",
            settings.notifier_concurrency,
            settings.notifier_poll_interval_s,
            settings.notifier_send_timeout_s,
            settings.notifier_lease_s,
        )
        try:
            while not stopping.is_set():
                self.last_loop_at = time.monotonic()
                self.wake.clear()
                free = settings.notifier_concurrency - len(self.inflight)
                claimed: list[Claim] = []
                if free > 0:
                    try:
                        claimed = await self.claim(free)
                    except DB_ERRORS as error:
                        metrics.DB_ERRORS.inc()
                        log.warning("cannot claim deliveries (%s); trying again", " ".join(str(error).split()))
                for claim in claimed:
                    task = asyncio.create_task(self.deliver(claim), name=f"delivery-{claim.delivery_id}")
                    self.inflight.add(task)
                    task.add_done_callback(self._done)
                if free > 0 and len(claimed) == free:
                    continue  # more may be due; the next round finds no free slot and waits for one
                await self._sleep(stopping)
        finally:
            await self._drain()

    def _done(self, task: asyncio.Task[None]) -> None:
        self.inflight.discard(task)
        self.wake.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task failed unexpectedly", exc_info=task.exception())

    async def _sleep(self, stopping: asyncio.Event) -> None:
        """Until the poll interval passed, a slot came free, or stop was asked."""
        waiters = [asyncio.create_task(stopping.wait()), asyncio.create_task(self.wake.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self.settings.notifier_poll_interval_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _drain(self) -> None:
        """On stop: let sends in flight finish (they are bounded by the send timeout), then record them."""
        if not self.inflight:
            return
        log.info("stopping: waiting for %d delivery(ies) in flight", len(self.inflight))
        _, pending = await asyncio.wait(set(self.inflight), timeout=self.settings.notifier_send_timeout_s + 5)
        for task in pending:
            task.cancel()  # their leases expire and another notifier (or the next start) sends them

    # -- the outbox -------------------------------------------------------------------------

    async def claim(self, limit: int) -> list[Claim]:
        """Lease up to `limit` due deliveries (a short transaction of its own)."""
        async with self.pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(CLAIM, {"limit": limit, "lease_s": self.settings.notifier_lease_s})
            rows = await cursor.fetchall()
        return [Claim(**row) for row in rows]

    async def digest(self, claim: Claim) -> channels.Digest:
        events: list[channels.DigestEvent] = []
        if claim.kind == "alerts":
            async with self.pool.connection() as conn:
                cursor = conn.cursor(row_factory=dict_row)
                await cursor.execute(EVENTS, ([claim.delivery_id],))
                rows = await cursor.fetchall()
            for row in rows:
                indicator = self.catalog.get(row["indicator"])
                events.append(
                    channels.DigestEvent(
                        rule=row["rule"],
                        zone=row["zone"],
                        indicator=row["indicator"],
                        indicator_name=subject_name(self.catalog, row["indicator"], row["figures"]),
                        period=row["period"],
                        version=row["version"],
                        transition=row["transition"],
                        severity=row["severity"],
                        message=row["message"],
                        figures=row["figures"],
                        occurred_at=row["occurred_at"],
                        quarterly=bool(indicator and indicator.quarterly),
                    )
                )
        return channels.Digest(
            delivery_id=claim.delivery_id,
            kind=claim.kind,
            subscription_id=str(claim.subscription_id),
            subscription_name=claim.subscription_name,
            created_at=claim.created_at,
            events=tuple(sorted(events, key=_event_order)),
        )

    async def _record(self, query: str, params: Any) -> list[dict[str, Any]]:
        """Write an outcome, waiting out a short database outage (up to half the lease)."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(DB_ERRORS),
            wait=wait_exponential(multiplier=0.2, max=5),
            stop=stop_after_delay(self.settings.notifier_lease_s / 2),
            reraise=True,
        ):
            with attempt:
                try:
                    async with self.pool.connection() as conn:
                        cursor = conn.cursor(row_factory=dict_row)
                        await cursor.execute(query, params)
                        return await cursor.fetchall()
                except DB_ERRORS:
                    metrics.DB_ERRORS.inc()
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- one delivery -----------------------------------------------------------------------

    async def deliver(self, claim: Claim) -> None:
        settings = self.settings
        started = time.perf_counter()
        error: str | None = None
        what = claim.kind
        try:
            digest = await self.digest(claim)
            what = channels.title(digest)
            async with asyncio.timeout(settings.notifier_send_timeout_s):
                await self.send(claim, digest)
        except TimeoutError:
            error = f"no answer within {settings.notifier_send_timeout_s:g} s"
        except SendFailed as failure:
            error = str(failure)
        except aiosmtplib.SMTPException as failure:
            # The operator's own mail server: its words help and are no probe's answer.
            error = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
        except (httpx.HTTPError, OSError, TargetRefused) as failure:
            error = http_failure_words(failure)
        except DB_ERRORS:
            metrics.DB_ERRORS.inc()
            log.warning("delivery %d: database unavailable before sending; its lease will expire", claim.delivery_id)
            return
        except Exception as failure:  # a bug must not retry forever: it is recorded like any failure
            log.exception("delivery %d: unexpected error", claim.delivery_id)
            error = f"{type(failure).__name__}: {failure}"
        finally:
            metrics.SEND_SECONDS.labels(claim.channel).observe(time.perf_counter() - started)
        try:
            if error is None:
                await self._sent(claim, what)
            else:
                await self._failed(claim, error)
        except DB_ERRORS as failure:
            # The lease expires and the delivery is tried again: at least once, never lost.
            log.error("delivery %d: outcome not recorded (%s); it will be tried again", claim.delivery_id, failure)

    async def _sent(self, claim: Claim, what: str) -> None:
        rows = await self._record(MARK_SENT, (claim.delivery_id,))
        metrics.DELIVERIES.labels(claim.channel, "sent").inc()
        if rows:
            metrics.LATENCY.labels(claim.channel).observe(max(0.0, rows[0]["latency_s"]))
        log.info(
            "delivery %d sent: %s to %s「%s」 (attempt %d)",
            claim.delivery_id,
            claim.kind,
            claim.channel,
            claim.subscription_name,
            claim.attempts,
        )

    async def _failed(self, claim: Claim, error: str) -> None:
        settings = self.settings
        delay_s = retry_delay_s(claim.attempts, settings.notifier_backoff_base_s, settings.notifier_backoff_max_s)
        rows = await self._record(
            MARK_FAILED,
            {
                "id": claim.delivery_id,
                "max_attempts": settings.notifier_max_attempts,
                "max_age_s": settings.notifier_max_age_s,
                "delay_s": delay_s,
                "error": error[:2000],
            },
        )
        status = rows[0]["status"] if rows else "gone"
        if status == "gone":
            # Its subscription was deleted while it was being sent: nothing will retry it, so it is no "retrying".
            log.info("delivery %d failed (%s), and its subscription is gone meanwhile", claim.delivery_id, error)
            return
        if status == "failed":
            metrics.DELIVERIES.labels(claim.channel, "failed").inc()
            log.error(
                "delivery %d to %s「%s」 given up after %d attempt(s): %s",
                claim.delivery_id,
                claim.channel,
                claim.subscription_name,
                claim.attempts,
                error,
            )
        else:
            metrics.DELIVERIES.labels(claim.channel, "retrying").inc()
            log.warning(
                "delivery %d to %s「%s」 failed (attempt %d: %s); next try in %g s",
                claim.delivery_id,
                claim.channel,
                claim.subscription_name,
                claim.attempts,
                error,
                delay_s,
            )

    async def send(self, claim: Claim, digest: channels.Digest) -> None:
        """Send by the channel's sender (notifier.senders); raises SendFailed (or a transport error) when not taken."""
        send = self.senders.get(claim.channel)
        if send is None:
            raise SendFailed(f"unknown channel '{claim.channel}'")
        await send(self, claim, digest)

    # -- state for /metrics and /readyz ------------------------------------------------------

    async def refresh_outbox_gauges(self, timeout_s: float = 2.0) -> None:
        async with self.pool.connection(timeout=timeout_s) as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(OUTBOX_STATE)
            row = await cursor.fetchone()
        if row is not None:
            metrics.PENDING.set(row["pending"])
            metrics.OLDEST_PENDING.set(row["oldest_s"])
            metrics.FAILED_STORED.set(row["failed"])

    def loop_alive(self, stale_after_s: float) -> bool:
        return time.monotonic() - self.last_loop_at <= stale_after_s
