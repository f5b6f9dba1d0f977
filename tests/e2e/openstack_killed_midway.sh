#!/usr/bin/env bash
# Runs SIGKILLed between two steps of one OpenStack resource, where the
# cloud holds an object the killed run never finished. cloudsim holds the
# request named below until the run is killed (docs/cloudsim.md#holds), so
# each kill lands exactly there:
# 1. A group's servers go to Nova as one min_count/max_count create, and
#    each member gets its address tag and then its own name once ACTIVE.
#    a. Killed with the create's answer held (the servers exist): they carry
#       the deployment and tier tags only, and the next deploy must adopt
#       them as the group's members (tagging and naming them) instead of
#       creating the group again.
#    b. Killed with the first member's tag PUT answered but not its rename:
#       the next deploy finds that member by its tag and must still give it
#       its own name (Nova's "-1", "-2" names clash with other members').
# 2. Zed's Neutron takes no tags on create: killed with the router's create
#    answer held, the router is untagged. The next deploy must adopt it by
#    its description and tag it (else teardown cannot find it and the
#    subnet, still holding its interface, cannot be deleted); a teardown
#    right after the kill must find it too.
# Each time teardown must leave nothing.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-os-killed-batch.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.05 --seed 5
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
# kill_at RULE LOG ARGS...: runs orchestrator ARGS and SIGKILLs it while
# cloudsim holds the request RULE names; then lets that request go.
kill_at() {
  local rule=$1 log=$2 hold pid
  shift 2
  hold=$(cloudsim_hold "$rule")
  "$build/orchestrator" "$@" >>"$log" 2>&1 &
  pid=$!
  cloudsim_hold_wait "$hold" "$pid" || fail "the run never reached the held request $rule"
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  cloudsim_release "$hold"
}

batch_case() {  # RULE DEPLOYMENT: the request held when the run is killed
  local rule=$1 dep=$2
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
  kill_at "$rule" "$work/orch.log" --state-dir "$work/state-$dep" deploy "$spec" --auto-approve
  read -r total untagged _ <<<"$(servers "$dep")"
  [ "$total" -eq 3 ] || fail "killed at $rule: $total servers, want the 3 of the batch"
  echo "killed at $rule with $untagged of 3 members untagged"
  orch deploy "$spec" --auto-approve || fail "deploy after the kill"
  [ "$(servers "$dep")" = "3 0 3" ] || fail "after the deploy (total, untagged, names): $(servers "$dep")"
  orch plan "$spec" --detailed-exitcode || fail "not converged after the kill"
  orch teardown "$spec" --auto-approve || fail "teardown"
  [ "$(servers "$dep")" = "0 0 0" ] || fail "left after teardown: $(servers "$dep")"
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
  dep=kr-$next
  spec=$work/$dep.yaml
  sed -e "s/^deployment: .*/deployment: $dep/" -e 's/group: {min: 3, max: 3}/count: 1/' "$work/kb1.yaml" >"$spec"
  orch() { "$build/orchestrator" --state-dir "$work/state-$dep" "$@" >>"$work/orch.log" 2>&1; }
  kill_at '{"api":"openstack","method":"POST","path_prefix":"/network/v2.0/routers","stage":"after"}' "$work/orch.log" \
    --state-dir "$work/state-$dep" deploy "$spec" --auto-approve
  [ "$(routers "$dep-app")" = "1 0" ] || fail "after the kill (count, tagged): $(routers "$dep-app"), want 1 0"
  echo "killed with the router untagged; then $next"
  if [ "$next" = deploy ]; then
    orch deploy "$spec" --auto-approve || fail "deploy after the kill"
    [ "$(routers "$dep-app")" = "1 1" ] || fail "routers after the deploy (count, tagged): $(routers "$dep-app")"
    orch plan "$spec" --detailed-exitcode || fail "not converged after the kill"
  fi
  orch teardown "$spec" --auto-approve || fail "teardown"
  [ "$(routers "$dep-app")" = "0 0" ] || fail "routers left after teardown: $(routers "$dep-app")"
}

batch_case '{"api":"openstack","method":"POST","path_prefix":"/compute/v2.1/servers","stage":"after"}' kb1
batch_case '{"api":"openstack","method":"PUT","path_prefix":"/compute/v2.1/servers/","stage":"after"}' kb2
router_case deploy
router_case teardown
echo "openstack_killed_midway: ok"
