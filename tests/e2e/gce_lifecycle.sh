#!/usr/bin/env bash
# GCE provider against cloudsim: deploy configs/gce.yaml, check the resource
# set, redeploy (zero mutating calls), scale the API group's autoscaler
# bounds, roll out a new instance template (machine type), teardown
# (nothing left). Optional second argument: a cloudsim fault SPEC applied
# for the whole run.
set -euo pipefail
build=$(cd "$1" && pwd)
faults=${2:-}
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-gce-e2e.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 11
if [ -n "$faults" ]; then
  curl -fsS -X POST --data "$faults" "$CLOUDSIM_ADMIN/faults" >/dev/null
fi

spec=$work/spec.yaml
sed "s#\.\./templates/#$here/templates/#" configs/gce.yaml >"$spec"
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }

# Resource counts by kind, as "kind=N ..." sorted (operations excluded).
kinds() {
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=gce" | python3 -c '
import json, sys, collections
c = collections.Counter(r["kind"] for r in json.load(sys.stdin)["resources"] if r["kind"] != "operation")
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))'
}
# Mutating requests (POST/PUT/PATCH/DELETE, operation waits excluded) and total requests so far.
stats() {
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
s = [r for r in json.load(sys.stdin)["requests"] if r["api"] == "gce"]
read_posts = ("/wait", "/listManagedInstances", "/token")
m = sum(r["count"] for r in s if r["method"] in ("POST","PUT","PATCH","DELETE") and not r["route"].endswith(read_posts))
t = sum(r["count"] for r in s)
print(m, t)'
}
members() {  # running instances of the api group and their machine types
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=gce&kind=instance" | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["resources"] if r["name"].startswith("gcedemo-api-")))'
}
# The group resizes itself after deploy returns (the autoscaler's new bounds
# are applied by GCE, not by the orchestrator): wait up to 30 s for it.
members_become() {
  local i
  for i in $(seq 1 60); do
    [ "$(members)" = "$1" ] && return 0
    sleep 0.5
  done
  return 1
}
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
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=gce" | python3 -c '
import json, sys, collections
c = collections.Counter((r["kind"], r["name"]) for r in json.load(sys.stdin)["resources"])
d = [k for k, n in c.items() if n > 1]
sys.exit("duplicates: %s" % d if d else 0)' || fail "duplicate resources"
}

start=$(date +%s)
deploy first
read -r mut1 total1 < <(stats)
echo "first deploy: $total1 API requests ($mut1 mutating)"
curl -fsS "$CLOUDSIM_ADMIN/resources?api=gce" >"$work/resources.json"
want="address=2 autoscaler=1 disk=3 firewall=7 forwardingRule=1 httpHealthCheck=1 instance=7 instanceGroupManager=1 instanceTemplate=1 network=1 subnetwork=1 targetPool=1"
got=$(kinds)
[ "$got" = "$want" ] || fail "after deploy: got '$got', want '$want'"

deploy again
read -r mut2 _ < <(stats)
[ "$mut2" -eq "$mut1" ] || fail "second deploy made $((mut2 - mut1)) mutating calls"
echo "second deploy: 0 mutating calls"

sed -i 's/group: {min: 3, max: 10,/group: {min: 5, max: 10,/' "$spec"
deploy scale-5
members_become 5 || fail "scale to 5: $(members) api instances"
sed -i 's/group: {min: 5, max: 10,/group: {min: 2, max: 4,/' "$spec"
deploy scale-max-4
members_become 4 || fail "max 4: $(members) api instances"

sed -i 's/size: e2-small/size: e2-medium/' "$spec"
deploy template
tmpl=$(curl -fsS "$CLOUDSIM_ADMIN/resources?api=gce&kind=instanceTemplate" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["resources"]))')
[ "$tmpl" = 1 ] || fail "templates after the rollout: $tmpl (the old one should be deleted)"
types=$(curl -fsS "$CLOUDSIM_ADMIN/resources?api=gce&kind=instance" | python3 -c '
import json,sys
print(len([r for r in json.load(sys.stdin)["resources"] if r["name"].startswith("gcedemo-api-")]))')
[ "$types" = 4 ] || fail "api members after the rollout: $types"

tries=1
[ -z "$faults" ] || tries=4
for i in $(seq 1 "$tries"); do
  if orch teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1; then break; fi
  [ "$i" -lt "$tries" ] || fail "teardown"
done
left=$(kinds)
[ -z "$left" ] || fail "left after teardown: $left"
echo "lifecycle ok in $(( $(date +%s) - start )) s${faults:+ with faults '$faults'}"
