"""Rendered Kubernetes objects as the cluster would see them: pods, selectors, env, network policies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

POD_OWNERS = {"Deployment", "StatefulSet", "Job"}


@dataclass(frozen=True)
class Pod:
    """The pod template of a Deployment, StatefulSet or Job."""

    owner: dict[str, Any]

    @property
    def kind(self) -> str:
        """Kind of the owning workload."""
        return str(self.owner["kind"])

    @property
    def name(self) -> str:
        """Name of the owning workload."""
        return str(self.owner["metadata"]["name"])

    @property
    def labels(self) -> dict[str, str]:
        """Pod template labels."""
        return dict(self.owner["spec"]["template"]["metadata"].get("labels", {}))

    @property
    def annotations(self) -> dict[str, str]:
        """Pod template annotations."""
        return dict(self.owner["spec"]["template"]["metadata"].get("annotations", {}))

    @property
    def spec(self) -> dict[str, Any]:
        """The pod spec."""
        return dict(self.owner["spec"]["template"]["spec"])

    @property
    def containers(self) -> list[dict[str, Any]]:
        """The main containers."""
        return list(self.spec["containers"])

    def port(self, ref: int | str) -> int | None:
        """The container port a number or a port name refers to, if any container declares it."""
        for container in self.containers:
            for port in container.get("ports", []):
                if ref in (port["containerPort"], port.get("name")):
                    return int(port["containerPort"])
        return None


def pods(objects: list[dict[str, Any]]) -> list[Pod]:
    """Every pod template of the rendering."""
    return [Pod(o) for o in objects if o["kind"] in POD_OWNERS]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (``matchLabels`` or a Service's plain map) matches ``labels``."""
    assert "matchExpressions" not in selector, "matchExpressions are not modelled"
    wanted = selector.get("matchLabels", selector)
    return all(labels.get(key) == value for key, value in wanted.items())


@dataclass(frozen=True)
class EnvVar:
    """One environment variable of a container and where its value comes from."""

    value: str
    source: str  # "literal", "configmap/<name>" or "secret/<name>"


def container_env(
    container: dict[str, Any], objects: list[dict[str, Any]], secrets: dict[str, dict[str, str]]
) -> dict[str, EnvVar]:
    """The container's environment; a reference to a missing ConfigMap, Secret or key fails."""
    config_maps = {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}
    env: dict[str, EnvVar] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, f"{container['name']}: only configMapRef in envFrom"
        name = source["configMapRef"]["name"]
        assert name in config_maps, f"{container['name']}: no ConfigMap {name}"
        env |= {k: EnvVar(str(v), f"configmap/{name}") for k, v in config_maps[name].items()}
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = EnvVar(str(entry["value"]), "literal")
            continue
        ref = entry["valueFrom"].get("secretKeyRef")
        assert ref is not None, f"{container['name']}: {entry['name']} must come from a Secret or a value"
        assert ref["key"] in secrets.get(ref["name"], {}), f"no key {ref['key']} in Secret {ref['name']}"
        env[entry["name"]] = EnvVar(secrets[ref["name"]][ref["key"]], f"secret/{ref['name']}")
    return env


@dataclass(frozen=True)
class NetworkPolicies:
    """Ingress rules of one namespace, evaluated the way a policy-enforcing CNI does."""

    policies: list[dict[str, Any]]

    @classmethod
    def of(cls, objects: list[dict[str, Any]]) -> NetworkPolicies:
        """The NetworkPolicies of a rendering."""
        return cls([o for o in objects if o["kind"] == "NetworkPolicy"])

    def allows(
        self, source: dict[str, str], target: Pod, port: int, namespace: dict[str, str] | None = None
    ) -> bool:
        """Whether a pod labelled ``source`` may connect to ``target`` on ``port``.

        ``namespace`` holds the labels of the source's namespace when it is another one; None
        means the source runs in the target's namespace.
        """
        selecting = [
            p
            for p in self.policies
            if "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
            and selects(p["spec"]["podSelector"], target.labels)
        ]
        if not selecting:
            return True
        for policy in selecting:
            for rule in policy["spec"].get("ingress", []):
                peers = rule.get("from")
                if peers is not None and not any(self._peer(peer, source, namespace) for peer in peers):
                    continue
                ports = rule.get("ports")
                if ports is None or any(target.port(p["port"]) == port for p in ports):
                    return True
        return False

    @staticmethod
    def _peer(peer: dict[str, Any], source: dict[str, str], namespace: dict[str, str] | None) -> bool:
        if "ipBlock" in peer:
            return False
        pods = peer.get("podSelector")
        if "namespaceSelector" not in peer:  # a bare podSelector means this namespace
            return namespace is None and selects(pods or {}, source)
        return (
            namespace is not None
            and selects(peer["namespaceSelector"], namespace)
            and (pods is None or selects(pods, source))
        )


