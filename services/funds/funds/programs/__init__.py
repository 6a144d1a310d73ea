"""Program sets shipped as data: ``demo-2026`` (the seed's programs) and ``example-other``."""

from __future__ import annotations

import json
from importlib import resources

from funds.domain.program import ProgramSet, parse_program_set

SHIPPED = ("demo-2026", "example-other")


def load_program_set(name: str) -> ProgramSet:
    """Read and validate the shipped program set ``name`` (one of ``SHIPPED``)."""
    if name not in SHIPPED:
        raise ValueError(f"no shipped program set {name!r}; one of {SHIPPED}")
    text = resources.files("funds.programs").joinpath(f"{name}.json").read_text(encoding="utf-8")
    return parse_program_set(json.loads(text))
