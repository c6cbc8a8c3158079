"""Where the CLI finds the services and its key: flags, then the environment, then a config file, then defaults.

The config file is TOML (INDICATORS_CONFIG, else ~/.config/indicators/config.toml), e.g.

    url = "https://ingest.example.gov.cn"
    query_url = "https://query.example.gov.cn"
    key = "…"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_QUERY_URL = "http://127.0.0.1:8001"
ENVIRONMENT = {"url": "INDICATORS_URL", "query_url": "INDICATORS_QUERY_URL", "key": "INDICATORS_KEY"}


class SettingsInvalid(ValueError):
    """A config file that cannot be read: said, not ignored."""


@dataclass(frozen=True)
class CliSettings:
    url: str
    query_url: str
    key: str | None


def config_path() -> Path:
    given = os.environ.get("INDICATORS_CONFIG")
    return Path(given) if given else Path.home() / ".config" / "indicators" / "config.toml"


def read_config(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
        raise SettingsInvalid(f"{path}: {error}") from None
    unknown = sorted(set(raw) - set(ENVIRONMENT))
    if unknown:
        raise SettingsInvalid(f"{path}: unknown setting '{unknown[0]}' (known: {', '.join(ENVIRONMENT)})")
    wrong = [name for name, value in raw.items() if not isinstance(value, str)]
    if wrong:
        raise SettingsInvalid(f"{path}: '{wrong[0]}' must be a string")
    return dict(raw)


def resolve(url: str | None, query_url: str | None, key: str | None) -> CliSettings:
    """Each setting from its flag, else its environment variable, else the config file, else the default."""
    flags = {"url": url, "query_url": query_url, "key": key}
    config: dict[str, str] | None = None
    chosen: dict[str, str | None] = {}
    for name, flag in flags.items():
        value = flag or os.environ.get(ENVIRONMENT[name]) or None
        if value is None:
            config = read_config(config_path()) if config is None else config
            value = config.get(name)
        chosen[name] = value
    return CliSettings(
        url=(chosen["url"] or DEFAULT_URL).rstrip("/"),
        query_url=(chosen["query_url"] or DEFAULT_QUERY_URL).rstrip("/"),
        key=chosen["key"],
    )
