"""Every query parameter of every route is checked: NUL, control characters, bytes that are not UTF-8
(a lone surrogate), bidi controls, over-long and over-repeated values are a 422 naming the parameter
and the reason, never a 500 (issue 14: NUL in a zone reached PostgreSQL and came back as a 500).

The app is called in-process against a real PostgreSQL; the raw query strings are written by hand
(percent-encoded bytes), as a client or a fuzzer sends them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest

from query.config import QuerySettings
from query.params import character_problem, query_problems, shown_name
from tests.in_process import query_api

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

ADMIN_KEY = "params-admin-key-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
LONG = "区" * 201

# (what, raw value as sent, the reason) — the reason names the first bad character or the limit.
BAD_VALUES = [
    ("NUL", "poison-%00", "contains a NUL character (U+0000) at position 8"),
    ("control character", "a%1B%5B31mred", "contains the control character U+001B at position 2"),
    ("DEL", "a%7F", "contains the control character U+007F at position 2"),
    ("C1 control", "a%C2%85", "contains the control character U+0085 at position 2"),
    ("lone surrogate", "a%ED%A0%80", "is not valid UTF-8 at byte 2 (a lone surrogate or a broken multi-byte sequence)"),
    ("cut UTF-8", "%E9%AB%98%E6", "is not valid UTF-8 at byte 4 (a lone surrogate or a broken multi-byte sequence)"),
    ("bidi override", "%E2%80%AEabc", "contains the bidirectional control character U+202E at position 1"),
    ("over-long", LONG, "is 201 characters long; at most 200"),
]

# Every route that takes query parameters, with the rest of its parameters valid, and the parameter poisoned.
ROUTES = [
    ("/v1/progress", "year=2025&zone={bad}", "zone"),
    ("/v1/progress", "indicator={bad}", "indicator"),
    ("/v1/progress", "year={bad}", "year"),
    ("/v1/series", "zone={bad}&indicator=industrial_output", "zone"),
    ("/v1/series", "zone=z&indicator=industrial_output&from={bad}", "from"),
    ("/v1/alerts", "zone={bad}", "zone"),
    ("/v1/alerts", "state={bad}", "state"),
    ("/v1/alerts", "rule={bad}", "rule"),
    ("/v1/alerts/history", "indicator={bad}", "indicator"),
    ("/v1/alerts/history", "zone=z&limit={bad}", "limit"),
    ("/v1/indicators", "unused={bad}", "unused"),
    ("/healthz", "x={bad}", "x"),
    ("/v1/subscriptions", "x={bad}", "x"),
]


@pytest.fixture(scope="module")
async def client(module_database: str) -> AsyncIterator[httpx.AsyncClient]:
    async with query_api(QuerySettings(database_url=module_database, admin_key=ADMIN_KEY)) as api:
        yield api


def problem(field: str, reason: str) -> dict:
    return {"detail": f"{field}: {reason}", "errors": [{"field": field, "reason": reason}]}


@pytest.mark.parametrize(("kind", "bad", "reason"), BAD_VALUES, ids=[kind for kind, _, _ in BAD_VALUES])
@pytest.mark.parametrize(("path", "query", "field"), ROUTES, ids=[f"{p}:{f}" for p, _, f in ROUTES])
async def test_a_bad_value_of_any_parameter_is_a_422_naming_it(
    client: httpx.AsyncClient, path: str, query: str, field: str, kind: str, bad: str, reason: str
) -> None:
    response = await client.get(f"{path}?{query.format(bad=bad)}", headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json() == problem(field, reason)


@pytest.mark.parametrize(("kind", "bad", "reason"), BAD_VALUES, ids=[kind for kind, _, _ in BAD_VALUES])
async def test_the_deliveries_of_a_subscription_check_their_parameters_too(
    client: httpx.AsyncClient, kind: str, bad: str, reason: str
) -> None:
    response = await client.get(f"/v1/subscriptions/{uuid.uuid4()}/deliveries?status={bad}", headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json() == problem("status", reason)


@pytest.mark.parametrize(("kind", "bad", "reason"), BAD_VALUES, ids=[kind for kind, _, _ in BAD_VALUES])
async def test_the_board_answers_a_bad_parameter_with_its_error_page(
    client: httpx.AsyncClient, kind: str, bad: str, reason: str
) -> None:
    # A board is opened in a browser: the 422 is the board's own error page (as for year=abc), not JSON.
    response = await client.get(f"/board?zone={bad}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<li data-field="zone"><code>zone</code>: {reason}</li>' in response.text
    assert "参数有误（422）" in response.text


async def test_every_problem_of_a_request_is_named_once(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/progress?zone=a%00&zone=b%00&indicator=x%1F&year=2025")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "zone", "reason": "contains a NUL character (U+0000) at position 2"},
        {"field": "indicator", "reason": "contains the control character U+001F at position 2"},
    ]


async def test_a_parameter_repeated_too_often_or_a_bad_name_is_named(client: httpx.AsyncClient) -> None:
    many = "&".join(f"zone=z{n}" for n in range(501))
    response = await client.get(f"/v1/progress?{many}")
    assert response.status_code == 422
    assert response.json() == problem("zone", "is given 501 times; at most 500")

    response = await client.get("/v1/progress?zo%00ne=x")
    assert response.status_code == 422
    assert response.json() == problem(
        "zo\\u0000ne", "the parameter's name contains a NUL character (U+0000) at position 3"
    )


async def test_good_values_still_reach_the_routes(client: httpx.AsyncClient, module_database: str) -> None:
    """The check refuses only what no zone can be: Chinese, spaces, '+' and 200 characters pass."""
    zone = f"高新区 {uuid.uuid4().hex[:6]}"
    with psycopg.connect(module_database) as conn:
        conn.execute("DELETE FROM progress WHERE zone = %s", (zone,))
    for path in (
        "/v1/progress?year=2025&zone=" + "%E9%AB%98%E6%96%B0%E5%8C%BA+" + zone.split()[1],
        "/v1/series?indicator=industrial_output&zone=" + "区" * 200,
        "/v1/alerts?zone=高新区&state=all",
        "/v1/alerts/history?zone=高新区&limit=5",
        "/v1/indicators",
    ):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)
    assert (await client.get("/v1/progress?year=2025&zone=" + zone)).json() == {
        "year": 2025,
        "month": None,
        "items": [],
    }
    board = await client.get("/board?zone=高新区")
    assert board.status_code == 200
    assert (await client.get("/v1/subscriptions", headers=AUTH)).json() == {"items": []}


def test_the_pure_check_reports_the_first_bad_character_of_each_parameter() -> None:
    assert character_problem("高新区") is None
    assert character_problem("a\tb") == "contains the control character U+0009 at position 2"
    assert character_problem("\ud800") == "contains a lone surrogate (U+D800) at position 1"
    assert shown_name("a\u202eb" + "x" * 50) == "a\\u202eb" + "x" * 32 + "…"
    assert query_problems(b"") == []
    assert query_problems(b"a=1&&b=%E4%B8%AD") == []
    many = b"&".join(b"p%d=1" % n for n in range(2001))
    assert [(p.field, p.reason) for p in query_problems(many)] == [("query", "has 2001 parameters; at most 2000")]
