"""Synthetic households for demos and benchmarks: valid ID numbers, plausible names and incomes."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from jzkit.idnumber import check_character
from registry.domain.household import BankAccountDraft, Flags, HouseholdDraft, MemberDraft
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

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = "大山小明建国秀英桂兰玉梅国华志强春花德明翠芳永福海燕丽娟红梅光荣淑珍金凤家宝立新文华明亮晓燕学军"
GROUPS = "一二三四五六七八"


class Synthesizer:
    """Deterministic for a given seed; every person gets a distinct, valid ID number."""

    def __init__(self, seed: int = 0, reference: date = date(2026, 1, 1)) -> None:
        self.rng = random.Random(seed)
        self.reference = reference
        self._issued: set[str] = set()

    def _id_number(self, region: str, born: date, sex: Sex) -> str:
        # The sequence's last digit is odd for men (GB 11643); redraw until the number is new.
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex is Sex.MALE else 0)
            first17 = f"{region}{born:%Y%m%d}{seq:03d}"
            if first17 not in self._issued:
                self._issued.add(first17)
                return first17 + check_character(first17)
            born = born - timedelta(days=1)

    def _birth(self, min_age: int, max_age: int) -> date:
        age_days = self.rng.randint(min_age * 365 + 1, max_age * 365 - 1)
        return self.reference - timedelta(days=age_days)

    def _member(self, region: str, surname: str, relation: Relation, sex: Sex, born: date) -> MemberDraft:
        number = self._id_number(region, born, sex)
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        age = (self.reference - born).days // 365
        school = None
        if 6 <= age < 12:
            school = SchoolLevel.PRIMARY
        elif 12 <= age < 18:
            school = SchoolLevel.SECONDARY
        elif 18 <= age < 22 and self.rng.random() < 0.3:
            school = SchoolLevel.UNIVERSITY
        disabled = self.rng.random() < 0.06
        return MemberDraft(
            name=surname + "".join(self.rng.sample(GIVEN, 2)),
            id_number=number,
            relation=relation,
            sex=sex,
            birth_date=born,
            disability=disabled,
            health=Health.DISABLED if disabled else self.rng.choice(list(Health)[:3]),
            education=self.rng.choice(list(Education)),
            labour=Labour.NONE if age < 16 or age > 70 else self.rng.choice(list(Labour)),
            in_school=school,
        )

    def household(self, village_code: str, village_name: str = "") -> HouseholdDraft:
        """One household of 1-6 members with a head, maybe a spouse, children and a parent."""
        region = village_code[:6]
        surname = self.rng.choice(SURNAMES)
        head_sex = Sex.MALE if self.rng.random() < 0.8 else Sex.FEMALE
        members = [self._member(region, surname, Relation.HEAD, head_sex, self._birth(28, 70))]
        if self.rng.random() < 0.8:
            other = Sex.FEMALE if head_sex is Sex.MALE else Sex.MALE
            members.append(
                self._member(region, self.rng.choice(SURNAMES), Relation.SPOUSE, other, self._birth(28, 68))
            )
        for _ in range(self.rng.choice((0, 1, 1, 2, 2, 3))):
            sex = self.rng.choice((Sex.MALE, Sex.FEMALE))
            members.append(self._member(region, surname, Relation.CHILD, sex, self._birth(1, 24)))
        if self.rng.random() < 0.25:
            sex = self.rng.choice((Sex.MALE, Sex.FEMALE))
            members.append(self._member(region, surname, Relation.PARENT, sex, self._birth(70, 90)))
        # Log-normal income around a few thousand yuan per person, so some fall below any poverty line.
        per_capita_yuan = min(self.rng.lognormvariate(8.2, 0.6), 60_000)
        income_fen = int(per_capita_yuan * len(members)) * 100
        head = members[0]
        bank = None
        if self.rng.random() < 0.9:
            account = "62" + "".join(str(self.rng.randrange(10)) for _ in range(17))
            bank = BankAccountDraft(
                bank="农村信用社", account_number=account, holder_id_number=head.id_number
            )
        causes = self.rng.sample(list(PovertyCause), self.rng.randint(0, 2))
        group = self.rng.choice(GROUPS)
        return HouseholdDraft(
            division_code=village_code,
            address=f"{village_name}{group}组",
            annual_net_income_fen=income_fen,
            housing=self.rng.choices(list(Housing), weights=(5, 4, 2, 0.2))[0],
            poverty_causes=causes,
            flags=Flags(
                wubao=self.rng.random() < 0.02,
                dibao=self.rng.random() < 0.08,
                idle_land=self.rng.random() < 0.03,
            ),
            bank_account=bank,
            members=members,
        )

    def households(self, count: int, villages: Sequence[tuple[str, str]]) -> Iterator[HouseholdDraft]:
        """``count`` households spread over ``villages`` (code, name)."""
        for i in range(count):
            code, name = villages[i % len(villages)]
            yield self.household(code, name)
