#!/usr/bin/env bash
# Two deployments in one OpenStack project whose resources have the same
# addresses (network.app, web.instance[0], web.fip[0], ssh_key.ops) never take each
# other's objects: each gets its own network, subnet, router, server and
# floating IP and keypair, and tearing one down leaves the other whole. And a network
# left untagged by a lost answer (Zed's Neutron takes no tags on create, so
# the object exists untagged until the tags PUT) is adopted by the retry
# through its deterministic name instead of being created twice.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-os-neighbours.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 11
unset OS_CLOUD OS_CLIENT_CONFIG_FILE

fail() { echo "FAIL: $*" >&2; tail -n 30 "$work/orch.log" >&2 || true; exit 1; }
api() { python3 tests/e2e/openstack_api.py "$@"; }
# neutron OP ARGS, through Neutron itself.
neutron() {
  python3 - "$@" <<'EOF'
import sys, urllib.parse
sys.path.insert(0, "tests/e2e")
from openstack_api import call, listing, login

token, eps = login()
neutron = eps["network"] + "/v2.0"
op, name = sys.argv[1], sys.argv[2]
if op == "bare":  # an untagged network NAME, as a run killed before tagging it leaves
    print(call("POST", neutron + "/networks", token, {"network": {"name": name}})[1]["network"]["id"])
elif op == "wiring":  # DEPLOYMENT: "network subnet-on-it router-on-it" ids of its network, all its own
    tag = urllib.parse.quote("orchestrator-deployment=" + name)
    nets = listing(token, neutron + "/networks?tags=" + tag, "networks")
    subs = listing(token, neutron + "/subnets?tags=" + tag, "subnets")
    rts = listing(token, neutron + "/routers?tags=" + tag, "routers")
    assert len(nets) == 1 and len(subs) == 1 and len(rts) == 1, (nets, subs, rts)
    assert subs[0]["network_id"] == nets[0]["id"], "subnet on another network"
    ports = listing(token, neutron + "/ports?device_id=" + rts[0]["id"] + "&network_id=" + nets[0]["id"], "ports")
    assert any(ip["subnet_id"] == subs[0]["id"] for p in ports for ip in p["fixed_ips"]), "router not on the subnet"
    print(nets[0]["id"], subs[0]["id"], rts[0]["id"])
elif op == "strays":  # DEPLOYMENT: an untagged security group and floating IP of it, as a run
    # killed between their create and their tags leaves them (the description says whose they are)
    ext = listing(token, neutron + "/networks?router%3Aexternal=true", "networks")[0]["id"]
    mark = " [orchestrator-deployment=%s orchestrator-address=%%s]" % name
    call("POST", neutron + "/security-groups", token,
         {"security_group": {"name": name + "-web", "description": "members of %s-web" % name + mark % (name + "-web")}})
    call("POST", neutron + "/floatingips", token,
         {"floatingip": {"floating_network_id": ext, "description": name + "-web-fip-7" + mark % "web.fip[7]"}})
elif op == "stray-count":  # DEPLOYMENT: its untagged security groups and floating IPs
    mark = " [orchestrator-deployment=%s " % name
    sgs = listing(token, neutron + "/security-groups", "security_groups")
    fips = listing(token, neutron + "/floatingips", "floatingips")
    print(sum(1 for o in sgs + fips if mark in (o.get("description") or "") and not o.get("tags")))
elif op == "named":  # NAME: "count tagged-count" of networks with that name
    nets = listing(token, neutron + "/networks?name=" + urllib.parse.quote(name), "networks")
    print(len(nets), sum(1 for n in nets if n.get("tags")))
EOF
}

