#!/usr/bin/env bash
# Runs SIGKILLed between two steps of one OpenStack resource, where the
# cloud holds an object the killed run never finished:
# 1. A group's servers go to Nova as one min_count/max_count create, and
#    each member gets its address tag once ACTIVE. Killed between the two,
#    the servers carry the deployment and tier tags only: the next deploy
#    must adopt them as the group's members (tagging and naming them)
#    instead of creating the group again.
# 2. Zed's Neutron takes no tags on create: killed between a router's POST
#    and its tags PUT, the router is untagged. The next deploy must adopt it
#    by name and tag it (else teardown cannot find it and the subnet, still
#    holding its interface, cannot be deleted); a teardown right after the
#    kill must find it by name too.
# Each time teardown must leave nothing.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-os-killed-batch.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
# Servers build for 1.5 s here: time to kill the run before they are ACTIVE.
cloudsim_start "$build" "$work" --time-scale 0.1 --seed 5
unset OS_CLOUD OS_CLIENT_CONFIG_FILE

fail() { echo "FAIL: $*" >&2; tail -n 30 "$work/orch.log" >&2 || true; exit 1; }
# servers DEPLOYMENT: "total without-address-tag distinct-names"
servers() {
  python3 - "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
sys.path.insert(0, "tests/e2e")
from openstack_api import login

token, eps = login()
tag = urllib.parse.quote("orchestrator-deployment=" + sys.argv[1])
# Server tags are shown from compute microversion 2.26 on.
req = urllib.request.Request(eps["compute"] + "/servers/detail?tags=" + tag,
                             headers={"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.26"})
with urllib.request.urlopen(req, timeout=30) as r:
    live = [s for s in json.load(r)["servers"] if s.get("OS-EXT-STS:task_state") != "deleting"]
untagged = [s for s in live if not any(t.startswith("orchestrator-address=") for t in s.get("tags", []))]
print(len(live), len(untagged), len({s["name"] for s in live}))
EOF
}
posts() {  # server create requests cloudsim has answered or dropped
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
print(sum(r["count"] for r in json.load(sys.stdin)["requests"] if r["method"] == "POST" and r["route"] == "/compute/v2.1/servers"))'
}

batch_case() {
for try in 1 2 3; do
  dep=kb$try
  spec=$work/$dep.yaml
  cat >"$spec" <<EOF
deployment: $dep
providers:
  os: {type: openstack, cloud: envvars}
images:
  base: {provider: os, source: cirros-0.6.2-x86_64-disk}
networks:
  app: {provider: os, cidr: 192.168.70.0/24}
tiers:
  api:
    provider: os
    group: {min: 3, max: 3}
    size: m1.tiny
    image: base
    network: app
EOF
  orch() { "$build/orchestrator" --state-dir "$work/state-$dep" "$@" >>"$work/orch.log" 2>&1; }
  before=$(posts)
  "$build/orchestrator" --state-dir "$work/state-$dep" deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 1000); do [ "$(posts)" -gt "$before" ] && break; sleep 0.01; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  read -r total untagged _ <<<"$(servers "$dep")"
  if [ "$total" -eq 3 ] && [ "$untagged" -ge 1 ]; then
    echo "killed with $untagged of 3 members untagged"
    orch deploy "$spec" --auto-approve || fail "deploy after the kill"
    [ "$(servers "$dep")" = "3 0 3" ] || fail "after the deploy (total, untagged, names): $(servers "$dep")"
    orch plan "$spec" --detailed-exitcode || fail "not converged after the kill"
    orch teardown "$spec" --auto-approve || fail "teardown"
    [ "$(servers "$dep")" = "0 0 0" ] || fail "left after teardown: $(servers "$dep")"
    return 0
  fi
  echo "try $try: the kill came at $total servers, $untagged untagged; again"
  orch teardown "$spec" --auto-approve || fail "teardown of try $try"
done
fail "could not kill a run between the batch create and the members' tags in 3 tries"
}

# routers NAME: "count tagged-with-the-deployment" of routers named NAME
routers() {
  python3 - "$1" <<'EOF'
import sys, urllib.parse
sys.path.insert(0, "tests/e2e")
from openstack_api import listing, login

token, eps = login()
rts = listing(token, eps["network"] + "/v2.0/routers?name=" + urllib.parse.quote(sys.argv[1]), "routers")
print(len(rts), sum(1 for r in rts if any(t.startswith("orchestrator-deployment=") for t in r.get("tags", []))))
EOF
}

router_case() {  # NEXT: "deploy" (resume, then teardown) or "teardown" (straight away)
  local next=$1
  # Calls on an existing router (its tags, interfaces) fail with 5xx without
  # taking effect, until the run is killed; the create itself goes through.
  curl -fsS -X POST --data 'api=openstack,route=/network/v2.0/routers/,5xx=1' "$CLOUDSIM_ADMIN/faults" >/dev/null
  for try in 1 2 3; do
    dep=kr-$next-$try
    spec=$work/$dep.yaml
    sed -e "s/^deployment: .*/deployment: $dep/" -e 's/group: {min: 3, max: 3}/count: 1/' "$work/kb1.yaml" >"$spec"
    orch() { "$build/orchestrator" --state-dir "$work/state-$dep" "$@" >>"$work/orch.log" 2>&1; }
    "$build/orchestrator" --state-dir "$work/state-$dep" deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 &
    pid=$!
    # SIGKILL the run as soon as its router exists (one login, then a list every 10 ms).
    python3 - "$dep-app" "$pid" <<'EOF'
import os, signal, sys, time, urllib.parse
sys.path.insert(0, "tests/e2e")
from openstack_api import listing, login

token, eps = login()
url = eps["network"] + "/v2.0/routers?name=" + urllib.parse.quote(sys.argv[1])
for _ in range(2000):
    if listing(token, url, "routers"):
        break
    time.sleep(0.01)
os.kill(int(sys.argv[2]), signal.SIGKILL)
EOF
    wait "$pid" 2>/dev/null || true
    curl -fsS -X POST --data 'none' "$CLOUDSIM_ADMIN/faults" >/dev/null
    if [ "$(routers "$dep-app")" = "1 0" ]; then
      echo "killed with the router untagged; then $next"
      if [ "$next" = deploy ]; then
        orch deploy "$spec" --auto-approve || fail "deploy after the kill"
        [ "$(routers "$dep-app")" = "1 1" ] || fail "routers after the deploy (count, tagged): $(routers "$dep-app")"
        orch plan "$spec" --detailed-exitcode || fail "not converged after the kill"
      fi
      orch teardown "$spec" --auto-approve || fail "teardown"
      [ "$(routers "$dep-app")" = "0 0" ] || fail "routers left after teardown: $(routers "$dep-app")"
      return 0
    fi
    echo "try $try: the kill came at routers (count, tagged) $(routers "$dep-app"); again"
    orch teardown "$spec" --auto-approve || fail "teardown of try $try"
    curl -fsS -X POST --data 'api=openstack,route=/network/v2.0/routers/,5xx=1' "$CLOUDSIM_ADMIN/faults" >/dev/null
  done
  fail "could not kill a run between a router's create and its tags in 3 tries"
}

batch_case
router_case deploy
router_case teardown
echo "openstack_killed_midway: ok"
