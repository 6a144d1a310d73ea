"""Spot checks (抽查): a stratified sample anyone can recompute from the published seed and the list."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

ALGORITHM = (
    "per township: k = max(min, ceil(population × percent ÷ 100)) capped at the population; "
    "households sorted by HMAC-SHA256(key=UTF-8 seed, message=UTF-8 household_id) as lower-case hex, "
    "ascending (ties by household_id); the first k are drawn"
)


@dataclass(frozen=True)
class Stratum:
    """One township's population size and sample."""

    township_code: str
    population: int
    sample: list[str]


def sample_size(population: int, percent: int, minimum: int) -> int:
    """How many households a stratum of ``population`` gives (ceil of the percent, at least ``minimum``)."""
    return min(population, max(minimum, -(-population * percent // 100)))


def draw_key(seed: str, household_id: str) -> str:
    """The household's sort key under ``seed``."""
    return hmac.new(seed.encode(), household_id.encode(), hashlib.sha256).hexdigest()


def draw(seed: str, strata: dict[str, list[str]], percent: int, minimum: int) -> list[Stratum]:
    """The sample of every stratum (townships in code order)."""
    out = []
    for code in sorted(strata):
        ids = strata[code]
        k = sample_size(len(ids), percent, minimum)
        ranked = sorted(ids, key=lambda h: (draw_key(seed, h), h))
        out.append(Stratum(code, len(ids), ranked[:k]))
    return out
