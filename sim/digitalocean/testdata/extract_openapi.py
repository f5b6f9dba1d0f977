#!/usr/bin/env python3
"""Extracts the DigitalOcean OpenAPI responses cloudsim serves, with every
component they reference, from the bundled reference document into
do_openapi_extract.json (examples and descriptions dropped to keep it small).

Usage: extract_openapi.py [path/to/openapi.v2.yaml]
(default: ../../../../shared/reference/digitalocean/openapi.v2.yaml)
"""
import json
import os
import sys

import yaml

RESPONSES = [
    "account", "all_regions", "all_sizes", "all_images", "existing_image",
    "sshKeys_all", "sshKeys_new", "sshKeys_existing",
    "all_droplets", "droplet_create", "existing_droplet", "all_droplet_actions",
    "droplet_action", "action", "actions", "all_droplet_snapshots",
    "tags_all", "tags_new", "tags_existing",
    "volumes", "volume", "volumeAction", "volumeActions",
    "all_vpcs", "existing_vpc",
    "list_firewalls_response", "create_firewall_response", "get_firewall_response",
    "reserved_ip_list", "reserved_ip_created", "reserved_ip", "reserved_ip_action", "reserved_ip_actions",
    "floating_ip_list", "floating_ip_created", "floating_ip", "floating_ip_action",
    "load_balancer_create", "all_load_balancers", "existing_load_balancer",
    "snapshots", "snapshots_existing",
    "unauthorized", "not_found", "too_many_requests", "bad_request", "server_error",
    "not_a_snapshot",
]
DROP = {"example", "examples", "description", "title", "x-codeSamples"}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "../../../../shared/reference/digitalocean/openapi.v2.yaml")
    doc = yaml.safe_load(open(src))
    out = {"openapi": doc["openapi"], "components": {}}
    seen = set()

    def lookup(ref):
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def strip(node):
        if isinstance(node, dict):
            res = {}
            for k, v in node.items():
                if k in DROP and not (k == "description" and isinstance(v, dict)):
                    continue
                if k == "$ref" and isinstance(v, str):
                    visit(v)
                res[k] = strip(v)
            return res
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    def visit(ref):
        if ref in seen or not ref.startswith("#/components/"):
            return
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        out["components"].setdefault(kind, {})[name] = strip(lookup(ref))

    for name in RESPONSES:
        visit("#/components/responses/" + name)
    dst = os.path.join(here, "do_openapi_extract.json")
    with open(dst, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", dst, os.path.getsize(dst), "bytes,", len(seen), "components")


if __name__ == "__main__":
    main()
