"""deploy/k8s against the code: env names, secrets, ports and probes, URLs, databases, network policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest
from pydantic import SecretStr

if TYPE_CHECKING:
    from types import ModuleType

    from conftest import CodeFacts, Image, Process

BUILDS = ("base", "overlays/dev", "overlays/prod")
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - containers must accept connections from their network
MONITORING = {"kubernetes.io/metadata.name": "monitoring"}
OUTSIDER = {"app.kubernetes.io/name": "not-jingzhun"}


def _processes(
    cluster: Any, image: Image, code: CodeFacts, k8s_model: ModuleType
) -> list[tuple[Any, Any, Process]]:
    return [
        (pod, c, code.process(k8s_model.argv(c, image.entrypoint, image.cmd)))
        for pod, c in cluster.app_containers()
    ]


def _env(cluster: Any, container: dict[str, Any]) -> dict[str, str]:
    return {name: var.value for name, var in cluster.env(container).items()}


@pytest.fixture(params=BUILDS)
def wired(
    request: pytest.FixtureRequest,
    clusters: dict[str, Any],
    image: Image,
    code: CodeFacts,
    k8s_model: ModuleType,
) -> tuple[Any, list[tuple[Any, Any, Process]]]:
    """One rendered build and its Jingzhun processes."""
    cluster = clusters[request.param]
    return cluster, _processes(cluster, image, code, k8s_model)


def test_env_names_are_settings_fields(wired: tuple[Any, list[Any]], code: CodeFacts) -> None:
    cluster, processes = wired
    for pod, container, _ in processes:
        unknown = set(cluster.env(container)) - code.env_names
        assert not unknown, f"{pod.name}: {sorted(unknown)} are read by no settings class"


def test_servers_get_their_keys_from_the_secret(wired: tuple[Any, list[Any]], code: CodeFacts) -> None:
    cluster, processes = wired
    for pod, container, process in processes:
        env = cluster.env(container)
        if process.command != "migrate":  # servers, relays and consumers refuse the dev keys at start
            for secret in code.required_secrets:
                assert secret in env, f"{pod.name} lacks {secret}"
        for name, var in env.items():
            carries_credentials = name in code.secret_env_names or (
                name.endswith("_URL") and "@" in var.value
            )
            if carries_credentials:
                assert var.source.startswith("secret/"), f"{pod.name}: {name} must come from a Secret"


def test_processes_load_stack_settings(wired: tuple[Any, list[Any]], code: CodeFacts) -> None:
    cluster, processes = wired
    for pod, container, process in processes:
        env = _env(cluster, container)
        assert code.settings(code.settings_classes["common"], env).mode == "stack", pod.name
        if process.command != "migrate":
            assert process.name is not None
            assert code.settings(code.settings_classes[process.name], env).host == ALL_INTERFACES, pod.name


def test_processes_agree_on_bus_and_tokens(wired: tuple[Any, list[Any]], code: CodeFacts) -> None:
    """Tokens the gateway accepts are valid in every service; every process uses the same exchange."""
    cluster, processes = wired
    seen: dict[str, set[str]] = {}
    for _, container, process in processes:
        common = code.settings(code.settings_classes["common"], _env(cluster, container))
        fields = ["exchange", "mode"]
        if process.command == "serve":
            fields += ["jwt_issuer", "jwt_audience", "jwt_secret", "pii_key"]
        for name in fields:
            value = getattr(common, name)
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            seen.setdefault(name, set()).add(str(plain))
    assert {name: len(values) for name, values in seen.items()} == dict.fromkeys(seen, 1)


@pytest.mark.parametrize("build", BUILDS)
def test_only_prod_takes_tokens_from_the_identity_provider(
    build: str, clusters: dict[str, Any], image: Image, code: CodeFacts, k8s_model: ModuleType
) -> None:
    """Base and dev keep local HS256 tokens; in prod every process verifies the same provider's,
    configured once in the ConfigMap they all read."""
    cluster = clusters[build]
    oidc = code.settings_classes["oidc"]
    prefix = str(oidc.model_config["env_prefix"])
    providers = set()
    for pod, container, _ in _processes(cluster, image, code, k8s_model):
        settings = code.settings(oidc, _env(cluster, container))
        assert settings.enabled is (build == "overlays/prod"), pod.name
        sources = {var.source for name, var in cluster.env(container).items() if name.startswith(prefix)}
        assert sources <= {"configmap/jingzhun-config"}, f"{pod.name}: {prefix}* from {sources}"
        providers.add((settings.jwks_url, settings.issuer, settings.audience))
    assert len(providers) == 1, f"processes disagree on the identity provider: {providers}"
    if build == "overlays/prod":
        ((jwks_url, issuer, audience),) = providers
        assert urlparse(jwks_url).scheme == "https", "the provider's keys must come over HTTPS"
        assert issuer and audience, "an empty issuer or audience refuses every token"


def test_ports_probes_and_scrape_annotations(wired: tuple[Any, list[Any]], code: CodeFacts) -> None:
    cluster, processes = wired
    for pod, container, process in processes:
        if process.command == "migrate":
            continue
        assert process.name is not None
        port = code.listening_port(process, _env(cluster, container))
        assert port == code.default_listening_port(process), f"{pod.name}: {port} is not the default"
        assert [p["containerPort"] for p in container["ports"]] == [port], pod.name
        expected = {"readinessProbe": "/readyz", "livenessProbe": "/healthz", "startupProbe": "/healthz"}
        for probe, path in expected.items():
            if probe not in container:
                assert probe == "startupProbe", f"{pod.name}: {probe}"
                continue
            http = container[probe]["httpGet"]
            assert pod.port(http["port"]) == port, f"{pod.name}: {probe} on another port"
            assert http["path"] == ("/metrics" if process.metrics_only else path), f"{pod.name}: {probe}"
        notes = pod.annotations
        assert notes.get("prometheus.io/scrape") == "true", pod.name
        assert (int(notes["prometheus.io/port"]), notes["prometheus.io/path"]) == (port, "/metrics"), pod.name


def test_gateway_reaches_each_service_by_its_service_name(
    wired: tuple[Any, list[Any]], code: CodeFacts
) -> None:
    cluster, processes = wired
    (gateway,) = [(pod, c) for pod, c, p in processes if (p.command, p.name) == ("serve", "gateway")]
    settings = code.settings(code.settings_classes["gateway"], _env(cluster, gateway[1]))
    for name in code.services:
        url = getattr(settings, f"{name}_url", None)
        assert url is not None, f"GatewaySettings has no {name}_url"
        parsed = urlparse(url)
        service = cluster.named("Service", parsed.hostname)
        assert service is not None and parsed.hostname == name, f"{url}: no Service {name}"
        (api,) = [(pod, c, p) for pod, c, p in processes if (p.command, p.name) == ("serve", name)]
        listening = code.listening_port(api[2], _env(cluster, api[1]))
        (port,) = [p for p in service["spec"]["ports"] if p["port"] == parsed.port]
        assert api[0].port(port["targetPort"]) == listening, f"{url} does not reach {name}:{listening}"


def test_database_and_broker_urls_match_the_infrastructure(
    wired: tuple[Any, list[Any]], code: CodeFacts, k8s_model: ModuleType
) -> None:
    cluster, processes = wired
    mq = k8s_model.broker(cluster)
    for pod, container, process in processes:
        env = _env(cluster, container)
        if process.metrics_only:
            assert "JZ_BROKER_URL" in env, f"{pod.name} publishes or consumes: it needs JZ_BROKER_URL"
        if "JZ_BROKER_URL" in env:
            broker = urlparse(code.settings(code.settings_classes["common"], env).broker_url)
            assert (broker.hostname, broker.port) == (mq.host, mq.port), f"{pod.name}: {broker.netloc}"
            if mq.username is not None:
                assert (broker.username, broker.password) == (mq.username, mq.password)
        for service in {*process.services, process.name} & set(code.services):
            database = code.services[service].database
            pg = k8s_model.database(cluster, database)
            url = urlparse(code.settings(code.settings_classes[service], env).database_url)
            assert url.scheme == "postgresql+asyncpg", f"{pod.name}: {url.scheme}"
            assert (url.hostname, url.port) == (pg.host, pg.port), f"{pod.name}: {url.netloc}"
            assert (url.username, url.password) == (pg.username, pg.password), f"{pod.name}: credentials"
            assert url.path == "/" + database
            assert pod.labels.get("jingzhun.io/database") == database, f"{pod.name}: database label"


def test_network_policies_admit_only_the_intended_paths(
    wired: tuple[Any, list[Any]], code: CodeFacts, k8s_model: ModuleType
) -> None:
    cluster, processes = wired
    net = cluster.network
    by_role = {(p.command, p.name): (pod, c) for pod, c, p in processes}
    gateway, _ = by_role[("serve", "gateway")]
    databases = {name: k8s_model.database(cluster, spec.database) for name, spec in code.services.items()}
    rabbitmq = k8s_model.broker(cluster)
    # One PostgreSQL for all (base, dev) or one cluster per service database (prod).
    separate = len({pg.pod.name for pg in databases.values()}) == len(databases)
    assert net.allows(OUTSIDER, gateway, code.default_port("gateway"), namespace={})
    for target in (*databases.values(), rabbitmq):
        assert not net.allows(gateway.labels, target.pod, target.port), f"gateway reaches {target.host}"
        assert not net.allows(OUTSIDER, target.pod, target.port), f"any pod reaches {target.host}"
    for name in code.services:
        api = by_role[("serve", name)][0]
        api_port = code.default_port(name)
        pg = databases[name]
        assert net.allows(gateway.labels, api, api_port), f"gateway cannot reach {name}"
        assert not net.allows(OUTSIDER, api, api_port), f"any pod reaches {name}"
        # Relays (publishes) and consumers (consumes) work between the database and the broker.
        workers = [by_role[(c, name)][0] for c in ("relay", "consume") if (c, name) in by_role]
        for worker in workers:
            assert not net.allows(worker.labels, api, api_port), f"{worker.name} reaches {name}"
            assert net.allows(worker.labels, rabbitmq.pod, rabbitmq.port), (
                f"{worker.name} cannot reach RabbitMQ"
            )
        for pod in [api, *workers]:
            assert net.allows(pod.labels, pg.pod, pg.port), f"{pod.name} cannot reach its database"
            if separate:  # only each service reaches its own database
                for other, other_pg in databases.items():
                    if other != name:
                        assert not net.allows(pod.labels, other_pg.pod, other_pg.port), (
                            f"{pod.name} reaches {other}'s"
                        )
    for pod, _, process in processes:
        if process.command == "migrate":
            for service in process.services:
                pg = databases[service]
                assert net.allows(pod.labels, pg.pod, pg.port), (
                    f"{pod.name} cannot reach {service}'s database"
                )
            continue
        scrape = int(pod.annotations["prometheus.io/port"])
        assert net.allows({}, pod, scrape, namespace=MONITORING), f"Prometheus cannot scrape {pod.name}"
        assert not net.allows({}, pod, scrape, namespace={"kubernetes.io/metadata.name": "elsewhere"}) or (
            pod is gateway
        ), f"{pod.name} is open to every namespace"
