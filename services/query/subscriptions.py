"""Alert subscriptions: who is told about which alerts, and where (admin key required).

Served by the query service under /v1/subscriptions. Every call needs
`Authorization: Bearer <INDICATORS_ADMIN_KEY>` (checked as ingest checks writes).
Bad input is answered 422 with every problem named by field, and nothing is
stored. Secrets are never shown back: a subscription says only whether it has
one, and tokens in a robot URL's query string are shortened to their first
characters.

The query service's own pool is read-only; the writes go through a small pool
of their own (query.database.open_subscriptions_pool, opened with the app). The
catalog and settings are the app's (query.dependencies).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit
from uuid import UUID, uuid4

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from alerts.model import Rule, Severity
from alerts.outbox import enqueue_test_delivery
from indicators_core import vocabulary
from indicators_core.auth import bearer_key_owner, unauthorized_reason
from indicators_core.catalog import Catalog
from indicators_core.netguard import Network, TargetRefused, TargetUnresolved, check_target, resolve_checked
from query.config import QuerySettings
from query.dependencies import CatalogDep, SettingsDep, SubscriptionsPoolDep
from query.params import FieldProblem
from query.problems import problem

CHANNELS = vocabulary.CHANNEL_CODES
URL_CHANNELS = vocabulary.URL_CHANNELS
DELIVERY_STATUSES = vocabulary.DELIVERY_STATUSES
MAX_NAME = 200
MAX_TARGET = 2000
MAX_FILTER_ITEMS = 500
MIN_WEBHOOK_SECRET = 16  # an HMAC key shorter than this is guessable
# Address syntax only (local@domain.tld); whether the mailbox exists is the SMTP server's business.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
SHOWN_TOKEN_CHARS = 4


@dataclass(frozen=True)
class SubscriptionSpec:
    """A subscription as stored (the id and timestamps aside)."""

    name: str
    channel: str
    target: str
    secret: str | None
    zones: list[str] | None
    indicators: list[str] | None
    rules: list[str] | None
    min_severity: str
    paused: bool


FIELDS = [f.name for f in fields(SubscriptionSpec)]
REQUIRED = ("name", "channel", "target")


class SubscriptionInvalid(ValueError):
    def __init__(self, errors: Sequence[FieldProblem]):
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in errors))
        self.errors = list(errors)


def _text(payload: Mapping[str, Any], name: str, problems: list[FieldProblem], limit: int) -> str | None:
    value = payload[name]
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldProblem(name, "must be a non-empty string"))
        return None
    value = value.strip()
    if len(value) > limit:
        problems.append(FieldProblem(name, f"longer than {limit} characters"))
        return None
    return value


def _filter(
    payload: Mapping[str, Any], name: str, problems: list[FieldProblem], known: Sequence[str] | None, what: str
) -> list[str] | None:
    """A filter list: None (omitted or null) means all; an empty list would match nothing, so it is refused."""
    value = payload[name]
    if value is None:
        return None
    if not isinstance(value, list):
        problems.append(FieldProblem(name, f"must be a list of {what}s, or omitted (or null) for all"))
        return None
    if not value:
        problems.append(FieldProblem(name, f"an empty list matches nothing; omit it (or null) for all {what}s"))
        return None
    if len(value) > MAX_FILTER_ITEMS:
        problems.append(FieldProblem(name, f"more than {MAX_FILTER_ITEMS} {what}s"))
        return None
    cleaned: list[str] = []
    for position, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problems.append(FieldProblem(f"{name}[{position}]", f"must be a non-empty string ({what})"))
            continue
        item = item.strip()
        if known is not None and item not in known:
            problems.append(FieldProblem(f"{name}[{position}]", f"unknown {what} '{item}' (known: {', '.join(known)})"))
            continue
        if len(item) > MAX_NAME:
            problems.append(FieldProblem(f"{name}[{position}]", f"longer than {MAX_NAME} characters"))
            continue
        if item not in cleaned:
            cleaned.append(item)
    return cleaned


def _check_target(channel: str, target: str, allowed: Sequence[Network] = ()) -> str | None:
    """Why `target` is not an address for `channel`, or None (as far as can be told without DNS)."""
    if channel not in URL_CHANNELS:  # e-mail
        return None if EMAIL_RE.match(target) else f"'{target}' is not an e-mail address (name@example.com)"
    if any(ch.isspace() for ch in target):
        return "a URL has no spaces"
    try:
        parts = urlsplit(target)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as error:
        return f"not a URL ({error})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{target}' is not an http(s) URL with a host"
    try:
        # The SSRF guard: no loopback, private, link-local… address, no numeric host tricks (indicators_core.netguard).
        check_target(target, allowed)
    except TargetRefused as refused:
        return refused.reason
    # DingTalk and WeCom robots live at oapi.dingtalk.com and qyapi.weixin.qq.com; any http(s) URL the
    # guard passes is accepted so that a proxy (or a test receiver, where allowed) can stand in for them.
    return None


def target_changed(spec: SubscriptionSpec, current: SubscriptionSpec | None) -> bool:
    """A new subscription, or a new target or channel: what the target checks run on.

    A stored target is not judged again when other fields change, so a subscription whose target the
    operator's allowed networks no longer cover can still be paused or deleted (the notifier refuses it).
    """
    return current is None or spec.target != current.target or spec.channel != current.channel


def _scalar_fields(payload: Mapping[str, Any], problems: list[FieldProblem]) -> dict[str, Any]:
    """The name, channel, target and secret `payload` gives, each checked on its own (problems appended)."""
    values: dict[str, Any] = {}
    if payload.get("name") is not None:
        values["name"] = _text(payload, "name", problems, MAX_NAME)
    if payload.get("channel") is not None:
        channel = payload["channel"]
        if channel not in CHANNELS:
            problems.append(FieldProblem("channel", f"'{channel}' is not one of {', '.join(CHANNELS)}"))
        values["channel"] = channel
    if payload.get("target") is not None:
        values["target"] = _text(payload, "target", problems, MAX_TARGET)
    if "secret" in payload:
        secret = payload["secret"]
        if secret is not None and (not isinstance(secret, str) or not secret.strip()):
            problems.append(FieldProblem("secret", "must be a non-empty string, or null for none"))
        values["secret"] = secret.strip() if isinstance(secret, str) and secret.strip() else None
    return values


def _filter_fields(payload: Mapping[str, Any], catalog: Catalog, problems: list[FieldProblem]) -> dict[str, Any]:
    """The filters (zones, indicators, rules, min_severity) and `paused` that `payload` gives (problems appended)."""
    values: dict[str, Any] = {}
    for name, known, what in (
        ("zones", None, "zone"),
        ("indicators", catalog.codes(), "indicator"),
        ("rules", [str(rule) for rule in Rule], "rule"),
    ):
        if name in payload:
            values[name] = _filter(payload, name, problems, known, what)
    if payload.get("min_severity") is not None:
        if payload["min_severity"] not in [str(s) for s in Severity]:
            problems.append(
                FieldProblem(
                    "min_severity", f"'{payload['min_severity']}' is not one of {', '.join(str(s) for s in Severity)}"
                )
            )
        values["min_severity"] = payload["min_severity"]
    if "paused" in payload:
        if not isinstance(payload["paused"], bool):
            problems.append(FieldProblem("paused", "must be true or false"))
        values["paused"] = payload["paused"]
    return values


def _channel_problems(
    spec: SubscriptionSpec, current: SubscriptionSpec | None, allowed: Sequence[Network]
) -> list[FieldProblem]:
    """What depends on the channel, checked on the resulting subscription."""
    problems: list[FieldProblem] = []
    # What depends on the channel is checked on the result: a PATCH may change the channel or the target alone.
    reason = _check_target(spec.channel, spec.target, allowed) if target_changed(spec, current) else None
    if reason is not None:
        problems.append(FieldProblem("target", f"{reason} (channel {spec.channel})"))
    known = vocabulary.channel(spec.channel)
    signing = known.signing if known is not None else None
    if signing == "required":
        if spec.secret is None:
            problems.append(
                FieldProblem("secret", f"is required for a {spec.channel}: messages are signed with it (HMAC-SHA256)")
            )
        elif len(spec.secret) < MIN_WEBHOOK_SECRET:
            problems.append(FieldProblem("secret", f"shorter than {MIN_WEBHOOK_SECRET} characters"))
    elif signing == "refused" and spec.secret is not None:
        problems.append(
            FieldProblem(
                "secret",
                f"{spec.channel} messages are not signed: leave secret out"
                + (" (or set it to null)" if current is not None else ""),
            )
        )
    return problems


def validate_subscription(
    payload: Any, catalog: Catalog, current: SubscriptionSpec | None = None, allowed: Sequence[Network] = ()
) -> SubscriptionSpec:
    """The subscription `payload` describes (all of it for a new one; the changed fields over `current`).

    `allowed`: the networks INDICATORS_NOTIFY_ALLOW_NETWORKS opens to targets besides public addresses.
    Raises SubscriptionInvalid naming every wrong field; nothing is half-applied.
    """
    if not isinstance(payload, dict):
        raise SubscriptionInvalid([FieldProblem("body", "must be a JSON object")])
    problems: list[FieldProblem] = [
        FieldProblem(name, f"unknown field (known: {', '.join(FIELDS)})") for name in payload if name not in FIELDS
    ]
    if current is None:
        problems += [FieldProblem(name, "is required") for name in REQUIRED if payload.get(name) is None]
    values = _scalar_fields(payload, problems) | _filter_fields(payload, catalog, problems)
    if problems:
        raise SubscriptionInvalid(problems)

    if current is None:
        spec = SubscriptionSpec(
            name=values["name"],
            channel=values["channel"],
            target=values["target"],
            secret=values.get("secret"),
            zones=values.get("zones"),
            indicators=values.get("indicators"),
            rules=values.get("rules"),
            min_severity=values.get("min_severity", str(Severity.INFO)),
            paused=values.get("paused", False),
        )
    else:
        spec = replace(current, **values)

    problems += _channel_problems(spec, current, allowed)
    if problems:
        raise SubscriptionInvalid(problems)
    return spec


async def resolved_target_problem(spec: SubscriptionSpec, allowed: Sequence[Network] = ()) -> FieldProblem | None:
    """The SSRF guard's DNS half: a URL target's host must resolve to allowed addresses only.

    A host that does not resolve (yet) is accepted: the notifier resolves and checks again at every send.
    """
    if spec.channel not in URL_CHANNELS:
        return None  # e-mail goes to the operator's SMTP server (INDICATORS_NOTIFIER_SMTP_HOST), not to the target
    try:
        target = check_target(spec.target, allowed)
        await resolve_checked(target.host, target.port, allowed)
    except TargetRefused as refused:
        return FieldProblem("target", f"{refused.reason} (channel {spec.channel})")
    except TargetUnresolved:
        return None
    return None


def shown_target(channel: str, target: str) -> str:
    """The target as the API shows it: tokens in a URL (a robot's access_token, key) cut to a few characters."""
    if channel not in URL_CHANNELS:
        return target
    parts = urlsplit(target)
    query = "&".join(
        f"{quote_plus(name)}={quote_plus(value[:SHOWN_TOKEN_CHARS])}{'…' if len(value) > SHOWN_TOKEN_CHARS else ''}"
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":…@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def subscription_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored subscription as the API shows it: never the secret itself."""
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "channel": row["channel"],
        "target": shown_target(row["channel"], row["target"]),
        "secret_set": row["secret"] is not None,
        "zones": row["zones"],
        "indicators": row["indicators"],
        "rules": row["rules"],
        "min_severity": row["min_severity"],
        "paused": row["paused"],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }


def _spec_of(row: Mapping[str, Any]) -> SubscriptionSpec:
    return SubscriptionSpec(**{name: row[name] for name in FIELDS})


def _invalid(error: SubscriptionInvalid) -> Response:
    return problem(422, f"{error}; nothing was stored", error.errors)


def _not_found(subscription_id: str) -> Response:
    return problem(404, f"no subscription '{subscription_id}'")


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SubscriptionInvalid([FieldProblem("body", f"not JSON ({error})")]) from None


SELECT_SUBSCRIPTION = """
    SELECT id, name, channel, target, secret, zones, indicators, rules, min_severity, paused, created_at, updated_at
    FROM subscriptions
"""

DELIVERIES = """
    SELECT d.id, d.kind, d.status, d.attempts, d.created_at, d.last_attempt_at, d.next_attempt_at, d.sent_at,
           d.last_error,
           coalesce(json_agg(json_build_object(
               'rule', e.rule, 'zone', e.zone, 'indicator', e.indicator, 'period', to_char(e.period, 'YYYY-MM'),
               'version', e.version, 'transition', e.transition, 'severity', e.severity)
               ORDER BY e.occurred_at, e.rule, e.zone, e.indicator, e.period, e.version
           ) FILTER (WHERE e.rule IS NOT NULL), '[]') AS events
    FROM deliveries d
    LEFT JOIN delivery_items i ON i.delivery_id = d.id
    LEFT JOIN alert_events e ON (e.rule, e.zone, e.indicator, e.period, e.version)
                              = (i.rule, i.zone, i.indicator, i.period, i.version)
    WHERE d.subscription_id = %(id)s AND (%(status)s::text IS NULL OR d.status = %(status)s)
    GROUP BY d.id
    ORDER BY d.id DESC
    LIMIT %(limit)s
"""


async def require_admin(request: Request, settings: SettingsDep) -> None:
    """Every subscription call: the admin key, checked as ingest checks writes."""
    if settings.admin_key is None:
        raise HTTPException(
            503, "the subscription API is disabled: INDICATORS_ADMIN_KEY is not set on the query service"
        )
    header = request.headers.get("authorization", "")
    if bearer_key_owner(header, {settings.admin_key.get_secret_value(): "admin"}) is None:
        raise HTTPException(
            401,
            f"{unauthorized_reason(header)} (the admin key); nothing was changed",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"], dependencies=[Depends(require_admin)])


async def fetch(conn: psycopg.AsyncConnection[Any], subscription_id: UUID, lock: bool = False) -> dict[str, Any] | None:
    cursor = conn.cursor(row_factory=dict_row)
    await cursor.execute(SELECT_SUBSCRIPTION + " WHERE id = %s" + (" FOR UPDATE" if lock else ""), (subscription_id,))
    return await cursor.fetchone()


async def checked(
    payload: Any, catalog: Catalog, allowed: Sequence[Network], current: SubscriptionSpec | None = None
) -> SubscriptionSpec:
    """validate_subscription, and then where a new target's host resolves to."""
    spec = validate_subscription(payload, catalog, current, allowed)
    if target_changed(spec, current):
        found = await resolved_target_problem(spec, allowed)
        if found is not None:
            raise SubscriptionInvalid([found])
    return spec


@router.post("", status_code=201, summary="Subscribe to alerts (admin key)")
async def create_subscription(
    request: Request, pool: SubscriptionsPoolDep, catalog: CatalogDep, settings: SettingsDep
) -> Response:
    try:
        spec = await checked(await _json_body(request), catalog, settings.notify_allow_networks)
    except SubscriptionInvalid as error:
        return _invalid(error)
    async with pool.connection() as conn:
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(
            """
            INSERT INTO subscriptions (id, name, channel, target, secret, zones, indicators, rules, min_severity, paused)
            VALUES (%(id)s, %(name)s, %(channel)s, %(target)s, %(secret)s, %(zones)s, %(indicators)s, %(rules)s,
                    %(min_severity)s, %(paused)s)
            RETURNING id, name, channel, target, secret, zones, indicators, rules, min_severity, paused,
                      created_at, updated_at
            """,
            {"id": uuid4(), **{name: getattr(spec, name) for name in FIELDS}},
        )
        row = await cursor.fetchone()
    assert row is not None  # INSERT … RETURNING  # noqa: S101
    return JSONResponse(subscription_view(row), status_code=201, headers={"Location": f"/v1/subscriptions/{row['id']}"})


@router.get("", summary="Every subscription (admin key)")
async def list_subscriptions(pool: SubscriptionsPoolDep) -> Response:
    async with pool.connection() as conn:
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(SELECT_SUBSCRIPTION + " ORDER BY created_at, id")
        rows = await cursor.fetchall()
    return JSONResponse({"items": [subscription_view(row) for row in rows]})


@router.get("/{subscription_id}", summary="One subscription, with how its deliveries stand (admin key)")
async def get_subscription(subscription_id: str, pool: SubscriptionsPoolDep) -> Response:
    key = _uuid(subscription_id)
    if key is None:
        return _not_found(subscription_id)
    async with pool.connection() as conn:
        row = await fetch(conn, key)
        if row is None:
            return _not_found(subscription_id)
        cursor = await conn.execute(
            "SELECT status, count(*) FROM deliveries WHERE subscription_id = %s GROUP BY status", (key,)
        )
        counts = dict.fromkeys(DELIVERY_STATUSES, 0) | {status: n for status, n in await cursor.fetchall()}
    return JSONResponse({**subscription_view(row), "deliveries": counts})


async def change(
    subscription_id: str,
    request: Request,
    pool: AsyncConnectionPool,
    catalog: Catalog,
    settings: QuerySettings,
    whole: bool,
) -> Response:
    """PUT (`whole`: every field as for POST) or PATCH (the fields given, over the stored ones), under a row lock."""
    key = _uuid(subscription_id)
    if key is None:
        return _not_found(subscription_id)
    try:
        payload = await _json_body(request)
    except SubscriptionInvalid as error:
        return _invalid(error)
    async with pool.connection() as conn:
        row = await fetch(conn, key, lock=True)
        if row is None:
            return _not_found(subscription_id)
        try:
            spec = await checked(payload, catalog, settings.notify_allow_networks, None if whole else _spec_of(row))
        except SubscriptionInvalid as error:
            return _invalid(error)
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(
            """
            UPDATE subscriptions SET name = %(name)s, channel = %(channel)s, target = %(target)s,
                   secret = %(secret)s, zones = %(zones)s, indicators = %(indicators)s, rules = %(rules)s,
                   min_severity = %(min_severity)s, paused = %(paused)s, updated_at = now()
            WHERE id = %(id)s
            RETURNING id, name, channel, target, secret, zones, indicators, rules, min_severity, paused,
                      created_at, updated_at
            """,
            {"id": key, **{name: getattr(spec, name) for name in FIELDS}},
        )
        updated = await cursor.fetchone()
    assert updated is not None  # the row is locked  # noqa: S101
    return JSONResponse(subscription_view(updated))


@router.patch("/{subscription_id}", summary='Change some fields; {"paused": true} pauses (admin key)')
async def patch_subscription(
    subscription_id: str, request: Request, pool: SubscriptionsPoolDep, catalog: CatalogDep, settings: SettingsDep
) -> Response:
    return await change(subscription_id, request, pool, catalog, settings, whole=False)


@router.put("/{subscription_id}", summary="Replace a subscription (every field as for POST) (admin key)")
async def put_subscription(
    subscription_id: str, request: Request, pool: SubscriptionsPoolDep, catalog: CatalogDep, settings: SettingsDep
) -> Response:
    return await change(subscription_id, request, pool, catalog, settings, whole=True)


@router.delete("/{subscription_id}", status_code=204, summary="Unsubscribe; its pending deliveries go too (admin key)")
async def delete_subscription(subscription_id: str, pool: SubscriptionsPoolDep) -> Response:
    key = _uuid(subscription_id)
    if key is None:
        return _not_found(subscription_id)
    async with pool.connection() as conn:
        cursor = await conn.execute("DELETE FROM subscriptions WHERE id = %s", (key,))
        if cursor.rowcount == 0:
            return _not_found(subscription_id)
    return Response(status_code=204)


@router.post(
    "/{subscription_id}/test",
    status_code=202,
    summary="Queue a test message through the outbox (sent even while paused) (admin key)",
)
async def test_subscription(subscription_id: str, pool: SubscriptionsPoolDep) -> Response:
    key = _uuid(subscription_id)
    if key is None:
        return _not_found(subscription_id)
    async with pool.connection() as conn:
        if await fetch(conn, key, lock=True) is None:
            return _not_found(subscription_id)
        delivery_id = await enqueue_test_delivery(conn, key)
    return JSONResponse({"delivery_id": delivery_id, "status": "pending"}, status_code=202)


def delivery_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery as the API shows it: when it is tried next only while it is pending."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "status": row["status"],
        "attempts": row["attempts"],
        "created_at": _iso(row["created_at"]),
        "last_attempt_at": _iso(row["last_attempt_at"]),
        "next_attempt_at": _iso(row["next_attempt_at"]) if row["status"] == "pending" else None,
        "sent_at": _iso(row["sent_at"]),
        "last_error": row["last_error"],
        "events": row["events"],
    }


@router.get("/{subscription_id}/deliveries", summary="A subscription's deliveries, newest first (admin key)")
async def list_deliveries(
    subscription_id: str,
    pool: SubscriptionsPoolDep,
    status: str | None = Query(default=None, description="pending, sent or failed"),  # noqa: B008
    limit: int = Query(default=50, ge=1, le=500),  # noqa: B008
) -> Response:
    key = _uuid(subscription_id)
    if key is None:
        return _not_found(subscription_id)
    if status is not None and status not in DELIVERY_STATUSES:
        wrong = FieldProblem("status", f"'{status}' is not one of {', '.join(DELIVERY_STATUSES)}")
        return problem(422, f"status: {wrong.reason}", [wrong])
    async with pool.connection() as conn:
        if await fetch(conn, key) is None:
            return _not_found(subscription_id)
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(DELIVERIES, {"id": key, "status": status, "limit": limit})
        rows = await cursor.fetchall()
    return JSONResponse({"items": [delivery_view(row) for row in rows]})
