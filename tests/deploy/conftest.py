"""What the deployment tests compare the manifests against: facts read from the code and the Dockerfile.

Nothing here is copied from the manifests: env names come from the settings classes, ports from
their defaults, services and databases from the catalog, commands from the CLI's own parser.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import importlib.util
import io
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import pytest
import yaml
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from gateway.settings import GatewaySettings
from jingzhun import worker
from jingzhun.catalog import SERVICES, ServiceSpec
from jingzhun.cli import parser
from jzkit.oidc import OidcSettings
from jzkit.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# The image's launcher: manifests either keep the ENTRYPOINT or spell it out the same way.
LAUNCHERS = (["python", "-m", "jingzhun"], ["jingzhun"])


def env_names(cls: type[BaseSettings]) -> set[str]:
    """The environment variable names a settings class reads (prefix + field name)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper() for name in cls.model_fields}


# Processes that serve only metrics (no API): their port is the service's port + their command's offset.
METRICS_ONLY = ("relay", "consume")


@dataclass(frozen=True)
class Process:
    """A Jingzhun process as the CLI sees it: ``serve``/``relay``/``consume``/``migrate`` and its service."""

    command: str
    name: str | None
    services: tuple[str, ...]
    metrics_port: int | None

    @property
    def metrics_only(self) -> bool:
        """A relay or consumer: no API, its one port serves Prometheus metrics."""
        return self.command in METRICS_ONLY


def _parse_process(argv: list[str]) -> Process:
    """Parse a full container argv with the CLI's parser; a bad sub-command fails the test."""
    launcher = next((lau for lau in LAUNCHERS if argv[: len(lau)] == lau), None)
    assert launcher is not None, f"{argv} does not start the jingzhun CLI ({LAUNCHERS})"
    rest = argv[len(launcher) :]
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            args: argparse.Namespace = parser().parse_args(rest)
    except SystemExit:
        pytest.fail(f"`jingzhun {shlex.join(rest)}` is refused by the CLI: {stderr.getvalue().strip()}")
    if args.command == "migrate":
        return Process("migrate", None, tuple(args.services or SERVICES), None)
    assert args.command in ("serve", *METRICS_ONLY), f"{rest}: not a process a deployment runs"
    return Process(args.command, args.name, (), getattr(args, "metrics_port", None))


@dataclass(frozen=True)
class CodeFacts:
    """Names and defaults the manifests must agree with."""

    services: dict[str, ServiceSpec]
    settings_classes: dict[str, type[BaseSettings]]  # "common", "oidc", "gateway", then each service
    metrics_offsets: dict[str, int]  # "relay"/"consume" -> metrics on the service port + this offset
    required_secrets: tuple[str, ...] = ("JZ_JWT_SECRET", "JZ_PII_KEY")
    shared_settings: tuple[str, ...] = ("common", "oidc")  # read alike by every process

    @property
    def env_names(self) -> set[str]:
        """Every env var name some settings class reads."""
        return set().union(*(env_names(cls) for cls in self.settings_classes.values()))

    @property
    def secret_env_names(self) -> set[str]:
        """Env var names of the ``SecretStr`` fields (keys): they must come from a Secret / the env file."""
        names = set(self.required_secrets)
        for cls in self.settings_classes.values():
            prefix = str(cls.model_config.get("env_prefix", ""))
            names |= {
                f"{prefix}{name}".upper()
                for name, field in cls.model_fields.items()
                if field.annotation is SecretStr
            }
        return names

    def owners(self, names: set[str]) -> set[str]:
        """Whose own settings ``names`` include: the gateway's or a service's (by their env prefix)."""
        prefixes = {
            owner: str(cls.model_config.get("env_prefix", "")).upper()
            for owner, cls in self.settings_classes.items()
            if owner not in self.shared_settings
        }
        return {owner for owner, prefix in prefixes.items() if any(n.startswith(prefix) for n in names)}

    def owned_by(self, process: Process) -> set[str]:
        """Whose settings ``process`` needs: its own service's or the gateway's; migrate, every service's."""
        return set(process.services) if process.command == "migrate" else {str(process.name)}

    process = staticmethod(_parse_process)

    @staticmethod
    def settings(cls: type[BaseSettings], env: dict[str, str]) -> Any:
        """``cls`` as a process with exactly ``env`` (and no ``.env`` file) would load it."""
        with mock.patch.dict(os.environ, env, clear=True):
            return cls(_env_file=None)  # type: ignore[call-arg]

    def default_port(self, name: str) -> int:
        """The settings default port of a service or the gateway."""
        return int(self.settings_classes[name].model_fields["port"].default)

    def listening_port(self, process: Process, env: dict[str, str]) -> int:
        """The port ``process`` serves HTTP on (API, or relay/consumer metrics), given its env."""
        assert process.name is not None
        port = int(self.settings(self.settings_classes[process.name], env).port)
        if process.metrics_only:
            return process.metrics_port or port + self.metrics_offsets[process.command]
        return port

    def default_listening_port(self, process: Process) -> int:
        """Where ``process`` listens with the settings defaults (relays and consumers: + their offset)."""
        assert process.name is not None
        offset = self.metrics_offsets[process.command] if process.metrics_only else 0
        return self.default_port(process.name) + offset

    @staticmethod
    def workload(command: str, name: str) -> str:
        """Compose service and Deployment name: ``<name>``, ``<name>-relay``, ``<name>-consumer``."""
        return {"serve": name, "relay": f"{name}-relay", "consume": f"{name}-consumer"}[command]

    def expected_processes(self) -> set[tuple[str, str]]:
        """(command, service) of every long-running process the catalog asks for, gateway included.

        Every service has an API; one with an outbox (``publishes``) a relay; one that
        ``consumes`` events a consumer.
        """
        expected = {("serve", "gateway")}
        for name, spec in self.services.items():
            expected.add(("serve", name))
            if spec.publishes:
                expected.add(("relay", name))
            if spec.consumes:
                expected.add(("consume", name))
        return expected


