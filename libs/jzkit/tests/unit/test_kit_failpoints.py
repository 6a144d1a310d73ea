"""Failpoints: parsed strictly, inert when unset, and a real SIGKILL on the n-th hit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from jzkit import failpoints

CHILD = """
from jzkit import failpoints
for hit in range(1, 4):
    print(hit, flush=True)
    failpoints.reached(failpoints.CONSUMER_COMMITTED)
"""


def test_the_spec_is_parsed_and_unknown_points_are_refused() -> None:
    assert failpoints.parse("consumer.committed@3, relay.published") == {
        "consumer.committed": 3,
        "relay.published": 1,
    }
    assert failpoints.parse("") == {}
    with pytest.raises(ValueError, match=r"unknown point 'consumer\.comitted'"):
        failpoints.parse("consumer.comitted@1")
    with pytest.raises(ValueError, match="at least 1"):
        failpoints.parse("relay.published@0")


def _child(spec: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JZ_FAILPOINTS"}
    if spec is not None:
        env["JZ_FAILPOINTS"] = spec
    return subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_an_armed_point_kills_the_process_on_its_nth_hit() -> None:
    killed = _child("consumer.committed@2")
    assert killed.returncode == -signal.SIGKILL
    assert killed.stdout.split() == ["1", "2"]


def test_unarmed_points_do_nothing() -> None:
    alive = _child(None)
    assert alive.returncode == 0 and alive.stdout.split() == ["1", "2", "3"]
    other = _child("relay.published@1")
    assert other.returncode == 0 and other.stdout.split() == ["1", "2", "3"]
