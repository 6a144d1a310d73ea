"""The Dockerfile and .dockerignore: base image, user, launcher, what is installed and copied."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from jingzhun.catalog import SERVICES

if TYPE_CHECKING:
    from conftest import CodeFacts, Image

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pip_installs(image: Image) -> list[list[str]]:
    """Every ``pip install`` command line of the Dockerfile's RUN instructions."""
    commands = []
    for run in (i for i in image.instructions if i.keyword == "RUN"):
        lexer = shlex.shlex(run.value, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words: list[str] = []
        for token in [*lexer, "&&"]:
            if token in ("&&", ";", "||", "|"):
                if words[:2] == ["pip", "install"] or words[1:4] == ["-m", "pip", "install"]:
                    commands.append(words)
                words = []
            else:
                words.append(token)
    return commands


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        name, sep, version = line.partition("==")
        if sep:
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_base_image_is_the_python_the_project_requires(image: Image) -> None:
    base = image.last("FROM").value.split()[0]
    assert base == "python:3.11-slim"
    assert PYPROJECT["project"]["requires-python"].startswith(">=3.11")


def test_runs_as_an_unprivileged_numeric_user_after_installing(image: Image) -> None:
    assert image.uid >= 1000
    keywords = [i.keyword for i in image.instructions]
    last_user = len(keywords) - 1 - keywords[::-1].index("USER")
    assert "RUN" not in keywords[last_user:], "nothing may run as root after USER"


def test_default_command_is_a_cli_process(image: Image, code: CodeFacts) -> None:
    process = code.process(image.entrypoint + image.cmd)
    assert process.command == "serve"


def test_installs_the_lock_then_the_project_non_editable(image: Image) -> None:
    installs = _pip_installs(image)
    with_lock = [c for c in installs if "requirements.lock" in c]
    assert with_lock, "no pip install reads requirements.lock"
    assert all(c[c.index("requirements.lock") - 1] in ("-r", "-c") for c in with_lock)
    project = [c for c in installs if "." in c]
    assert project, "the project itself is not installed"
    assert all("--no-deps" in c and "-e" not in c and "--editable" not in c for c in project)
    assert installs.index(with_lock[0]) < installs.index(project[0])
    assert not any(re.search(r"\.\[.*dev.*\]", " ".join(c)) for c in installs), "dev extras in the image"


def test_every_runtime_dependency_is_pinned_by_the_lock() -> None:
    """The image installs pyproject's dependencies constrained by the lock: the lock must cover them all."""
    pins = _lock()
    environment = {k: str(v) for k, v in default_environment().items()}
    pending = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        assert name in pins, f"{requirement.name} is a runtime dependency missing from requirements.lock"
        for extra in requirement.extras or {""}:
            for sub in map(Requirement, metadata.requires(requirement.name) or []):
                if sub.marker is None or sub.marker.evaluate({**environment, "extra": extra}):
                    pending.append(sub)
    dev_only = {
        canonicalize_name(r.split("==")[0]) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]
    }
    assert not (dev_only & seen), f"dev tools pulled in at runtime: {sorted(dev_only & seen)}"


def test_copies_every_source_root_of_the_package(image: Image) -> None:
    copied = {i.value.split()[0].rstrip("/") for i in image.instructions if i.keyword == "COPY"}
    roots = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["where"]
    for root in roots:
        assert any(root == c or root.startswith(c + "/") for c in copied), f"{root} is not copied"


def test_the_built_package_ships_every_service_migration(tmp_path: Path) -> None:
    """The image installs the wheel: each service's Alembic folder must be inside it."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("jingzhun-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for spec in SERVICES.values():
        shipped = {n for n in names if n.startswith(f"{spec.package}/migrations/versions/")}
        on_disk = {
            f"{spec.package}/migrations/versions/{p.name}" for p in spec.migrations.glob("versions/*.py")
        }
        assert on_disk and on_disk <= shipped, f"{spec.name}: migrations missing from the wheel"
        assert f"{spec.package}/migrations/env.py" in names