@dataclass(frozen=True)
class Cluster:
    """One rendered kustomization, the Secrets created beside it, and which image is Jingzhun's."""

    objects: list[dict[str, Any]]
    secrets: dict[str, dict[str, str]]
    app_repository: str
    generated: frozenset[str]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Objects of ``kind``."""
        return [o for o in self.objects if o["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any] | None:
        """The object of ``kind`` called ``name``, if rendered."""
        return next((o for o in self.of_kind(kind) if o["metadata"]["name"] == name), None)

    def pods(self) -> list[Pod]:
        """Every pod template."""
        return pods(self.objects)

    def is_app(self, container: dict[str, Any]) -> bool:
        """Whether ``container`` runs the Jingzhun image."""
        reference = str(container["image"])
        return (
            reference.split("@")[0].rsplit(":", 1)[0] == self.app_repository
            or reference == self.app_repository
        )

    def app_containers(self) -> list[tuple[Pod, dict[str, Any]]]:
        """(pod, container) for every container running the Jingzhun image."""
        return [(pod, c) for pod in self.pods() for c in pod.containers if self.is_app(c)]

    def env(self, container: dict[str, Any]) -> dict[str, EnvVar]:
        """A container's resolved environment."""
        return container_env(container, self.objects, self.secrets)

    def serving(self, port_owner: Pod) -> list[dict[str, Any]]:
        """The Services whose selector picks ``port_owner``'s pods."""
        return [
            s for s in self.of_kind("Service") if selects(s["spec"].get("selector", {}), port_owner.labels)
        ]

    @property
    def network(self) -> NetworkPolicies:
        """The namespace's network policies."""
        return NetworkPolicies.of(self.objects)


def argv(container: dict[str, Any], entrypoint: list[str], cmd: list[str]) -> list[str]:
    """What a container runs: ``command`` replaces ENTRYPOINT (dropping CMD), ``args`` replaces CMD."""
    if "command" in container:
        return [*container["command"], *container.get("args", [])]
    return [*entrypoint, *container.get("args", cmd)]


@dataclass(frozen=True)
class Endpoint:
    """Where a client connects (Service host and port), with which credentials, and the pods behind it."""

    host: str
    port: int
    username: str | None  # None: generated by an operator, not known before it runs
    password: str | None
    pod: Pod


def operator_pod(kind: str, name: str, labels: dict[str, str], ports: list[dict[str, Any]]) -> Pod:
    """The pods an operator creates for a custom resource, as far as Services and policies see them."""
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": name, "ports": ports}]}}
    return Pod({"kind": kind, "metadata": {"name": name}, "spec": {"template": template}})


# Labels and ports the operators give their pods (CloudNativePG, RabbitMQ Cluster Operator).
CNPG_PORTS = [{"name": "postgresql", "containerPort": 5432}, {"name": "metrics", "containerPort": 9187}]
RABBITMQ_PORTS = [
    {"name": "amqp", "containerPort": 5672},
    {"name": "management", "containerPort": 15672},
    {"name": "epmd", "containerPort": 4369},
    {"name": "cluster-links", "containerPort": 25672},
]


def _statefulset(cluster: Cluster, image: str) -> tuple[Pod, dict[str, Any], dict[str, str]] | None:
    """(pod, Service, env) of the StatefulSet running ``image`` (postgres, rabbitmq), if any."""
    found = [p for p in cluster.pods() if p.containers[0]["image"].startswith(image + ":")]
    if not found:
        return None
    (pod,) = found
    (service,) = cluster.serving(pod)
    env = {name: var.value for name, var in cluster.env(pod.containers[0]).items()}
    return pod, service, env


def database(cluster: Cluster, name: str) -> Endpoint:
    """The PostgreSQL that holds database ``name``: the base's StatefulSet, or a CloudNativePG Cluster."""
    found = _statefulset(cluster, "postgres")
    if found is not None:
        pod, service, env = found
        port = service["spec"]["ports"][0]["port"]
        host = service["metadata"]["name"]
        return Endpoint(host, port, env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], pod)
    owners = [c for c in cluster.of_kind("Cluster") if c["spec"]["bootstrap"]["initdb"]["database"] == name]
    assert len(owners) == 1, f"database {name}: {len(owners)} CloudNativePG clusters bootstrap it"
    pg = owners[0]
    initdb, cname = pg["spec"]["bootstrap"]["initdb"], pg["metadata"]["name"]
    credentials = cluster.secrets.get(initdb["secret"]["name"], {})
    assert credentials.get("username") == initdb["owner"], f"{cname}: owner Secret names another role"
    labels = {**pg["spec"].get("inheritedMetadata", {}).get("labels", {}), "cnpg.io/cluster": cname}
    pod = operator_pod("Cluster", cname, labels, CNPG_PORTS)
    # The operator's read-write Service for the primary: <cluster>-rw, port 5432.
    return Endpoint(f"{cname}-rw", 5432, initdb["owner"], credentials.get("password"), pod)


def broker(cluster: Cluster) -> Endpoint:
    """RabbitMQ: the base's StatefulSet, or a RabbitmqCluster (its Service has the cluster's name)."""
    found = _statefulset(cluster, "rabbitmq")
    if found is not None:
        pod, service, env = found
        port = next(p["port"] for p in service["spec"]["ports"] if p["name"] == "amqp")
        user, password = env["RABBITMQ_DEFAULT_USER"], env["RABBITMQ_DEFAULT_PASS"]
        return Endpoint(service["metadata"]["name"], port, user, password, pod)
    (mq,) = cluster.of_kind("RabbitmqCluster")
    name = mq["metadata"]["name"]
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "rabbitmq"}
    return Endpoint(name, 5672, None, None, operator_pod("RabbitmqCluster", name, labels, RABBITMQ_PORTS))
