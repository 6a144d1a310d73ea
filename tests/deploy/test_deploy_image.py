"""The Dockerfile and .dockerignore: base image, user, launcher, what is installed and copied."""

from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def test_migration_placement_script_is_valid_python(image: Image) -> None:
    bodies = [body for i in image.instructions for body in i.heredocs]
    assert any("jingzhun.catalog" in body for body in bodies)
    for body in bodies:
        compile(body, "Dockerfile heredoc", "exec")


def test_exposes_every_stack_port(image: Image, code: CodeFacts) -> None:
    exposed = {int(p) for i in image.instructions if i.keyword == "EXPOSE" for p in i.value.split()}
    ports = {code.default_port("gateway")}
    ports |= {code.default_port(n) for n in code.services}
    ports |= {code.default_port(n) + code.relay_metrics_offset for n in code.services}
    assert exposed == ports


def _ignored(path: str, rules: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; ``!`` re-includes."""
    ignored = False
    parts = path.split("/")
    for rule in rules:
        negate = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatch(parts[n], pattern[3:]) for n in range(len(parts)))
        else:
            hit = any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes)
        if hit:
            ignored = not negate
    return ignored


def test_dockerignore_sends_sources_but_not_tests_or_secrets(image: Image) -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for copy in (i for i in image.instructions if i.keyword == "COPY"):
        for source in copy.value.split()[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: no such path"
            assert not _ignored(source, rules), f"COPY {source} is excluded by .dockerignore"
    for unwanted in (
        ".venv/bin/python",
        ".git/config",
        "var/registry.db",
        ".env",
        ".env.stack",
        "services/registry/tests/unit/test_x.py",
        "libs/jzkit/jzkit/__pycache__/x.cpython-311.pyc",
        "deploy/k8s/base/kustomization.yaml",
    ):
        assert _ignored(unwanted, rules), f"{unwanted} would be sent to the build"
