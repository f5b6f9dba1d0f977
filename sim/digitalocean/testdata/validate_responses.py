#!/usr/bin/env python3
"""Checks cloudsim's DigitalOcean responses against the API's published
description and recorded real responses.

Usage: validate_responses.py EXTRACT.json DUMP_DIR FIXTURE_DIR

DUMP_DIR/manifest.json lists the dumped responses:
  {"file": "droplet_create.json", "response": "droplet_create", "status": 202}
    -> validates the body against components.responses.<response> of the
       OpenAPI extract. Objects are checked strictly: a key the schema does
       not define is an error (allOf branches are merged first).
  {"file": ..., "fixture": "list_nodes.json", "ours": "droplets/0", "theirs": "droplets/0",
   "ignore": ["image/tags"]}
    -> every key of the recorded object (at JSON pointer `theirs`) must exist
       in ours (at `ours`) with the same JSON type (null in the recording
       matches anything), recursively; `ignore` lists pointers to skip.
Exits 1 and prints every problem if anything fails.
"""
import copy
import json
import os
import sys

import jsonschema


def resolve(root, ref):
    node = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def to_json_schema(root, node, depth=0):
    """OpenAPI 3.0 schema -> JSON Schema: inline refs, merge allOf, apply
    nullable, and forbid undeclared properties."""
    if depth > 40:
        return {}
    if isinstance(node, list):
        return [to_json_schema(root, n, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return to_json_schema(root, resolve(root, node["$ref"]), depth + 1)
    node = dict(node)
    nullable = node.pop("nullable", False)
    for k in ("readOnly", "writeOnly", "deprecated", "discriminator", "format", "xml", "externalDocs"):
        node.pop(k, None)
    if "allOf" in node:
        parts = [to_json_schema(root, p, depth + 1) for p in node.pop("allOf")]
        merged = {}
        for p in parts:
            for k, v in p.items():
                if k == "properties":
                    merged.setdefault("properties", {}).update(v)
                elif k == "required":
                    merged["required"] = sorted(set(merged.get("required", [])) | set(v))
                elif k in ("oneOf", "anyOf"):
                    merged.setdefault("allOf", []).append({k: v})
                elif k == "additionalProperties":
                    continue
                else:
                    merged.setdefault(k, v)
        rest = to_json_schema(root, node, depth + 1)
        for k, v in rest.items():
            if k == "properties":
                merged.setdefault("properties", {}).update(v)
            elif k == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(v))
            elif k != "additionalProperties":
                merged[k] = v
        node = merged
        if "properties" in node and "oneOf" not in node and "anyOf" not in node and "allOf" not in node:
            node["additionalProperties"] = False
        if nullable:
            return {"anyOf": [{"type": "null"}, node]}
        return node
    out = {}
    for k, v in node.items():
        if k == "properties":
            out[k] = {pk: to_json_schema(root, pv, depth + 1) for pk, pv in v.items()}
        elif k in ("items", "additionalProperties", "not"):
            out[k] = to_json_schema(root, v, depth + 1) if isinstance(v, dict) else v
        elif k in ("oneOf", "anyOf"):
            out[k] = [to_json_schema(root, p, depth + 1) for p in v]
        else:
            out[k] = v
    if "properties" in out and "additionalProperties" not in out and not any(
            k in out for k in ("oneOf", "anyOf")):
        out["additionalProperties"] = False
    if nullable:
        if "type" in out and isinstance(out["type"], str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = list(out["enum"]) + [None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


# Known mistakes in the published document, corrected before validating:
# components.schemas.tags spells the tagged-images counter "imgages", while
# the document's own examples (tags_new, tags_all) and the live API use "images".
SCHEMA_ERRATA = {"imgages": "images"}


def apply_errata(node):
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for wrong, right in SCHEMA_ERRATA.items():
                if wrong in props and right not in props:
                    props[right] = props.pop(wrong)
        for v in node.values():
            apply_errata(v)
    elif isinstance(node, list):
        for v in node:
            apply_errata(v)


def pointer(doc, path):
    for part in [p for p in path.split("/") if p]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def compare(ours, theirs, path, ignore, problems):
    if path in ignore or theirs is None:
        return
    if json_type(ours) != json_type(theirs):
        problems.append("%s: recorded %s, ours %s" % (path or "/", json_type(theirs), json_type(ours)))
        return
    if isinstance(theirs, dict):
        for k, v in theirs.items():
            if k not in ours:
                if path + "/" + k not in ignore:
                    problems.append("%s/%s: missing (recorded %s)" % (path, k, json_type(v)))
                continue
            compare(ours[k], v, path + "/" + k, ignore, problems)
    elif isinstance(theirs, list) and theirs and ours:
        compare(ours[0], theirs[0], path + "/0", ignore, problems)


def main():
    extract_path, dump_dir, fixture_dir = sys.argv[1:4]
    root = json.load(open(extract_path))
    apply_errata(root)
    manifest = json.load(open(os.path.join(dump_dir, "manifest.json")))
    failures = 0
    checked = 0
    for entry in manifest:
        body = json.load(open(os.path.join(dump_dir, entry["file"])))
        problems = []
        if "response" in entry:
            resp = root["components"]["responses"][entry["response"]]
            raw = resp["content"]["application/json"]["schema"]
            schema = to_json_schema(root, copy.deepcopy(raw))
            validator = jsonschema.Draft7Validator(schema)
            for err in sorted(validator.iter_errors(body), key=lambda e: list(e.path)):
                where = "/".join(str(p) for p in err.absolute_path)
                problems.append("%s: %s" % (where or "/", err.message[:300]))
            label = "schema %s" % entry["response"]
        else:
            theirs = pointer(json.load(open(os.path.join(fixture_dir, entry["fixture"]))), entry.get("theirs", ""))
            ours = pointer(body, entry.get("ours", ""))
            compare(ours, theirs, "", set(entry.get("ignore", [])), problems)
            label = "recorded %s" % entry["fixture"]
        checked += 1
        if problems:
            failures += 1
            print("FAIL %s (%s)" % (entry["file"], label))
            for p in problems[:25]:
                print("   ", p)
        else:
            print("ok   %s (%s)" % (entry["file"], label))
    print("%d checked, %d failed" % (checked, failures))
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
