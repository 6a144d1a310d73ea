"""Identification policy (识别政策) as data: line, 五比五看 indicators, 三优先, 三不评, notices, rules."""

from __future__ import annotations

import itertools
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jzkit import divisions

Percent = Annotated[int, Field(ge=0, le=100)]
# Tags (poverty causes, flags) are lower-case words: the SQL evaluation matches them by LIKE.
Tag = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in a policy must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NumericFact(StrEnum):
    """Numeric household facts an indicator may score (columns of the projection)."""

    PER_CAPITA_INCOME_FEN = "per_capita_income_fen"
    ANNUAL_NET_INCOME_FEN = "annual_net_income_fen"
    MEMBERS_COUNT = "members_count"
    LABOUR_MEMBERS = "labour_members"
    LABOUR_PERCENT = "labour_percent"
    ILL_MEMBERS = "ill_members"
    DISABLED_MEMBERS = "disabled_members"
    STUDENTS = "students"


class IndicatorId(StrEnum):
    """The five comparisons (五比五看)."""

    INCOME = "income"  # 比收入及来源
    ASSETS = "assets"  # 比资产及消费
    LABOUR = "labour"  # 比劳动力
    HOUSING = "housing"  # 比住房及生活环境
    DEPTH = "depth"  # 比贫困程度及致贫原因


class PriorityId(StrEnum):
    """三优先."""

    DISABLED_MEMBER = "disabled_member"
    SINGLE_CHILD = "single_child"
    ALL_DAUGHTERS = "all_daughters"


class ExclusionId(StrEnum):
    """三不评 and the plans' extra exclusions (五保/低保/三无)."""

    IDLE_LAND = "idle_land"
    FAMILY_PLANNING_VIOLATION = "family_planning_violation"
    CRIME = "crime"
    WUBAO = "wubao"
    DIBAO = "dibao"
    SANWU = "sanwu"


class Band(StrictModel):
    """``percent`` of the weight when the fact's value is below ``below``."""

    below: int
    percent: Percent


class BandScoring(StrictModel):
    """The first band whose ``below`` exceeds the value scores; none: ``otherwise_percent``."""

    kind: Literal["bands"]
    fact: NumericFact
    bands: list[Band] = Field(min_length=1)
    otherwise_percent: Percent = 0

    @field_validator("bands")
    @classmethod
    def _ascending(cls, bands: list[Band]) -> list[Band]:
        if any(a.below >= b.below for a, b in itertools.pairwise(bands)):
            raise ValueError("bands must be in strictly ascending order of 'below'")
        return bands


class LevelScoring(StrictModel):
    """A categorical fact (housing) mapped to a percent of the weight."""

    kind: Literal["levels"]
    fact: Literal["housing"]
    levels: dict[str, Percent] = Field(min_length=1)
    otherwise_percent: Percent = 0


class TagScoring(StrictModel):
    """Each present tag (poverty cause or flag) adds its percent; the sum is capped at 100."""

    kind: Literal["tags"]
    fact: Literal["poverty_causes", "flags"]
    percents: dict[Tag, Percent] = Field(min_length=1)


Scoring = Annotated[BandScoring | LevelScoring | TagScoring, Field(discriminator="kind")]


class Indicator(StrictModel):
    """One comparison: its weight (points out of 100) and how facts score it."""

    id: IndicatorId
    weight: Percent
    label_zh: str
    label_en: str
    scoring: Scoring


class Priority(StrictModel):
    """A 三优先 rule; disabled ones do not rank first."""

    id: PriorityId
    enabled: bool = True


class Exclusion(StrictModel):
    """A 三不评 rule read from a registry flag (``flag`` defaults to the id)."""

    id: ExclusionId
    enabled: bool = True
    flag: Tag | None = None

    @property
    def flag_name(self) -> str:
        """The household flag that triggers this exclusion."""
        return self.flag or self.id.value


class NoticeRules(StrictModel):
    """Notice lengths (公示), ISO 8601 durations: first and second 7 days, optional county notice."""

    first: timedelta
    second: timedelta
    county: timedelta | None = None

    @field_validator("first", "second", "county")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("a notice period must be a positive duration")
        return value


class ExitRule(StrictModel):
    """脱贫: income at least ``income_percent_of_line`` % of the line, housing safe, no open guarantee gap."""

    income_percent_of_line: int = Field(ge=0)
    housing_in: list[str] = Field(min_length=1)
    # Poverty causes that mean a guarantee (education, health) is still missing.
    causes_absent: list[Tag] = Field(default_factory=list)


class IncidenceTest(StrictModel):
    """一高: incidence above the county rate, or above ``multiplier_percent`` % of the provincial rate."""

    compare: Literal["county_rate", "province_rate"]
    multiplier_percent: int = Field(default=100, gt=0)


class IncomeTest(StrictModel):
    """一低: per-capita income below ``percent`` % of the county or provincial average."""

    compare: Literal["county_average", "province_average"]
    percent: int = Field(default=100, gt=0)


class VillageRule(StrictModel):
    """一高一低一无 (model villages excluded when ``exclude_model_villages``)."""

    incidence: IncidenceTest
    income: IncomeTest
    collective_income_max_fen: int = Field(ge=0)
    exclude_model_villages: bool = True


class MonitoringRules(StrictModel):
    """防止返贫监测: monitoring line, qualifying shocks, procedure deadline."""

    line_percent_of_poverty_line: int = Field(gt=0)
    shocks: list[Tag] = Field(min_length=1)
    deadline_working_days: int = Field(gt=0)


class Policy(StrictModel):
    """A whole policy document; scope is (year, division_code)."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    year: int = Field(ge=2000, le=2100)
    division_code: str
    title_zh: str
    title_en: str
    income_line_fen: int = Field(gt=0)
    income_line_2010_fen: int | None = Field(default=None, gt=0)
    min_score: Percent = 0
    indicators: list[Indicator] = Field(min_length=1)
    priorities: list[Priority]
    exclusions: list[Exclusion]
    notices: NoticeRules
    exit_rule: ExitRule
    village_rule: VillageRule
    monitoring: MonitoringRules

    @field_validator("division_code")
    @classmethod
    def _division(cls, code: str) -> str:
        try:
            divisions.level(code)
        except ValueError as exc:
            raise ValueError(f"not a division code: {exc}") from None
        return code

    @field_validator("indicators")
    @classmethod
    def _weights(cls, indicators: list[Indicator]) -> list[Indicator]:
        ids = [i.id for i in indicators]
        if len(set(ids)) != len(ids):
            raise ValueError("each indicator may appear once")
        total = sum(i.weight for i in indicators)
        if total != 100:
            raise ValueError(f"indicator weights must add up to 100, not {total}")
        return indicators

    @field_validator("priorities", "exclusions")
    @classmethod
    def _distinct(cls, rules: list[Priority] | list[Exclusion]) -> list[Priority] | list[Exclusion]:
        ids = [r.id for r in rules]
        if len(set(ids)) != len(ids):
            raise ValueError("each rule may appear once")
        return rules

    @property
    def monitoring_line_fen(self) -> int:
        """Per-capita income below which a household is at risk (监测线)."""
        return self.income_line_fen * self.monitoring.line_percent_of_poverty_line // 100

    @property
    def exit_line_fen(self) -> int:
        """Per-capita income at or above which the exit rule's income test is met."""
        return self.income_line_fen * self.exit_rule.income_percent_of_line // 100
