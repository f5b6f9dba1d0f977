#!/usr/bin/env bash
# DigitalOcean provider against cloudsim: deploy configs/digitalocean.yaml,
# check the resource set, redeploy (zero mutating calls), scale the API
# group 3 -> 7 -> 2 (load balancer untouched), teardown (nothing left).
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

# Resource counts by kind (tags excluded), as "kind=N ..." sorted.
kinds() {
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean" | python3 -c '
import json, sys, collections
c = collections.Counter(r["kind"] for r in json.load(sys.stdin)["resources"] if r["kind"] != "tag")
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))'
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
lb_id() {
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean&kind=load_balancer" |
    python3 -c 'import json,sys; print(",".join(r["id"] for r in json.load(sys.stdin)["resources"]))'
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
deploy first
read -r mut1 total1 < <(stats)
echo "first deploy: $total1 API requests ($mut1 mutating)"
want="droplet=7 firewall=2 load_balancer=1 reserved_ip=1 ssh_key=1 volume=3 vpc=1"
got=$(kinds)
[ "$got" = "$want" ] || fail "after deploy: got '$got', want '$want'"
lb=$(lb_id)

deploy again
read -r mut2 _ < <(stats)
[ "$mut2" -eq "$mut1" ] || fail "second deploy made $((mut2 - mut1)) mutating calls"
echo "second deploy: 0 mutating calls"

lb_mut_before=$(( $(route_count PUT /v2/load_balancers) + $(route_count POST /v2/load_balancers/) + $(route_count DELETE /v2/load_balancers/) ))
sed -i 's/group: {min: 3,/group: {min: 7,/' "$spec"
deploy scale-7
[ "$(kinds)" = "droplet=11 firewall=2 load_balancer=1 reserved_ip=1 ssh_key=1 volume=3 vpc=1" ] || fail "scale to 7: $(kinds)"
sed -i 's/group: {min: 7,/group: {min: 2,/' "$spec"
deploy scale-2
[ "$(kinds)" = "droplet=6 firewall=2 load_balancer=1 reserved_ip=1 ssh_key=1 volume=3 vpc=1" ] || fail "scale to 2: $(kinds)"
[ "$(lb_id)" = "$lb" ] || fail "load balancer replaced while scaling"
lb_mut_after=$(( $(route_count PUT /v2/load_balancers) + $(route_count POST /v2/load_balancers/) + $(route_count DELETE /v2/load_balancers/) ))
[ "$lb_mut_after" -eq "$lb_mut_before" ] || fail "load balancer modified while scaling"
# The two newest API droplets survive.
names=$(curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean&kind=droplet" |
  python3 -c 'import json,sys; print(" ".join(sorted(r["name"] for r in json.load(sys.stdin)["resources"] if "-api-" in r["name"])))')
[ "$names" = "dodemo-api-0 dodemo-api-1" ] || fail "api droplets after scale-in: $names"

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
tags=$(cloudsim_resource_count digitalocean)
[ "$tags" -eq 0 ] || echo "note: $tags tag(s) left after teardown"
echo "lifecycle ok in $(( $(date +%s) - start )) s${faults:+ with faults '$faults'}"
