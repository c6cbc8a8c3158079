"""Settings of the alert evaluator, and the rules' thresholds (rules.toml).

Operational settings (ports, clock, intervals) are environment variables with the
prefix INDICATORS_ALERTS_ (pydantic-settings, like every service); the rules'
thresholds are data in a TOML file, with per-indicator overrides, validated at
start against the catalog so that a typo stops the evaluator rather than
silently disabling a rule.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alerts.model import Rule, Severity
from indicators_core.catalog import Catalog
from indicators_core.settings import CommonSettings

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.toml")


class AlertsSettings(CommonSettings):
    alerts_app_id: str = "indicators-alerts"
    alerts_web_host: str = "127.0.0.1"
    alerts_web_port: int = 8004
    alerts_data_dir: Path = Path(".data/faust-alerts")
    alerts_rules_path: Path | None = None  # default: the packaged rules.toml
    # Late reports are judged against the calendar of this zone ("by the 15th").
    alerts_timezone: str = "Asia/Shanghai"
    # Freeze the evaluator's clock (tests, or re-running a past day's late-report check);
    # a time without a zone is read in alerts_timezone.
    alerts_frozen_now: datetime | None = None
    alerts_late_check_interval_s: float = Field(default=300.0, gt=0)
    # Up to messages_take_max messages of results (up to 500 results each), or what arrived within take_within_s,
    # are taken at once, and their results evaluated take_max at a time: one transaction, one digest per subscriber.
    # 5,000: a transaction's fixed work (locks, the late-report and stored-alert reads, the firing count) and the
    # history years read for the swing rule are shared by ten times the results of 500.
    alerts_take_max: int = Field(default=5000, ge=1)
    alerts_messages_take_max: int = Field(default=20, ge=1)
    alerts_take_within_s: float = Field(default=0.2, gt=0)
    alerts_db_pool_max: int = Field(default=4, ge=1)
    alerts_db_retry_max_wait_s: float = Field(default=30.0, gt=0)
    # The firing gauge is read from the database this often (and after every change).
    alerts_firing_refresh_s: float = Field(default=15.0, gt=0)
    # Alert events committed but not yet on the alerts topic (the worker died in
    # between) are published again after this long.
    alerts_republish_after_s: float = Field(default=30.0, gt=0)
    # How often the consumer lag gauge is read from the broker (Prometheus scrapes every 15 s).
    alerts_lag_refresh_s: float = Field(default=10.0, gt=0)

    @field_validator("alerts_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (e.g. Asia/Shanghai)") from None
        return value

    @property
    def zone_info(self) -> ZoneInfo:
        return ZoneInfo(self.alerts_timezone)

    def now(self) -> datetime:
        """The evaluator's clock: the frozen time when set, else the wall clock, in alerts_timezone."""
        if self.alerts_frozen_now is None:
            return datetime.now(self.zone_info)
        if self.alerts_frozen_now.tzinfo is None:
            return self.alerts_frozen_now.replace(tzinfo=self.zone_info)
        return self.alerts_frozen_now.astimezone(self.zone_info)


class _RuleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    severity: Severity = Severity.WARNING


