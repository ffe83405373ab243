#!/usr/bin/python3
"""Validates Kubernetes YAML (stdin) offline against the object schemas of
Debian's python3-kubernetes (models generated from Kubernetes' OpenAPI):
every key must be a field of its object, every value of the field's type,
required fields present (the models refuse None for them); object, container,
port and volume names must be DNS-1123 labels or subdomains, and every
volumeMount must name a volume of its pod. Prints one line per document,
"KIND NAME"; exits 1 with the first problem."""
import json
import re
import sys

import yaml
from kubernetes import client

KINDS = {("v1", "Pod"): "V1Pod", ("apps/v1", "Deployment"): "V1Deployment",
         ("v1", "Service"): "V1Service", ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim"}
LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PRIMITIVE = {"str": str, "int": int, "bool": bool, "float": (int, float), "datetime": str, "object": object}


def die(path, msg):
    sys.exit(f"{path}: {msg}")


def check(value, typ, path):
    if typ in PRIMITIVE:
        if typ == "int" and isinstance(value, bool) or not isinstance(value, PRIMITIVE[typ]):
            die(path, f"{value!r} is not of type {typ}")
        return
    m = re.match(r"^list\[(.*)\]$", typ)
    if m:
        if not isinstance(value, list):
            die(path, f"not a list ({typ})")
        for i, v in enumerate(value):
            check(v, m.group(1), f"{path}[{i}]")
        return
    m = re.match(r"^dict\(str, (.*)\)$", typ)
    if m:
        if not isinstance(value, dict):
            die(path, f"not a map ({typ})")
        for k, v in value.items():
            check(v, m.group(1), f"{path}.{k}")
        return
    model = getattr(client, typ)
    if not isinstance(value, dict):
        die(path, f"not an object ({typ})")
    fields = {json: attr for attr, json in model.attribute_map.items()}
    for k, v in value.items():
        if k not in fields:
            die(path, f"unknown field {k!r} in {typ}")
        check(v, model.openapi_types[fields[k]], f"{path}.{k}")


def names(doc, kind):
    meta = doc["metadata"]
    if not SUBDOMAIN.match(meta["name"]) or len(meta["name"]) > 253:
        die(kind, f"metadata.name {meta['name']!r} is no DNS-1123 subdomain")
    spec = doc.get("spec", {})
    pod = spec.get("template", {}).get("spec") if kind == "Deployment" else spec if kind == "Pod" else None
    if kind == "Deployment":
        sel = spec["selector"]["matchLabels"]
        labels = spec["template"]["metadata"]["labels"]
        if any(labels.get(k) != v for k, v in sel.items()):
            die(kind, "the selector does not match the template's labels")
    if pod is None:
        return
    vols = {v["name"] for v in pod.get("volumes", [])}
    for v in vols:
        if not LABEL.match(v) or len(v) > 63:
            die(kind, f"volume name {v!r} is no DNS-1123 label")
    for c in pod["containers"]:
        if not LABEL.match(c["name"]) or len(c["name"]) > 63:
            die(kind, f"container name {c['name']!r} is no DNS-1123 label")
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols:
                die(kind, f"volumeMount {m['name']!r} names no volume")


def main():
    api = client.ApiClient()
    for doc in yaml.safe_load_all(sys.stdin):
        if doc is None:
            continue
        doc = json.loads(json.dumps(doc, default=str))  # YAML's timestamps as the strings the API takes
        key = (doc.get("apiVersion"), doc.get("kind"))
        if key not in KINDS:
            die("document", f"unknown apiVersion/kind {key}")
        check(doc, KINDS[key], doc["kind"])
        try:  # the models' own checks: required fields, enums
            api._ApiClient__deserialize(doc, KINDS[key])
        except ValueError as e:
            die(doc["kind"], str(e))
        names(doc, doc["kind"])
        print(doc["kind"], doc["metadata"]["name"])


main()
