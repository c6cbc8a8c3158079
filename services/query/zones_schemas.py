"""Response shapes of the zone registry, rankings and roll-ups (GET /v1/zones, /v1/rankings, /v1/rollups)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from query.schemas import JsonNumber

RankBy = Literal["completion_pct", "yoy_pct", "ytd_value"]


class ZoneRef(BaseModel):
    code: str
    name_zh: str


class ZoneItem(BaseModel):
    code: str = Field(description="What reports name the zone by", examples=["qianjiang-edz"])
    name_zh: str = Field(examples=["杭州钱江经济开发区"])
    level: Literal["national", "provincial", "other"]
    kind: str = Field(examples=["经开区"])
    parent: str | None
    parents: list[ZoneRef] = Field(description="The chain of parents, nearest first (区县, 市, 省 …)")
    groups: list[str] = Field(description="Peer groups")
    source: str = Field(description="Who registered it last")
    reported_at: datetime


class ZonesResponse(BaseModel):
    items: list[ZoneItem]


class RankingItem(BaseModel):
    rank: int | None = Field(description="1 = highest; ties share a rank (1, 2, 2, 4); null when the value is unknown")
    zone: str
    zone_name: str | None = Field(description="The registered name_zh; null for a zone not registered")
    value: JsonNumber | None = Field(description="The figure ranked by (percentages rounded half up)")
    previous_rank: int | None = Field(description="The rank in the previous period with data in the same year")
    rank_change: int | None = Field(description="previous_rank − rank: positive is a climb")
    rank_change_zh: str | None = Field(examples=["上升1位", "下降2位", "持平"])


class RankingResponse(BaseModel):
    year: int | None
    month: int | None
    period: str | None = Field(description="YYYY-MM (YYYY-Qn for a quarterly indicator)")
    previous_month: int | None = Field(
        description="The period previous_rank is of (2 = 1-2月 for 固定资产投资 in March)"
    )
    indicator: str
    indicator_name: str
    by: RankBy
    group: str | None
    parent: str | None
    items: list[RankingItem]


class RollupChild(BaseModel):
    zone: str
    zone_name: str | None
    ytd_value: JsonNumber | None
    ytd_last_year: JsonNumber | None
    yoy_pct: JsonNumber | None
    share_pct: JsonNumber | None = Field(description="The child's ytd_value / the children's sum × 100")


class RollupResponse(BaseModel):
    year: int | None
    month: int | None
    period: str | None
    parent: str
    parent_name: str
    indicator: str
    indicator_name: str
    unit: str
    ytd_value: JsonNumber | None = Field(description="The sum over the children that reported")
    ytd_last_year: JsonNumber | None = Field(description="Last year's sum over the children with both years")
    yoy_pct: JsonNumber | None = Field(description="Growth of the sums over the children with both years")
    parent_ytd_value: JsonNumber | None = Field(description="The parent's own reported figure, when it has one")
    children_reported: int
    children_total: int
    children: list[RollupChild]