@pytest.fixture(scope="session")
def code() -> CodeFacts:
    """Settings classes, catalog and CLI facts of this checkout."""
    classes: dict[str, type[BaseSettings]] = {
        "common": CommonSettings,
        "oidc": OidcSettings,
        "gateway": GatewaySettings,
    }
    classes |= {name: type(spec.settings()) for name, spec in SERVICES.items()}
    offsets = {"relay": worker.RELAY_METRICS_PORT_OFFSET, "consume": worker.CONSUMER_METRICS_PORT_OFFSET}
    assert set(offsets) == set(METRICS_ONLY)
    return CodeFacts(dict(SERVICES), classes, offsets)


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: keyword, argument text, heredoc bodies."""

    keyword: str
    value: str
    heredocs: tuple[str, ...] = ()

    def exec_form(self) -> list[str]:
        """The JSON (exec) form of ENTRYPOINT/CMD; shell form fails the test."""
        try:
            parsed = json.loads(self.value)
        except json.JSONDecodeError:
            parsed = None
        assert isinstance(parsed, list), f"{self.keyword} {self.value}: use the exec (JSON) form"
        return [str(part) for part in parsed]


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and ``<<'EOF'`` heredoc bodies collected."""
    lines = iter(text.splitlines())
    result: list[Instruction] = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.endswith("\\"):
            following = next(lines)
            if not following.lstrip().startswith("#"):
                line = line[:-1] + " " + following.strip()
        keyword, _, value = line.strip().partition(" ")
        bodies = []
        for marker in re.findall(r"<<-?'?\"?(\w+)'?\"?", value):
            body = []
            for body_line in lines:
                if body_line.strip() == marker:
                    break
                body.append(body_line)
            bodies.append("\n".join(body))
        result.append(Instruction(keyword.upper(), value.strip(), tuple(bodies)))
    return result


@dataclass(frozen=True)
class Image:
    """What the manifests need from the Dockerfile."""

    instructions: list[Instruction]

    def last(self, keyword: str) -> Instruction:
        """The instruction that takes effect (the last one of its kind)."""
        found = [i for i in self.instructions if i.keyword == keyword]
        assert found, f"the Dockerfile has no {keyword}"
        return found[-1]

    @staticmethod
    def repository(reference: str) -> str:
        """``registry/name`` of an image reference, without its tag."""
        last = reference.rsplit("/", 1)[-1]
        return reference.rsplit(":", 1)[0] if ":" in last else reference

    @property
    def entrypoint(self) -> list[str]:
        """ENTRYPOINT in exec form."""
        return self.last("ENTRYPOINT").exec_form()

    @property
    def cmd(self) -> list[str]:
        """CMD in exec form."""
        return self.last("CMD").exec_form()

    @property
    def uid(self) -> int:
        """The numeric user id the image runs as."""
        user = self.last("USER").value.split(":")[0]
        assert user.isdigit(), f"USER {user}: use a numeric id so Kubernetes can check runAsNonRoot"
        return int(user)


