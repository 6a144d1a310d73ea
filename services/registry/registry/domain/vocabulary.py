"""Closed vocabularies of the household record; enum values are English, labels Chinese."""

from __future__ import annotations

from enum import StrEnum


class Housing(StrEnum):
    """住房状况."""

    SAFE = "safe"
    BASIC = "basic"
    UNSAFE = "unsafe"  # 危房
    NONE = "none"


class Relation(StrEnum):
    """与户主关系."""

    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    CHILD_IN_LAW = "child_in_law"
    GRANDCHILD = "grandchild"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    OTHER = "other"


class Sex(StrEnum):
    """性别."""

    MALE = "male"
    FEMALE = "female"


class Health(StrEnum):
    """健康状况."""

    HEALTHY = "healthy"
    CHRONIC_ILLNESS = "chronic_illness"
    SERIOUS_ILLNESS = "serious_illness"
    DISABLED = "disabled"


class Education(StrEnum):
    """文化程度."""

    NONE = "none"
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    JUNIOR_SECONDARY = "junior_secondary"
    SENIOR_SECONDARY = "senior_secondary"
    VOCATIONAL = "vocational"
    TERTIARY = "tertiary"


class Labour(StrEnum):
    """劳动能力."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class SchoolLevel(StrEnum):
    """在校生状况 (per-student support differs by level)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    UNIVERSITY = "university"


class PovertyCause(StrEnum):
    """致贫原因 (the national 建档立卡 list)."""

    ILLNESS = "illness"
    DISABILITY = "disability"
    EDUCATION = "education"
    DISASTER = "disaster"
    LACK_OF_LAND = "lack_of_land"
    LACK_OF_WATER = "lack_of_water"
    LACK_OF_SKILLS = "lack_of_skills"
    LACK_OF_LABOUR = "lack_of_labour"
    LACK_OF_FUNDS = "lack_of_funds"
    POOR_TRANSPORT = "poor_transport"
    LACK_OF_DRIVE = "lack_of_drive"
    OTHER = "other"


class HouseholdStatus(StrEnum):
    """Where the household stands in identification (set from identification's events)."""

    REGISTERED = "registered"
    UNDER_REVIEW = "under_review"
    POOR = "poor"
    EXITED = "exited"
    REJECTED = "rejected"