class BehindScheduleConfig(_RuleConfig):
    gap_pp: Decimal = Field(default=Decimal(5), ge=0)
    critical_months: tuple[int, ...] = (6, 12)
    critical_severity: Severity = Severity.CRITICAL

    @field_validator("critical_months")
    @classmethod
    def _months(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        wrong = [month for month in value if not 1 <= month <= 12]
        if wrong:
            raise ValueError(f"months must be 1..12, got {wrong}")
        return value


class NegativeGrowthConfig(_RuleConfig):
    below_target_severity: Severity = Severity.INFO


class SharpSwingConfig(_RuleConfig):
    window_months: int = Field(default=12, ge=3, le=36)
    min_history: int = Field(default=6, ge=3)
    mad_k: Decimal = Field(default=Decimal(5), gt=0)
    min_ratio: Decimal = Field(default=Decimal(2), gt=1)

    @model_validator(mode="after")
    def _history_fits_window(self) -> SharpSwingConfig:
        if self.min_history > self.window_months:
            raise ValueError(f"min_history ({self.min_history}) exceeds window_months ({self.window_months})")
        return self


class LateReportConfig(_RuleConfig):
    # 28 at most: every month has that day.
    due_day: int = Field(default=15, ge=1, le=28)


class ImplausibleConfig(_RuleConfig):
    pass


class StageOverdueConfig(_RuleConfig):
    # 项目节点逾期: warning once a stage is overdue, critical once it is this many days overdue.
    critical_after_days: int = Field(default=30, ge=1)
    critical_severity: Severity = Severity.CRITICAL


class RuleSet(BaseModel):
    """Every rule's thresholds for one indicator (the defaults with its overrides applied)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    behind_schedule: BehindScheduleConfig = BehindScheduleConfig()
    negative_growth: NegativeGrowthConfig = NegativeGrowthConfig()
    sharp_swing: SharpSwingConfig = SharpSwingConfig()
    late_report: LateReportConfig = LateReportConfig()
    implausible: ImplausibleConfig = ImplausibleConfig()
    # Judged per project, not per indicator: only its defaults apply (an [indicators.<code>] override is unused).
    stage_overdue: StageOverdueConfig = StageOverdueConfig()

    def enabled(self, rule: Rule) -> bool:
        config: _RuleConfig = getattr(self, rule.value)
        return config.enabled


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    behind_schedule: dict[str, Any] = {}
    negative_growth: dict[str, Any] = {}
    sharp_swing: dict[str, Any] = {}
    late_report: dict[str, Any] = {}
    implausible: dict[str, Any] = {}
    stage_overdue: dict[str, Any] = {}
    indicators: dict[str, dict[str, dict[str, Any]]] = {}


class RulesConfigError(ValueError):
    """The rules file is wrong: stop at start, naming the file, the key and the reason."""


class RulesConfig:
    """The rules' thresholds per indicator. Growth targets are data of the zones, not thresholds: they come
    with the figures from the database (PUT /v1/targets with "kind": "growth")."""

    def __init__(self, defaults: RuleSet, per_indicator: dict[str, RuleSet]):
        self.defaults = defaults
        self.per_indicator = per_indicator

    def for_indicator(self, code: str) -> RuleSet:
        return self.per_indicator.get(code, self.defaults)


def _errors(error: ValidationError, prefix: str) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in (prefix, *item["loc"]) if p != "")
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_rules(text: str, catalog: Catalog, origin: str = "<rules>") -> RulesConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesConfigError(f"{origin}: not valid TOML: {error}") from None
    if "growth_targets" in raw:
        # One source of truth: a growth target in this file and another in the database would disagree.
        raise RulesConfigError(
            f"{origin}: growth_targets: growth targets are no longer set here; send them to ingest as targets"
            ' with "kind": "growth" (PUT /v1/targets, e.g. {"zone": …, "indicator": …, "year": 2026, "kind":'
            ' "growth", "value": 10}) and remove [[growth_targets]] from this file'
        )
    try:
        parsed = RulesFile.model_validate(raw)
    except ValidationError as error:
        raise RulesConfigError(f"{origin}: {_errors(error, '')}") from None
    base = {rule.value: getattr(parsed, rule.value) for rule in Rule}
    try:
        defaults = RuleSet.model_validate(base)
    except ValidationError as error:
        raise RulesConfigError(f"{origin}: {_errors(error, '')}") from None
    per_indicator: dict[str, RuleSet] = {}
    for code, overrides in parsed.indicators.items():
        if catalog.get(code) is None:
            raise RulesConfigError(
                f"{origin}: indicators.{code}: not in the catalog (known: {', '.join(catalog.codes())})"
            )
        merged: dict[str, dict[str, Any]] = {rule: dict(values) for rule, values in base.items()}
        for rule, values in overrides.items():
            if rule not in merged:
                raise RulesConfigError(
                    f"{origin}: indicators.{code}.{rule}: unknown rule (known: {', '.join(r.value for r in Rule)})"
                )
            merged[rule].update(values)
        try:
            per_indicator[code] = RuleSet.model_validate(merged)
        except ValidationError as error:
            raise RulesConfigError(f"{origin}: {_errors(error, f'indicators.{code}')}") from None
    return RulesConfig(defaults, per_indicator)


def load_rules(path: Path | None, catalog: Catalog) -> RulesConfig:
    """The rules file at `path` (the packaged rules.toml by default), validated against the catalog."""
    rules_path = path or DEFAULT_RULES_PATH
    try:
        text = rules_path.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesConfigError(f"{rules_path}: cannot read the rules file: {error}") from None
    return parse_rules(text, catalog, str(rules_path))
