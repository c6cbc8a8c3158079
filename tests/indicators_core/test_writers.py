"""Writers of INDICATORS_API_KEYS: keys (plain, sha256, several for rotation) and scopes, as pure functions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest

from indicators_core.writers import WritersInvalid, parse_writers, scope_violations, writer_of

ADMIN_KEY = "admin-key-0123456789abcdef"
OLD_KEY = "qiantang-old-key-0123456789"
NEW_KEY = "qiantang-new-key-9876543210"


@dataclass
class Row:
    zone: str
    indicator: str


def sha256(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def writers():
    return parse_writers(
        ADMIN_KEY,
        {
            "customs": "customs-key-0123456789abcd",
            "钱塘统计局": {
                "keys": [OLD_KEY, sha256(NEW_KEY)],
                "zones": ["钱塘新区", "杭州钱江经济开发区"],
                "indicators": ["industrial_output", "fixed_asset_investment"],
                "targets": False,
            },
        },
        production=True,
    )


def test_a_presented_key_names_its_writer_plain_hashed_or_rotated():
    found = {key: writer_of(f"Bearer {key}", writers()) for key in (ADMIN_KEY, OLD_KEY, NEW_KEY)}
    assert {key: w.source if w else None for key, w in found.items()} == {
        ADMIN_KEY: "admin",
        OLD_KEY: "钱塘统计局",
        NEW_KEY: "钱塘统计局",
    }
    assert writer_of("Bearer customs-key-0123456789abcd", writers()).source == "customs"
    # The digest itself is not a key: whoever reads the configuration cannot post with it.
    assert writer_of(f"Bearer {sha256(NEW_KEY)}", writers()) is None
    assert writer_of("Bearer wrong", writers()) is None
    assert writer_of(f"Basic {ADMIN_KEY}", writers()) is None
    assert writer_of("", writers()) is None


def test_rows_outside_the_scope_are_named_by_row_and_field():
    scoped = writer_of(f"Bearer {OLD_KEY}", writers())
    rows = [
        Row("钱塘新区", "industrial_output"),
        Row("临平区", "industrial_output"),
        Row("钱塘新区", "export"),
        Row("临平区", "export"),
    ]
    assert [v.as_dict() for v in scope_violations(scoped, "observation", rows)] == [
        {
            "row": 1,
            "field": "zone",
            "reason": "the key of '钱塘统计局' may not write zone '临平区' (allowed: 杭州钱江经济开发区、钱塘新区)",
        },
        {
            "row": 2,
            "field": "indicator",
            "reason": "the key of '钱塘统计局' may not write indicator 'export' "
            "(allowed: fixed_asset_investment, industrial_output)",
        },
        {
            "row": 3,
            "field": "zone",
            "reason": "the key of '钱塘统计局' may not write zone '临平区' (allowed: 杭州钱江经济开发区、钱塘新区)",
        },
        {
            "row": 3,
            "field": "indicator",
            "reason": "the key of '钱塘统计局' may not write indicator 'export' "
            "(allowed: fixed_asset_investment, industrial_output)",
        },
    ]
    assert scope_violations(scoped, "observation", rows[:1]) == []
    assert [v.as_dict() for v in scope_violations(scoped, "target", rows[:1])] == [
        {"row": None, "field": "targets", "reason": "the key of '钱塘统计局' may not set targets"}
    ]
    # Unscoped writers and the admin may write everything.
    for key in (ADMIN_KEY, "customs-key-0123456789abcd"):
        assert scope_violations(writer_of(f"Bearer {key}", writers()), "target", rows) == []


@pytest.mark.parametrize(
    ("api_keys", "message"),
    [
        ({"admin": "another-key-0123456789"}, "'admin' is the admin key's source"),
        ({"a": "short"}, "writer 'a': a key is shorter than 16 characters"),
        ({"a": "sha256:abc"}, "writer 'a': 'sha256:' must be followed by 64 hex digits"),
        ({"a": {"key": "k" * 20, "keys": ["k" * 20]}}, "writer 'a': give exactly one of 'key' or 'keys'"),
        ({"a": {"keys": []}}, "writer 'a': 'keys' must be a non-empty list"),
        ({"a": {"key": "k" * 20, "zone": ["x"]}}, "writer 'a': unknown field(s) zone"),
        ({"a": {"key": "k" * 20, "zones": []}}, "writer 'a': 'zones' must be a non-empty list of names"),
        ({"a": {"key": "k" * 20, "targets": "no"}}, "writer 'a': 'targets' must be true or false"),
        ({"a": "k" * 20, "b": {"keys": ["k" * 20]}}, "writers 'a' and 'b' share a key"),
        ({"a": 42}, "writer 'a': expected a key or an object with 'key' or 'keys'"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_writer(api_keys: dict, message: str):
    with pytest.raises(WritersInvalid) as raised:
        parse_writers(ADMIN_KEY, api_keys, production=True)
    assert message in str(raised.value)


def test_scoped_zones_are_compared_in_nfc():
    decomposed = "e\u0301区"  # é as e + combining acute, as some systems send it
    (_, writer) = parse_writers(ADMIN_KEY, {"a": {"key": "k" * 20, "zones": [decomposed]}})
    assert writer.zones == frozenset({"\u00e9区"})
