#!/usr/bin/env bash
# Drift of the load balancer's children on the REAL lab (scripts/openstack-lab):
# deploy configs/openstack.yaml, then delete the pool's health monitor and
# one pool member through Octavia, as an openstacksdk script would. `plan
# --refresh-only --detailed-exitcode` exits 2 and `plan` shows the load
# balancer to update in place; one deploy creates the monitor again and
# sets the members with one batch update and nothing else (counted by the
# reverse proxy every request goes through); then both plans exit 0. Then
# one database server is deleted through Nova: the next deploy makes only it
# and attaches its volume. Teardown leaves nothing tagged with the deployment. Fails (never skips)
# when the lab cannot start.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-oslab-drift.XXXXXX)
cd "$here"
scripts/openstack-lab start >"$work/lab.log" 2>&1 || { cat "$work/lab.log" >&2; echo "FAIL: the lab did not start" >&2; exit 1; }
eval "$(scripts/openstack-lab env)"
unset OS_CLOUD OS_CLIENT_CONFIG_FILE
dep=oslabdrift-$$
proxy_pid=
cleanup() {
  if ls "$work/state" 2>/dev/null | grep -q .; then
    "$build/orchestrator" --state-dir "$work/state" teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1 || true
  fi
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
spec=$work/spec.yaml
trap cleanup EXIT
sed -e "s#\.\./templates/#$here/templates/#" -e "s/^deployment: first-app/deployment: $dep/" configs/openstack.yaml >"$spec"

python3 tests/e2e/openstack_proxy.py "$work/proxy.port" "$work/proxy.log" &
proxy_pid=$!
for _ in $(seq 1 100); do [ -s "$work/proxy.port" ] && break; sleep 0.05; done
lab_auth=$OS_AUTH_URL
port=${OS_AUTH_URL#http://127.0.0.1:}; port=${port%%/*}
export OS_AUTH_URL="http://127.0.0.1:$(cat "$work/proxy.port")/p/$port/v3"

orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }
api() { OS_AUTH_URL=$lab_auth python3 tests/e2e/openstack_api.py "$@"; }
# Requests that change the cloud (a Keystone token POST changes nothing).
mutating() { grep -E '^(POST|PUT|PATCH|DELETE) [^ ]+ 2' "$work/proxy.log" | grep -v '/auth/tokens' || true; }
# "monitors=N members=N" as Octavia shows them.
lb_children() {
  OS_AUTH_URL=$lab_auth python3 - "$dep" <<'PY'
import sys, urllib.parse
sys.path.insert(0, "tests/e2e")
import openstack_api as o
token, eps = o.login()
lbaas = eps["load-balancer"] + "/v2/lbaas"
tag = urllib.parse.quote("orchestrator-deployment=" + sys.argv[1])
live = lambda l: [x for x in l if x.get("provisioning_status") not in ("PENDING_DELETE", "DELETED")]
monitors = live(o.listing(token, lbaas + "/healthmonitors?tags=" + tag, "healthmonitors"))
members = sum(len(live(o.listing(token, lbaas + "/pools/" + p["id"] + "/members", "members")))
              for p in o.listing(token, lbaas + "/pools?tags=" + tag, "pools"))
print("monitors=%d members=%d" % (len(monitors), members))
PY
}

start=$(date +%s)
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "first deploy"
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/clean.out" 2>&1 ||
  fail "refresh-only plan right after the deploy: $(cat "$work/clean.out")"
[ "$(lb_children)" = "monitors=1 members=2" ] || fail "after deploy: $(lb_children)"

# Behind the tool's back: the health monitor, then one member (Octavia
# refuses a change while the load balancer is PENDING_UPDATE).
OS_AUTH_URL=$lab_auth python3 - "$dep" <<'PY' || fail "deleting the monitor and a member through Octavia"
import sys, time, urllib.parse
sys.path.insert(0, "tests/e2e")
import openstack_api as o
token, eps = o.login()
lbaas = eps["load-balancer"] + "/v2/lbaas"
tag = urllib.parse.quote("orchestrator-deployment=" + sys.argv[1])

def lb_active(lb):
    for _ in range(600):
        if o.call("GET", lbaas + "/loadbalancers/" + lb, token)[1]["loadbalancer"]["provisioning_status"] == "ACTIVE":
            return
        time.sleep(0.5)
    sys.exit("load balancer %s never ACTIVE" % lb)

lb = o.listing(token, lbaas + "/loadbalancers?tags=" + tag, "loadbalancers")[0]["id"]
pool = o.listing(token, lbaas + "/pools?tags=" + tag, "pools")[0]
lb_active(lb)
o.call("DELETE", lbaas + "/healthmonitors/" + pool["healthmonitor_id"], token)
lb_active(lb)
member = o.listing(token, lbaas + "/pools/" + pool["id"] + "/members", "members")[0]
o.call("DELETE", lbaas + "/pools/" + pool["id"] + "/members/" + member["id"], token)
lb_active(lb)
PY
[ "$(lb_children)" = "monitors=0 members=1" ] || fail "after the outside deletes: $(lb_children)"

set +e
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/refresh.out" 2>&1
code=$?
orch plan "$spec" --detailed-exitcode >"$work/plan.out" 2>&1
code2=$?
set -e
[ "$code" -eq 2 ] || fail "plan --refresh-only after the drift exited $code, want 2: $(cat "$work/refresh.out")"
[ "$code2" -eq 2 ] || fail "plan after the drift exited $code2, want 2: $(cat "$work/plan.out")"
grep -qF "  ~ api.lb (update in place: drift: health_check, targets changed outside orchestrator)" "$work/plan.out" ||
  fail "the deleted health monitor and member are not shown as drift: $(cat "$work/plan.out")"
grep -q "^Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy, 0 to adopt." "$work/plan.out" ||
  fail "the plan changes more than the load balancer: $(cat "$work/plan.out")"
echo "drift planned: $(grep -F '~ api.lb' "$work/plan.out")"

mutating >"$work/before.txt"
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "restoring deploy"
mutating >"$work/after.txt"
made=$(tail -n +"$(( $(wc -l <"$work/before.txt") + 1 ))" "$work/after.txt" | awk '{print $1, $2}' |
  sed -E 's#/(healthmonitors|members)/?[0-9a-f-]*$#/\1#; s#/pools/[0-9a-f-]+/#/pools/{id}/#; s#^([A-Z]+) /p/[0-9]+#\1 #' | sort | uniq -c |
  awk '{print $2, $3, $1}')
echo "restoring deploy: $(echo "$made" | tr '\n' ';')"
[ "$(echo "$made" | grep -c .)" -eq 2 ] &&
  echo "$made" | grep -qx "POST /v2/lbaas/healthmonitors 1" &&
  echo "$made" | grep -qx "PUT /v2/lbaas/pools/{id}/members 1" ||
  fail "the restoring deploy made other mutating requests than one monitor create and one batch member update: $made"
[ "$(lb_children)" = "monitors=1 members=2" ] || fail "after the restoring deploy: $(lb_children)"

orch plan "$spec" --refresh-only --detailed-exitcode >"$work/after.out" 2>&1 ||
  fail "drift left after the restoring deploy: $(cat "$work/after.out")"
orch plan "$spec" --detailed-exitcode >"$work/after2.out" 2>&1 ||
  fail "changes left after the restoring deploy: $(cat "$work/after2.out")"

# A lost node costs one node: one database server deleted through Nova;
# the next deploy makes that server and attaches its surviving volume, and
# nothing else (the other servers' and every volume's ids unchanged).
statef=$(ls "$work"/state/*.state.json)
ids() { python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["resources"]
print(" ".join("%s=%s" % (a, r[a]["id"]) for a in sorted(r) if ".instance[" in a or ".volume." in a))' "$statef"; }
before_ids=$(ids)
lost=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resources"]["database.instance[1]"]["id"])' "$statef")
vol=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resources"]["database.volume.data[1]"]["id"])' "$statef")
api req DELETE compute "/servers/$lost" >/dev/null || fail "deleting server $lost through Nova"
for _ in $(seq 1 300); do
  api req GET compute "/servers/$lost" >/dev/null 2>&1 || break
  sleep 1
done
orch plan "$spec" >"$work/lost.out" 2>&1 || fail "plan after the lost node: $(cat "$work/lost.out")"
grep -qF "  + database.instance[1] (create: deleted outside orchestrator)" "$work/lost.out" ||
  fail "the lost server is not planned to be made again: $(cat "$work/lost.out")"
lost_summary=$(grep '^Plan:' "$work/lost.out")
[ "$lost_summary" = "Plan: 1 to add, 1 to change, 0 to replace, 0 to destroy, 0 to adopt." ] ||
  fail "the lost node costs more than one node: $(cat "$work/lost.out")"
mutating >"$work/before.txt"
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy after the lost node"
mutating >"$work/after.txt"
made=$(tail -n +"$(( $(wc -l <"$work/before.txt") + 1 ))" "$work/after.txt" | awk '{print $1, $2}' |
  sed -E 's#^([A-Z]+) /p/[0-9]+#\1 #; s#/servers/[0-9a-f-]+/#/servers/{id}/#' | sort | uniq -c | awk '{print $2, $3, $1}')
echo "lost node: '$lost_summary'; its deploy: $(echo "$made" | tr '\n' ';')"
[ "$(echo "$made" | grep -c .)" -eq 2 ] &&
  echo "$made" | grep -qE "^POST (/v2.1)?/servers 1$" &&
  echo "$made" | grep -qE "^POST (/v2.1)?/servers/\{id\}/os-volume_attachments 1$" ||
  fail "the lost node's deploy made other mutating requests than one server create and one volume attach: $made"
after_ids=$(ids)
python3 - "$before_ids" "$after_ids" <<'PY' || fail "ids changed beyond the lost server"
import sys
b = dict(x.split("=", 1) for x in sys.argv[1].split())
a = dict(x.split("=", 1) for x in sys.argv[2].split())
assert set(a) == set(b), (b, a)
for k in b:
    assert (a[k] != b[k]) == (k == "database.instance[1]"), (k, b[k], a[k])
PY
new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resources"]["database.instance[1]"]["id"])' "$statef")
api req GET volumev3 "/volumes/$vol" | python3 -c 'import json,sys; v=json.load(sys.stdin)["volume"]; sys.exit(0 if [a["server_id"] for a in v["attachments"]] == [sys.argv[1]] else 1)' "$new" ||
  fail "volume $vol is not attached to the new server $new"
orch plan "$spec" --detailed-exitcode >"$work/lost2.out" 2>&1 || fail "changes left after the lost node's deploy: $(cat "$work/lost2.out")"

orch teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown"
rm -rf "$work/state"
left=$(api kinds "$dep")
[ -z "$left" ] || fail "left after teardown: $left"
echo "lab drift ok in $(( $(date +%s) - start )) s"
