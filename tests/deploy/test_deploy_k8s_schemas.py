"""Every rendered object is valid against the Kubernetes API schemas (offline, kubernetes-validate).

Kubernetes' own kinds are checked against the published OpenAPI schemas, strictly (an unknown field
is an error). The operators' kinds (CloudNativePG ``Cluster``, ``RabbitmqCluster``) are not in those
schemas: they are checked against the small schemas below, which list the fields this deployment
uses, with their types, and refuse any other, so a typo cannot silently reach the operator.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

BUILDS = ("base", "overlays/dev", "overlays/prod")
# The oldest Kubernetes release the manifests must run on (autoscaling/v2, policy/v1 and
# networking.k8s.io/v1 Ingress are GA there).
KUBERNETES_VERSION = "1.29.0"
_QUANTITY = {"type": "string", "pattern": r"^[0-9.]+(m|Ki|Mi|Gi|Ti)?$"}
_RESOURCES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        part: {
            "type": "object",
            "additionalProperties": False,
            "properties": {"cpu": _QUANTITY, "memory": _QUANTITY},
        }
        for part in ("requests", "limits")
    },
}
_META = {"type": "object", "required": ["name"]}


def _strict(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties, "required": required}


OPERATOR_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("postgresql.cnpg.io/v1", "Cluster"): _strict(
        {
            "apiVersion": {"const": "postgresql.cnpg.io/v1"},
            "kind": {"const": "Cluster"},
            "metadata": _META,
            "spec": _strict(
                {
                    "instances": {"type": "integer", "minimum": 1},
                    "imageName": {"type": "string"},
                    "primaryUpdateStrategy": {"enum": ["supervised", "unsupervised"]},
                    "inheritedMetadata": _strict({"labels": {"type": "object"}}, []),
                    "bootstrap": _strict(
                        {
                            "initdb": _strict(
                                {
                                    "database": {"type": "string"},
                                    "owner": {"type": "string"},
                                    "secret": _strict({"name": {"type": "string"}}, ["name"]),
                                },
                                ["database", "owner", "secret"],
                            )
                        },
                        ["initdb"],
                    ),
                    "storage": _strict({"size": _QUANTITY, "storageClass": {"type": "string"}}, ["size"]),
                    "resources": _RESOURCES,
                    "monitoring": _strict({"enablePodMonitor": {"type": "boolean"}}, []),
                },
                ["instances", "bootstrap", "storage"],
            ),
        },
        ["apiVersion", "kind", "metadata", "spec"],
    ),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): _strict(
        {
            "apiVersion": {"const": "rabbitmq.com/v1beta1"},
            "kind": {"const": "RabbitmqCluster"},
            "metadata": _META,
            "spec": _strict(
                {
                    # Quorum queues need a majority: an odd number of nodes, three or more.
                    "replicas": {"type": "integer", "minimum": 3, "not": {"multipleOf": 2}},
                    "image": {"type": "string"},
                    "persistence": _strict(
                        {"storage": _QUANTITY, "storageClassName": {"type": "string"}}, []
                    ),
                    "resources": _RESOURCES,
                    "rabbitmq": _strict({"additionalConfig": {"type": "string"}}, []),
                },
                ["replicas"],
            ),
        },
        ["apiVersion", "kind", "metadata", "spec"],
    ),
}


def validate(obj: dict[str, Any]) -> None:
    """Raise if ``obj`` is not a valid object of its kind."""
    schema = OPERATOR_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
    if schema is not None:
        jsonschema.validate(obj, schema)
        return
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("build", BUILDS)
def test_every_rendered_object_is_valid(build: str, clusters: dict[str, Any]) -> None:
    errors = []
    for obj in clusters[build].objects:
        try:
            validate(obj)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as exc:
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc}")
    assert not errors, "\n".join(errors)


def _builtin(api_version: str) -> bool:
    """Whether ``api_version`` belongs to Kubernetes itself (core, apps, batch, *.k8s.io...)."""
    group = api_version.rpartition("/")[0]
    return group in ("", "apps", "batch", "autoscaling", "policy") or group.endswith(".k8s.io")


@pytest.mark.parametrize("build", BUILDS)
def test_every_custom_resource_has_a_schema(build: str, clusters: dict[str, Any]) -> None:
    custom = {(o["apiVersion"], o["kind"]) for o in clusters[build].objects if not _builtin(o["apiVersion"])}
    assert custom <= set(OPERATOR_SCHEMAS), (
        f"custom resources without a schema check: {custom - set(OPERATOR_SCHEMAS)}"
    )
    if build == "overlays/prod":  # production takes PostgreSQL and RabbitMQ from their operators
        assert custom == set(OPERATOR_SCHEMAS)


@pytest.mark.parametrize(
    ("kind", "path", "bad"),
    [
        ("Deployment", ("spec", "replicas"), "two"),
        ("Ingress", ("spec", "rules", 0, "host"), 5),
        ("HorizontalPodAutoscaler", ("spec", "maxReplica"), 3),
        ("Cluster", ("spec", "instance"), 3),
        ("RabbitmqCluster", ("spec", "replicas"), 2),
    ],
)
def test_validation_catches_mistakes(
    kind: str, path: tuple[Any, ...], bad: Any, clusters: dict[str, Any]
) -> None:
    (obj, *_) = clusters["overlays/prod"].of_kind(kind)
    broken = copy.deepcopy(obj)
    target = broken
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = bad
    with pytest.raises((kubernetes_validate.ValidationError, jsonschema.ValidationError)):
        validate(broken)
