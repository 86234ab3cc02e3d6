"""A renderer for the subset of kustomize that ``deploy/k8s`` uses (no kustomize binary
here, and nothing may be downloaded at test time).

Supported: ``resources`` (files and directories with their own kustomization),
``namespace``, ``labels`` (``pairs`` onto ``metadata.labels``; with ``includeSelectors``
onto selectors and pod templates too), ``images`` (``newName``/``newTag``) and
``patches`` by ``path`` (strategic merge, the target named by the patch's own ``kind`` and
``metadata.name``). Strategic merge: maps merge recursively; lists of maps that all have
a ``name`` (containers, env, ports, volumes, volume mounts) merge by name; other lists are
replaced, as kustomize does for custom resources.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]
CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding"})


def render(directory: Path) -> list[Manifest]:
    """The objects ``kubectl kustomize directory`` would print (for the supported subset)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - {
        "apiVersion",
        "kind",
        "resources",
        "namespace",
        "labels",
        "images",
        "patches",
    }
    if unknown:
        raise ValueError(f"{directory}: kustomize fields this renderer does not know: {unknown}")
    objects: list[Manifest] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects += render(path)
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for patch_entry in kustomization.get("patches", []):
        patch = yaml.safe_load((directory / patch_entry["path"]).read_text())
        targets = [
            o
            for o in objects
            if o["kind"] == patch["kind"] and o["metadata"]["name"] == patch["metadata"]["name"]
        ]
        if len(targets) != 1:
            raise ValueError(f"patch {patch_entry['path']} matches {len(targets)} objects")
        merged = merge(targets[0], patch)
        objects[objects.index(targets[0])] = merged
    for label_set in kustomization.get("labels", []):
        for o in objects:
            _add_labels(o, label_set["pairs"], label_set.get("includeSelectors", False))
    for image in kustomization.get("images", []):
        for o in objects:
            for container in _containers(o):
                _set_image(container, image)
    namespace = kustomization.get("namespace")
    if namespace:
        for o in objects:
            if o["kind"] not in CLUSTER_SCOPED:
                o["metadata"]["namespace"] = namespace
    return objects


def merge(base: Any, patch: Any) -> Any:
    """Strategic merge of ``patch`` onto ``base`` (a new object; neither is changed)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = copy.deepcopy(base)
        for key, value in patch.items():
            out[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list) and _named(base) and _named(patch):
        out_list = copy.deepcopy(base)
        for item in patch:
            names = [existing["name"] for existing in out_list]
            if item["name"] in names:
                at = names.index(item["name"])
                out_list[at] = merge(out_list[at], item)
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(patch)


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def _add_labels(o: Manifest, pairs: dict[str, str], include_selectors: bool) -> None:
    o["metadata"].setdefault("labels", {}).update(pairs)
    template = o.get("spec", {}).get("template")
    if include_selectors and template is not None:
        template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        o["spec"].setdefault("selector", {}).setdefault("matchLabels", {}).update(pairs)


def _containers(o: Manifest) -> list[dict[str, Any]]:
    pod = o.get("spec", {}).get("template", {}).get("spec", {})
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def _set_image(container: dict[str, Any], image: dict[str, str]) -> None:
    name, _, tag = container["image"].partition(":")
    if name != image["name"]:
        return
    name = image.get("newName", name)
    tag = image.get("newTag", tag)
    container["image"] = f"{name}:{tag}" if tag else name
