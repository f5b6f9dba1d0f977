#!/usr/bin/env bash
# SIGTERM and SIGINT during deploy and teardown: no new work starts, the
# operations in flight finish and are recorded, the state is saved, the lock
# is released, and the exit code is 143 (SIGTERM) or 130 (SIGINT). Nothing
# the interrupted run created is missing from its state (the next plan adopts
# only what it recorded as an intent), and the next run converges.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
. "$root/tests/soak/lib.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$root"
cloudsim_start "$build" "$work" --time-scale 0.03 --seed 5
state=$work/state
spec=tests/soak/small.yaml
want="droplet=4 firewall=1 load_balancer=1 reserved_ip=2 ssh_key=1 volume=2 vpc=1"

# interrupt SIGNAL WANT_CODE COMMAND...: starts the command and sends SIGNAL
# while cloudsim holds its first droplet create (deploy: the VPC and key are
# recorded by then) or its first delete (teardown), then lets that request go
# on: the signal always lands mid-run, and the request in flight finishes.
interrupt() {
  local sig=$1 want_code=$2 out=$work/$1-$3.out code=0 hold
  shift 2
  if [ "$1" = deploy ]; then
    hold=$(cloudsim_hold '{"api":"digitalocean","method":"POST","path_prefix":"/v2/droplets"}')
  else
    hold=$(cloudsim_hold '{"api":"digitalocean","method":"DELETE"}')
  fi
  "$build/orchestrator" --state-dir "$state" "$@" >"$out" 2>&1 &
  local pid=$!
  cloudsim_hold_wait "$hold" "$pid" || { tail -20 "$out"; fail "$* never reached the held request"; }
  kill -s "$sig" "$pid"
  cloudsim_release "$hold"
  wait "$pid" || code=$?
  [ "$code" -eq "$want_code" ] || { tail -20 "$out"; fail "$* after SIG$sig exited $code, want $want_code"; }
  [ ! -e "$state/smalltest.lock" ] || [ ! -s "$state/smalltest.lock" ] || fail "lock still held after SIG$sig"
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$(state_file)" || fail "state unreadable after SIG$sig"
  grep -qiE "interrupt|cancel|signal" "$out" || { tail -20 "$out"; fail "no word of the interruption after SIG$sig"; }
}

interrupt TERM 143 deploy "$spec" --auto-approve
# Everything created is recorded: nothing to adopt.
left=$(unrecorded_adopts)
[ -z "$left" ] || fail "SIGTERM left created resources out of the state: $left"
orch state list --deployment smalltest >/dev/null || fail "state list after SIGTERM"
orch deploy "$spec" --auto-approve >"$work/deploy2.out" 2>&1 || { tail -20 "$work/deploy2.out"; fail "deploy after SIGTERM"; }
do_duplicates
[ "$(do_kinds)" = "$want" ] || fail "after SIGTERM + deploy: $(do_kinds), want $want"

interrupt INT 130 teardown "$spec" --auto-approve
orch teardown "$spec" --auto-approve >"$work/td2.out" 2>&1 || { tail -20 "$work/td2.out"; fail "teardown after SIGINT"; }
[ -z "$(do_kinds)" ] || fail "left after teardown: $(do_kinds)"

interrupt INT 130 deploy "$spec" --auto-approve
left=$(unrecorded_adopts)
[ -z "$left" ] || fail "SIGINT left created resources out of the state: $left"
interrupt TERM 143 teardown "$spec" --auto-approve
orch teardown "$spec" --auto-approve >"$work/td3.out" 2>&1 || { tail -20 "$work/td3.out"; fail "teardown after SIGTERM"; }
[ -z "$(do_kinds)" ] || fail "left after teardown: $(do_kinds)"
echo "crash_signals: ok"
