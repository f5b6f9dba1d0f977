#!/usr/bin/env python3
"""Inspects an OpenStack cloud through its own APIs (Keystone v3 password
auth from the OS_* variables, then Nova, Neutron, Cinder and Octavia), for
the OpenStack end-to-end tests.

  openstack_api.py kinds DEPLOYMENT    "kind=N ..." of what carries the deployment's tags
                                       (metadata for volumes, name prefix for keypairs
                                       and server groups)
  openstack_api.py dups DEPLOYMENT     exit 1 naming any two live objects of one kind
                                       sharing a name
  openstack_api.py members DEPLOYMENT  "N" members over the deployment's load balancer pools
  openstack_api.py names DEPLOYMENT KIND   sorted names of that kind
  openstack_api.py appcred NAME        creates an application credential NAME for the
                                       OS_* user and project: prints "ID SECRET"
  openstack_api.py appcred-delete ID   deletes the user's application credential ID
  openstack_api.py req METHOD SERVICE PATH [BODY]
                                       one request to a catalog service (compute, network,
                                       volumev3, load-balancer; network paths under /v2.0,
                                       load-balancer under /v2), as a user's script makes it:
                                       prints the JSON answer ("" for none)
"""
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


def call(method, url, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = r.read()
        return r.headers, (json.loads(raw) if raw else None)


def login():
    e = os.environ
    auth_url = e["OS_AUTH_URL"].rstrip("/")
    if not auth_url.endswith("/v3"):
        auth_url += "/v3"
    user = {"name": e["OS_USERNAME"], "password": e["OS_PASSWORD"],
            "domain": {"name": e.get("OS_USER_DOMAIN_NAME", "Default")}}
    scope = {"project": {"name": e["OS_PROJECT_NAME"],
                         "domain": {"name": e.get("OS_PROJECT_DOMAIN_NAME", "Default")}}}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}, "scope": scope}}
    headers, doc = call("POST", auth_url + "/auth/tokens", body=body)
    token = headers["X-Subject-Token"]
    iface = e.get("OS_INTERFACE", "public")
    region = e.get("OS_REGION_NAME", "")
    eps = {}
    for svc in doc["token"]["catalog"]:
        for ep in svc["endpoints"]:
            if ep["interface"] == iface and (not region or ep.get("region_id", ep.get("region")) == region):
                eps.setdefault(svc["type"], ep["url"].rstrip("/"))
    return token, eps


def listing(token, url, key):
    out = []
    while url:
        _, doc = call("GET", url, token)
        out += doc.get(key, [])
        url = None
        for link in doc.get(key + "_links", []) or []:
            if link.get("rel") == "next":
                url = link["href"]
    return out


