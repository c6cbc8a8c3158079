"""Alert messages name a registered zone by its name_zh (杭州钱江经济开发区), not its code (qianjiang-edz).

Every rule's message starts with the series, "<zone> <indicator name>" (rules._series); the identity of the
alert (AlertKey) keeps the code. The names are read in the evaluation's transaction, so a message says what
the registry says at the moment the alert is judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import psycopg

from alerts import rules as R

SELECT_NAMES = "SELECT code, name_zh FROM zones WHERE code = ANY(%s::text[])"


def named(finding: R.Finding, names: Mapping[str, str]) -> R.Finding:
    """The finding with its message's leading zone code written as the zone's registered name."""
    zone = finding.key.zone
    name = names.get(zone)
    if name is None or name == zone:
        return finding
    # Lazily: the message is only written out when it is read (rules.Finding).
    return finding.reworded(lambda message: name + message[len(zone) :] if message.startswith(f"{zone} ") else message)


async def zone_names(conn: psycopg.AsyncConnection, zones: Iterable[str]) -> dict[str, str]:
    async with conn.cursor() as cur:
        await cur.execute(SELECT_NAMES, (sorted(set(zones)),))
        return {code: name for code, name in await cur.fetchall()}
