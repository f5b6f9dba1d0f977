#!/usr/bin/env bash
# Drift on OpenStack against cloudsim: after a deploy of configs/openstack.yaml,
# changes are made behind the tool's back through the OpenStack APIs, as an
# openstacksdk script would make them: the load balancer's health monitor
# deleted, one pool member deleted, one ingress rule deleted from the
# database firewall's security group, a database volume detached and the
# monitoring server's floating IP disassociated. `plan` shows each as drift
# to update in place, `plan --refresh-only --detailed-exitcode` exits 2, one
# deploy puts them all back with no other mutating request, then both plans
# report nothing and the APIs show the monitor, the member, the rule, the
# attachment and the association again. Teardown leaves nothing.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
. "$root/tests/soak/lib.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$root"
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 11
unset OS_CLOUD OS_CLIENT_CONFIG_FILE
state=$work/state
spec=$work/spec.yaml
sed "s#\.\./templates/#$root/templates/#" configs/openstack.yaml >"$spec"
dep=first-app

api() { python3 tests/e2e/openstack_api.py "$@"; }
# What the drift touches, as the APIs show it: "monitors=N members=N
# database_rules=N attached=N associated=N".
live() {
  python3 - "$dep" <<'PY'
import sys, urllib.parse
sys.path.insert(0, "tests/e2e")
import openstack_api as o
dep = sys.argv[1]
token, eps = o.login()
tag = urllib.parse.quote("orchestrator-deployment=" + dep)
lbaas = eps["load-balancer"] + "/v2/lbaas"
neutron = eps["network"] + "/v2.0"
cinder = eps.get("volumev3") or eps.get("block-storage")
live = lambda l: [x for x in l if x.get("provisioning_status") != "PENDING_DELETE"]
monitors = live(o.listing(token, lbaas + "/healthmonitors?tags=" + tag, "healthmonitors"))
members = sum(len(live(o.listing(token, lbaas + "/pools/" + p["id"] + "/members", "members")))
              for p in o.listing(token, lbaas + "/pools?tags=" + tag, "pools"))
group = [g for g in o.listing(token, neutron + "/security-groups?tags=" + tag, "security_groups")
         if g["name"] == dep + "-database"][0]
rules = [r for r in o.listing(token, neutron + "/security-group-rules?security_group_id=" + group["id"], "security_group_rules")
         if r["direction"] == "ingress"]
attached = sum(1 for v in o.listing(token, cinder + "/volumes/detail", "volumes")
               if (v.get("metadata") or {}).get("orchestrator-deployment") == dep and v["attachments"])
associated = sum(1 for f in o.listing(token, neutron + "/floatingips?tags=" + tag, "floatingips") if f.get("port_id"))
print("monitors=%d members=%d database_rules=%d attached=%d associated=%d"
      % (len(monitors), members, len(rules), attached, associated))
PY
}

orch deploy "$spec" --auto-approve >"$work/deploy.out" 2>&1 || { tail -20 "$work/deploy.out"; fail "first deploy"; }
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/clean.out" 2>&1 ||
  { cat "$work/clean.out"; fail "refresh-only plan right after the deploy reports drift"; }
grep -q "^No drift" "$work/clean.out" || { cat "$work/clean.out"; fail "no 'No drift' line"; }
orch plan "$spec" --detailed-exitcode >"$work/clean2.out" 2>&1 ||
  { cat "$work/clean2.out"; fail "plan right after the deploy plans a change"; }
before_live=$(live)
echo "after deploy: $before_live"

# The five changes behind the tool's back. Octavia refuses a change while
# the load balancer is PENDING_UPDATE, so each waits for ACTIVE first.
python3 - "$dep" "$(state_file)" >"$work/outside.txt" <<'PY'
import json, sys, time, urllib.parse
sys.path.insert(0, "tests/e2e")
import openstack_api as o
dep, state = sys.argv[1], json.load(open(sys.argv[2]))
token, eps = o.login()
tag = urllib.parse.quote("orchestrator-deployment=" + dep)
lbaas = eps["load-balancer"] + "/v2/lbaas"
neutron = eps["network"] + "/v2.0"
nova = eps["compute"]
cinder = eps.get("volumev3") or eps.get("block-storage")

def lb_active(lb):
    for _ in range(2000):
        if o.call("GET", lbaas + "/loadbalancers/" + lb, token)[1]["loadbalancer"]["provisioning_status"] == "ACTIVE":
            return
        time.sleep(0.01)
    sys.exit("load balancer %s never ACTIVE" % lb)

lb = o.listing(token, lbaas + "/loadbalancers?tags=" + tag, "loadbalancers")[0]["id"]
pool = o.listing(token, lbaas + "/pools?tags=" + tag, "pools")[0]
lb_active(lb)
o.call("DELETE", lbaas + "/healthmonitors/" + pool["healthmonitor_id"], token)
lb_active(lb)
member = sorted(o.listing(token, lbaas + "/pools/" + pool["id"] + "/members", "members"), key=lambda m: m["address"])[0]
o.call("DELETE", lbaas + "/pools/" + pool["id"] + "/members/" + member["id"], token)
lb_active(lb)

group = [g for g in o.listing(token, neutron + "/security-groups?tags=" + tag, "security_groups")
         if g["name"] == dep + "-database"][0]
rule = [r for r in o.listing(token, neutron + "/security-group-rules?security_group_id=" + group["id"], "security_group_rules")
        if r["direction"] == "ingress" and r.get("port_range_min") == 22][0]
o.call("DELETE", neutron + "/security-group-rules/" + rule["id"], token)