def inventory(dep):
    token, eps = login()
    tag = urllib.parse.quote("orchestrator-deployment=" + dep)
    nova, neutron = eps["compute"], eps["network"] + "/v2.0"
    found = {}
    found["server"] = [s for s in listing(token, nova + "/servers/detail?tags=" + tag, "servers")
                       if s.get("OS-EXT-STS:task_state") != "deleting"]
    for coll, key in (("networks", "networks"), ("subnets", "subnets"), ("routers", "routers"),
                      ("security-groups", "security_groups"), ("floatingips", "floatingips"),
                      ("ports", "ports")):
        found[coll.rstrip("s").replace("-", "_")] = listing(token, neutron + "/" + coll + "?tags=" + tag, key)
    cinder = eps.get("volumev3") or eps.get("block-storage")
    if cinder:
        found["volume"] = [v for v in listing(token, cinder + "/volumes/detail", "volumes")
                           if (v.get("metadata") or {}).get("orchestrator-deployment") == dep
                           and v.get("status") != "deleting"]
    if "load-balancer" in eps:
        lbs = eps["load-balancer"] + "/v2/lbaas"
        found["load_balancer"] = [l for l in listing(token, lbs + "/loadbalancers?tags=" + tag, "loadbalancers")
                                  if l.get("provisioning_status") != "DELETED"]
        found["pool"] = listing(token, lbs + "/pools?tags=" + tag, "pools")
        members = []
        for p in found["pool"]:
            members += listing(token, lbs + "/pools/" + p["id"] + "/members", "members")
        found["member"] = members
    # Keypairs are named "<dep>-<key>": not those of a deployment whose name
    # extends dep ("nbr-x-ops" is nbr-x's). Server groups: "<dep>.<tier>",
    # or the earlier "<dep>-<tier>" with a tier free of '-'.
    longer = set()
    for coll, key in (("networks", "networks"), ("security-groups", "security_groups")):
        for o in listing(token, neutron + "/" + coll, key):
            names = [t.split("=", 1)[1] for t in o.get("tags") or [] if t.startswith("orchestrator-deployment=")]
            names += re.findall(r"\[orchestrator-deployment=([^ \]]+)", o.get("description") or "")
            longer.update(n for n in names if n.startswith(dep + "-"))
    found["keypair"] = [k["keypair"] for k in listing(token, nova + "/os-keypairs", "keypairs")
                        if k["keypair"]["name"].startswith(dep + "-")
                        and not any(k["keypair"]["name"].startswith(o + "-") for o in longer)]
    found["server_group"] = [g for g in listing(token, nova + "/os-server-groups", "server_groups")
                             if (g["name"].startswith(dep + ".") and "." not in g["name"][len(dep) + 1:])
                             or (g["name"].startswith(dep + "-") and not set("-.") & set(g["name"][len(dep) + 1:]))]
    return found


def appcred(cmd, arg):
    token, eps = login()
    auth_url = os.environ["OS_AUTH_URL"].rstrip("/")
    if not auth_url.endswith("/v3"):
        auth_url += "/v3"
    req = urllib.request.Request(auth_url + "/auth/tokens", method="GET",
                                 headers={"X-Auth-Token": token, "X-Subject-Token": token})
    with urllib.request.urlopen(req, timeout=30) as r:
        user_id = json.loads(r.read())["token"]["user"]["id"]
    base = auth_url + "/users/" + user_id + "/application_credentials"
    if cmd == "appcred":
        _, doc = call("POST", base, token, {"application_credential": {"name": arg}})
        print(doc["application_credential"]["id"], doc["application_credential"]["secret"])
    else:
        call("DELETE", base + "/" + arg, token)


def request(method, service, path, body=None):
    token, eps = login()
    base = eps.get(service) or (eps.get("block-storage") if service == "volumev3" else None)
    if not base:
        sys.exit("no %s endpoint in the catalog" % service)
    try:
        _, doc = call(method, base + path, token, json.loads(body) if body else None)
    except urllib.error.HTTPError as e:
        sys.exit("%s %s: %d %s" % (method, path, e.code, e.read().decode(errors="replace")))
    print(json.dumps(doc) if doc is not None else "")


def main():
    if sys.argv[1] == "req":
        request(*sys.argv[2:6])
        return
    cmd, dep = sys.argv[1], sys.argv[2]
    if cmd in ("appcred", "appcred-delete"):
        appcred(cmd, dep)
        return
    found = inventory(dep)
    if cmd == "kinds":
        print(" ".join("%s=%d" % (k, len(v)) for k, v in sorted(found.items()) if v and k != "member"))
    elif cmd == "members":
        print(len(found.get("member", [])))
    elif cmd == "names":
        print(" ".join(sorted(o.get("name", "") for o in found.get(sys.argv[3], []))))
    elif cmd == "dups":
        bad = []
        for kind, objs in found.items():
            names = [o.get("name") for o in objs if o.get("name")]
            bad += ["%s %s" % (kind, n) for n in set(names) if names.count(n) > 1]
        if bad:
            sys.exit("duplicates: " + ", ".join(sorted(bad)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
