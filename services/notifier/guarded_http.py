"""The notifier's HTTP client: it connects only to addresses the SSRF guard passed, and to exactly those.

Checking a URL and then letting the HTTP client resolve the name again leaves a gap (DNS
rebinding: the first answer is public, the second 127.0.0.1). So the check sits where the
connection is made: httpcore asks its network backend to connect to (host, port); this backend
resolves the host once, checks every address (indicators_core.netguard.resolve_checked) and
connects to a checked address itself. The request keeps the name: the Host header, TLS SNI and
certificate verification are those of the URL's host, and connections are pooled by that name.

httpx's transport takes no network backend, so GuardedTransport builds httpx's own transport and
puts an httpcore pool with this backend in its place (the same arguments httpx passes; httpx is
pinned, and tests/notifier/test_notifier_guard.py fails if the pool is no longer where this expects it).
A transport given to the client also means HTTP(S)_PROXY from the environment is not used: a proxy
would resolve the name itself, past the check.
"""

from __future__ import annotations

import ssl
import typing
from collections.abc import Iterable, Sequence

import httpcore
import httpx

from indicators_core.netguard import Network, Resolver, TargetRefused, resolve_checked, system_resolver


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects to a checked address of the host, never to one the guard refused."""

    def __init__(self, allowed: Sequence[Network], resolve: Resolver = system_resolver):
        self.allowed = tuple(allowed)
        self.resolve = resolve
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_checked(host, port, self.allowed, self.resolve)
        failure: Exception | None = None
        for address in addresses:  # every one passed; the first that answers is used
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
        assert failure is not None  # resolve_checked returns at least one address  # noqa: S101
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[typing.Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("a notification never goes to a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guarded backend underneath (HTTP/1.1, certificates verified as httpx does)."""

    def __init__(
        self,
        allowed: Sequence[Network],
        resolve: Resolver = system_resolver,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),  # noqa: B008
        verify: ssl.SSLContext | None = None,
    ):
        super().__init__(trust_env=False, limits=limits)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx.AsyncHTTPTransport no longer keeps an httpcore pool in _pool: see guarded_http")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify or httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(allowed, resolve),
        )


def guarded_client(
    allowed: Sequence[Network], timeout_s: float, resolve: Resolver = system_resolver
) -> httpx.AsyncClient:
    """The client every webhook and robot message is sent with: no redirects (a 3xx is a failure, not a hop)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(allowed, resolve), timeout=timeout_s, follow_redirects=False, trust_env=False
    )
