"""docker-compose.yml against the code: commands, env names, ports, URLs, databases, startup order."""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import ModuleType

    from conftest import CodeFacts, Compose, Image, InitRun, Process, Repo

# A compose DATABASE_URL: a fixed role, and its password a required variable of .env.stack.
DATABASE_URL = re.compile(r"postgresql\+asyncpg://(?P<role>\w+):\$\{(?P<password>\w+):\?[^}]+\}@")
# An optional variable in the example env file: listed, commented out, so its default holds.
COMMENTED_ENTRY = re.compile(r"^#\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
# What an operator sets in .env.stack to use the province's identity provider.
IDENTITY_PROVIDER = {
    "JZ_OIDC_JWKS_URL": "https://idp.example.org/realms/test/protocol/openid-connect/certs",
    "JZ_OIDC_ISSUER": "https://idp.example.org/realms/test",
    "JZ_OIDC_AUDIENCE": "jingzhun-test",
}
ANY_URL = re.compile(r"https?://[^'\"\s]+")
CONTAINER_TMP = "/tmp"  # noqa: S108 - a path inside the container, backed by tmpfs
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - containers must accept connections from their network


def _app_services(compose: Compose, image: Image, code: CodeFacts) -> dict[str, Process]:
    """Services running the Jingzhun image, with the CLI process each one starts."""
    repository = image.repository(compose.doc["x-app"]["image"])
    apps = {}
    for name, service in compose.services.items():
        if image.repository(service.get("image", "")) != repository:
            continue
        # As with `docker run --entrypoint`, replacing the entrypoint drops the image's CMD.
        if "entrypoint" in service:
            argv = [*_words(service["entrypoint"]), *_words(service.get("command", []))]
        else:
            argv = [*image.entrypoint, *_words(service.get("command", image.cmd))]
        apps[name] = code.process(argv)
    return apps


def _words(value: str | list[str]) -> list[str]:
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def _raw_database_url(compose: Compose, service: str) -> str:
    """``service``'s DATABASE_URL as written (not interpolated), from its API container."""
    return str(compose.raw["services"][service]["environment"][f"JZ_{service.upper()}_DATABASE_URL"])


def _infra(compose: Compose, repository: str) -> tuple[str, dict[str, Any]]:
    """The one service running ``repository`` (postgres, rabbitmq)."""
    found = [(n, s) for n, s in compose.services.items() if s.get("image", "").split(":")[0] == repository]
    assert len(found) == 1, f"expected one {repository} service, found {[n for n, _ in found]}"
    return found[0]


@pytest.fixture(scope="module")
def apps(compose: Compose, image: Image, code: CodeFacts) -> dict[str, Process]:
    """Compose service name -> the jingzhun process it runs."""
    return _app_services(compose, image, code)


def test_every_deployment_yaml_file_parses(repo: Repo) -> None:
    files = list(repo.yaml_files())
    assert len(files) > 10
    for path in files:
        assert repo.docs(path), f"{path} holds no YAML document"


def test_every_catalog_service_has_its_processes(apps: dict[str, Process], code: CodeFacts) -> None:
    """An API per service, a relay for each that publishes, a consumer for each that consumes."""
    for command, name in code.expected_processes():
        service = code.workload(command, name)
        process = apps.get(service)
        assert process is not None, f"no compose service {service} running `{command} {name}`"
        assert (process.command, process.name) == (command, name), f"{service} runs {process}"
    migrations = [p for p in apps.values() if p.command == "migrate"]
    assert len(migrations) == 1 and set(migrations[0].services) == set(code.services)
    expected = {code.workload(command, name) for command, name in code.expected_processes()}
    assert {n for n, p in apps.items() if p.command != "migrate"} == expected


def test_env_names_are_settings_fields(compose: Compose, apps: dict[str, Process], code: CodeFacts) -> None:
    for name in apps:
        unknown = set(compose.environment(name)) - code.env_names
        assert not unknown, f"{name}: {sorted(unknown)} are read by no settings class"


def test_secrets_come_from_the_env_file(
    compose: Compose, apps: dict[str, Process], repo: Repo, code: CodeFacts
) -> None:
    example = (repo.deploy / "compose" / "stack.env.example").read_text(encoding="utf-8")
    entries = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    assert compose.required == set(entries), "the example env file and the compose file disagree"
    assert all(value == "" for value in entries.values()), "the example must not carry usable secrets"
    assert compose.optional == set(COMMENTED_ENTRY.findall(example)), (
        "the example env file must list every optional variable, commented out"
    )
    for name in apps:
        raw_env = compose.raw["services"][name]["environment"]
        for secret in code.required_secrets:
            assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]+\}}", raw_env[secret]), f"{name}: {secret} required"
    for name, service in compose.raw["services"].items():  # every key (SecretStr field) too
        for key, value in (service.get("environment") or {}).items():
            if key in code.secret_env_names:
                assert re.fullmatch(rf"\$\{{{key}:\?[^}}]+\}}", str(value)), f"{name}: {key} from .env.stack"