@pytest.fixture(scope="session")
def image() -> Image:
    """The parsed root Dockerfile."""
    return Image(parse_dockerfile((ROOT / "Dockerfile").read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Repo:
    """Paths of this checkout and a YAML loader."""

    root: Path = ROOT
    deploy: Path = DEPLOY

    @staticmethod
    def docs(path: Path) -> list[Any]:
        """Every YAML document of ``path`` (empty documents dropped)."""
        with path.open(encoding="utf-8") as handle:
            return [doc for doc in yaml.safe_load_all(handle) if doc is not None]

    def yaml_files(self) -> Iterator[Path]:
        """Every YAML file of the deployment (compose file included)."""
        yield self.root / "docker-compose.yml"
        yield from sorted(self.deploy.rglob("*.yaml"))
        yield from sorted(self.deploy.rglob("*.yml"))


@pytest.fixture(scope="session")
def repo() -> Repo:
    """This checkout."""
    return Repo()


_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


class Compose:
    """docker-compose.yml interpolated the way ``docker compose --env-file <file>`` does it."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.env = env
        self.required: set[str] = set()  # ${NAME:?...}: compose stops when it is missing
        self.optional: set[str] = set()  # ${NAME:-default}: the default when missing
        self.used: set[str] = set()
        self.raw: dict[str, Any] = Repo.docs(path)[0]  # anchors and merge keys resolved by PyYAML
        self.doc: dict[str, Any] = self._interpolate(self.raw)

    def _interpolate(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._interpolate(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._interpolate(v) for v in value]
        if isinstance(value, str):
            return _VARIABLE.sub(self._substitute, value)
        return value

    def _substitute(self, match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op") or "", match.group("arg") or ""
        self.used.add(name)
        value = self.env.get(name)
        if "?" in op:
            self.required.add(name)
            assert value, f"${{{name}}} is required but not set: {arg}"
            return value
        if "-" in op:
            self.optional.add(name)
        if value is None or (op == ":-" and not value):
            return arg if "-" in op else ""
        return value

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        """Interpolated service definitions by name."""
        return dict(self.doc["services"])

    def environment(self, service: str) -> dict[str, str]:
        """A service's environment as a dict of strings."""
        env = self.services[service].get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        return {str(k): str(v) for k, v in env.items()}


@pytest.fixture(scope="session")
def compose_env(repo: Repo) -> dict[str, str]:
    """Stand-in values for every variable of the example env file (real ones are generated per host)."""
    names = [
        line.split("=", 1)[0]
        for line in (repo.deploy / "compose" / "stack.env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    samples = {
        "JZ_JWT_SECRET": "test-jwt-secret-" + "s" * 48,
        "JZ_PII_KEY": base64.b64encode(bytes(range(32))).decode(),
    }
    return {name: samples.get(name, f"test-{name.lower().replace('_', '-')}") for name in names}


@pytest.fixture(scope="session")
def compose_with(repo: Repo, compose_env: dict[str, str]) -> Callable[[dict[str, str]], Compose]:
    """docker-compose.yml interpolated with ``compose_env`` and an operator's optional variables."""
    return lambda optional: Compose(repo.root / "docker-compose.yml", {**compose_env, **optional})


@pytest.fixture(scope="session")
def compose(compose_with: Callable[[dict[str, str]], Compose]) -> Compose:
    """The root docker-compose.yml, interpolated with ``compose_env``."""
    return compose_with({})


def _sibling(name: str) -> ModuleType:
    """Load a helper module next to this file (test directories are not packages here)."""
    spec = importlib.util.spec_from_file_location(f"jz_deploy_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while being created
        spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def kustomize() -> ModuleType:
    """The small kustomize renderer (kustomize_lite.py)."""
    return _sibling("kustomize_lite")


@pytest.fixture(scope="session")
def k8s_model() -> ModuleType:
    """Pods, selectors, env and network policies of rendered manifests (k8s_model.py)."""
    return _sibling("k8s_model")


K8S_BUILDS = ("base", "overlays/dev", "overlays/prod")


@pytest.fixture(scope="session")
def clusters(repo: Repo, kustomize: ModuleType, k8s_model: ModuleType, compose: Compose) -> dict[str, Any]:
    """Each kustomization of deploy/k8s rendered, with the Secrets the template describes."""
    base_repository = Image.repository(compose.doc["x-app"]["image"])
    result = {}
    for build in K8S_BUILDS:
        directory = repo.deploy / "k8s" / build
        # An overlay with its own infrastructure (prod: operators) has its own Secrets template.
        own = directory / "secret.template.yaml"
        template = repo.docs(own if own.is_file() else repo.deploy / "k8s" / "base" / own.name)
        secrets = {doc["metadata"]["name"]: dict(doc["stringData"]) for doc in template}
        rendering = kustomize.render(directory)
        images = repo.docs(directory / "kustomization.yaml")[0].get("images", [])
        repository = next(
            (i.get("newName", i["name"]) for i in images if i["name"] == base_repository), base_repository
        )
        result[build] = k8s_model.Cluster(
            rendering.objects, secrets, repository, frozenset(rendering.generated)
        )
    return result


# Stands in for psql while the init scripts run: records each call's arguments and its SQL.
FAKE_PSQL = """#!{python}
import json, os, sys
with open(os.environ["FAKE_PSQL_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "sql": sys.stdin.read()}}) + "\\n")
"""
PSQL_VARIABLE = re.compile(r"^(?:-v|--set|--variable)(?:=|$)")


@dataclass(frozen=True)
class PsqlCall:
    """One psql run of an init script: its ``-v`` variables and the SQL it was given."""

    variables: dict[str, str]
    sql: str

    @classmethod
    def parse(cls, argv: list[str], sql: str) -> PsqlCall:
        variables = {}
        words = iter(argv)
        for word in words:
            if word.startswith("-v") and word != "-v" and not word.startswith("--"):
                assignment = word[2:]
            elif PSQL_VARIABLE.match(word):
                assignment = word.split("=", 1)[1] if "=" in word else next(words)
            else:
                continue
            name, _, value = assignment.partition("=")
            variables[name] = value
        return cls(variables, " ".join(sql.split()))

    def does(self, statement: str) -> bool:
        """Whether the SQL runs ``statement`` (whitespace and case insensitive)."""
        return " ".join(statement.split()).lower() in self.sql.lower()


@dataclass(frozen=True)
class InitRun:
    """What deploy/compose/initdb/ did when run the way the postgres image runs it."""

    returncode: int
    stderr: str
    calls: list[PsqlCall]

    def roles(self) -> dict[str, tuple[str, str]]:
        """database -> (role, password) for every service database the scripts create."""
        created = {}
        for call in self.calls:
            v = call.variables
            if {"database", "role", "password"} <= set(v):
                assert v["database"] not in created, f"{v['database']} is set up twice"
                created[v["database"]] = (v["role"], v["password"])
        return created


def _postgres(compose: Compose) -> dict[str, Any]:
    """The compose service running the postgres image."""
    (pg,) = [s for s in compose.services.values() if s.get("image", "").split(":")[0] == "postgres"]
    return pg


def initdb_dir(compose: Compose, repo: Repo) -> Path:
    """The directory compose mounts as the postgres image's /docker-entrypoint-initdb.d."""
    pg = _postgres(compose)
    mounts = [v.split(":") for v in pg["volumes"] if ":/docker-entrypoint-initdb.d" in v]
    assert len(mounts) == 1
    initdb = (repo.root / mounts[0][0]).resolve()
    assert initdb == repo.deploy / "compose" / "initdb"
    return initdb


def run_initdb(
    compose: Compose, repo: Repo, tmp: Path, env: dict[str, str] | None = None, *, source: bool = False
) -> InitRun:
    """Run the init scripts as the postgres image does on an empty data directory, with psql faked.

    ``*.sh`` files are executed when executable, else sourced (``source=True`` sources them all);
    ``*.sql`` files go to psql as they are. ``env`` is the postgres container's environment.
    """
    pg = _postgres(compose)
    env = {k: str(v) for k, v in pg["environment"].items()} if env is None else env
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    psql = bin_dir / "psql"
    psql.write_text(FAKE_PSQL.format(python=sys.executable), encoding="utf-8")
    psql.chmod(0o755)
    log = tmp / "psql.log"
    log.write_text("", encoding="utf-8")
    runner = (
        "set -Eeo pipefail\n"  # as the image's docker-entrypoint.sh
        'for f in "$INITDB"/*; do case "$f" in\n'
        '  *.sh) if [ -x "$f" ] && [ -z "$SOURCE" ]; then "$f"; else . "$f"; fi ;;\n'
        '  *.sql) psql -v ON_ERROR_STOP=1 < "$f" ;;\n'
        "esac; done\n"
    )
    result = subprocess.run(
        ["bash", "-c", runner],
        env={
            **env,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "FAKE_PSQL_LOG": str(log),
            "INITDB": str(initdb_dir(compose, repo)),
            "SOURCE": "1" if source else "",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return InitRun(result.returncode, result.stderr, [PsqlCall.parse(r["argv"], r["sql"]) for r in records])


@pytest.fixture(scope="session")
def initdb_runner(compose: Compose, repo: Repo) -> Callable[..., InitRun]:
    """``run_initdb`` of this checkout's compose file: ``(tmp, env=None, *, source=False)``."""
    return functools.partial(run_initdb, compose, repo)


@pytest.fixture(scope="session")
def initdb(compose: Compose, repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> InitRun:
    """The init scripts run with the postgres container's environment (from the example env file)."""
    run = run_initdb(compose, repo, tmp_path_factory.mktemp("initdb"))
    assert run.returncode == 0, run.stderr
    return run
