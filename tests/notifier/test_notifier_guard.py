"""The SSRF guard at send time: the notifier resolves the target's host at every connection, checks
every address, and connects to the checked one (DNS may change after the subscription was made).
Deliveries record the status or a fixed phrase, never what the other end sent.

The client is tested against real loopback receivers, with the DNS answers given by a resolver
function (names under .example do not resolve here; the answer is what the test controls); the
notifier process against a real PostgreSQL, with the system resolver.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import httpx
import psycopg
import pytest

from indicators_core.netguard import TargetRefused, parse_networks
from notifier.guarded_http import GuardedTransport, guarded_client
from notifier.sender import http_failure_words
from stack.ports import free_port
from tests.alerts.outbox_rows import behind, fire, insert_subscription
from tests.notifier.processes import api_deliveries, notifier, running
from tests.notifier.receivers import OK, receivers
from tests.support import wait_for

LOOPBACK = "a loopback address (127.0.0.0/8, ::1)"
UNLESS = "not allowed unless INDICATORS_NOTIFY_ALLOW_NETWORKS lists it"
LINK_LOCAL = "a link-local address (169.254.0.0/16, fe80::/10; the cloud metadata service lives there)"
ADMIN_KEY = "guard-admin-key-0123456789"
SECRET = "通知-webhook-secret-0123456789"


class Dns:
    """The answers a name gets, in turn (the last repeats), and how often it was asked."""

    def __init__(self, *answers: list[str]):
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


# -- the client, against real receivers ------------------------------------------------------------


@pytest.mark.anyio
async def test_the_connection_goes_to_the_checked_address_keeping_the_name() -> None:
    with receivers([OK]) as [hook]:
        port = hook.server.server_address[1]
        dns = Dns(["127.0.0.1"])
        async with guarded_client(parse_networks("127.0.0.1/32"), 5, dns) as client:
            response = await client.post(f"http://pinned.receiver.example:{port}/hook", content=b"{}")
        assert response.status_code == 200
        # The name is never resolved by anyone else (it does not exist): the request reached the checked address.
        assert dns.asked == ["pinned.receiver.example"]
        [received] = hook.received
        assert received.headers["host"] == f"pinned.receiver.example:{port}"


@pytest.mark.anyio
async def test_a_name_that_now_resolves_to_a_forbidden_address_is_refused_before_connecting() -> None:
    with receivers([OK]) as [hook]:
        port = hook.server.server_address[1]
        url = f"http://rebind.receiver.example:{port}/hook"
        # Allowed when subscribed (a private receiver the operator allows), then the name moves to loopback.
        dns = Dns(["127.0.0.1"], ["127.0.0.1"], ["10.1.0.7", "127.0.0.1"])
        async with guarded_client(parse_networks("127.0.0.1/32"), 5, dns) as client:
            assert (await client.post(url, content=b"{}")).status_code == 200
            assert (await client.post(url, content=b"{}")).status_code == 200  # a new connection: resolved again
            with pytest.raises(TargetRefused) as refused:
                await client.post(url, content=b"{}")
        assert refused.value.reason == (
            "'rebind.receiver.example' resolves to 10.1.0.7, a private address (10.0.0.0/8, 172.16.0.0/12, "
            f"192.168.0.0/16, 100.64.0.0/10, fc00::/7): {UNLESS}"
        )
        assert len(hook.received) == 2  # the refused one never connected
        assert dns.asked == ["rebind.receiver.example"] * 3

        async with guarded_client(parse_networks(""), 5, Dns(["127.0.0.1"])) as strict:
            with pytest.raises(TargetRefused) as refused:
                await strict.post(url, content=b"{}")
        assert refused.value.reason == f"'rebind.receiver.example' resolves to 127.0.0.1, {LOOPBACK}: {UNLESS}"
        assert len(hook.received) == 2


@pytest.mark.anyio
async def test_literal_addresses_and_numeric_tricks_are_refused_at_send() -> None:
    with receivers([OK]) as [hook]:
        port = hook.server.server_address[1]
        dns = Dns(["127.0.0.1"])
        async with guarded_client(parse_networks("0.0.0.0/0,::/0"), 5, dns) as client:
            for url, reason in [
                ("http://169.254.169.254/latest/meta-data/", f"169.254.169.254 is {LINK_LOCAL}: never allowed"),
                (
                    f"http://2130706433:{port}/hook",
                    "'2130706433' is a number in a non-standard form (the resolver reads it as 127.0.0.1): "
                    "write an address as four decimal numbers (a.b.c.d)",
                ),
            ]:
                with pytest.raises(TargetRefused) as refused:
                    await client.post(url, content=b"{}")
                assert refused.value.reason == reason
        assert dns.asked == [] and hook.received == []


def test_the_transport_still_finds_httpx_pool_where_it_replaces_it() -> None:
    # guarded_http replaces httpx's private pool; an httpx upgrade that moves it must fail here, loudly.
    transport = GuardedTransport(parse_networks(""))
    assert type(transport._pool._network_backend).__name__ == "GuardedBackend"  # noqa: SLF001


def test_failures_are_recorded_in_fixed_words() -> None:
    request = httpx.Request("POST", "http://receiver.example/hook")
    refused = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 9)")
    connect = httpx.ConnectError("All connection attempts failed", request=request)
    connect.__cause__ = refused
    assert http_failure_words(connect) == "connection refused"
    assert http_failure_words(httpx.ConnectTimeout("timed out", request=request)) == "connect timed out"
    assert http_failure_words(httpx.ReadTimeout("timed out", request=request)) == "timed out"
    banner = httpx.RemoteProtocolError("illegal status line: bytearray(b'SSH-2.0-OpenSSH_9.6')", request=request)
    assert http_failure_words(banner) == (
        "no valid HTTP answer (the connection closed, or the other end speaks another protocol)"
    )
    assert http_failure_words(httpx.ReadError("peer said: root:x:0:0", request=request)) == "connection lost"
    assert http_failure_words(TargetRefused("10.0.0.1 is private")) == "not sent: 10.0.0.1 is private"


# -- the notifier process --------------------------------------------------------------------------


@contextmanager
def banner_server(banner: bytes) -> Iterator[int]:
    """A TCP service that is not HTTP (as ssh or redis on a probed port): it answers with its banner and closes.

    It reads the request's head first, so the sender is reading, not still writing, when the banner comes.
    """

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            got = b""
            while b"\r\n\r\n" not in got:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                got += chunk
            self.request.sendall(banner)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def last_error(database: str, subscription_id: UUID) -> str:
    """The recorded error of the subscription's (one) delivery, once it was tried."""

    def recorded() -> str | None:
        with psycopg.connect(database) as conn:
            row = conn.execute("SELECT last_error FROM deliveries WHERE subscription_id = %s", (subscription_id,))
            found = row.fetchone()
        return None if found is None else found[0]

    return wait_for(recorded, 30, f"a delivery to {subscription_id} tried")


