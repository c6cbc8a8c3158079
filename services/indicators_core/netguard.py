"""Where notifications may go: the SSRF guard shared by the subscription API and the notifier.

A subscription's target is a URL anyone with the admin key chooses, and the notifier
POSTs to it from inside the operator's network. Without a guard that is a way to reach
what only the network can: the cloud metadata service (169.254.169.254), databases and
admin ports on loopback or private addresses. So a target must resolve to public
addresses only, unless the operator lists ranges in INDICATORS_NOTIFY_ALLOW_NETWORKS
(e.g. `127.0.0.1/32` for a receiver on the same host). Link-local addresses (the
metadata service lives there) and the unspecified address (0.0.0.0 reaches this host)
are refused even when listed: no notification receiver has one.

The checks are pure functions of the host and the allowed networks; `resolve_checked`
is the one with I/O (DNS). The subscription API checks at create/update time, the
notifier again at send time (DNS can change) and connects to exactly the address it
checked (see notifier.guarded_http).

Hosts written as numbers in any form but four decimal parts (`2130706433`, `0x7f.1`,
`017700000001`, `127.1` all mean 127.0.0.1 to the C resolver) are refused outright:
nobody writes a receiver's address that way except to slip past a check.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Annotated, Any

import httpx
from pydantic import BeforeValidator
from pydantic_settings import NoDecode

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

ALLOW_SETTING = "INDICATORS_NOTIFY_ALLOW_NETWORKS"
SCHEMES = ("http", "https")
DNS_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Kind:
    """A class of addresses a notification may not go to, in the words the refusal uses."""

    words: str
    never: bool = False  # refused even when the operator's allowed networks include it


UNSPECIFIED = Kind("the unspecified address (0.0.0.0/8, ::; it reaches this host)", never=True)
LINK_LOCAL = Kind(
    "a link-local address (169.254.0.0/16, fe80::/10; the cloud metadata service lives there)", never=True
)
LOOPBACK = Kind("a loopback address (127.0.0.0/8, ::1)")
PRIVATE = Kind("a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7)")
MULTICAST = Kind("a multicast address (224.0.0.0/4, ff00::/8)")
RESERVED = Kind("a reserved or broadcast address (240.0.0.0/4, 255.255.255.255)")
SPECIAL = Kind("a special-purpose address, not publicly routable")

# Order matters only where ranges nest (none of these do); the last word is `is_global`.
FORBIDDEN: tuple[tuple[Network, Kind], ...] = (
    (ip_network("0.0.0.0/8"), UNSPECIFIED),
    (ip_network("::/128"), UNSPECIFIED),
    (ip_network("169.254.0.0/16"), LINK_LOCAL),
    (ip_network("fe80::/10"), LINK_LOCAL),
    (ip_network("fd00:ec2::254/128"), LINK_LOCAL),  # the EC2 metadata service's IPv6 address
    (ip_network("127.0.0.0/8"), LOOPBACK),
    (ip_network("::1/128"), LOOPBACK),
    (ip_network("10.0.0.0/8"), PRIVATE),
    (ip_network("172.16.0.0/12"), PRIVATE),
    (ip_network("192.168.0.0/16"), PRIVATE),
    (ip_network("100.64.0.0/10"), PRIVATE),  # carrier-grade NAT: inside someone's network
    (ip_network("fc00::/7"), PRIVATE),
    (ip_network("fec0::/10"), PRIVATE),  # site-local, deprecated but still routed by some
    (ip_network("224.0.0.0/4"), MULTICAST),
    (ip_network("ff00::/8"), MULTICAST),
    (ip_network("240.0.0.0/4"), RESERVED),  # includes 255.255.255.255
)
NAT64 = ip_network("64:ff9b::/96")

_NUMERIC_PART = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_CANONICAL_PART = re.compile(r"^(?:0|[1-9][0-9]{0,2})$")


class TargetRefused(ValueError):
    """The target may not be sent to; `reason` says why, in words for the API and the delivery log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TargetUnresolved(OSError):
    """The host has no address (now): not a refusal, the receiver's name may not exist yet."""


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    """`"127.0.0.1/32, 10.1.0.0/16"` (or a list of such) as networks; a bare address is one host.

    Raises ValueError naming the entry that is not a network (host bits set count as a typo).
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    networks: list[Network] = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=True))
        except ValueError as error:
            raise ValueError(f"{ALLOW_SETTING}: '{item}' is not a network such as 127.0.0.1/32 ({error})") from None
    return tuple(networks)


def _networks_setting(value: Any) -> Any:
    return parse_networks(value) if isinstance(value, str) else value


# The type of INDICATORS_NOTIFY_ALLOW_NETWORKS in the settings of the query service and the notifier (the same
# meaning in both): comma-separated text in the environment, not JSON.
AllowedNetworks = Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode, BeforeValidator(_networks_setting)]


def _embedded_ipv4(address: Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 form carries (::ffff:a.b.c.d, 64:ff9b::a.b.c.d, 6to4), or None."""
    if not isinstance(address, IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_problem(address: Address, allowed: Sequence[Network] = (), host: str | None = None) -> str | None:
    """Why a notification may not go to `address` (which `host` resolved to, if given), or None.

    The IPv4 address inside an IPv6 form (::ffff:127.0.0.1) is the one judged.
    """
    judged: Address = _embedded_ipv4(address) or address
    shown = str(address) if judged == address else f"{address} (that is {judged})"
    kind = next((kind for network, kind in FORBIDDEN if judged in network), None)
    if kind is None and not judged.is_global:
        kind = SPECIAL
    if kind is None:
        return None
    if not kind.never and any(judged in network for network in allowed if network.version == judged.version):
        return None
    verdict = "never allowed" if kind.never else f"not allowed unless {ALLOW_SETTING} lists it"
    if host is None:
        return f"{shown} is {kind.words}: {verdict}"
    return f"'{host}' resolves to {shown}, {kind.words}: {verdict}"


def host_address(host: str) -> Address | None:
    """The address a URL's host is written as, or None for a name.

    Raises TargetRefused for numbers in any other form than four decimal parts (or an IPv6 literal).
    """
    host = host.lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ip_address(host.replace("%25", "%"))
        except ValueError:
            raise TargetRefused(f"'{host}' is not an IPv6 address") from None
    parts = host.split(".")
    if not all(_NUMERIC_PART.match(part) for part in parts if part) or not any(parts):
        return None  # a name (the C resolver reads numbers only when every part is one)
    if len(parts) == 4 and all(_CANONICAL_PART.match(part) for part in parts):
        try:
            return IPv4Address(host)
        except ValueError:
            raise TargetRefused(f"'{host}' is not an IPv4 address (each part is 0..255)") from None
    meaning = _legacy_ipv4(parts)
    means = f" (the resolver reads it as {meaning})" if meaning is not None else ""
    raise TargetRefused(
        f"'{host}' is a number in a non-standard form{means}: write an address as four decimal numbers (a.b.c.d)"
    )


def _legacy_ipv4(parts: list[str]) -> IPv4Address | None:
    """What inet_aton makes of `0x7f.1`, `017700000001`, `127.1`: for the refusal's words only."""
    if parts and parts[-1] == "":
        parts = parts[:-1]
    if not 1 <= len(parts) <= 4 or "" in parts:
        return None
    try:
        numbers = [
            int(p[2:] or "0", 16) if p.startswith("0x") else int(p, 8) if len(p) > 1 and p[0] == "0" else int(p)
            for p in parts
        ]
    except ValueError:
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for position, number in enumerate(head):
        value += number << (8 * (3 - position))
    return IPv4Address(value)


@dataclass(frozen=True)
class Target:
    """Where an http(s) notification goes: the host as it is resolved (IDNA ASCII) and the port."""

    scheme: str
    host: str
    port: int
    address: Address | None  # when the URL names an address rather than a host


def check_target(url: str, allowed: Sequence[Network] = ()) -> Target:
    """The target of an http(s) notification URL, checked as far as can be without DNS.

    Parsed as the notifier's HTTP client parses it (httpx), so the check and the send agree on the host.
    Raises TargetRefused.
    """
    if "\\" in url:
        raise TargetRefused("a URL has no backslashes (parsers disagree on where its host ends)")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise TargetRefused(f"not a URL ({error})") from None
    if parsed.scheme not in SCHEMES or not parsed.raw_host:
        raise TargetRefused(f"'{url}' is not an http(s) URL with a host")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    address = host_address(host)
    if address is not None:
        problem = address_problem(address, allowed)
        if problem is not None:
            raise TargetRefused(problem)
    return Target(parsed.scheme, host, port, address)


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (TCP), as text."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP), DNS_TIMEOUT_S
        )
    except (socket.gaierror, TimeoutError) as error:
        raise TargetUnresolved(f"'{host}' does not resolve ({error or 'no answer'})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_checked(
    host: str, port: int, allowed: Sequence[Network] = (), resolve: Resolver = system_resolver
) -> list[Address]:
    """The addresses of `host`, every one checked: one forbidden address refuses the host.

    (A name with one public and one private address could be sent to either; all must pass.)
    Raises TargetRefused, or TargetUnresolved when there is no address.
    """
    literal = host_address(host)
    if literal is not None:
        texts = [str(literal)]
    else:
        texts = await resolve(host, port)
    addresses = [ip_address(text.split("%", 1)[0]) for text in texts]
    if not addresses:
        raise TargetUnresolved(f"'{host}' does not resolve (no address)")
    for address in addresses:
        problem = address_problem(address, allowed, None if literal is not None else host)
        if problem is not None:
            raise TargetRefused(problem)
    return addresses
