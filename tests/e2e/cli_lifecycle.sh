#!/usr/bin/env bash
# The orchestrator CLI end to end against cloudsim (DigitalOcean API):
# deploy, idempotent redeploy with zero mutating calls, plan exit codes,
# confirmation refusal without a terminal, lock contention between two
# processes, SIGINT mid-deploy (exit 130, state saved, next run converges
# without duplicates), secrets kept out of state/logs/output, teardown.
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$root"

fail() { echo "FAIL: $*" >&2; exit 1; }
cloudsim_start "$build" "$work" --time-scale 0.05 --seed 7
state="$work/state"
orch() { "$build/orchestrator" --state-dir "$state" "$@"; }
spec=configs/quickstart.yaml

# Mutating requests answered so far (POST/PUT/PATCH/DELETE).
mutations() {
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json,sys
s=json.load(sys.stdin)
# GCE token exchanges and operation waits are POSTs that change nothing.
reads = ("/token", "/wait", "/listManagedInstances")
print(sum(r["count"] for r in s["requests"] if r["method"] in ("POST","PUT","PATCH","DELETE") and not r["route"].endswith(reads)))'
}
# Fails when two live resources share a name.
no_duplicates() {
  curl -fsS "$CLOUDSIM_ADMIN/resources" | python3 -c '
import json,sys,collections
rs=json.load(sys.stdin)["resources"]
c=collections.Counter((r["api"],r["kind"],r["name"]) for r in rs if r.get("name") and r["api"]=="digitalocean")
d=[k for k,n in c.items() if n>1]
sys.exit("duplicates: %r" % d if d else 0)'
}

# 1. Refuses to prompt without a terminal: nothing is created.
set +e
orch deploy "$spec" </dev/null >"$work/noprompt.out" 2>&1
code=$?
set -e
[ "$code" -eq 1 ] || fail "deploy without a terminal exited $code"
grep -q "standard input is not a terminal" "$work/noprompt.out" || fail "no refusal message"
[ "$(cloudsim_resource_count digitalocean)" -eq 0 ] || fail "resources created without approval"

# 2. Interrupted deploy: SIGINT while cloudsim holds the first droplet create
# (the network and keys are recorded by then) -> exit 130, lock released.
hold=$(cloudsim_hold '{"api":"digitalocean","method":"POST","path_prefix":"/v2/droplets"}')
"$build/orchestrator" --state-dir "$state" deploy "$spec" --auto-approve >"$work/int.out" 2>&1 &
pid=$!
cloudsim_hold_wait "$hold" "$pid" || { cat "$work/int.out"; fail "the deploy never created a droplet"; }
kill -INT "$pid"
cloudsim_release "$hold"
set +e
wait "$pid"
code=$?
set -e
[ "$code" -eq 130 ] || { cat "$work/int.out"; fail "interrupted deploy exited $code, want 130"; }

# 3. The next deploy converges with no duplicate.
orch -vv --log-file "$work/orch.log" --log-format json deploy "$spec" --auto-approve >"$work/deploy1.out" 2>&1 || { cat "$work/deploy1.out"; fail "deploy failed"; }
no_duplicates
grep -q "load balancer:" "$work/deploy1.out" || fail "deploy did not print outputs"
[ "$(stat -c %a "$state/quickstart.state.json")" = "600" ] || fail "state file is not 0600"

# 4. Unchanged spec: no changes, zero mutating calls; plan exit codes.
before=$(mutations)
orch deploy "$spec" --auto-approve >"$work/deploy2.out" 2>&1
grep -q "^No changes" "$work/deploy2.out" || { cat "$work/deploy2.out"; fail "second deploy was not a no-op"; }
orch plan "$spec" --detailed-exitcode >/dev/null 2>&1 || fail "plan --detailed-exitcode reported changes on an unchanged deployment"
after=$(mutations)
[ "$before" -eq "$after" ] || fail "redeploy made $((after - before)) mutating calls"
orch plan "$spec" --json 2>/dev/null | python3 -c 'import json,sys; p=json.load(sys.stdin); assert p["deployment"]=="quickstart"' ||
  fail "plan --json is not the plan"

# 4b. A saved plan applies only to the state it was made against.
orch plan "$spec" --out "$work/saved.plan" >/dev/null 2>&1 || fail "plan --out failed"
orch state rm cassandra.firewall --deployment quickstart >/dev/null || fail "state rm failed"
set +e
orch deploy "$work/saved.plan" >"$work/stale.out" 2>&1
code=$?
set -e
[ "$code" -eq 1 ] || fail "stale saved plan was applied (exit $code)"
grep -q "state changed since this plan was made" "$work/stale.out" || { cat "$work/stale.out"; fail "no stale-plan message"; }
# The forgotten firewall is found again by its tags and adopted, not duplicated.
orch plan "$spec" --out "$work/fresh.plan" >"$work/fresh.txt" 2>&1 || fail "plan failed"
grep -q "cassandra.firewall" "$work/fresh.txt" || { cat "$work/fresh.txt"; fail "plan does not mention the forgotten firewall"; }
orch deploy "$work/fresh.plan" >"$work/fresh.out" 2>&1 || { cat "$work/fresh.out"; fail "saved plan failed to apply"; }
no_duplicates
orch plan "$spec" --detailed-exitcode >/dev/null 2>&1 || fail "not converged after applying the saved plan"

# 5. Lock contention: a second run fails at once naming the holder (cloudsim
# holds the teardown's first delete meanwhile).
hold=$(cloudsim_hold '{"method":"DELETE"}')
"$build/orchestrator" --state-dir "$state" teardown "$spec" --auto-approve >"$work/td.out" 2>&1 &
tpid=$!
cloudsim_hold_wait "$hold" "$tpid" || { cat "$work/td.out"; fail "the teardown never deleted anything"; }
set +e
orch deploy "$spec" --auto-approve >"$work/locked.out" 2>&1
code=$?
set -e
cloudsim_release "$hold"
wait "$tpid" || { cat "$work/td.out"; fail "teardown failed"; }
[ "$code" -eq 1 ] || fail "deploy during teardown exited $code"
grep -q "locked by pid $tpid" "$work/locked.out" || { cat "$work/locked.out"; fail "lock message does not name pid $tpid"; }

# 6. Teardown left nothing.
[ "$(cloudsim_resource_count digitalocean)" -eq 0 ] || fail "resources left after teardown"

# 7. Secrets: the token appears nowhere we wrote.
ours=("$state" "$work/orch.log")
for f in noprompt int deploy1 deploy2 stale fresh locked td; do ours+=("$work/$f.out"); done
if grep -rqF "$DIGITALOCEAN_TOKEN" "${ours[@]}"; then
  fail "the API token leaked into state, logs or output"
fi
python3 -c 'import json,sys; n=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; assert len(n)>5' "$work/orch.log" ||
  fail "--log-format json wrote a line that is not JSON"
echo "cli_lifecycle: ok"
