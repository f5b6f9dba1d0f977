#!/usr/bin/env bash
# Crash points against the REAL OpenStack lab (scripts/openstack-lab), for
# scripts/soak:
#
#   tests/soak/lab_kills.sh BUILD_DIR ROUNDS RESULTS.jsonl
#
# Each round deploys configs/openstack.yaml and SIGKILLs orchestrator at a
# random instant of the deploy, deploys again (which must converge: the
# resources checked through the OpenStack APIs, no two live objects of one
# kind sharing a name, `plan --detailed-exitcode` clean), then SIGKILLs a
# teardown at a random instant and tears down again, which must leave
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
api() { python3 tests/e2e/openstack_api.py "$@"; }
failed=0

# Runs orchestrator ARGS in the background and SIGKILLs it after a random
# delay in [LOW, HIGH) seconds, unless it ended first. Prints "killed after
# Ds" or "ended after Es, before Ds" (E: how long it took).
kill_after() {  # LOW HIGH LOG ARGS...
  local low=$1 high=$2 log=$3 pid delay t0
  shift 3
  t0=$(date +%s.%N)
  "$build/orchestrator" "$@" >>"$log" 2>&1 &
  pid=$!
  delay=$(python3 -c "import random; print(round(random.uniform($low, $high), 2))")
  for _ in $(seq 1 "$(python3 -c "print(int($delay * 10))")"); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    echo "killed after ${delay}s"
  else
    wait "$pid" 2>/dev/null
    echo "ended after $(python3 -c "print(round($(date +%s.%N) - $t0, 1))")s, before ${delay}s"
  fi
}
# A kill window's upper end: 80% of the quickest run of that kind seen
# ending on its own (the lab's speed varies with the machine's load), so
# later rounds land their kills.
deploy_high=60 teardown_high=20
shrink() {  # CURRENT "ended after Es, ..." -> the new upper end
  python3 -c "import re,sys; m=re.match(r'ended after ([0-9.]+)s', sys.argv[2]);
print(round(max(4.0, min(float(sys.argv[1]), 0.8 * float(m.group(1)))), 1) if m else sys.argv[1])" "$1" "$2"
}

for round in $(seq 1 "$rounds"); do
  dep=labkill-$$-$round
  dir=$work/$dep
  mkdir -p "$dir"
  spec=$dir/spec.yaml
  sed -e "s#\.\./templates/#$here/templates/#" -e "s/^deployment: first-app/deployment: $dep/" configs/openstack.yaml >"$spec"
  orch() { "$build/orchestrator" --state-dir "$dir/state" "$@"; }
  start=$(date +%s)
  ok=1 kills=0 dups=0 left="" why=""
  how=$(kill_after 3 "$deploy_high" "$dir/orch.log" --state-dir "$dir/state" deploy "$spec" --auto-approve)
  echo "lab_kills: round $round: deploy $how"
  deploy_high=$(shrink "$deploy_high" "$how")
  case $how in killed*) kills=$((kills + 1)) ;; esac
  if ! orch deploy "$spec" --auto-approve >>"$dir/orch.log" 2>&1; then
    ok=0 why="the deploy after the kill failed"
  else
    got=$(api kinds "$dep")
    [ "$got" = "$want" ] || { ok=0 why="after the kill and a deploy: got '$got', want '$want'"; }
    api dups "$dep" >"$dir/dups.out" 2>&1 || { ok=0 dups=$(grep -c . "$dir/dups.out") why="duplicates: $(cat "$dir/dups.out")"; }
    orch plan "$spec" --detailed-exitcode >>"$dir/orch.log" 2>&1 || { ok=0 why="${why:-not converged: plan shows changes}"; }
  fi
  how=$(kill_after 1 "$teardown_high" "$dir/orch.log" --state-dir "$dir/state" teardown "$spec" --auto-approve)
  echo "lab_kills: round $round: teardown $how"
  teardown_high=$(shrink "$teardown_high" "$how")
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