def test_processes_load_stack_settings(compose: Compose, apps: dict[str, Process], code: CodeFacts) -> None:
    for name, process in apps.items():
        env = compose.environment(name)
        common = code.settings(code.settings_classes["common"], env)
        assert common.mode == "stack"
        assert not common.uses_dev_secrets()
        tmpfs = set(compose.services[name].get("tmpfs", []))
        assert compose.services[name].get("read_only") is True
        assert {CONTAINER_TMP, str(common.data_dir)} <= tmpfs, (
            f"{name}: /tmp and the data dir must be writable"
        )
        if process.command != "migrate":
            assert process.name is not None
            assert code.settings(code.settings_classes[process.name], env).host == ALL_INTERFACES
            missing = set(code.required_secrets) - set(env)
            assert not missing, f"{name} lacks {missing}"


def test_containers_hold_only_their_own_services_settings(
    compose: Compose, apps: dict[str, Process], code: CodeFacts
) -> None:
    """A service's API, relay and consumer get its settings alone, the gateway no service's, and
    migrate, which upgrades every database, every service's."""
    for name, process in apps.items():
        held, needed = code.owners(set(compose.environment(name))), code.owned_by(process)
        assert held == needed, f"{name} holds the settings of {sorted(held)}, needs {sorted(needed)}'s"


def test_no_container_holds_another_services_password(
    compose: Compose, apps: dict[str, Process], code: CodeFacts
) -> None:
    passwords = {}
    for service in code.services:
        match = DATABASE_URL.match(_raw_database_url(compose, service))
        assert match, f"{service}: its DATABASE_URL needs a ${{..._PASSWORD:?...}} password"
        passwords[service] = match["password"]
    for name, process in apps.items():
        env = compose.environment(name)
        for service, variable in passwords.items():
            if service in code.owned_by(process):
                continue
            assert variable not in env, f"{name} holds {variable}"
            assert not any(compose.env[variable] in value for value in env.values()), (
                f"{name} holds {service}'s database password"
            )


def test_service_settings_are_given_as_in_kubernetes(
    compose: Compose,
    apps: dict[str, Process],
    code: CodeFacts,
    clusters: dict[str, Any],
    image: Image,
    k8s_model: ModuleType,
) -> None:
    """Every long-running process holds the same gateway or service settings in both deployments."""
    cluster = clusters["base"]
    workloads = {
        pod.name: set(cluster.env(container))
        for pod, container in cluster.app_containers()
        if pod.kind == "Deployment"
    }
    for name, process in apps.items():
        if process.command == "migrate":  # one container for every database here, a Job per service there
            continue
        ours = {n for n in compose.environment(name) if code.owners({n})}
        theirs = {n for n in workloads[name] if code.owners({n})}
        assert ours == theirs, f"{name}: compose gives {sorted(ours)}, Kubernetes {sorted(theirs)}"


def test_identity_provider_is_optional_and_reaches_every_process(
    compose: Compose,
    compose_with: Callable[[dict[str, str]], Compose],
    apps: dict[str, Process],
    code: CodeFacts,
) -> None:
    """Without the JZ_OIDC_ variables local tokens as before; with them, every process uses the provider."""
    oidc = code.settings_classes["oidc"]
    configured = compose_with(IDENTITY_PROVIDER)
    for name in apps:
        local = code.settings(oidc, compose.environment(name))
        assert local == code.settings(oidc, {}), f"{name}: unset JZ_OIDC_ variables must keep the defaults"
        assert not local.enabled, name
        provider = code.settings(oidc, configured.environment(name))
        assert provider.enabled, f"{name} ignores JZ_OIDC_JWKS_URL"
        given = (provider.jwks_url, provider.issuer, provider.audience)
        assert given == tuple(IDENTITY_PROVIDER.values()), f"{name}: {given}"


