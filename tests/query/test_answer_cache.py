"""A kept /v1/progress answer is served only while every row behind it is unchanged (query.answer_cache).

Against a real PostgreSQL: each change the processor could commit — a progress row revised, a row added or
deleted, an observation's explanation, a zone registered — makes the next answer new, with the new figures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import psycopg
import pytest

from query.answer_cache import AnswerCache, RowPieces
from query.config import QuerySettings
from tests.in_process import query_api
from tests.query.progress_rows import seed, zones

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
# A year no other test reads, so that the whole month is this test's.
YEAR = 1999


@pytest.fixture
async def client(migrated: str) -> AsyncIterator[httpx.AsyncClient]:
    async with query_api(QuerySettings(database_url=migrated)) as api:
        yield api


async def month_items(client: httpx.AsyncClient, zone: list[str]) -> list[tuple]:
    # All zones (the answer kept is the whole month's); the month is this test's alone.
    response = await client.get("/v1/progress", params={"year": YEAR, "month": 5})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {i["zone"] for i in items} <= set(zone)
    return [(i["zone"], i["zone_name"], i["ytd_value"], i["completion_pct"]) for i in items]


async def test_every_change_behind_an_answer_makes_it_new(client: httpx.AsyncClient, migrated: str):
    a, b = zones("缓存甲区", "缓存乙区")
    seed(migrated, a, "industrial_output", YEAR, 5, ytd="40", target=100)
    assert await month_items(client, [a, b]) == [(a, None, 40, 40.0)]
    assert await month_items(client, [a, b]) == [(a, None, 40, 40.0)]  # served again, unchanged

    with psycopg.connect(migrated) as conn:  # a revision, as the processor's upsert writes it
        conn.execute("UPDATE progress SET ytd_value = 45, completion_pct = 45 WHERE zone = %s AND year = %s", (a, YEAR))
    assert await month_items(client, [a, b]) == [(a, None, 45, 45.0)]

    seed(migrated, b, "industrial_output", YEAR, 5, ytd="10", target=100)  # a row added
    assert await month_items(client, [a, b]) == [(b, None, 10, 10.0), (a, None, 45, 45.0)]

    with psycopg.connect(migrated) as conn:  # a zone registered: its name shows at once
        conn.execute(
            "INSERT INTO zones (code, name_zh, level, kind, source, batch_id, row_index, reported_at)"
            " VALUES (%s, '缓存乙开发区', 'other', '经开区', 'test', gen_random_uuid(), 0, now())",
            (b,),
        )
    assert await month_items(client, [a, b]) == [(b, "缓存乙开发区", 10, 10.0), (a, None, 45, 45.0)]

    with psycopg.connect(migrated) as conn:  # a row deleted
        conn.execute("DELETE FROM progress WHERE zone = %s", (b,))
    assert await month_items(client, [a, b]) == [(a, None, 45, 45.0)]


async def test_an_explanation_stored_with_the_month_shows_at_once(client: httpx.AsyncClient, migrated: str):
    (a,) = zones("缓存说明区")
    seed(migrated, a, "export", YEAR, 6, ytd="3", target=10)
    first = (await client.get("/v1/progress", params={"year": YEAR, "month": 6})).json()["items"]
    assert [(i["zone"], i["explanation"]) for i in first] == [(a, None)]
    with psycopg.connect(migrated) as conn:
        conn.execute(
            "INSERT INTO observations (zone, indicator, period, basis, value, reported_value, reported_unit, source,"
            " batch_id, row_index, reported_at, explanation) VALUES (%s, 'export', %s, 'ytd', 3, 3, '亿元', 'test',"
            " gen_random_uuid(), 0, now(), '新投产项目集中出口')",
            (a, f"{YEAR}-06-01"),
        )
    again = (await client.get("/v1/progress", params={"year": YEAR, "month": 6})).json()["items"]
    assert again[0]["explanation"] == "新投产项目集中出口"


def test_the_cache_keeps_the_most_recent_answers_only():
    cache = AnswerCache(max_answers=2)
    cache.put("a", 1, b"A")
    cache.put("b", 1, b"B")
    assert cache.get("a", 1) == b"A"  # a is now the most recent
    cache.put("c", 1, b"C")  # b goes
    assert (cache.get("b", 1), cache.get("a", 1), cache.get("c", 1)) == (None, b"A", b"C")
    assert cache.get("a", 2) is None  # another version of the rows: not this answer
    assert (cache.hits, cache.misses) == (3, 2)


def test_a_rebuilt_answer_renders_only_the_rows_that_changed():
    rendered: list[str] = []

    def render(row: dict) -> str:
        rendered.append(row["zone"])
        return f"<{row['zone']} {row['ytd_value']}>"

    cache = AnswerCache()
    key = lambda row: tuple(row.values())  # noqa: E731
    first = RowPieces(cache.pieces("month"), render, key)
    rows = [{"zone": "甲", "ytd_value": Decimal("1.5")}, {"zone": "乙", "ytd_value": Decimal("2")}]
    assert [first.of(row) for row in rows] == ["<甲 1.5>", "<乙 2>"]
    cache.put("month", 1, b"...", first.pieces)
    again = RowPieces(cache.pieces("month"), render, key)
    rows[1] = {"zone": "乙", "ytd_value": Decimal("2.25")}  # revised
    rows.append({"zone": "丙", "ytd_value": None})  # added
    assert [again.of(row) for row in rows] == ["<甲 1.5>", "<乙 2.25>", "<丙 None>"]
    assert (rendered, again.rendered) == (["甲", "乙", "乙", "丙"], 2)
    assert set(again.pieces.values()) == {"<甲 1.5>", "<乙 2.25>", "<丙 None>"}  # the old 乙 is not kept


async def test_a_rebuilt_answer_is_the_answer_built_afresh(client: httpx.AsyncClient, migrated: str):
    a, b, c = zones("缓存重建甲区", "缓存重建乙区", "缓存重建丙区")
    for zone, ytd in ((a, "40"), (b, "20.5"), (c, "61")):
        seed(migrated, zone, "industrial_output", YEAR, 8, ytd=ytd, target=100)
    month = {"year": YEAR, "month": 8}
    await client.get("/v1/progress", params=month)  # kept, with each row's item
    with psycopg.connect(migrated) as conn:
        conn.execute(
            "UPDATE progress SET ytd_value = 52.25, completion_pct = 52.25, progress_gap_pp = 52.25 - time_progress_pct,"
            " computed_at = now()"
            " WHERE zone = %s AND year = %s AND month = 8",
            (b, YEAR),
        )
    rebuilt = (await client.get("/v1/progress", params=month)).json()["items"]
    # With zones named the answer is built without the cache: every row rendered from what was read.
    afresh = (await client.get("/v1/progress", params={**month, "zone": [a, b, c]})).json()["items"]
    assert rebuilt == afresh
    assert [(i["zone"], i["ytd_value"], i["completion_pct"]) for i in rebuilt] == [
        (a, 40, 40.0),
        (b, 52.25, 52.3),
        (c, 61, 61.0),
    ]


async def test_a_kept_board_page_changes_with_its_rows_and_its_alerts(client: httpx.AsyncClient, migrated: str):
    (a,) = zones("缓存看板区")
    seed(migrated, a, "industrial_output", YEAR, 7, ytd="30", target=100)  # month 7: this test's alone
    first = await client.get("/board", params={"year": YEAR, "month": 7})
    assert first.status_code == 200 and a in first.text and "缓存看板开发区" not in first.text
    assert (await client.get("/board", params={"year": YEAR, "month": 7})).text == first.text
    with psycopg.connect(migrated) as conn:
        conn.execute(
            "INSERT INTO zones (code, name_zh, level, kind, source, batch_id, row_index, reported_at)"
            " VALUES (%s, '缓存看板开发区', 'other', '经开区', 'test', gen_random_uuid(), 0, now())",
            (a,),
        )
    assert "缓存看板开发区" in (await client.get("/board", params={"year": YEAR, "month": 7})).text
    with psycopg.connect(migrated) as conn:
        conn.execute(
            "INSERT INTO alerts (rule, zone, indicator, period, state, severity, version, message, figures,"
            " fired_at, updated_at) VALUES ('behind_schedule', %s, 'industrial_output', %s, 'firing', 'critical',"
            " 1, '缓存看板区落后序时进度', %s::jsonb, now(), now())",
            (a, f"{YEAR}-01-01", '{"month": "7"}'),
        )
    assert "缓存看板区落后序时进度" in (await client.get("/board", params={"year": YEAR, "month": 7})).text


async def test_a_rebuilt_board_page_is_the_page_rendered_afresh(client: httpx.AsyncClient, migrated: str):
    a, b = zones("缓存重绘甲区", "缓存重绘乙区")
    seed(migrated, a, "export", YEAR, 9, ytd="70", target=100)  # month 9: this test's alone
    seed(migrated, b, "export", YEAR, 9, ytd="80", target=100)
    month = {"year": YEAR, "month": 9}
    before = (await client.get("/board", params=month)).text
    assert before.count('<tr data-zone="') == 2 and before.count('data-status="on_track"') == 1  # 80 of 100 by 75%
    with psycopg.connect(migrated) as conn:
        conn.execute(
            "UPDATE progress SET ytd_value = 74, completion_pct = 74, progress_gap_pp = 74 - time_progress_pct,"
            " on_track = false, computed_at = now() WHERE zone = %s AND year = %s AND month = 9",
            (b, YEAR),
        )
    rebuilt = (await client.get("/board", params=month)).text
    async with query_api(QuerySettings(database_url=migrated)) as fresh:  # an empty cache: every row rendered
        afresh = (await fresh.get("/board", params=month)).text
    assert rebuilt == afresh
    assert rebuilt.count('data-status="on_track"') == 0 and "74.0%" in rebuilt and "80.0%" not in rebuilt


async def test_a_kept_ranking_changes_with_the_indicators_year(client: httpx.AsyncClient, migrated: str):
    a, b = zones("缓存排名甲", "缓存排名乙")
    seed(migrated, a, "fixed_asset_investment", YEAR, 8, ytd="50", target=100)  # the year's only such rows
    seed(migrated, b, "fixed_asset_investment", YEAR, 8, ytd="40", target=100)
    params = {"indicator": "fixed_asset_investment", "year": YEAR, "month": 8, "by": "ytd_value"}

    async def order() -> list[tuple]:
        response = await client.get("/v1/rankings", params=params)
        assert response.status_code == 200, response.text
        return [(i["rank"], i["zone"], i["value"]) for i in response.json()["items"]]

    assert await order() == [(1, a, 50), (2, b, 40)]
    assert await order() == [(1, a, 50), (2, b, 40)]  # kept
    with psycopg.connect(migrated) as conn:
        conn.execute("UPDATE progress SET ytd_value = 60 WHERE zone = %s AND year = %s", (b, YEAR))
    assert await order() == [(1, b, 60), (2, a, 50)]


async def test_a_parents_figure_changes_its_childrens_shares_in_a_rebuilt_answer(
    client: httpx.AsyncClient, migrated: str
):
    parent, a, b = zones("缓存份额园区", "缓存份额甲", "缓存份额乙")
    with psycopg.connect(migrated) as conn:
        for code, above in ((parent, None), (a, parent), (b, parent)):
            conn.execute(
                "INSERT INTO zones (code, name_zh, level, kind, parent, source, batch_id, row_index, reported_at)"
                " VALUES (%s, %s, 'other', '经开区', %s, 'test', gen_random_uuid(), 0, now())",
                (code, code.split("-")[0], above),
            )
    for zone, ytd in ((parent, "200"), (a, "50"), (b, "30")):  # month 3: this test's alone
        seed(migrated, zone, "industrial_output", YEAR, 3, ytd=ytd, target=400)
    month = {"year": YEAR, "month": 3}

    async def shares(params: dict) -> dict[str, object]:
        response = await client.get("/v1/progress", params=params)
        assert response.status_code == 200, response.text
        return {i["zone"]: i["share_of_parent_pct"] for i in response.json()["items"]}

    assert await shares(month) == {parent: None, a: 25.0, b: 15.0}  # kept, with each row's item
    with psycopg.connect(migrated) as conn:  # only the parent's row changes: its children's keys carry its figure
        conn.execute("UPDATE progress SET ytd_value = 250 WHERE zone = %s AND year = %s AND month = 3", (parent, YEAR))
    assert await shares(month) == {parent: None, a: 20.0, b: 12.0}
    assert await shares({**month, "zone": [parent, a, b]}) == {parent: None, a: 20.0, b: 12.0}  # built afresh


async def test_the_kept_rows_of_a_month_are_read_by_their_keys_only(migrated: str):
    from psycopg_pool import AsyncConnectionPool

    from query.progress_items import row_key
    from query.repository import ProgressRepository

    a, b, c = zones("缓存键读甲", "缓存键读乙", "缓存键读丙")
    for zone, ytd in ((a, "10"), (b, "35"), (c, "20")):  # month 2: this test's alone
        seed(migrated, zone, "export", YEAR, 2, ytd=ytd, target=100)
    async with AsyncConnectionPool(migrated, min_size=1, max_size=1, open=False) as pool:
        await pool.wait(timeout=30)
        repository = ProgressRepository(pool)
        whole = await repository.progress(YEAR, 2, None, ["export"])
        mine = [row for row in whole if row["zone"] in (a, b, c)]
        reused = await repository.progress_reusing(YEAR, 2, ["export"], lambda key: key[0] != b)
    read = [(key, row) for key, row in reused if key[0] in (a, b, c)]
    # Lagging first, as `progress` orders them (10 and 20 of 100 by February's 16.67%: a lags), every row keyed
    # alike by both reads; the kept rows' other columns are not read, the changed row's are, all of them.
    assert [key[0] for key, _ in read] == [row["zone"] for row in mine] == [a, c, b]
    assert [key for key, _ in read] == [row_key(row) for row in mine]
    assert [row is None for _, row in read] == [True, True, False]
    assert read[2][1] == mine[2] and read[2][1]["ytd_value"] == Decimal("35")


def test_a_piece_not_kept_is_rendered_and_a_kept_one_reused_by_its_key():
    cache = AnswerCache()
    first = RowPieces(cache.pieces("month"), lambda row: f"<{row['zone']}>", lambda row: (row["zone"],))
    assert first.kept is None  # nothing kept yet: every row is read whole
    assert first.of({"zone": "甲"}) == "<甲>"
    cache.put("month", 1, b"...", first.pieces)
    again = RowPieces(cache.pieces("month"), lambda row: f"[{row['zone']}]", lambda row: (row["zone"],))
    assert again.kept is not None and again.kept(("甲",)) and not again.kept(("乙",))
    assert (again.of_keyed(("甲",), None), again.of_keyed(("乙",), {"zone": "乙"})) == ("<甲>", "[乙]")
    assert again.rendered == 1
    with pytest.raises(KeyError, match="丙"):  # a row said to be kept that is not: never rendered from nothing
        again.of_keyed(("丙",), None)