spec() {  # DEPLOYMENT -> spec path
  local f=$work/$1.yaml
  cat >"$f" <<EOF
deployment: $1
providers:
  os: {type: openstack, cloud: envvars}
ssh_keys:
  ops: {public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7yF2vZ0cW2fK8ZlqX3mM5p9XbJmWz1dVfJcQ8r2x8n ops@nbr"}
images:
  base: {provider: os, source: cirros-0.6.2-x86_64-disk}
networks:
  app: {provider: os, cidr: 192.168.60.0/24}
tiers:
  web:
    provider: os
    size: m1.tiny
    image: base
    network: app
    ssh_keys: [ops]
    floating_ip: true
    firewall:
      - {protocol: tcp, ports: "80", from: ["0.0.0.0/0"]}
EOF
  echo "$f"
}
orch() {  # DEPLOYMENT COMMAND...
  local dep=$1
  shift
  "$build/orchestrator" --state-dir "$work/state-$dep" "$1" "$(spec "$dep")" "${@:2}" >>"$work/orch.log" 2>&1
}

# 1. Side by side: nbr and nbr-x (a name extending the other's).
orch nbr deploy --auto-approve || fail "deploy nbr"
orch nbr-x deploy --auto-approve || fail "deploy nbr-x"
a=$(neutron wiring nbr) || fail "nbr's network objects are not its own"
b=$(neutron wiring nbr-x) || fail "nbr-x's network objects are not its own"
for i in 1 2 3; do
  [ "$(echo "$a" | cut -d' ' -f$i)" != "$(echo "$b" | cut -d' ' -f$i)" ] || fail "nbr and nbr-x share an object: $a / $b"
done
for d in nbr nbr-x; do
  [ "$(api kinds $d)" = "floatingip=1 keypair=1 network=1 router=1 security_group=1 server=1 subnet=1" ] || fail "$d: $(api kinds $d)"
  api dups "$d" || fail "duplicates in $d"
done
orch nbr teardown --auto-approve || fail "teardown nbr"
[ -z "$(api kinds nbr)" ] || fail "left of nbr: $(api kinds nbr)"
[ "$(neutron wiring nbr-x)" = "$b" ] || fail "tearing nbr down changed nbr-x's network"
[ "$(api kinds nbr-x)" = "floatingip=1 keypair=1 network=1 router=1 security_group=1 server=1 subnet=1" ] ||
  fail "nbr-x after nbr's teardown: $(api kinds nbr-x)"
orch nbr-x plan --detailed-exitcode || fail "nbr-x not converged after nbr's teardown"
orch nbr-x teardown --auto-approve || fail "teardown nbr-x"

# 2. The answer to the network's POST is lost: Neutron made the network, but
# Zed takes no tags on create, so it is untagged until the PUT that never
# came. The retry must find it by its name and tag it, not make another.
curl -fsS -X POST --data 'api=openstack,route=/network/v2.0/networks,lost=1' "$CLOUDSIM_ADMIN/faults" >/dev/null
"$build/orchestrator" --state-dir "$work/state-unt" deploy "$(spec unt)" --auto-approve >>"$work/orch.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ "$(neutron named unt-app)" = "0 0" ] || break; sleep 0.05; done
curl -fsS -X POST --data 'none' "$CLOUDSIM_ADMIN/faults" >/dev/null
wait "$pid" || orch unt deploy --auto-approve || fail "deploy unt"
lost=$(curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
print(sum(r["by_status"].get("dropped", 0) for r in json.load(sys.stdin)["requests"] if r["route"] == "/network/v2.0/networks"))')
[ "$lost" -ge 1 ] || fail "no network POST answer was lost"
[ "$(neutron named unt-app)" = "1 1" ] || fail "unt-app networks (count, tagged): $(neutron named unt-app)"
neutron wiring unt >/dev/null || fail "unt's network objects"
orch unt plan --detailed-exitcode || fail "unt not converged"
# Untagged objects of a deployment (a run killed between their create and
# their tags) go with its teardown; those of a deployment whose name merely
# extends it stay.
neutron strays unt
neutron strays unt-x
orch unt teardown --auto-approve || fail "teardown unt"
[ "$(neutron named unt-app)" = "0 0" ] || fail "unt-app left: $(neutron named unt-app)"
[ "$(neutron stray-count unt-x)" = 2 ] || fail "unt's teardown touched unt-x's objects: $(neutron stray-count unt-x) left"
[ "$(neutron stray-count unt)" = 0 ] || fail "unt's untagged objects left by its teardown: $(neutron stray-count unt)"
echo "openstack_neighbours: ok"
