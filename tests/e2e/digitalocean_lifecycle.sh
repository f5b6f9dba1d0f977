#!/usr/bin/env bash
# DigitalOcean provider against cloudsim: deploy configs/digitalocean.yaml,
# check the resource set and that group droplets are multi-created, redeploy
# (zero mutating calls), scale the API group 3 -> 7 -> 2 (load balancer,
# monitoring droplet and its reserved IP untouched), teardown (nothing left).
# A second deployment, dodemo-x (whose names start with "dodemo-"), lives
# beside it the whole time and must survive dodemo's teardown.
# Optional second argument: a cloudsim fault SPEC applied for the whole run.
set -euo pipefail
build=$(cd "$1" && pwd)
faults=${2:-}
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-do-e2e.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 7
if [ -n "$faults" ]; then
  curl -fsS -X POST --data "$faults" "$CLOUDSIM_ADMIN/faults" >/dev/null
fi

spec=$work/spec.yaml
sed "s#\.\./templates/#$here/templates/#" configs/digitalocean.yaml >"$spec"
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }

# Resource counts by kind (tags excluded), as "kind=N ..." sorted: dodemo's
# (default) or, with argument "x", dodemo-x's (names starting "dodemo-x").
kinds() {
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean" | python3 -c '
import json, sys, collections
x = len(sys.argv) > 1
c = collections.Counter(r["kind"] for r in json.load(sys.stdin)["resources"]
                        if r["kind"] != "tag" and r.get("name", "").startswith("dodemo-x") == x)
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))' ${1:+"$1"}
}
# "id" of the resources of KIND whose name is NAME (comma-separated).
res_id() {
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean&kind=$1" |
    python3 -c 'import json,sys; print(",".join(r["id"] for r in json.load(sys.stdin)["resources"] if r.get("name") == sys.argv[1]))' "$2"
}
# Every reserved IP with the droplet it is assigned to.
reserved_ips() {
  curl -fsS -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" "$DIGITALOCEAN_API_URL/reserved_ips" |
    python3 -c 'import json,sys; print(" ".join("%s>%s" % (r["ip"], (r.get("droplet") or {}).get("id")) for r in json.load(sys.stdin)["reserved_ips"]))'
}
# Mutating requests (POST/PUT/PATCH/DELETE) and total requests so far.
stats() {
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)["requests"]
m = sum(r["count"] for r in s if r["api"] == "digitalocean" and r["method"] in ("POST","PUT","PATCH","DELETE"))
t = sum(r["count"] for r in s if r["api"] == "digitalocean")
print(m, t)'
}
route_count() {  # METHOD ROUTE
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
print(sum(r["count"] for r in json.load(sys.stdin)["requests"] if r["method"] == sys.argv[1] and r["route"].startswith(sys.argv[2])))' "$1" "$2"
}
# With faults a run may end early on an error that outlasts its retries; the
# next run resumes from the state. Without faults one run must do.
deploy() {
  local tries=1 i
  [ -z "$faults" ] || tries=4
  for i in $(seq 1 "$tries"); do
    if orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1; then dups; return 0; fi
    echo "deploy $* attempt $i failed" >>"$work/orch.log"
  done
  fail "deploy $*"
}
# No two live resources of one kind share a name (a duplicate create).
dups() {
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean" | python3 -c '
import json, sys, collections
c = collections.Counter((r["kind"], r["name"]) for r in json.load(sys.stdin)["resources"])
d = [k for k, n in c.items() if n > 1]
sys.exit("duplicates: %s" % d if d else 0)' || fail "duplicate resources"
}

start=$(date +%s)
orch validate "$spec" >>"$work/orch.log" 2>&1 || fail "validate"
# The neighbour: deployment dodemo-x with a key, a VPC, a droplet, a
# firewall and a load balancer, all named "dodemo-x-...".
xspec=$work/x.yaml
cat >"$xspec" <<'YAML'
deployment: dodemo-x
providers:
  do: {type: digitalocean, region: nyc3, token: "${env:DIGITALOCEAN_TOKEN}"}