def test_common_settings_match_kubernetes(
    compose: Compose, apps: dict[str, Process], code: CodeFacts, repo: Repo
) -> None:
    """Both deployments run the same bus and modes: the non-secret common settings agree."""
    (config,) = repo.docs(repo.deploy / "k8s" / "base" / "config.yaml")
    k8s = code.settings(code.settings_classes["common"], config["data"])
    for name in apps:
        ours = code.settings(code.settings_classes["common"], compose.environment(name))
        for field in config["data"]:
            attribute = field.removeprefix("JZ_").lower()
            assert getattr(ours, attribute) == getattr(k8s, attribute), f"{name}: {field}"


def test_healthchecks_probe_the_listening_ports(
    compose: Compose, apps: dict[str, Process], code: CodeFacts
) -> None:
    for name, process in apps.items():
        if process.command == "migrate":
            assert "healthcheck" not in compose.services[name]
            continue
        port = code.listening_port(process, compose.environment(name))
        assert port == code.default_listening_port(process), f"{name}: {port} is not the default"
        urls = ANY_URL.findall(" ".join(_words(compose.services[name]["healthcheck"]["test"])))
        assert len(urls) == 1, f"{name}: the healthcheck should fetch one URL"
        url = urlparse(urls[0])
        assert url.port == port, f"{name}: healthcheck on {url.port}, process listens on {port}"
        assert url.path == ("/metrics" if process.metrics_only else "/readyz")


def test_only_the_gateway_is_published(compose: Compose, apps: dict[str, Process], code: CodeFacts) -> None:
    published = {n for n, s in compose.services.items() if s.get("ports")}
    assert published == {"gateway"}
    port = code.listening_port(apps["gateway"], compose.environment("gateway"))
    targets = [int(str(p).rsplit(":", 1)[-1]) for p in compose.services["gateway"]["ports"]]
    assert targets == [port]


def test_gateway_reaches_each_service_by_name(
    compose: Compose, apps: dict[str, Process], code: CodeFacts
) -> None:
    gateway = code.settings(code.settings_classes["gateway"], compose.environment("gateway"))
    for name in code.services:
        url = getattr(gateway, f"{name}_url", None)
        assert url is not None, f"GatewaySettings has no {name}_url"
        parsed = urlparse(url)
        assert parsed.hostname == name
        assert parsed.port == code.listening_port(apps[name], compose.environment(name))


def test_database_and_broker_urls_match_the_infrastructure(
    compose: Compose, apps: dict[str, Process], code: CodeFacts, initdb: InitRun
) -> None:
    pg_name, _ = _infra(compose, "postgres")
    mq_name, mq = _infra(compose, "rabbitmq")
    mq_env = mq["environment"]
    roles = initdb.roles()
    for name, process in apps.items():
        env = compose.environment(name)
        if process.metrics_only:  # relays and consumers; an API only writes events to its outbox
            broker = urlparse(code.settings(code.settings_classes["common"], env).broker_url)
            assert (broker.hostname, broker.port) == (mq_name, 5672)
            assert (broker.username, broker.password) == (
                mq_env["RABBITMQ_DEFAULT_USER"],
                mq_env["RABBITMQ_DEFAULT_PASS"],
            )
        else:
            assert "JZ_BROKER_URL" not in env, f"{name} holds the broker's password"
        for service in {*process.services, process.name} & set(code.services):
            url = urlparse(code.settings(code.settings_classes[service], env).database_url)
            assert url.scheme == "postgresql+asyncpg"
            assert (url.hostname, url.port) == (pg_name, 5432)
            assert url.path == "/" + code.services[service].database
            # The role the init script creates for this database, with the password it was given.
            assert (url.username, url.password) == roles[code.services[service].database], (
                f"{name}: {service}'s credentials"
            )


def test_initdb_creates_every_catalog_database(initdb: InitRun, code: CodeFacts) -> None:
    assert set(initdb.roles()) == {spec.database for spec in code.services.values()}
    for call in initdb.calls:
        if "database" in call.variables:
            assert call.does("CREATE DATABASE %I OWNER %I', :'database', :'role'"), call.variables


