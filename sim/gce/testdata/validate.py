#!/usr/bin/env python3
"""Validates cloudsim GCE responses against the compute v1 discovery schemas.

usage: validate.py SCHEMAS_JSON DUMP_DIR [FIXTURE_DIR]

Every DUMP_DIR/<Schema>__<label>.json is checked against schemas.<Schema>:
JSON types, $ref, arrays, maps (additionalProperties), int64/uint64 sent as
decimal strings, enums, and no keys the schema does not define. Discovery
schemas are not JSON Schema, hence this small validator.

If DUMP_DIR/pairs.json exists ({"dump file": {"fixture": "file", "ignore":
[keys]}}), each dump is compared key by key with the recorded response in
FIXTURE_DIR: every key of the recording (recursively) must exist in the dump
with the same JSON type, except the listed ignored keys.
"""
import json
import os
import re
import sys

INT_RE = re.compile(r"^-?[0-9]+$")


def validate(schemas, schema, value, path, errors):
    if "$ref" in schema:
        return validate(schemas, schemas[schema["$ref"]], value, path, errors)
    t = schema.get("type")
    if t == "object":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected object, got {type(value).__name__}")
            return
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            if props is not None and k in props:
                validate(schemas, props[k], v, f"{path}.{k}", errors)
            elif extra is not None:
                validate(schemas, extra, v, f"{path}.{k}", errors)
            else:
                errors.append(f"{path}: unknown key '{k}'")
    elif t == "array":
        if not isinstance(value, list):
            errors.append(f"{path}: expected array, got {type(value).__name__}")
            return
        for i, v in enumerate(value):
            validate(schemas, schema.get("items", {}), v, f"{path}[{i}]", errors)
    elif t == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected string, got {type(value).__name__} {value!r}")
            return
        if schema.get("format") in ("int64", "uint64") and not INT_RE.match(value):
            errors.append(f"{path}: expected decimal int64 string, got {value!r}")
        if "enum" in schema and value not in schema["enum"]:
            errors.append(f"{path}: {value!r} not in enum {schema['enum']}")
    elif t == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected integer, got {value!r}")
    elif t == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{path}: expected number, got {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected boolean, got {value!r}")
    elif t == "any" or t is None:
        pass
    else:
        errors.append(f"{path}: unsupported schema type {t}")


def kind(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def compare(rec, ours, path, ignore, errors):
    if kind(rec) != kind(ours):
        errors.append(f"{path}: recorded {kind(rec)}, ours {kind(ours)}")
        return
    if isinstance(rec, dict):
        for k, v in rec.items():
            p = f"{path}.{k}"
            if k in ignore or p.lstrip(".") in ignore:
                continue
            if k not in ours:
                errors.append(f"{path}: key '{k}' of the recording is missing")
                continue
            compare(v, ours[k], p, ignore, errors)
    elif isinstance(rec, list) and rec and ours:
        compare(rec[0], ours[0], path + "[0]", ignore, errors)


def main():
    schemas = json.load(open(sys.argv[1]))["schemas"]
    dump_dir = sys.argv[2]
    fixture_dir = sys.argv[3] if len(sys.argv) > 3 else None
    errors = []
    checked = 0
    for name in sorted(os.listdir(dump_dir)):
        if not name.endswith(".json") or "__" not in name:
            continue
        schema = name.split("__", 1)[0]
        if schema not in schemas:
            errors.append(f"{name}: no schema {schema}")
            continue
        value = json.load(open(os.path.join(dump_dir, name)))
        validate(schemas, schemas[schema], value, name, errors)
        checked += 1
    pairs_file = os.path.join(dump_dir, "pairs.json")
    compared = 0
    if fixture_dir and os.path.exists(pairs_file):
        for dump, spec in json.load(open(pairs_file)).items():
            rec = json.load(open(os.path.join(fixture_dir, spec["fixture"])))
            ours = json.load(open(os.path.join(dump_dir, dump)))
            compare(rec, ours, dump, set(spec.get("ignore", [])), errors)
            compared += 1
    for e in errors:
        print(e)
    print(f"validated {checked} responses, compared {compared} with recordings, {len(errors)} problems")
    return 1 if errors or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
