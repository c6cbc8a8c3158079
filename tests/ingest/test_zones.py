"""The zone registry's rows and the checks against the stored registry (ingest.zones): pure."""

from __future__ import annotations

import pytest

from indicators_core.zone_codes import closest_codes
from ingest.validation import BatchInvalid
from ingest.zones import ZoneRow, parent_problems, unregistered_zones, validate_zones


def problems(payload) -> list[tuple[int | None, str, str]]:
    with pytest.raises(BatchInvalid) as caught:
        validate_zones(payload, 5000)
    return [(e.row, e.field, e.reason) for e in caught.value.errors]


def test_a_zone_row_is_read_with_its_text_normalised():
    (row,) = validate_zones(
        {
            "zones": [
                {
                    "code": " qianjiang ",
                    "name_zh": "杭州钱江经济开发区",
                    "level": "national",
                    "kind": "经开区",
                    "parent": "yuhang",
                    "groups": ["浙江省级以上开发区", " 杭州市开发区 "],
                }
            ]
        },
        5000,
    )
    assert row == ZoneRow(
        "qianjiang", "杭州钱江经济开发区", "national", "经开区", "yuhang", ("浙江省级以上开发区", "杭州市开发区")
    )
    (bare,) = validate_zones({"zones": [{"code": "hz", "name_zh": "杭州市", "level": "other", "kind": "地级市"}]}, 5000)
    assert (bare.parent, bare.groups) == (None, ())


def test_every_bad_field_is_named():
    found = problems(
        {
            "zones": [
                {"code": "a|b", "level": "county", "kind": "经开区", "parent": "a|b", "groups": "浙江"},
                {"code": "x", "name_zh": "园\u202e区", "level": "other", "kind": "k" * 21, "groups": ["", 3]},
                {"code": "y", "name_zh": "乙", "level": "other", "kind": "园区", "parent": "y"},
                "not an object",
            ]
        }
    )
    assert found == [
        (0, "code", "must not contain '|'"),
        (0, "name_zh", "is required"),
        (0, "level", "'county' is not one of national, provincial, other (国家级, 省级, 其他)"),
        (0, "parent", "must not contain '|'"),
        (0, "groups", 'must be a list of peer group names, got "浙江"'),
        (1, "name_zh", "contains U+202E (RIGHT-TO-LEFT OVERRIDE), an invisible formatting character"),
        (1, "kind", "is 21 characters long; at most 20"),
        (1, "groups", "item 0 must be a non-empty string"),
        (2, "parent", "'y' cannot be its own parent"),
        (3, "row", "must be an object"),
    ]


def test_one_row_per_code():
    row = {"code": "a", "name_zh": "甲", "level": "other", "kind": "园区"}
    assert problems({"zones": [row, dict(row)]}) == [(1, "code", "row 0 already registers 'a'; send one row per zone")]


def test_a_parent_must_be_registered_or_in_the_batch_and_parents_never_loop():
    stored = {"hangzhou": None, "yuhang": "hangzhou", "qianjiang": "yuhang"}
    batch = [
        ZoneRow("new", "新区", "other", "园区", "yuhagn", ()),
        ZoneRow("later", "后区", "other", "园区", "newer", ()),
        ZoneRow("newer", "更新区", "other", "园区", None, ()),
        ZoneRow("hangzhou", "杭州市", "other", "地级市", "qianjiang", ()),
    ]
    errors = [(e.row, e.field, e.reason) for e in parent_problems(batch, stored)]
    assert errors == [
        (
            0,
            "parent",
            "parent 'yuhagn' is not registered (closest registered: yuhang); register it with PUT /v1/zones first",
        ),
        (3, "parent", "the chain of parents comes back to 'hangzhou' (hangzhou → qianjiang → yuhang → hangzhou)"),
    ]


def test_strict_mode_names_unregistered_zones_and_the_closest_codes():
    stored = {"qianjiang-edz": None, "qiantang": None, "linping": None}

    class Row:
        def __init__(self, zone: str):
            self.zone = zone

    errors = unregistered_zones([Row("qianjiang-edz"), Row("qianjiang"), Row("完全不同")], stored)
    assert [(e.row, e.field, e.reason) for e in errors] == [
        (
            1,
            "zone",
            "zone 'qianjiang' is not registered (closest registered: qianjiang-edz, qiantang); register it with"
            " PUT /v1/zones first",
        ),
        (
            2,
            "zone",
            "zone '完全不同' is not registered (no registered code is like it); register it with PUT /v1/zones first",
        ),
    ]
    assert closest_codes("linpin", list(stored)) == ["linping"]