@pytest.mark.integration
def test_the_notifier_refuses_at_send_what_the_query_service_allowed(database: str) -> None:
    first = socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)[0][4][0]
    with receivers([OK]) as [hook]:
        port = hook.server.server_address[1]
        # Subscribed where 127.0.0.1 was allowed (or inserted before the guard existed) ...
        local = insert_subscription(database, "本机", "webhook", f"http://localhost:{port}/hook", SECRET, zones=["甲"])
        # ... and a row pointing at the metadata service, which no setting opens.
        metadata = insert_subscription(
            database, "元数据", "webhook", "http://169.254.169.254/latest/meta-data/", SECRET, zones=["乙"]
        )
        # The notifier allows everything but what is never allowed; loopback only where listed.
        with running(notifier(database, "guard-strict", allow="10.0.0.0/8")):
            fire(database, [behind("甲"), behind("乙")])
            assert last_error(database, local) == f"not sent: 'localhost' resolves to {first}, {LOOPBACK}: {UNLESS}"
            assert last_error(database, metadata) == f"not sent: 169.254.169.254 is {LINK_LOCAL}: never allowed"
        assert hook.received == []
        [shown] = api_deliveries(database, ADMIN_KEY, local)
        assert shown["status"] == "pending"  # retried with back-off: the operator may fix the setting
        assert shown["last_error"] == f"not sent: 'localhost' resolves to {first}, {LOOPBACK}: {UNLESS}"
        [shown] = api_deliveries(database, ADMIN_KEY, metadata)
        assert shown["last_error"] == f"not sent: 169.254.169.254 is {LINK_LOCAL}: never allowed"


@pytest.mark.integration
def test_link_local_is_refused_even_when_everything_is_allowed(database: str) -> None:
    metadata = insert_subscription(database, "元数据", "webhook", "http://169.254.169.254/latest/", SECRET)
    mapped = insert_subscription(database, "映射", "webhook", "http://[::ffff:169.254.169.254]/latest/", SECRET)
    # A row stored past the API: another scheme is refused before any connection, whatever is allowed.
    gopher = insert_subscription(database, "gopher", "webhook", "gopher://127.0.0.1:6379/_INFO", SECRET)
    with running(notifier(database, "guard-open", allow="0.0.0.0/0,::/0")):
        fire(database, [behind("丙")])
        assert last_error(database, metadata) == f"not sent: 169.254.169.254 is {LINK_LOCAL}: never allowed"
        assert last_error(database, mapped) == (
            f"not sent: ::ffff:a9fe:a9fe (that is 169.254.169.254) is {LINK_LOCAL}: never allowed"
        )
        assert (
            last_error(database, gopher)
            == "not sent: 'gopher://127.0.0.1:6379/_INFO' is not an http(s) URL with a host"
        )


@pytest.mark.integration
def test_deliveries_show_the_status_or_a_fixed_phrase_never_the_reply(database: str) -> None:
    closed_port = free_port()
    with (
        receivers([(500, b'{"leak":"root:x:0:0:root:/root:/bin/bash"}')]) as [broken],
        banner_server(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n") as ssh_port,
    ):
        erroring = insert_subscription(database, "500", "webhook", broken.url, SECRET)
        ssh = insert_subscription(database, "ssh", "webhook", f"http://127.0.0.1:{ssh_port}/", SECRET)
        closed = insert_subscription(database, "closed", "webhook", f"http://127.0.0.1:{closed_port}/", SECRET)
        with running(notifier(database, "guard-words")):
            fire(database, [behind("丁")])
            recorded = {subscription: last_error(database, subscription) for subscription in (erroring, ssh, closed)}
        shown = {
            subscription: api_deliveries(database, ADMIN_KEY, subscription)[0]["last_error"]
            for subscription in (erroring, ssh, closed)
        }
    assert shown == recorded
    assert shown == {
        erroring: "HTTP 500",
        ssh: "no valid HTTP answer (the connection closed, or the other end speaks another protocol)",
        closed: "connection refused",
    }
