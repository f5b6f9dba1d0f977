#!/usr/bin/env bash
# Two runs on one deployment: started together, one holds the lock and the
# other fails at once naming the holder (pid, operation); with --lock-timeout
# the second waits and then finds nothing to do. A lock left by a SIGKILLed
# run is taken over; a lock held on
# another host is refused with the command that clears it. No state update
# is lost: after racing runs (one killed) the state matches the cloud exactly.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
. "$root/tests/soak/lib.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$root"
cloudsim_start "$build" "$work" --time-scale 0.03 --seed 9
state=$work/state
spec=tests/soak/small.yaml
want="droplet=4 firewall=1 load_balancer=1 reserved_ip=2 ssh_key=1 volume=2 vpc=1"
lock=$state/smalltest.lock

# 1. Started together: exactly one wins, the other fails fast naming it.
# cloudsim holds the winner's first create until the loser has exited, so
# the winner cannot finish first and leave the loser nothing to wait for.
hold=$(cloudsim_hold '{"api":"digitalocean","method":"POST"}')
"$build/orchestrator" --state-dir "$state" deploy "$spec" --auto-approve >"$work/a.out" 2>&1 &
a=$!
"$build/orchestrator" --state-dir "$state" deploy "$spec" --auto-approve >"$work/b.out" 2>&1 &
b=$!
first=
code=0
wait -n -p first "$a" "$b" || code=$?
[ "$code" -eq 1 ] || { tail -5 "$work/a.out" "$work/b.out"; fail "the first of two deploys to end exited $code, want 1"; }
if [ "$first" = "$b" ]; then winner=$a loser_out=$work/b.out; else winner=$b loser_out=$work/a.out; fi
cloudsim_hold_wait "$hold" "$winner" || { tail -5 "$work/a.out" "$work/b.out"; fail "the winner never created anything"; }
cloudsim_release "$hold"
wait "$winner" || { tail -5 "$work/a.out" "$work/b.out"; fail "the winning deploy failed"; }
grep -q "locked by pid $winner" "$loser_out" || { cat "$loser_out"; fail "the loser does not name pid $winner"; }
grep -q "deploy" "$loser_out" || fail "the loser does not name the holder's operation"
grep -q -- "--lock-timeout" "$loser_out" || { cat "$loser_out"; fail "the loser does not say how to wait"; }
do_duplicates
[ "$(do_kinds)" = "$want" ] || fail "after the race: $(do_kinds), want $want"

# 2. --lock-timeout: the second waits for the first, then has nothing to do.
sed 's/^    count: 2$/    count: 3/' "$spec" >"$work/scaled.yaml"
cp tests/soak/node.tmpl "$work/"
hold=$(cloudsim_hold '{"api":"digitalocean","method":"POST","path_prefix":"/v2/droplets"}')
"$build/orchestrator" --state-dir "$state" deploy "$work/scaled.yaml" --auto-approve >"$work/c.out" 2>&1 &
c=$!
cloudsim_hold_wait "$hold" "$c" || { tail "$work/c.out"; fail "the scaling deploy never created a droplet"; }
"$build/orchestrator" --state-dir "$state" deploy "$work/scaled.yaml" --auto-approve --lock-timeout 2m \
  >"$work/d.out" 2>&1 &
d=$!
wait_for_line "$work/d.out" "waiting up to 120 s \(--lock-timeout\) for .*locked by pid $c" "$d"
cloudsim_release "$hold"
wait "$d" || { cat "$work/d.out"; fail "waiting deploy failed"; }
wait "$c" || { tail "$work/c.out"; fail "scaling deploy failed"; }
grep -q "No changes" "$work/d.out" || { cat "$work/d.out"; fail "the waiting deploy found work left"; }
do_duplicates
scaled="droplet=6 firewall=1 load_balancer=1 reserved_ip=3 ssh_key=1 volume=3 vpc=1"
[ "$(do_kinds)" = "$scaled" ] || fail "after scaling: $(do_kinds), want $scaled"

# 3. A SIGKILLed holder: the next run takes the lock over, naming the dead pid.
hold=$(cloudsim_hold '{"api":"digitalocean","method":"DELETE"}')
"$build/orchestrator" --state-dir "$state" deploy "$spec" --auto-approve >"$work/e.out" 2>&1 &
e=$!
cloudsim_hold_wait "$hold" "$e" || { tail "$work/e.out"; fail "the scale-in never deleted anything"; }
kill -KILL "$e"
wait "$e" 2>/dev/null || true
cloudsim_release "$hold"
[ -s "$lock" ] || fail "no lock file left by the killed run"
orch deploy "$spec" --auto-approve >"$work/f.out" 2>&1 || { cat "$work/f.out"; fail "deploy after a killed holder"; }
grep -q "^warning: taking over the lock on deployment .* left by .*pid $e" "$work/f.out" ||
  { cat "$work/f.out"; fail "no warning naming the dead lock holder $e"; }
do_duplicates
[ "$(do_kinds)" = "$want" ] || fail "after the killed scale-in: $(do_kinds), want $want"
[ -z "$(unrecorded_adopts)" ] || fail "resources missing from the state after the killed run"
orch plan "$spec" --detailed-exitcode >/dev/null 2>&1 || fail "not converged after the killed run"

# 4. A lock held on another host: refused, with the command that clears it.
printf '{"id":"x","operation":"deploy","who":"ops@build-7","host":"build-7","pid":4242,"created_micros":1764140000000000}\n' >"$lock"
chmod 600 "$lock"
set +e
orch deploy "$spec" --auto-approve >"$work/g.out" 2>&1
code=$?
set -e
[ "$code" -eq 1 ] || fail "deploy with a foreign lock exited $code"
grep -q "locked by pid 4242 on host build-7" "$work/g.out" || { cat "$work/g.out"; fail "foreign holder not named"; }
grep -q "orchestrator state unlock --deployment smalltest" "$work/g.out" || { cat "$work/g.out"; fail "no unlock command given"; }
orch state unlock --deployment smalltest >/dev/null 2>&1 || fail "state unlock failed"
orch teardown "$spec" --auto-approve >"$work/h.out" 2>&1 || { tail "$work/h.out"; fail "teardown after unlock"; }
[ -z "$(do_kinds)" ] || fail "left after teardown: $(do_kinds)"
echo "concurrency_lock: ok"
