#!/usr/bin/env bash
# A spec whose network is `existing: NAME` (the project network a research
# cloud hands its users) against cloudsim: the network, its subnet and a
# router to the external network are made through the APIs first, as the
# cloud's operators would; deploy puts the servers (and the load balancer
# VIP, and a floating IP) on that network without creating, tagging or
# changing any network object; a redeploy makes no mutating call; teardown
# deletes what the deployment made and leaves the network, subnet and router.
# A name that matches no network, or two networks, fails with a message
# saying so and creates no server.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-os-existing.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 7
unset OS_CLOUD OS_CLIENT_CONFIG_FILE

orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }
api() { python3 tests/e2e/openstack_api.py "$@"; }
# neutron OP ARGS: the project network and its neighbours through Neutron.
neutron() {
  python3 - "$@" <<'EOF'
import json, sys, urllib.parse
sys.path.insert(0, "tests/e2e")
from openstack_api import call, listing, login

token, eps = login()
neutron = eps["network"] + "/v2.0"
op = sys.argv[1]

def post(coll, key, body):
    return call("POST", neutron + "/" + coll, token, {key: body})[1][key]

if op == "setup":  # NAME CIDR: network + subnet + router to the external network
    name, cidr = sys.argv[2], sys.argv[3]
    net = post("networks", "network", {"name": name})
    sub = post("subnets", "subnet", {"name": name + "-v4", "network_id": net["id"], "ip_version": 4, "cidr": cidr})
    ext = listing(token, neutron + "/networks?router%3Aexternal=true", "networks")[0]
    rt = post("routers", "router", {"name": name + "-router", "external_gateway_info": {"network_id": ext["id"]}})
    call("PUT", neutron + "/routers/" + rt["id"] + "/add_router_interface", token, {"subnet_id": sub["id"]})
    print(net["id"])
elif op == "plain":  # NAME: a bare network (for the duplicate-name case)
    print(post("networks", "network", {"name": sys.argv[2]})["id"])
elif op == "show":  # NAME: "networks subnets routers tags" of that name
    name = sys.argv[2]
    nets = listing(token, neutron + "/networks?name=" + urllib.parse.quote(name), "networks")
    subs = [s for n in nets for s in listing(token, neutron + "/subnets?network_id=" + n["id"], "subnets")]
    rts = listing(token, neutron + "/routers?name=" + urllib.parse.quote(name + "-router"), "routers")
    tags = sorted(t for o in nets + subs + rts for t in o.get("tags", []))
    print(len(nets), len(subs), len(rts), ",".join(tags) or "-")
elif op == "servers":  # DEPLOYMENT: "<server> <network names>" per server
    tag = urllib.parse.quote("orchestrator-deployment=" + sys.argv[2])
    for s in listing(token, eps["compute"] + "/servers/detail?tags=" + tag, "servers"):
        print(s["name"], ",".join(sorted(s.get("addresses", {}))))
elif op == "vip":  # DEPLOYMENT: the network id of each load balancer's VIP
    tag = urllib.parse.quote("orchestrator-deployment=" + sys.argv[2])
    for lb in listing(token, eps["load-balancer"] + "/v2/lbaas/loadbalancers?tags=" + tag, "loadbalancers"):
        print(lb["vip_network_id"])
EOF
}
stats() {  # mutating OpenStack requests so far (a token request changes nothing)
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)["requests"]
print(sum(r["count"] for r in s if r["api"] == "openstack" and r["method"] in ("POST","PUT","PATCH","DELETE")
          and not r["route"].endswith("/auth/tokens")))'
}

start=$(date +%s)
net_id=$(neutron setup project-net 192.168.50.0/24)
[ "$(neutron show project-net)" = "1 1 1 -" ] || fail "setup: $(neutron show project-net)"

spec=$work/spec.yaml
cat >"$spec" <<'EOF'
deployment: shared-net
providers:
  os: {type: openstack, cloud: envvars}
images:
  base: {provider: os, source: cirros-0.6.2-x86_64-disk}
networks:
  app: {provider: os, existing: "${var.net}"}
tiers:
  web:
    provider: os
    count: 2
    size: m1.tiny
    image: base
    network: app
    load_balancer:
      listeners: [{protocol: http, port: 80, target_port: 8080}]
    firewall:
      - {protocol: tcp, ports: "8080", from: ["tier:web", "192.168.50.0/24"]}
  mon:
    provider: os
    size: m1.tiny
    image: base
    network: app
    floating_ip: true
EOF

# Names the cloud does not have, or has twice, stop at the network.
for bad in nope twice; do
  [ "$bad" = twice ] && neutron plain twice >/dev/null && neutron plain twice >/dev/null
  if orch deploy "$spec" --var net=$bad --auto-approve >"$work/bad.log" 2>&1; then
    cat "$work/bad.log" >&2
    fail "deploy with existing: $bad succeeded"
  fi
  cat "$work/bad.log" >>"$work/orch.log"
  case $bad in
    nope) want="no network 'nope' is visible to project" ;;
    twice) want="2 networks named 'twice' are visible to project" ;;
  esac
  grep -q "$want" "$work/bad.log" || { cat "$work/bad.log" >&2; fail "no '$want' message"; }
  [ -z "$(neutron servers shared-net)" ] || fail "servers created although the network was not found"
done
orch teardown "$spec" --var net=nope --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown after the failed deploys"

orch deploy "$spec" --var net=project-net --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy"
servers=$(neutron servers shared-net)
[ "$(echo "$servers" | wc -l)" -eq 3 ] || fail "want 3 servers, got: $servers"
echo "$servers" | awk '$2 != "project-net" { bad = 1 } END { exit bad }' || fail "servers not (only) on project-net: $servers"
[ "$(neutron vip shared-net)" = "$net_id" ] || fail "load balancer VIP not on project-net: $(neutron vip shared-net)"
kinds=$(api kinds shared-net)
case " $kinds " in *" network="* | *" subnet="* | *" router="*) fail "network objects created: $kinds" ;; esac
[ "$(neutron show project-net)" = "1 1 1 -" ] || fail "project network changed by deploy: $(neutron show project-net)"
echo "deploy: $kinds"

before=$(stats)
orch deploy "$spec" --var net=project-net --auto-approve >>"$work/orch.log" 2>&1 || fail "second deploy"
after=$(stats)
[ "$after" -eq "$before" ] || fail "second deploy made $((after - before)) mutating calls"
echo "second deploy: 0 mutating calls"

orch teardown "$spec" --var net=project-net --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown"
left=$(api kinds shared-net)
[ -z "$left" ] || fail "left after teardown: $left"
[ "$(neutron show project-net)" = "1 1 1 -" ] || fail "project network touched by teardown: $(neutron show project-net)"
echo "existing network ok in $(( $(date +%s) - start )) s"
