"""The SSRF guard at create and update time: the subscription API (in-process, real PostgreSQL) refuses
targets that are or resolve to loopback, private, link-local, multicast, unspecified or reserved
addresses, numbers written in other forms than a.b.c.d, and schemes other than http(s) — a 422 naming
`target` with the reason, nothing stored — unless INDICATORS_NOTIFY_ALLOW_NETWORKS lists the range;
link-local (the metadata service) and 0.0.0.0 are refused even then.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import httpx
import psycopg
import pytest

from query.config import QuerySettings
from tests.in_process import query_api

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

ADMIN_KEY = "ssrf-admin-key-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
SECRET = "ssrf-webhook-secret-0123456789"
SETTING = "INDICATORS_NOTIFY_ALLOW_NETWORKS"

LOOPBACK = "a loopback address (127.0.0.0/8, ::1)"
PRIVATE = "a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7)"
LINK_LOCAL = "a link-local address (169.254.0.0/16, fe80::/10; the cloud metadata service lives there)"
UNSPECIFIED = "the unspecified address (0.0.0.0/8, ::; it reaches this host)"
MULTICAST = "a multicast address (224.0.0.0/4, ff00::/8)"
RESERVED = "a reserved or broadcast address (240.0.0.0/4, 255.255.255.255)"
UNLESS = f"not allowed unless {SETTING} lists it"


def numeric(host: str) -> str:
    return (
        f"'{host}' is a number in a non-standard form (the resolver reads it as 127.0.0.1): "
        "write an address as four decimal numbers (a.b.c.d)"
    )


def localhost_first_address() -> str:
    """What `localhost` resolves to first here (127.0.0.1, or ::1 where /etc/hosts lists it first)."""
    return socket.getaddrinfo("localhost", 8001, type=socket.SOCK_STREAM)[0][4][0]


# (target, reason) with nothing allowed: the four, and every other kind.
REFUSED = [
    ("http://169.254.169.254/latest/meta-data/", f"169.254.169.254 is {LINK_LOCAL}: never allowed"),
    ("http://127.0.0.1:22/", f"127.0.0.1 is {LOOPBACK}: {UNLESS}"),
    ("http://[::1]:8001/", f"::1 is {LOOPBACK}: {UNLESS}"),
    ("http://2130706433/", numeric("2130706433")),
    ("http://0x7f.1/", numeric("0x7f.1")),
    ("http://017700000001/", numeric("017700000001")),
    ("http://127.1/", numeric("127.1")),
    ("http://0x7f000001/hook", numeric("0x7f000001")),
    ("http://127.0.0.1./", numeric("127.0.0.1.")),
    ("http://[::ffff:127.0.0.1]:8001/", f"::ffff:7f00:1 (that is 127.0.0.1) is {LOOPBACK}: {UNLESS}"),
    ("http://[::ffff:169.254.169.254]/", f"::ffff:a9fe:a9fe (that is 169.254.169.254) is {LINK_LOCAL}: never allowed"),
    ("http://10.1.2.3/hook", f"10.1.2.3 is {PRIVATE}: {UNLESS}"),
    ("http://172.16.0.1/hook", f"172.16.0.1 is {PRIVATE}: {UNLESS}"),
    ("https://192.168.1.1/hook", f"192.168.1.1 is {PRIVATE}: {UNLESS}"),
    ("http://[fd12:3456::1]/", f"fd12:3456::1 is {PRIVATE}: {UNLESS}"),
    ("http://[fe80::1]/", f"fe80::1 is {LINK_LOCAL}: never allowed"),
    ("http://224.0.0.1/", f"224.0.0.1 is {MULTICAST}: {UNLESS}"),
    ("http://[ff02::1]/", f"ff02::1 is {MULTICAST}: {UNLESS}"),
    ("http://0.0.0.0:8001/", f"0.0.0.0 is {UNSPECIFIED}: never allowed"),
    ("http://[::]/", f":: is {UNSPECIFIED}: never allowed"),
    ("http://255.255.255.255/", f"255.255.255.255 is {RESERVED}: {UNLESS}"),
    ("http://192.0.2.10/", f"192.0.2.10 is a special-purpose address, not publicly routable: {UNLESS}"),
    ("http://127.0.0.1\\@example.org/", "a URL has no backslashes (parsers disagree on where its host ends)"),
    ("ftp://example.org/hook", "'ftp://example.org/hook' is not an http(s) URL with a host"),
    ("file:///etc/passwd", "'file:///etc/passwd' is not an http(s) URL with a host"),
    ("gopher://127.0.0.1:6379/_INFO", "'gopher://127.0.0.1:6379/_INFO' is not an http(s) URL with a host"),
]


def subscription_api(database_url: str, allow: str = "") -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return query_api(QuerySettings(database_url=database_url, admin_key=ADMIN_KEY, notify_allow_networks=allow))


@pytest.fixture(scope="module")
async def strict(module_database: str) -> AsyncIterator[httpx.AsyncClient]:
    async with subscription_api(module_database) as api:
        yield api


@pytest.fixture(scope="module")
async def local(module_database: str) -> AsyncIterator[httpx.AsyncClient]:
    """As `make run` configures it: its own inbox and local receivers on 127.0.0.1 (and ::1 for localhost)."""
    async with subscription_api(module_database, "127.0.0.1/32,::1/128") as api:
        yield api


@pytest.fixture(scope="module")
async def everything(module_database: str) -> AsyncIterator[httpx.AsyncClient]:
    async with subscription_api(module_database, "0.0.0.0/0,::/0") as api:
        yield api


def webhook(target: str) -> dict:
    return {"name": "探测", "channel": "webhook", "target": target, "secret": SECRET}


def refusal(reason: str, channel: str = "webhook") -> dict:
    worded = f"{reason} (channel {channel})"
    return {"detail": f"target: {worded}; nothing was stored", "errors": [{"field": "target", "reason": worded}]}


def stored_targets(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        return {row[0] for row in conn.execute("SELECT target FROM subscriptions")}


@pytest.mark.parametrize(("target", "reason"), REFUSED, ids=[t for t, _ in REFUSED])
async def test_a_forbidden_target_is_refused_at_create(
    strict: httpx.AsyncClient, module_database: str, target: str, reason: str
) -> None:
    response = await strict.post("/v1/subscriptions", json=webhook(target), headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json() == refusal(reason)
    assert target not in stored_targets(module_database)


@pytest.mark.parametrize("channel", ["dingtalk", "wecom"])
async def test_robot_targets_are_guarded_too(strict: httpx.AsyncClient, channel: str) -> None:
    target = "http://169.254.169.254/robot/send?access_token=t"
    response = await strict.post(
        "/v1/subscriptions", json={"name": "群", "channel": channel, "target": target}, headers=AUTH
    )
    assert response.status_code == 422
    assert response.json() == refusal(f"169.254.169.254 is {LINK_LOCAL}: never allowed", channel)


async def test_a_name_that_resolves_to_loopback_is_refused(strict: httpx.AsyncClient) -> None:
    first = localhost_first_address()
    response = await strict.post("/v1/subscriptions", json=webhook("http://localhost:8001/hook"), headers=AUTH)
    assert response.status_code == 422
    assert response.json() == refusal(f"'localhost' resolves to {first}, {LOOPBACK}: {UNLESS}")


async def test_a_name_that_does_not_resolve_yet_is_accepted(strict: httpx.AsyncClient) -> None:
    # The receiver's DNS name may be set up after the subscription; the notifier checks at every send.
    response = await strict.post("/v1/subscriptions", json=webhook("https://hooks.receiver.example/x"), headers=AUTH)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("target", "reason"), REFUSED, ids=[t for t, _ in REFUSED])
async def test_a_forbidden_target_is_refused_at_patch_and_put(
    strict: httpx.AsyncClient, target: str, reason: str
) -> None:
    created = await strict.post("/v1/subscriptions", json=webhook("https://patch.receiver.example/x"), headers=AUTH)
    assert created.status_code == 201, created.text
    path = f"/v1/subscriptions/{created.json()['id']}"
    patched = await strict.patch(path, json={"target": target}, headers=AUTH)
    assert patched.status_code == 422, patched.text
    assert patched.json() == refusal(reason)
    replaced = await strict.put(path, json=webhook(target), headers=AUTH)
    assert replaced.status_code == 422
    assert replaced.json() == refusal(reason)
    assert (await strict.get(path, headers=AUTH)).json()["target"] == "https://patch.receiver.example/x"


async def test_the_allowed_networks_open_exactly_what_they_list(local: httpx.AsyncClient) -> None:
    for target in ("http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://[::1]:9/hook"):
        response = await local.post("/v1/subscriptions", json=webhook(target), headers=AUTH)
        assert response.status_code == 201, (target, response.text)
    for target, reason in [
        ("http://127.0.0.2:9/hook", f"127.0.0.2 is {LOOPBACK}: {UNLESS}"),
        ("http://10.1.2.3/hook", f"10.1.2.3 is {PRIVATE}: {UNLESS}"),
        ("http://127.1:9/hook", numeric("127.1")),  # the allowed address, written as a trick: still refused
    ]:
        response = await local.post("/v1/subscriptions", json=webhook(target), headers=AUTH)
        assert response.status_code == 422
        assert response.json() == refusal(reason), target


async def test_link_local_and_unspecified_are_refused_even_when_everything_is_allowed(
    everything: httpx.AsyncClient,
) -> None:
    assert (
        await everything.post("/v1/subscriptions", json=webhook("http://10.1.2.3/hook"), headers=AUTH)
    ).status_code == 201
    for target, reason in [
        ("http://169.254.169.254/latest/meta-data/", f"169.254.169.254 is {LINK_LOCAL}: never allowed"),
        (
            "http://[::ffff:169.254.169.254]/",
            f"::ffff:a9fe:a9fe (that is 169.254.169.254) is {LINK_LOCAL}: never allowed",
        ),
        ("http://[fe80::1]/", f"fe80::1 is {LINK_LOCAL}: never allowed"),
        ("http://[fd00:ec2::254]/", f"fd00:ec2::254 is {LINK_LOCAL}: never allowed"),
        ("http://0.0.0.0:8001/", f"0.0.0.0 is {UNSPECIFIED}: never allowed"),
    ]:
        response = await everything.post("/v1/subscriptions", json=webhook(target), headers=AUTH)
        assert response.status_code == 422
        assert response.json() == refusal(reason), target


async def test_a_stored_target_no_longer_allowed_can_still_be_paused_and_deleted(
    local: httpx.AsyncClient, strict: httpx.AsyncClient
) -> None:
    created = await local.post("/v1/subscriptions", json=webhook("http://127.0.0.1:7/old"), headers=AUTH)
    assert created.status_code == 201
    path = f"/v1/subscriptions/{created.json()['id']}"
    # The operator narrowed the allowed networks since: the target is not judged again for other changes ...
    paused = await strict.patch(path, json={"paused": True}, headers=AUTH)
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"] is True
    # ... but a new target is.
    moved = await strict.patch(path, json={"target": "http://127.0.0.1:8/new"}, headers=AUTH)
    assert moved.json() == refusal(f"127.0.0.1 is {LOOPBACK}: {UNLESS}")
    assert (await strict.delete(path, headers=AUTH)).status_code == 204
