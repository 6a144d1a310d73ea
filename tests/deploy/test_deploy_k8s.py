"""deploy/k8s: every file well-formed, kustomizations render, workloads complete, every service covered."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from types import ModuleType

    from conftest import CodeFacts, Compose, Image, InitRun, Repo

BUILDS = ("base", "overlays/dev", "overlays/prod")
CONTAINER_TMP = "/tmp"  # noqa: S108 - a path inside the container, backed by an emptyDir
RESOURCE_KEYS = {"cpu", "memory"}


def _processes(
    cluster: Any, image: Image, code: CodeFacts, k8s_model: ModuleType
) -> list[tuple[Any, Any, Any]]:
    """(pod, container, CLI process) for every Jingzhun container."""
    return [
        (pod, c, code.process(k8s_model.argv(c, image.entrypoint, image.cmd)))
        for pod, c in cluster.app_containers()
    ]


def test_every_manifest_has_api_version_kind_and_name(repo: Repo) -> None:
    k8s = repo.deploy / "k8s"
    for path in sorted(k8s.rglob("*.yaml")):
        for doc in repo.docs(path):
            assert isinstance(doc, dict), f"{path}: not a mapping"
            if path.name == "kustomization.yaml":
                assert doc.get("kind") == "Kustomization", path
                continue
            assert doc.get("apiVersion") and doc.get("kind"), f"{path}: apiVersion and kind are required"
            assert doc.get("metadata", {}).get("name"), f"{path}: metadata.name is required"


def test_every_file_is_used_by_a_kustomization(repo: Repo) -> None:
    k8s = repo.deploy / "k8s"
    referenced = set()
    for kustomization in k8s.rglob("kustomization.yaml"):
        (doc,) = repo.docs(kustomization)
        entries = [*doc.get("resources", []), *(p["path"] for p in doc.get("patches", []))]
        entries += [f for g in doc.get("configMapGenerator", []) for f in g["files"]]
        referenced |= {(kustomization.parent / e).resolve() for e in entries}
    # Secret templates are deliberately applied by hand, never by kustomize.
    unused = {"kustomization.yaml", "secret.template.yaml"}
    files = {p for p in k8s.rglob("*") if p.is_file() and p.name not in unused}
    assert files - referenced == set(), "files no kustomization uses"


@pytest.mark.parametrize("build", BUILDS)
def test_renderer_agrees_with_kubectl_kustomize(build: str, repo: Repo, kustomize: ModuleType) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; the built-in renderer alone checks the kustomizations")
    rendered = subprocess.run(
        [kubectl, "kustomize", str(repo.deploy / "k8s" / build)], capture_output=True, text=True, timeout=120
    )
    assert rendered.returncode == 0, rendered.stderr
    ours = kustomize.render(repo.deploy / "k8s" / build)
    text = rendered.stdout
    for name in ours.generated:  # kustomize appends a content hash to generated names
        text = re.sub(rf"\b{re.escape(name)}-[a-z0-9]{{10}}\b", name, text)

    def index(objects: list[dict[str, Any]]) -> dict[str, str]:
        return {f"{o['kind']}/{o['metadata']['name']}": json.dumps(o, sort_keys=True) for o in objects}

    theirs = [d for d in yaml.safe_load_all(text) if d]
    assert index(theirs) == index(ours.objects)


@pytest.mark.parametrize("build", BUILDS)
def test_everything_lives_in_the_namespace(build: str, clusters: dict[str, Any], repo: Repo) -> None:
    cluster = clusters[build]
    (namespace,) = cluster.of_kind("Namespace")
    name = namespace["metadata"]["name"]
    others = [o for o in cluster.objects if o["kind"] != "Namespace"]
    assert {o["metadata"].get("namespace") for o in others} == {name}
    for path in (repo.deploy / "k8s").rglob("secret.template.yaml"):
        assert {d["metadata"]["namespace"] for d in repo.docs(path)} == {name}, path


def test_secret_template_is_placeholders_only_and_never_rendered(
    repo: Repo, clusters: dict[str, Any]
) -> None:
    docs = [d for p in (repo.deploy / "k8s").rglob("secret.template.yaml") for d in repo.docs(p)]
    assert {d["kind"] for d in docs} == {"Secret"}
    for doc in docs:
        for key, value in doc["stringData"].items():
            if key == "username" and doc["type"] == "kubernetes.io/basic-auth":
                continue  # a role name, not a secret
            assert "REPLACE_ME" in value, f"{doc['metadata']['name']}.{key} looks like a real value"
    for cluster in clusters.values():
        assert cluster.of_kind("Secret") == [], "applying an overlay would overwrite the real Secrets"


@pytest.mark.parametrize("build", BUILDS)
def test_workloads_are_complete(build: str, clusters: dict[str, Any], k8s_model: ModuleType) -> None:
    cluster = clusters[build]
    for pod in cluster.pods():
        owner = pod.owner
        if pod.kind != "Job":
            assert k8s_model.selects(owner["spec"]["selector"], pod.labels), f"{pod.name}: selector"
        for container in pod.containers:
            where = f"{pod.kind}/{pod.name}/{container['name']}"
            assert container.get("image"), where
            resources = container.get("resources", {})
            assert set(resources.get("requests", {})) >= RESOURCE_KEYS, f"{where}: requests"
            assert set(resources.get("limits", {})) >= RESOURCE_KEYS, f"{where}: limits"
            if pod.kind == "Job":
                assert pod.spec["restartPolicy"] in ("OnFailure", "Never")
                continue
            assert container.get("ports"), f"{where}: ports"
            for probe in ("readinessProbe", "livenessProbe"):
                assert probe in container, f"{where}: {probe}"
                http = container[probe].get("httpGet")
                if http is not None:
                    assert pod.port(http["port"]) is not None, f"{where}: {probe} port {http['port']}"


@pytest.mark.parametrize("build", BUILDS)
def test_app_pods_are_locked_down(
    build: str, clusters: dict[str, Any], image: Image, code: CodeFacts, k8s_model: ModuleType
) -> None:
    cluster = clusters[build]
    for pod, container, process in _processes(cluster, image, code, k8s_model):
        where = f"{pod.name}/{container['name']}"
        security = pod.spec["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] == image.uid, where
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, where
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
        env = {k: v.value for k, v in cluster.env(container).items()}
        data_dir = str(code.settings(code.settings_classes["common"], env).data_dir)
        empty_dirs = {v["name"] for v in pod.spec.get("volumes", []) if "emptyDir" in v}
        writable = {m["mountPath"] for m in container.get("volumeMounts", []) if m["name"] in empty_dirs}
        assert {CONTAINER_TMP, data_dir} <= writable, f"{where}: /tmp and {data_dir} need emptyDirs"
        if process.command != "migrate":
            assert pod.spec.get("automountServiceAccountToken") is False, where


@pytest.mark.parametrize("build", BUILDS)
def test_every_catalog_service_is_deployed(
    build: str, clusters: dict[str, Any], image: Image, code: CodeFacts, k8s_model: ModuleType
) -> None:
    cluster = clusters[build]
    runs: dict[tuple[str, str, str | None], list[Any]] = {}
    migrated: set[str] = set()
    for pod, _, process in _processes(cluster, image, code, k8s_model):
        runs.setdefault((pod.kind, process.command, process.name), []).append(pod)
        if process.command == "migrate":
            assert pod.kind == "Job", f"{pod.name}: migrations run as a Job"
            migrated |= set(process.services)
    # An API per service, a relay for each that publishes, a consumer for each that consumes:
    # each its own Deployment and Service, named after the process, and nothing else.
    expected = code.expected_processes()
    deployed = {(command, name) for kind, command, name in runs if kind == "Deployment"}
    assert deployed == expected, f"Deployments run {sorted(deployed)}, the catalog wants {sorted(expected)}"
    for command, name in expected:
        workload = code.workload(command, name)
        (pod,) = runs[("Deployment", command, name)]
        assert pod.name == workload, f"`{command} {name}` runs as {pod.name}, expected {workload}"
        assert [s["metadata"]["name"] for s in cluster.serving(pod)] == [workload]
    assert set(code.services) <= migrated, f"no migration Job for {sorted(set(code.services) - migrated)}"
    # Every API (gateway and services): a PodDisruptionBudget and a CPU autoscaler of its own.
    apis = {
        pod.name: pod
        for (kind, command, _), pods in runs.items()
        if (kind, command) == ("Deployment", "serve")
        for pod in pods
    }
    for pdb in cluster.of_kind("PodDisruptionBudget"):
        picked = [
            name for name, pod in apis.items() if k8s_model.selects(pdb["spec"]["selector"], pod.labels)
        ]
        assert picked == [pdb["metadata"]["name"]], (
            f"PodDisruptionBudget {pdb['metadata']['name']} picks {picked}"
        )
        assert pdb["spec"].get("maxUnavailable") == 1, pdb["metadata"]["name"]
    assert {p["metadata"]["name"] for p in cluster.of_kind("PodDisruptionBudget")} == set(apis)
    scaled = {}
    for hpa in cluster.of_kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment"), hpa["metadata"]["name"]
        assert target["name"] in apis, f"{hpa['metadata']['name']} scales {target['name']}, not an API"
        replicas = apis[target["name"]].owner["spec"]["replicas"]
        assert hpa["spec"]["minReplicas"] <= replicas <= hpa["spec"]["maxReplicas"], hpa["metadata"]["name"]
        assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
        scaled[target["name"]] = hpa
    assert set(scaled) == set(apis), f"no autoscaler for {sorted(set(apis) - set(scaled))}"


@pytest.mark.parametrize("build", BUILDS)
def test_services_select_one_workload_and_existing_ports(
    build: str, clusters: dict[str, Any], k8s_model: ModuleType
) -> None:
    cluster = clusters[build]
    for service in cluster.of_kind("Service"):
        selected = [p for p in cluster.pods() if k8s_model.selects(service["spec"]["selector"], p.labels)]
        assert len(selected) == 1, (
            f"Service {service['metadata']['name']} selects {[p.name for p in selected]}"
        )
        for port in service["spec"]["ports"]:
            assert selected[0].port(port.get("targetPort", port["port"])) == port["port"], service["metadata"]


def test_images_match_compose(clusters: dict[str, Any], compose: Compose, repo: Repo) -> None:
    app_image = compose.doc["x-app"]["image"]
    infra = {s["image"] for s in compose.services.values() if "build" not in s}
    for build in ("base", "overlays/dev"):
        cluster = clusters[build]
        images = {c["image"] for p in cluster.pods() for c in p.containers}
        assert images == {app_image, *infra}, f"{build}: images differ from docker-compose.yml"
    prod = repo.docs(repo.deploy / "k8s" / "overlays" / "prod" / "kustomization.yaml")[0]
    (entry,) = prod["images"]
    assert entry["newName"] and str(entry["newTag"]) not in ("", "local", "latest"), "prod pins a release"
    # Production's PostgreSQL and RabbitMQ pods are the operators' (their images are in the resources).
    prod_images = {c["image"] for p in clusters["overlays/prod"].pods() for c in p.containers}
    assert prod_images == {f"{entry['newName']}:{entry['newTag']}"}


def test_replicas(clusters: dict[str, Any], image: Image, code: CodeFacts, k8s_model: ModuleType) -> None:
    dev = clusters["overlays/dev"]
    assert {d["metadata"]["name"]: d["spec"]["replicas"] for d in dev.of_kind("Deployment")} == {
        d["metadata"]["name"]: 1 for d in dev.of_kind("Deployment")
    }
    prod = clusters["overlays/prod"]
    for pod, _, process in _processes(prod, image, code, k8s_model):
        if process.command == "serve":
            assert pod.owner["spec"]["replicas"] >= 2, f"{pod.name}: prod runs two or more"
    # A consumer appends to its service's log as the single writer: never two at once, not even
    # during a rollout (Recreate stops the old pod before starting the new one).
    for cluster in clusters.values():
        for pod, _, process in _processes(cluster, image, code, k8s_model):
            if process.command == "consume":
                assert pod.owner["spec"]["replicas"] == 1, f"{pod.name}: exactly one consumer"
                assert pod.owner["spec"].get("strategy", {}).get("type") == "Recreate", pod.name


def test_initdb_creates_every_catalog_database(
    clusters: dict[str, Any], code: CodeFacts, initdb: InitRun
) -> None:
    cluster = clusters["base"]
    (postgres,) = [p for p in cluster.pods() if p.containers[0]["image"].startswith("postgres:")]
    volumes = {v["name"]: v for v in postgres.spec["volumes"]}
    mount = next(
        m for m in postgres.containers[0]["volumeMounts"] if m["mountPath"] == "/docker-entrypoint-initdb.d"
    )
    config = cluster.named("ConfigMap", volumes[mount["name"]]["configMap"]["name"])
    assert config is not None
    sql = " ".join(config["data"].values())
    created = set(re.findall(r"CREATE DATABASE\s+\"?(\w+)\"?", sql, re.IGNORECASE))
    assert created == {spec.database for spec in code.services.values()}
    assert created == set(initdb.roles()), "compose's init script sets up other databases"


@pytest.mark.parametrize("build", BUILDS)
def test_ingress_exposes_only_the_gateway(build: str, clusters: dict[str, Any], code: CodeFacts) -> None:
    cluster = clusters[build]
    (ingress,) = cluster.of_kind("Ingress")
    backends = [
        path["backend"]["service"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]
    ]
    assert backends and {b["name"] for b in backends} == {"gateway"}
    gateway = cluster.named("Service", "gateway")
    assert gateway is not None
    ports = {p.get("name"): p["port"] for p in gateway["spec"]["ports"]}
    for backend in backends:
        ref = backend["port"]
        assert ports.get(ref.get("name")) == code.default_port("gateway") or ref.get(
            "number"
        ) == code.default_port("gateway"), f"Ingress port {ref} is not the gateway's"
    if build == "overlays/prod":
        hosts = {h for tls in ingress["spec"].get("tls", []) for h in tls["hosts"]}
        assert hosts >= {rule["host"] for rule in ingress["spec"]["rules"]}, "production serves HTTPS only"
