import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Basis(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BASIS_UNSPECIFIED: _ClassVar[Basis]
    BASIS_YTD: _ClassVar[Basis]
    BASIS_MONTH: _ClassVar[Basis]
BASIS_UNSPECIFIED: Basis
BASIS_YTD: Basis
BASIS_MONTH: Basis

class Observation(_message.Message):
    __slots__ = ("zone", "indicator", "year", "month", "basis", "value", "yoy_base", "reported_value", "reported_unit", "explanation", "explained_warnings", "reported_yoy_pct")
    ZONE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    YOY_BASE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_VALUE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_UNIT_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    EXPLAINED_WARNINGS_FIELD_NUMBER: _ClassVar[int]
    REPORTED_YOY_PCT_FIELD_NUMBER: _ClassVar[int]
    zone: str
    indicator: str
    year: int
    month: int
    basis: Basis
    value: str
    yoy_base: str
    reported_value: str
    reported_unit: str
    explanation: str
    explained_warnings: str
    reported_yoy_pct: str
    def __init__(self, zone: _Optional[str] = ..., indicator: _Optional[str] = ..., year: _Optional[int] = ..., month: _Optional[int] = ..., basis: _Optional[_Union[Basis, str]] = ..., value: _Optional[str] = ..., yoy_base: _Optional[str] = ..., reported_value: _Optional[str] = ..., reported_unit: _Optional[str] = ..., explanation: _Optional[str] = ..., explained_warnings: _Optional[str] = ..., reported_yoy_pct: _Optional[str] = ...) -> None: ...

class Target(_message.Message):
    __slots__ = ("zone", "indicator", "year", "value", "reported_value", "reported_unit", "kind")
    ZONE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_VALUE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_UNIT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    zone: str
    indicator: str
    year: int
    value: str
    reported_value: str
    reported_unit: str
    kind: str
    def __init__(self, zone: _Optional[str] = ..., indicator: _Optional[str] = ..., year: _Optional[int] = ..., value: _Optional[str] = ..., reported_value: _Optional[str] = ..., reported_unit: _Optional[str] = ..., kind: _Optional[str] = ...) -> None: ...

class Zone(_message.Message):
    __slots__ = ("code", "name_zh", "level", "kind", "parent", "groups")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_zh: str
    level: str
    kind: str
    parent: str
    groups: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., name_zh: _Optional[str] = ..., level: _Optional[str] = ..., kind: _Optional[str] = ..., parent: _Optional[str] = ..., groups: _Optional[_Iterable[str]] = ...) -> None: ...

class ProjectInvestment(_message.Message):
    __slots__ = ("year", "month", "basis", "value", "reported_value", "reported_unit")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_VALUE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_UNIT_FIELD_NUMBER: _ClassVar[int]
    year: int
    month: int
    basis: Basis
    value: str
    reported_value: str
    reported_unit: str
    def __init__(self, year: _Optional[int] = ..., month: _Optional[int] = ..., basis: _Optional[_Union[Basis, str]] = ..., value: _Optional[str] = ..., reported_value: _Optional[str] = ..., reported_unit: _Optional[str] = ...) -> None: ...

