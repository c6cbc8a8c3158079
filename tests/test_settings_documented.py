"""Every setting of every service is in docs/configuration.md's settings table, under the name it is read by.

`make run` gives every process one environment, so a name is documented once with who reads it.
The table writes families short: "`INDICATORS_INGEST_HOST` / `_PORT`" is INDICATORS_INGEST_HOST and
INDICATORS_INGEST_PORT (a short name replaces the full name's tail, after any of its words).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from alerts.config import AlertsSettings
from indicators_core.settings import CommonSettings
from ingest.config import IngestSettings
from notifier.config import NotifierSettings
from processor.config import ProcessorSettings
from query.config import QuerySettings
from stack.run import StackSettings

CONFIGURATION = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
SETTINGS: list[type[BaseSettings]] = [
    CommonSettings,
    IngestSettings,
    ProcessorSettings,
    QuerySettings,
    AlertsSettings,
    NotifierSettings,
    StackSettings,
]
# Fields that are state, not settings: set by a validator, never read from the environment on purpose.
NOT_SETTINGS = {(IngestSettings, "admin_key_generated")}


def env_name(settings: type[BaseSettings], field: str) -> str:
    alias = settings.model_fields[field].validation_alias
    if isinstance(alias, str):
        return alias.upper()
    return (str(settings.model_config.get("env_prefix", "")) + field).upper()


def documented() -> set[str]:
    """Every variable name the "Environment variables" table's first column gives, shorthands expanded."""
    text = CONFIGURATION.read_text(encoding="utf-8")
    section = text.split("\n## Environment variables\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first_column = line.split("|")[1]
        full = ""
        for name in re.findall(r"`([A-Z0-9_]+)`", first_column):
            if name.startswith("INDICATORS_"):
                full = name
                names.add(name)
            elif full:  # `_PORT` after `INDICATORS_INGEST_HOST`: any head of the full name, then the tail
                words = full.split("_")
                names |= {"_".join(words[:cut]) + name for cut in range(2, len(words))}
    return names


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda settings: settings.__name__)
def test_every_setting_is_in_the_configuration_table(settings: type[BaseSettings]) -> None:
    names = documented()
    missing = [
        env_name(settings, field)
        for field in settings.model_fields
        if (settings, field) not in NOT_SETTINGS and env_name(settings, field) not in names
    ]
    assert missing == [], (
        f"{settings.__name__}: not in docs/configuration.md's Environment variables table: {', '.join(missing)}"
    )


def test_the_table_is_read_as_written() -> None:
    names = documented()
    assert {"INDICATORS_INGEST_HOST", "INDICATORS_INGEST_PORT", "INDICATORS_NOTIFIER_SMTP_PASSWORD"} <= names
    assert "INDICATORS_NO_SUCH_SETTING" not in names
    assert env_name(QuerySettings, "legacy_db_pool_max") == "INDICATORS_DB_POOL_MAX"
    assert env_name(QuerySettings, "query_db_pool_max") == "INDICATORS_QUERY_DB_POOL_MAX"


def test_the_pool_sizes_are_per_service_and_the_old_shared_name_still_works(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("INDICATORS_PROCESSOR_DB_POOL_MAX", raising=False)
    monkeypatch.delenv("INDICATORS_QUERY_DB_POOL_MAX", raising=False)
    monkeypatch.delenv("INDICATORS_DB_POOL_MAX", raising=False)
    assert (ProcessorSettings().processor_db_pool_max, QuerySettings().query_db_pool_max) == (4, 8)
    assert caplog.messages == []

    # One environment for every process (make run): each service reads its own name.
    monkeypatch.setenv("INDICATORS_PROCESSOR_DB_POOL_MAX", "3")
    monkeypatch.setenv("INDICATORS_QUERY_DB_POOL_MAX", "12")
    assert (ProcessorSettings().processor_db_pool_max, QuerySettings().query_db_pool_max) == (3, 12)

    monkeypatch.delenv("INDICATORS_PROCESSOR_DB_POOL_MAX")
    monkeypatch.setenv("INDICATORS_DB_POOL_MAX", "6")
    with caplog.at_level("WARNING", logger="indicators.settings"):
        assert ProcessorSettings().processor_db_pool_max == 6
        assert QuerySettings().query_db_pool_max == 12
    assert caplog.messages == [
        "INDICATORS_DB_POOL_MAX is deprecated: set INDICATORS_PROCESSOR_DB_POOL_MAX=6 instead"
        " (the old name is still read, for now)",
        "INDICATORS_DB_POOL_MAX is deprecated and ignored: INDICATORS_QUERY_DB_POOL_MAX is set (12)",
    ]
