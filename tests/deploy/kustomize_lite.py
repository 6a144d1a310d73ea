"""A small kustomize: just the features deploy/k8s uses, refusing any other.

The kustomize binary is not installed everywhere the tests run. This renderer resolves
``resources`` (files and directories), ``configMapGenerator`` (files), ``patches`` (strategic
merge by kind and name, ``$patch: delete``), ``images``, ``replicas`` and ``namespace``, and
fails on anything it does not implement, so a manifest can never rely on a feature it silently
skips. Generated names carry no hash suffix; ``kubectl kustomize``, where present, is compared
after removing it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "configMapGenerator",
    "patches",
    "images",
    "replicas",
}
CLUSTER_SCOPED = {"Namespace"}
# Strategic-merge keys of the lists the patches touch; other lists are replaced, as kustomize does.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "env": "name",
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet"}


class KustomizeError(AssertionError):
    """The kustomization refers to something that does not exist, or uses an unsupported feature."""


@dataclass
class Rendering:
    """The objects a kustomization produces, and the names of the generated ones."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    generated: set[str] = field(default_factory=set)

    def find(self, kind: str, name: str) -> dict[str, Any]:
        """The one object of ``kind`` named ``name``."""
        found = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        if len(found) != 1:
            raise KustomizeError(f"{kind}/{name}: {len(found)} objects, expected one")
        return found[0]


def _yaml_docs(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise KustomizeError(f"{path} does not exist")
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def merge(base: dict[str, Any], patch: dict[str, Any]) -> None:
    """Strategic merge of ``patch`` into ``base`` (in place)."""
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        elif isinstance(value, list) and key in MERGE_KEYS and isinstance(base.get(key), list):
            by_key = {item[MERGE_KEYS[key]]: item for item in base[key]}
            for item in value:
                if item[MERGE_KEYS[key]] in by_key:
                    merge(by_key[item[MERGE_KEYS[key]]], item)
                else:
                    base[key].append(copy.deepcopy(item))
        else:
            base[key] = copy.deepcopy(value)


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def _split_image(reference: str) -> tuple[str, str | None]:
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = reference.rsplit(":", 1)
        return name, tag
    return reference, None


def render(directory: Path) -> Rendering:
    """Build the kustomization in ``directory``."""
    path = directory / "kustomization.yaml"
    (kustomization,) = _yaml_docs(path)
    unsupported = set(kustomization) - SUPPORTED
    if unsupported:
        raise KustomizeError(f"{path}: {sorted(unsupported)} not supported by this renderer")
    out = Rendering()
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            inner = render(target)
            out.objects += inner.objects
            out.generated |= inner.generated
        else:
            out.objects += _yaml_docs(target)
    for generator in kustomization.get("configMapGenerator", []):
        if set(generator) - {"name", "files"}:
            raise KustomizeError(f"{path}: configMapGenerator supports name and files only")
        data = {}
        for file in generator["files"]:
            source = directory / file
            if not source.is_file():
                raise KustomizeError(f"{path}: {file} does not exist")
            data[source.name] = source.read_text(encoding="utf-8")
        meta = {"name": generator["name"]}
        out.objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
        out.generated.add(generator["name"])
    for entry in kustomization.get("patches", []):
        if set(entry) != {"path"}:
            raise KustomizeError(f"{path}: patches need a path (and nothing else) here")
        for patch in _yaml_docs(directory / entry["path"]):
            target = out.find(patch["kind"], patch["metadata"]["name"])
            if patch.get("$patch") == "delete":  # kustomize removes the object (one per patch file)
                out.objects.remove(target)
                out.generated.discard(patch["metadata"]["name"])
            else:
                merge(target, patch)
    for entry in kustomization.get("replicas", []):
        found = [
            o for o in out.objects if o["kind"] in WORKLOAD_KINDS and o["metadata"]["name"] == entry["name"]
        ]
        if len(found) != 1:
            raise KustomizeError(f"{path}: replicas of {entry['name']}: no such Deployment or StatefulSet")
        found[0]["spec"]["replicas"] = entry["count"]
    for entry in kustomization.get("images", []):
        matched = 0
        for container in (c for o in out.objects for c in _containers(o)):
            name, tag = _split_image(container["image"])
            if name == entry["name"]:
                matched += 1
                new_tag = entry.get("newTag", tag)
                container["image"] = entry.get("newName", name) + (f":{new_tag}" if new_tag else "")
        if not matched:
            raise KustomizeError(f"{path}: image {entry['name']} is used by no container")
    if "namespace" in kustomization:
        for obj in out.objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    return out
