"""Who may write what: the writers of INDICATORS_API_KEYS, their keys (plain or as sha256) and scopes.

A writer is a source name (recorded with every row it posts) with one or more keys — several,
so a key can be rotated without a gap — and a scope: the zones and indicators it may report,
and whether it may set targets. The admin writer may write everything.

Keys are kept only as sha256 digests, whether the configuration gave them in plain text or as
`sha256:<64 hex digits>`, so a configuration file need hold no plaintext key; a presented key
is hashed and compared with every digest in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

ADMIN = "admin"
SHA256_PREFIX = "sha256:"
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_SCOPE_FIELDS = {"key", "keys", "zones", "indicators", "targets"}


class WritersInvalid(ValueError):
    """INDICATORS_API_KEYS cannot be used; the message names the writer and the field."""


@dataclass(frozen=True)
class Writer:
    """A source and what it may write; `zones` / `indicators` of None mean every one."""

    source: str
    key_digests: tuple[bytes, ...]
    zones: frozenset[str] | None = None
    indicators: frozenset[str] | None = None
    targets: bool = True

    @property
    def is_admin(self) -> bool:
        return self.source == ADMIN


@dataclass(frozen=True)
class ScopeViolation:
    row: int | None
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


class ScopedRow(Protocol):
    @property
    def zone(self) -> str: ...

    @property
    def indicator(self) -> str: ...


def key_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _digest_of(source: str, key: object, *, production: bool) -> bytes:
    if not isinstance(key, str) or not key.strip():
        raise WritersInvalid(f"writer '{source}': a key must be a non-empty string")
    key = key.strip()
    if key.startswith(SHA256_PREFIX):
        hexdigest = key.removeprefix(SHA256_PREFIX).lower()
        if not _HEX_DIGEST.fullmatch(hexdigest):
            raise WritersInvalid(f"writer '{source}': '{SHA256_PREFIX}' must be followed by 64 hex digits")
        return bytes.fromhex(hexdigest)
    if production and len(key) < 16:
        raise WritersInvalid(f"writer '{source}': a key is shorter than 16 characters")
    return key_digest(key)


def _names(source: str, field: str, value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise WritersInvalid(f"writer '{source}': '{field}' must be a non-empty list of names (or left out for all)")
    return frozenset(unicodedata.normalize("NFC", v.strip()) for v in value)


def parse_writer(source: str, spec: object, *, production: bool = False) -> Writer:
    """One entry of INDICATORS_API_KEYS: `"key"` or `{"key"|"keys", "zones", "indicators", "targets"}`."""
    if source == ADMIN:
        raise WritersInvalid("'admin' is the admin key's source; give other writers other names")
    if isinstance(spec, str):
        return Writer(source, (_digest_of(source, spec, production=production),))
    if not isinstance(spec, Mapping):
        raise WritersInvalid(f"writer '{source}': expected a key or an object with 'key' or 'keys'")
    unknown = sorted(set(spec) - _SCOPE_FIELDS)
    if unknown:
        raise WritersInvalid(
            f"writer '{source}': unknown field(s) {', '.join(unknown)} (known: {sorted(_SCOPE_FIELDS)})"
        )
    if ("key" in spec) == ("keys" in spec):
        raise WritersInvalid(f"writer '{source}': give exactly one of 'key' or 'keys'")
    keys = [spec["key"]] if "key" in spec else spec["keys"]
    if not isinstance(keys, list) or not keys:
        raise WritersInvalid(f"writer '{source}': 'keys' must be a non-empty list")
    targets = spec.get("targets", True)
    if not isinstance(targets, bool):
        raise WritersInvalid(f"writer '{source}': 'targets' must be true or false")
    return Writer(
        source,
        tuple(_digest_of(source, key, production=production) for key in keys),
        zones=_names(source, "zones", spec.get("zones")),
        indicators=_names(source, "indicators", spec.get("indicators")),
        targets=targets,
    )


def parse_writers(
    admin_key: str, api_keys: Mapping[str, object], *, production: bool = False, known_indicators: Iterable[str] = ()
) -> list[Writer]:
    """The admin writer and every writer of INDICATORS_API_KEYS; a key may belong to one writer only."""
    writers = [Writer(ADMIN, (_digest_of(ADMIN, admin_key, production=production),))]
    writers += [parse_writer(source, spec, production=production) for source, spec in api_keys.items()]
    known = set(known_indicators)
    for writer in writers:
        unknown = sorted((writer.indicators or set()) - known) if known else []
        if unknown:
            raise WritersInvalid(f"writer '{writer.source}': unknown indicator(s) {', '.join(unknown)}")
    owners: dict[bytes, str] = {}
    for writer in writers:
        for digest in writer.key_digests:
            if digest in owners and owners[digest] != writer.source:
                raise WritersInvalid(f"writers '{owners[digest]}' and '{writer.source}' share a key")
            owners[digest] = writer.source
    return writers


def writer_of(authorization: str, writers: Sequence[Writer]) -> Writer | None:
    """The writer whose key is the presented bearer key, or None; every digest is compared, in constant time."""
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    presented = key_digest(key.strip())
    found = None
    for writer in writers:
        for digest in writer.key_digests:
            if hmac.compare_digest(digest, presented):
                found = writer
    return found


def scope_violations(writer: Writer, kind: str, rows: Sequence[ScopedRow]) -> list[ScopeViolation]:
    """Every row (and the batch itself, for targets) that `writer` may not write: empty when it may write all."""
    if writer.is_admin:
        return []
    violations: list[ScopeViolation] = []
    if kind == "target" and not writer.targets:
        violations.append(ScopeViolation(None, "targets", f"the key of '{writer.source}' may not set targets"))
        return violations
    for index, row in enumerate(rows):
        if writer.zones is not None and row.zone not in writer.zones:
            allowed = "、".join(sorted(writer.zones))
            violations.append(
                ScopeViolation(
                    index, "zone", f"the key of '{writer.source}' may not write zone '{row.zone}' (allowed: {allowed})"
                )
            )
        if writer.indicators is not None and row.indicator not in writer.indicators:
            allowed = ", ".join(sorted(writer.indicators))
            violations.append(
                ScopeViolation(
                    index,
                    "indicator",
                    f"the key of '{writer.source}' may not write indicator '{row.indicator}' (allowed: {allowed})",
                )
            )
    return violations
