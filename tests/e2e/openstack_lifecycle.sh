#!/usr/bin/env bash
# OpenStack provider against cloudsim: deploy configs/openstack.yaml (OS_*
# credentials), check what exists through the OpenStack APIs, redeploy (zero
# mutating calls), scale the API group 2 -> 3 -> 2 (one batch member update
# each, load balancer kept), teardown (nothing carrying the deployment's tags).
# Optional second argument: a cloudsim fault SPEC applied for the whole run.
set -euo pipefail
build=$(cd "$1" && pwd)
faults=${2:-}
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-os-e2e.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 11
unset OS_CLOUD OS_CLIENT_CONFIG_FILE
if [ -n "$faults" ]; then
  curl -fsS -X POST --data "$faults" "$CLOUDSIM_ADMIN/faults" >/dev/null
fi

spec=$work/spec.yaml
sed "s#\.\./templates/#$here/templates/#" configs/openstack.yaml >"$spec"
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }
api() { python3 tests/e2e/openstack_api.py "$@"; }
# The test's own API calls must not be faulted.
quiet() { [ -z "$faults" ] || curl -fsS -X POST --data "none" "$CLOUDSIM_ADMIN/faults" >/dev/null; }
loud() { [ -z "$faults" ] || curl -fsS -X POST --data "$faults" "$CLOUDSIM_ADMIN/faults" >/dev/null; }
check() { quiet; "$@"; local rc=$?; loud; return $rc; }
# Mutating and total OpenStack requests so far (cloudsim's own count; a
# Keystone token request is a POST but changes nothing in the cloud).
stats() {
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)["requests"]
m = sum(r["count"] for r in s if r["api"] == "openstack" and r["method"] in ("POST","PUT","PATCH","DELETE")
        and not r["route"].endswith("/auth/tokens"))
t = sum(r["count"] for r in s if r["api"] == "openstack")
print(m, t)'
}
route_count() {  # METHOD ROUTE-PREFIX
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
print(sum(r["count"] for r in json.load(sys.stdin)["requests"] if r["method"] == sys.argv[1] and r["route"].startswith(sys.argv[2])))' "$1" "$2"
}
tries=1
[ -z "$faults" ] || tries=4
run() {  # deploy|teardown
  local i
  for i in $(seq 1 "$tries"); do
    if orch "$1" "$spec" --auto-approve >>"$work/orch.log" 2>&1; then
      check api dups first-app || fail "duplicate resources after $1"
      return 0
    fi
    echo "$1 attempt $i failed" >>"$work/orch.log"
  done
  fail "$1"
}

start=$(date +%s)
run deploy
read -r mut1 total1 < <(stats)
echo "first deploy: $total1 OpenStack API requests ($mut1 mutating)"
want="floatingip=1 keypair=1 load_balancer=1 network=1 pool=1 router=1 security_group=4 server=8 server_group=1 subnet=1 volume=2"
got=$(check api kinds first-app)
[ "$got" = "$want" ] || fail "after deploy: got '$got', want '$want'"
[ "$(check api members first-app)" = 2 ] || fail "pool members after deploy: $(check api members first-app)"
lb=$(check api names first-app load_balancer)

if [ -z "$faults" ]; then
  run deploy
  read -r mut2 _ < <(stats)
  [ "$mut2" -eq "$mut1" ] || fail "second deploy made $((mut2 - mut1)) mutating calls"
  echo "second deploy: 0 mutating calls"
fi

batch_before=$(route_count PUT /load-balancer/v2/lbaas/pools/)
sed -i 's/group: {min: 2,/group: {min: 3,/' "$spec"
run deploy
[ "$(check api members first-app)" = 3 ] || fail "pool members after scale to 3: $(check api members first-app)"
sed -i 's/group: {min: 3,/group: {min: 2,/' "$spec"
run deploy
[ "$(check api members first-app)" = 2 ] || fail "pool members after scale to 2: $(check api members first-app)"
[ "$(check api names first-app load_balancer)" = "$lb" ] || fail "load balancer replaced while scaling"
if [ -z "$faults" ]; then
  batch=$(( $(route_count PUT /load-balancer/v2/lbaas/pools/) - batch_before ))
  [ "$batch" -eq 2 ] || fail "scaling made $batch pool member updates, want 2 (one batch each)"
  single=$(route_count POST /load-balancer/v2/lbaas/pools/)
  [ "$single" -eq 0 ] || fail "members were added one by one ($single calls)"
fi

run teardown
left=$(check api kinds first-app)
[ -z "$left" ] || fail "left after teardown: $left"
echo "lifecycle ok in $(( $(date +%s) - start )) s${faults:+ with faults '$faults'}"
