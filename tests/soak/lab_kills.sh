#!/usr/bin/env bash
# Crash points against the REAL OpenStack lab (scripts/openstack-lab), for
# scripts/soak:
#
#   tests/soak/lab_kills.sh BUILD_DIR ROUNDS RESULTS.jsonl
#
# Each round deploys configs/openstack.yaml and SIGKILLs orchestrator once
# the k-th of its mutating requests (k drawn at random) has been answered,
# counted by a reverse proxy every request goes through, deploys again (which must converge: the
# resources checked through the OpenStack APIs, no two live objects of one
# kind sharing a name, `plan --detailed-exitcode` clean), then SIGKILLs a
# teardown the same way and tears down again, which must leave
# nothing carrying the deployment's tags. One JSON line per round goes to
# RESULTS (section lab-crash; kills, duplicates, leftovers).
set -uo pipefail
build=$(cd "$1" && pwd)
rounds=${2:-3}
results=$3
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
work=$(mktemp -d /tmp/orch-labkills.XXXXXX)
scripts/openstack-lab start >"$work/lab.log" 2>&1 || { tail -20 "$work/lab.log"; echo "lab_kills: the lab did not start"; exit 1; }
eval "$(scripts/openstack-lab env)"
unset OS_CLOUD OS_CLIENT_CONFIG_FILE
want="floatingip=1 keypair=1 load_balancer=1 network=1 pool=1 router=1 security_group=4 server=8 server_group=1 subnet=1 volume=2"
proxy_pid=
trap '[ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true' EXIT
python3 tests/e2e/openstack_proxy.py "$work/proxy.port" "$work/proxy.log" &
proxy_pid=$!
for _ in $(seq 1 200); do [ -s "$work/proxy.port" ] && break; sleep 0.05; done
[ -s "$work/proxy.port" ] || { echo "lab_kills: the counting proxy did not start"; exit 1; }
lab_auth=$OS_AUTH_URL
port=${OS_AUTH_URL#http://127.0.0.1:}; port=${port%%/*}
export OS_AUTH_URL="http://127.0.0.1:$(cat "$work/proxy.port")/p/$port/v3"
api() { OS_AUTH_URL=$lab_auth python3 tests/e2e/openstack_api.py "$@"; }
mutating() { grep -E '^(POST|PUT|PATCH|DELETE) ' "$work/proxy.log" 2>/dev/null | grep -vc '/auth/tokens' || true; }
failed=0

# Runs orchestrator ARGS in the background and SIGKILLs it once K more
# mutating requests (token requests aside) have been answered through the
# proxy, unless it ended first. Prints "killed after mutating request K" or
# "ended after N mutating requests, before K".
kill_after() {  # K LOG ARGS...
  local k=$1 log=$2 pid base n
  shift 2
  base=$(mutating)
  "$build/orchestrator" "$@" >>"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    n=$(($(mutating) - base))
    [ "$n" -ge "$k" ] && break
    sleep 0.05
  done
  if kill -KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    echo "killed after mutating request $k"
  else
    wait "$pid" 2>/dev/null
    echo "ended after $(($(mutating) - base)) mutating requests, before $k"
  fi
}
# A fault-free first deploy of configs/openstack.yaml makes 51 mutating
# requests on the lab (e2e.openstack_lab_lifecycle prints the count); kill
# points are drawn below that, and below the teardown's count.
pick() { python3 -c "import random; print(random.randint(1, $1))"; }
for round in $(seq 1 "$rounds"); do
  dep=labkill-$$-$round
  dir=$work/$dep
  mkdir -p "$dir"
  spec=$dir/spec.yaml
  sed -e "s#\.\./templates/#$here/templates/#" -e "s/^deployment: first-app/deployment: $dep/" configs/openstack.yaml >"$spec"
  orch() { "$build/orchestrator" --state-dir "$dir/state" "$@"; }
  start=$(date +%s)
  ok=1 kills=0 dups=0 left="" why=""
  how=$(kill_after "$(pick 45)" "$dir/orch.log" --state-dir "$dir/state" deploy "$spec" --auto-approve)
  echo "lab_kills: round $round: deploy $how"
  case $how in killed*) kills=$((kills + 1)) ;; esac
  if ! orch deploy "$spec" --auto-approve >>"$dir/orch.log" 2>&1; then
    ok=0 why="the deploy after the kill failed"
  else
    got=$(api kinds "$dep")
    [ "$got" = "$want" ] || { ok=0 why="after the kill and a deploy: got '$got', want '$want'"; }
    api dups "$dep" >"$dir/dups.out" 2>&1 || { ok=0 dups=$(grep -c . "$dir/dups.out") why="duplicates: $(cat "$dir/dups.out")"; }
    orch plan "$spec" --detailed-exitcode >>"$dir/orch.log" 2>&1 || { ok=0 why="${why:-not converged: plan shows changes}"; }
  fi
  how=$(kill_after "$(pick 20)" "$dir/orch.log" --state-dir "$dir/state" teardown "$spec" --auto-approve)
  echo "lab_kills: round $round: teardown $how"
  case $how in killed*) kills=$((kills + 1)) ;; esac
  orch teardown "$spec" --auto-approve >>"$dir/orch.log" 2>&1 || { ok=0 why="${why:-the teardown after the kill failed}"; }
  left=$(api kinds "$dep")
  [ -z "$left" ] || { ok=0 why="${why:-left after teardown: $left}"; }
  secs=$(($(date +%s) - start))
  if [ "$ok" = 1 ]; then
    echo "lab_kills: round $round ok in ${secs}s"
    rm -rf "$dir"
  else
    failed=1
    echo "lab_kills: round $round FAILED: $why (logs in $dir)"
    tail -n 20 "$dir/orch.log"
  fi
  python3 -c 'import json,sys; print(json.dumps({"section": "lab-crash", "provider": "openstack-lab", "ok": sys.argv[1] == "1",
    "seconds": int(sys.argv[2]), "kills": int(sys.argv[3]), "duplicates": int(sys.argv[4]), "leftovers": sys.argv[5]}))' \
    "$ok" "$secs" "$kills" "$dups" "$left" >>"$results"
done
[ "$failed" = 0 ] && rm -rf "$work"
exit "$failed"