class Project(_message.Message):
    __slots__ = ("id", "zone", "name", "tier", "industry", "total_investment", "reported_total_investment", "reported_unit", "stages", "planned", "annual_plan_investment", "completed_investment")
    class StagesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class PlannedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AnnualPlanInvestmentEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: str
        def __init__(self, key: _Optional[int] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_INVESTMENT_FIELD_NUMBER: _ClassVar[int]
    REPORTED_TOTAL_INVESTMENT_FIELD_NUMBER: _ClassVar[int]
    REPORTED_UNIT_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    PLANNED_FIELD_NUMBER: _ClassVar[int]
    ANNUAL_PLAN_INVESTMENT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_INVESTMENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    zone: str
    name: str
    tier: str
    industry: str
    total_investment: str
    reported_total_investment: str
    reported_unit: str
    stages: _containers.ScalarMap[str, str]
    planned: _containers.ScalarMap[str, str]
    annual_plan_investment: _containers.ScalarMap[int, str]
    completed_investment: _containers.RepeatedCompositeFieldContainer[ProjectInvestment]
    def __init__(self, id: _Optional[str] = ..., zone: _Optional[str] = ..., name: _Optional[str] = ..., tier: _Optional[str] = ..., industry: _Optional[str] = ..., total_investment: _Optional[str] = ..., reported_total_investment: _Optional[str] = ..., reported_unit: _Optional[str] = ..., stages: _Optional[_Mapping[str, str]] = ..., planned: _Optional[_Mapping[str, str]] = ..., annual_plan_investment: _Optional[_Mapping[int, str]] = ..., completed_investment: _Optional[_Iterable[_Union[ProjectInvestment, _Mapping]]] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ("batch_id", "row_index", "source", "reported_at", "observation", "target", "zone", "project")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    ROW_INDEX_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    row_index: int
    source: str
    reported_at: _timestamp_pb2.Timestamp
    observation: Observation
    target: Target
    zone: Zone
    project: Project
    def __init__(self, batch_id: _Optional[str] = ..., row_index: _Optional[int] = ..., source: _Optional[str] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., observation: _Optional[_Union[Observation, _Mapping]] = ..., target: _Optional[_Union[Target, _Mapping]] = ..., zone: _Optional[_Union[Zone, _Mapping]] = ..., project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class ReportBatch(_message.Message):
    __slots__ = ("batch_id", "source", "reported_at", "reports")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    source: str
    reported_at: _timestamp_pb2.Timestamp
    reports: _containers.RepeatedCompositeFieldContainer[Report]
    def __init__(self, batch_id: _Optional[str] = ..., source: _Optional[str] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reports: _Optional[_Iterable[_Union[Report, _Mapping]]] = ...) -> None: ...

class ProgressResult(_message.Message):
    __slots__ = ("zone", "indicator", "year", "month", "ytd_value", "month_value", "ytd_last_year", "month_last_year", "yoy_base", "yoy_base_comparable", "yoy_pct", "month_yoy_pct", "target_value", "completion_pct", "time_progress_pct", "progress_gap_pp", "on_track", "reported_at", "computed_at", "yoy_source", "reported_yoy_pct", "growth_target_pct", "growth_gap_pp", "growth_on_track", "frequency", "period")
    ZONE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    YTD_VALUE_FIELD_NUMBER: _ClassVar[int]
    MONTH_VALUE_FIELD_NUMBER: _ClassVar[int]
    YTD_LAST_YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_LAST_YEAR_FIELD_NUMBER: _ClassVar[int]
    YOY_BASE_FIELD_NUMBER: _ClassVar[int]
    YOY_BASE_COMPARABLE_FIELD_NUMBER: _ClassVar[int]
    YOY_PCT_FIELD_NUMBER: _ClassVar[int]
    MONTH_YOY_PCT_FIELD_NUMBER: _ClassVar[int]
    TARGET_VALUE_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_PCT_FIELD_NUMBER: _ClassVar[int]
    TIME_PROGRESS_PCT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_GAP_PP_FIELD_NUMBER: _ClassVar[int]
    ON_TRACK_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    YOY_SOURCE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_YOY_PCT_FIELD_NUMBER: _ClassVar[int]
    GROWTH_TARGET_PCT_FIELD_NUMBER: _ClassVar[int]
    GROWTH_GAP_PP_FIELD_NUMBER: _ClassVar[int]
    GROWTH_ON_TRACK_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    zone: str
    indicator: str
    year: int
    month: int
    ytd_value: str
    month_value: str
    ytd_last_year: str
    month_last_year: str
    yoy_base: str
    yoy_base_comparable: bool
    yoy_pct: str
    month_yoy_pct: str
    target_value: str
    completion_pct: str
    time_progress_pct: str
    progress_gap_pp: str
    on_track: str
    reported_at: _timestamp_pb2.Timestamp
    computed_at: _timestamp_pb2.Timestamp
    yoy_source: str
    reported_yoy_pct: str
    growth_target_pct: str
    growth_gap_pp: str
    growth_on_track: str
    frequency: str
    period: str
    def __init__(self, zone: _Optional[str] = ..., indicator: _Optional[str] = ..., year: _Optional[int] = ..., month: _Optional[int] = ..., ytd_value: _Optional[str] = ..., month_value: _Optional[str] = ..., ytd_last_year: _Optional[str] = ..., month_last_year: _Optional[str] = ..., yoy_base: _Optional[str] = ..., yoy_base_comparable: _Optional[bool] = ..., yoy_pct: _Optional[str] = ..., month_yoy_pct: _Optional[str] = ..., target_value: _Optional[str] = ..., completion_pct: _Optional[str] = ..., time_progress_pct: _Optional[str] = ..., progress_gap_pp: _Optional[str] = ..., on_track: _Optional[str] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., yoy_source: _Optional[str] = ..., reported_yoy_pct: _Optional[str] = ..., growth_target_pct: _Optional[str] = ..., growth_gap_pp: _Optional[str] = ..., growth_on_track: _Optional[str] = ..., frequency: _Optional[str] = ..., period: _Optional[str] = ...) -> None: ...

class ProgressResultBatch(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ProgressResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ProgressResult, _Mapping]]] = ...) -> None: ...

class AlertEvent(_message.Message):
    __slots__ = ("rule", "zone", "indicator", "indicator_name", "year", "month", "version", "transition", "severity", "message", "figures", "occurred_at")
    class FiguresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RULE_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TRANSITION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    rule: str
    zone: str
    indicator: str
    indicator_name: str
    year: int
    month: int
    version: int
    transition: str
    severity: str
    message: str
    figures: _containers.ScalarMap[str, str]
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, rule: _Optional[str] = ..., zone: _Optional[str] = ..., indicator: _Optional[str] = ..., indicator_name: _Optional[str] = ..., year: _Optional[int] = ..., month: _Optional[int] = ..., version: _Optional[int] = ..., transition: _Optional[str] = ..., severity: _Optional[str] = ..., message: _Optional[str] = ..., figures: _Optional[_Mapping[str, str]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