ssh_keys:
  ops: {public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZH ops@dodemo-x"}
networks:
  main: {provider: do, cidr: 10.30.0.0/16}
tiers:
  api:
    provider: do
    count: 1
    size: s-1vcpu-1gb
    image: ubuntu-22-04-x64
    network: main
    ssh_keys: [ops]
    load_balancer:
      listeners: [{protocol: http, port: 80, target_port: 8080}]
      health_check: {protocol: http, port: 8080, path: /health}
    firewall:
      - {protocol: tcp, ports: "8080", from: ["10.30.0.0/16"]}
YAML
xorch() { "$build/orchestrator" --state-dir "$work/xstate" "$@"; }
xrun() {  # deploy|teardown, retried like deploy() under faults
  local tries=1 i
  [ -z "$faults" ] || tries=4
  for i in $(seq 1 "$tries"); do
    if xorch "$1" "$xspec" --auto-approve >>"$work/orch.log" 2>&1; then return 0; fi
  done
  fail "$1 dodemo-x"
}
xrun deploy
xwant="droplet=1 firewall=1 load_balancer=1 ssh_key=1 vpc=1"
[ "$(kinds x)" = "$xwant" ] || fail "dodemo-x after deploy: $(kinds x)"

read -r mut0 total0 < <(stats)
posts0=$(route_count POST /v2/droplets)
deploy first
read -r mut1 total1 < <(stats)
posts1=$(route_count POST /v2/droplets)
echo "first deploy: $((total1 - total0)) API requests ($((mut1 - mut0)) mutating), $((posts1 - posts0)) POST /v2/droplets for 7 droplets"
want="droplet=7 firewall=2 load_balancer=1 reserved_ip=1 ssh_key=1 volume=3 vpc=1"
got=$(kinds)
[ "$got" = "$want" ] || fail "after deploy: got '$got', want '$want'"
# Multi-create: the API group's 3 droplets (and Cassandra's 3) share requests.
# Injected faults may split or repeat them, so only a clean run is held to it.
[ -n "$faults" ] || [ $((posts1 - posts0)) -lt 7 ] || fail "first deploy used $((posts1 - posts0)) droplet POSTs for 7 droplets"
lb=$(res_id load_balancer dodemo-api-lb)
[ -n "$lb" ] || fail "no load balancer"
mon=$(res_id droplet dodemo-monitoring-0)
[ -n "$mon" ] || fail "no monitoring droplet"
rips=$(reserved_ips)
echo "$rips" | grep -q ">$mon\b" || fail "reserved IP not on the monitoring droplet: $rips"

deploy again
read -r mut2 _ < <(stats)
[ "$mut2" -eq "$mut1" ] || fail "second deploy made $((mut2 - mut1)) mutating calls"
echo "second deploy: 0 mutating calls"

lb_mut_before=$(( $(route_count PUT /v2/load_balancers) + $(route_count POST /v2/load_balancers/) + $(route_count DELETE /v2/load_balancers/) ))
# Mutating calls that could touch the monitoring droplet or its reserved IP:
# droplet actions, reserved IP creates/actions/deletes.
touching() {
  echo "$(route_count POST "/v2/droplets/{") $(route_count POST /v2/reserved_ips) $(route_count DELETE /v2/reserved_ips)"
}
touch_before=$(touching)
sed -i 's/group: {min: 3,/group: {min: 7,/' "$spec"
deploy scale-7
[ "$(kinds)" = "droplet=11 firewall=2 load_balancer=1 reserved_ip=1 ssh_key=1 volume=3 vpc=1" ] || fail "scale to 7: $(kinds)"
sed -i 's/group: {min: 7,/group: {min: 2,/' "$spec"
deploy scale-2
[ "$(kinds)" = "droplet=6 firewall=2 load_balancer=1 reserved_ip=1 ssh_key=1 volume=3 vpc=1" ] || fail "scale to 2: $(kinds)"
[ "$(res_id load_balancer dodemo-api-lb)" = "$lb" ] || fail "load balancer replaced while scaling"
[ "$(res_id droplet dodemo-monitoring-0)" = "$mon" ] || fail "monitoring droplet replaced while scaling"
[ "$(reserved_ips)" = "$rips" ] || fail "reserved IP changed while scaling: $rips -> $(reserved_ips)"
[ "$(touching)" = "$touch_before" ] || fail "droplet actions or reserved IP calls while scaling: $touch_before -> $(touching)"
lb_mut_after=$(( $(route_count PUT /v2/load_balancers) + $(route_count POST /v2/load_balancers/) + $(route_count DELETE /v2/load_balancers/) ))
[ "$lb_mut_after" -eq "$lb_mut_before" ] || fail "load balancer modified while scaling"
# The two newest API droplets survive.
names=$(curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean&kind=droplet" |
  python3 -c 'import json,sys; print(" ".join(sorted(r["name"] for r in json.load(sys.stdin)["resources"] if r["name"].startswith("dodemo-api-"))))')
[ "$names" = "dodemo-api-0 dodemo-api-1" ] || fail "api droplets after scale-in: $names"

# In place: the API droplets' size (a resize reboots them), the API
# firewall's port, the health check path and the Cassandra volumes' size.
# The plan says "update", and every id stays.
ids() {  # KIND -> "name=id ..." of dodemo's resources of that kind
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean&kind=$1" | python3 -c '
import json, sys
print(" ".join(sorted("%s=%s" % (r["name"], r["id"]) for r in json.load(sys.stdin)["resources"]
                      if not r["name"].startswith("dodemo-x"))))'
}
api_get() {  # PATH PYTHON-EXPRESSION-ON-j (the test's own reads ride out injected faults)
  curl -fsS --retry 8 --retry-delay 0 --retry-all-errors -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" "$DIGITALOCEAN_API_URL$1" |
    python3 -c 'import json,sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}
before="$(ids droplet) $(ids firewall) $(ids load_balancer) $(ids volume)"
sed -i -e '/^  api:/,/^  monitoring:/ s/size: s-1vcpu-1gb/size: s-2vcpu-2gb/' \
  -e 's/ports: "8080", from: \["10.20.0.0\/16"\]/ports: "8081", from: ["10.20.0.0\/16"]/' \
  -e 's#path: /health#path: /ready#' -e 's/size_gb: 100/size_gb: 120/' "$spec"
orch plan "$spec" >"$work/plan-update.out" 2>&1 || true
grep -q "(update in place)" "$work/plan-update.out" || fail "no in-place update planned: $(cat "$work/plan-update.out")"
! grep -q "(replace" "$work/plan-update.out" || fail "update planned as a replace: $(cat "$work/plan-update.out")"
read -r mut3 _ < <(stats)
deploy update
read -r mut4 _ < <(stats)
echo "in-place update: $((mut4 - mut3)) mutating calls"
[ "$(ids droplet) $(ids firewall) $(ids load_balancer) $(ids volume)" = "$before" ] || fail "ids changed by an in-place update"
lb=$(res_id load_balancer dodemo-api-lb)
fw=$(res_id firewall dodemo-api-fw)
d0=$(res_id droplet dodemo-api-0)
v0=$(res_id volume dodemo-cassandra-data-0)
[ "$(api_get "/droplets/$d0" 'j["droplet"]["size_slug"] + " " + j["droplet"]["status"]')" = "s-2vcpu-2gb active" ] ||
  fail "droplet not resized: $(api_get "/droplets/$d0" 'j["droplet"]["size_slug"]')"
[ "$(api_get "/firewalls/$fw" 'j["firewall"]["inbound_rules"][0]["ports"]')" = "8081" ] || fail "firewall not updated"
[ "$(api_get "/load_balancers/$lb" 'j["load_balancer"]["health_check"]["path"]')" = "/ready" ] || fail "load balancer not updated"
[ "$(api_get "/volumes/$v0" 'j["volume"]["size_gigabytes"]')" = "120" ] || fail "volume not grown"

# A new monitoring user_data replaces the droplet (the API droplets, whose
# user_data took its address at creation, are only listed stale); the
# reserved IP moves to the new droplet instead of being replaced: same address.
rip=$(reserved_ips)
sed -i 's/^        scrape_tiers: cassandra$/        scrape_tiers: cassandra\n        retention: "30d"/' "$spec"
grep -q '^        retention: "30d"$' "$spec" || fail "could not change the monitoring vars in the spec"
deploy replace-monitoring
mon2=$(res_id droplet dodemo-monitoring-0)
[ -n "$mon2" ] && [ "$mon2" != "$mon" ] || fail "monitoring droplet not replaced ($mon -> $mon2)"
[ "$(reserved_ips)" = "${rip%%>*}>$mon2" ] || fail "reserved IP not moved to the new droplet: $rip -> $(reserved_ips)"

# A droplet created outside the state but carrying the deployment tags is an
# orphan: plan reports it, teardown removes it. Faults are paused for this
# hand-made request (it is the test's setup, not what is being tested).
[ -z "$faults" ] || curl -fsS -X POST --data "rate=0" "$CLOUDSIM_ADMIN/faults" >/dev/null
curl -fsS -X POST -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" -H "Content-Type: application/json" \
  --data '{"name":"dodemo-api-9","region":"nyc3","size":"s-1vcpu-1gb","image":"ubuntu-22-04-x64","tags":["orchestrator-deployment:dodemo","orchestrator-address:api:dinstance:l9:r"]}' \
  "$DIGITALOCEAN_API_URL/droplets" >/dev/null
[ -z "$faults" ] || curl -fsS -X POST --data "$faults" "$CLOUDSIM_ADMIN/faults" >/dev/null
orch plan "$spec" >"$work/plan.out" 2>&1 || true
grep -q 'api.instance\[9\]' "$work/plan.out" || fail "plan does not report the orphan droplet: $(cat "$work/plan.out")"
tries=1
[ -z "$faults" ] || tries=4
for i in $(seq 1 "$tries"); do
  if orch teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1; then break; fi
  [ "$i" -lt "$tries" ] || fail "teardown"
done
left=$(kinds)
[ -z "$left" ] || fail "left after teardown: $left"
[ "$(kinds x)" = "$xwant" ] || fail "tearing down dodemo touched dodemo-x: $(kinds x)"
xrun teardown
left=$(kinds x)
[ -z "$left" ] || fail "left after dodemo-x teardown: $left"
tags=$(cloudsim_resource_count digitalocean)
[ "$tags" -eq 0 ] || echo "note: $tags tag(s) left after teardown"
echo "lifecycle ok in $(( $(date +%s) - start )) s${faults:+ with faults '$faults'}"