vol_addr = sorted(a for a, r in state["resources"].items() if r["kind"] == "volume")[0]
vol = state["resources"][vol_addr]["id"]
server = o.call("GET", cinder + "/volumes/" + vol, token)[1]["volume"]["attachments"][0]["server_id"]
o.call("DELETE", nova + "/servers/" + server + "/os-volume_attachments/" + vol, token)
for _ in range(2000):
    if o.call("GET", cinder + "/volumes/" + vol, token)[1]["volume"]["status"] == "available":
        break
    time.sleep(0.01)
else:
    sys.exit("volume %s never detached" % vol)
fip = o.listing(token, neutron + "/floatingips?tags=" + tag, "floatingips")[0]
o.call("PUT", neutron + "/floatingips/" + fip["id"], token, {"floatingip": {"port_id": None}})
fip_addr = [a for a, r in state["resources"].items() if r["kind"] == "floating_ip" and r["id"] == fip["id"]][0]
print(vol_addr, member["address"], fip_addr)
PY
read -r vol_addr member_ip fip_addr <"$work/outside.txt"
echo "outside: health monitor and member $member_ip deleted, port 22 rule deleted, $vol_addr detached, $fip_addr disassociated: $(live)"

set +e
orch plan "$spec" --detailed-exitcode >"$work/plan.out" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || { cat "$work/plan.out"; fail "plan after the drift exited $code, want 2"; }
grep -qF "  ~ api.lb (update in place: drift: health_check, targets changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the deleted health monitor and member are not shown as drift"; }
grep -qF "  ~ database.firewall (update in place: drift: rules changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the deleted rule is not shown as drift"; }
grep -qF "  ~ $vol_addr (update in place: drift: instance_id changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the detached volume $vol_addr is not shown as drift"; }
grep -qF "  ~ $fip_addr (update in place: drift: instance_id changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the disassociated floating IP $fip_addr is not shown as drift"; }
grep -q "^Plan: 0 to add, 4 to change, 0 to replace, 0 to destroy, 0 to adopt." "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the plan changes more than the four drifted resources"; }

set +e
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/refresh.out" 2>&1
code=$?
orch plan "$spec" --refresh-only --json >"$work/refresh.json" 2>/dev/null
set -e
[ "$code" -eq 2 ] || { cat "$work/refresh.out"; fail "plan --refresh-only after the drift exited $code, want 2"; }
grep -q "^Drift: 4 resources changed outside orchestrator" "$work/refresh.out" || { cat "$work/refresh.out"; fail "no drift summary"; }
python3 - "$work/refresh.json" "$vol_addr" "$fip_addr" <<'PY' || fail "plan --refresh-only --json is not the four drifted changes"
import json, sys
p = json.load(open(sys.argv[1]))
got = sorted((c["address"], sorted(c["drift"])) for c in p["changes"])
want = sorted([("api.lb", ["health_check", "targets"]), ("database.firewall", ["rules"]), (sys.argv[2], ["instance_id"]),
               (sys.argv[3], ["instance_id"])])
assert got == want and all(c["outside"] for c in p["changes"]), got
PY

before=$(cloudsim_mutations openstack)
orch deploy "$spec" --auto-approve >"$work/restore.out" 2>&1 || { tail -20 "$work/restore.out"; fail "restoring deploy"; }
made=$(cloudsim_made "$before" "$(cloudsim_mutations openstack)")
python3 - "$made" <<'PY' || fail "the restoring deploy made other mutating requests"
import json, sys
made = json.loads(sys.argv[1])
def one(suffix):
    n = sum(v for k, v in made.items() if k.endswith(suffix))
    assert n == 1, "%s: %d (all: %s)" % (suffix, n, made)
# The monitor created again, the members set with one batch update, the
# rule created again, the volume attached again, the floating IP associated
# again: nothing else.
one("POST /load-balancer/v2/lbaas/healthmonitors")
one("/lbaas/pools/{pool}/members")
one("POST /network/v2.0/security-group-rules")
one("/os-volume_attachments")
one("PUT /network/v2.0/floatingips/{id}")
assert sum(made.values()) == 5, "unexpected: %s" % made
print("restoring deploy: %s" % made)
PY
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/after.out" 2>&1 || { cat "$work/after.out"; fail "drift left after the restoring deploy"; }
orch plan "$spec" --detailed-exitcode >"$work/after2.out" 2>&1 || { cat "$work/after2.out"; fail "changes left after the restoring deploy"; }
[ "$(live)" = "$before_live" ] || fail "after the restoring deploy the APIs show '$(live)', want '$before_live'"
api members "$dep" >/dev/null
python3 - "$dep" "$member_ip" <<'PY' || fail "member $member_ip is not back in the pool"
import sys, urllib.parse
sys.path.insert(0, "tests/e2e")
import openstack_api as o
token, eps = o.login()
lbaas = eps["load-balancer"] + "/v2/lbaas"
tag = urllib.parse.quote("orchestrator-deployment=" + sys.argv[1])
pool = o.listing(token, lbaas + "/pools?tags=" + tag, "pools")[0]
assert any(m["address"] == sys.argv[2] for m in o.listing(token, lbaas + "/pools/" + pool["id"] + "/members", "members"))
PY

orch teardown "$spec" --auto-approve >"$work/teardown.out" 2>&1 || { tail -20 "$work/teardown.out"; fail "teardown"; }
left=$(api kinds "$dep")
[ -z "$left" ] || fail "left after teardown: $left"
echo "openstack_drift: ok"
