"""Chinese labels of the closed vocabularies, for spreadsheets (import templates and exports).

Data, not code: the first label of each value is the one written to files, the others are
accepted when reading (the spellings county clerks' spreadsheets actually use). The English
enum value is always accepted too.
"""

from __future__ import annotations

from enum import StrEnum

from registry.domain.vocabulary import (
    Education,
    Health,
    Housing,
    Labour,
    PovertyCause,
    Relation,
    SchoolLevel,
    Sex,
)

LABELS: dict[type[StrEnum], dict[str, tuple[str, ...]]] = {
    Housing: {
        "safe": ("安全住房", "安全"),
        "basic": ("基本安全", "一般"),
        "unsafe": ("危房",),
        "none": ("无住房", "无"),
    },
    Relation: {
        "head": ("户主", "本人"),
        "spouse": ("配偶", "妻", "夫"),
        "child": ("子女", "子", "女", "儿子", "女儿"),
        "child_in_law": ("儿媳女婿", "儿媳", "女婿"),
        "grandchild": ("孙子女", "孙子", "孙女", "外孙子", "外孙女"),
        "parent": ("父母", "父亲", "母亲"),
        "grandparent": ("祖父母", "祖父", "祖母", "外祖父", "外祖母"),
        "sibling": ("兄弟姐妹", "兄弟", "姐妹"),
        "other": ("其他",),
    },
    Sex: {
        "male": ("男",),
        "female": ("女",),
    },
    Health: {
        "healthy": ("健康",),
        "chronic_illness": ("长期慢性病", "慢性病"),
        "serious_illness": ("患有大病", "大病", "重病"),
        "disabled": ("残疾",),
    },
    Education: {
        "none": ("文盲或半文盲", "文盲", "半文盲", "无"),
        "preschool": ("学前教育", "学龄前"),
        "primary": ("小学",),
        "junior_secondary": ("初中",),
        "senior_secondary": ("高中",),
        "vocational": ("中专或职高", "中专", "职高", "技校"),
        "tertiary": ("大专及以上", "大专", "本科", "大学"),
    },
    Labour: {
        "full": ("普通劳动力", "有劳动能力", "劳动力"),
        "partial": ("弱劳动力或半劳动力", "弱劳动力", "半劳动力"),
        "none": ("丧失劳动力", "无劳动力"),
    },
    SchoolLevel: {
        "primary": ("小学在读", "小学"),
        "secondary": ("中学在读", "初中", "高中", "中学"),
        "university": ("大学在读", "大学", "大专"),
    },
    PovertyCause: {
        "illness": ("因病",),
        "disability": ("因残",),
        "education": ("因学",),
        "disaster": ("因灾",),
        "lack_of_land": ("缺土地",),
        "lack_of_water": ("缺水",),
        "lack_of_skills": ("缺技术",),
        "lack_of_labour": ("缺劳力",),
        "lack_of_funds": ("缺资金",),
        "poor_transport": ("交通条件落后", "交通落后"),
        "lack_of_drive": ("自身发展动力不足", "发展动力不足"),
        "other": ("其他",),
    },
}

YES = ("是", "yes", "true", "1", "y", "有")
NO = ("否", "no", "false", "0", "n", "无", "")


def label(value: StrEnum) -> str:
    """The label written to files for ``value``."""
    return LABELS[type(value)][value.value][0]


def label_of(vocabulary: type[StrEnum], value: str) -> str:
    """The label of a stored value (the value itself if it is not in the vocabulary)."""
    labels = LABELS[vocabulary].get(value)
    return labels[0] if labels else value


def lookup(vocabulary: type[StrEnum]) -> dict[str, str]:
    """Accepted spelling (label, alias or English value, lower-cased) -> enum value."""
    table: dict[str, str] = {}
    for value, labels in LABELS[vocabulary].items():
        for spelling in (value, *labels):
            table.setdefault(spelling.lower(), value)
    return table


def allowed(vocabulary: type[StrEnum]) -> str:
    """The labels a file may use, for error messages and the template's notes."""
    return "、".join(labels[0] for labels in LABELS[vocabulary].values())