def test_initdb_gives_every_service_a_role_of_its_own(
    compose: Compose, repo: Repo, code: CodeFacts, initdb: InitRun
) -> None:
    """One LOGIN role per service owns its database, which only that role (and the superuser) may join."""
    _, pg = _infra(compose, "postgres")
    raw_pg_env = compose.raw["services"]["postgres"]["environment"]
    example = (repo.deploy / "compose" / "stack.env.example").read_text(encoding="utf-8")
    listed = {line.split("=", 1)[0] for line in example.splitlines() if line and not line.startswith("#")}
    roles = initdb.roles()
    seen_roles, seen_variables = set(), set()
    for name, spec in code.services.items():
        raw_url = _raw_database_url(compose, name)
        match = DATABASE_URL.match(raw_url)
        assert match, f"{name}: {raw_url} needs a fixed role and a ${{..._PASSWORD:?...}} password"
        role, variable = match["role"], match["password"]
        assert role != pg["environment"]["POSTGRES_USER"], f"{name} connects as the superuser"
        assert variable != "POSTGRES_PASSWORD", f"{name} uses the superuser's password"
        assert role not in seen_roles, f"{name} shares role {role}"
        assert variable not in seen_variables, f"{name} shares password {variable}"
        seen_roles.add(role)
        seen_variables.add(variable)
        # The password reaches the postgres container (for the init script) from .env.stack.
        assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]+\}}", str(raw_pg_env.get(variable))), (
            f"postgres lacks {variable}"
        )
        assert variable in listed, f"{variable} is missing from stack.env.example"
        assert roles[spec.database] == (role, pg["environment"][variable]), f"{name}: init script's role"
    for call in initdb.calls:
        if "password" not in call.variables:
            continue
        password = call.variables["password"]
        assert password and password not in call.sql, "the password must reach psql only as a variable"
        # Names as identifiers (%I), the password as a literal (%L), never pasted into SQL.
        assert not re.search(r":password\b|:\"password\"", call.sql), "quote the password as :'password'"
        assert call.does("CREATE ROLE %I', :'role'")
        assert call.does("ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L")
        assert call.does("REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database'")
        assert call.does("GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'database', :'role'")
        assert call.does("WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')")
        assert call.does("WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database')")


def test_initdb_runs_sourced_too(
    initdb: InitRun, initdb_runner: Callable[..., InitRun], tmp_path: Path
) -> None:
    """The image sources a ``.sh`` script that is not executable (as a checkout may leave it)."""
    sourced = initdb_runner(tmp_path, source=True)
    assert sourced.returncode == 0, sourced.stderr
    assert sourced.calls == initdb.calls


def test_initdb_stops_before_any_change_without_a_password(
    compose: Compose, code: CodeFacts, initdb_runner: Callable[..., InitRun], tmp_path: Path
) -> None:
    _, pg = _infra(compose, "postgres")
    env = {k: str(v) for k, v in pg["environment"].items()}
    for name in code.services:
        (variable,) = [m["password"] for m in [DATABASE_URL.match(_raw_database_url(compose, name))] if m]
        run = initdb_runner(tmp_path, {k: v for k, v in env.items() if k != variable})
        assert run.returncode != 0, f"the init script ran without {variable}"
        assert variable in run.stderr
        assert run.calls == [], f"the init script changed the database before noticing {variable} is missing"


def test_startup_order(compose: Compose, apps: dict[str, Process], code: CodeFacts) -> None:
    migrate = next(n for n, p in apps.items() if p.command == "migrate")
    pg_name, _ = _infra(compose, "postgres")
    mq_name, _ = _infra(compose, "rabbitmq")
    needs: dict[str, dict[str, str]] = {
        migrate: {pg_name: "service_healthy"},
        "gateway": {name: "service_healthy" for name in code.services},
    }
    for command, name in code.expected_processes() - {("serve", "gateway")}:
        workload = code.workload(command, name)
        needs[workload] = {pg_name: "service_healthy", migrate: "service_completed_successfully"}
        if command != "serve":  # relays publish to RabbitMQ, consumers read from it
            needs[workload][mq_name] = "service_healthy"
    for name, expected in needs.items():
        depends = {k: v["condition"] for k, v in compose.services[name].get("depends_on", {}).items()}
        assert depends == expected, f"{name} depends_on"
        for target, condition in depends.items():
            if condition == "service_healthy":
                assert "healthcheck" in compose.services[target], f"{target} has no healthcheck"
    assert compose.services[migrate].get("restart") == "no"


def test_one_image_built_from_the_root_dockerfile(
    compose: Compose, apps: dict[str, Process], repo: Repo
) -> None:
    images = {compose.services[name]["image"] for name in apps}
    assert len(images) == 1
    for name in apps:
        build = compose.services[name]["build"]
        assert (repo.root / build["context"] / build["dockerfile"]).resolve() == repo.root / "Dockerfile"
