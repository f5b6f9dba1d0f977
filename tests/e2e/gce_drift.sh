#!/usr/bin/env bash
# Drift on GCE against cloudsim: after a deploy of configs/gce.yaml, two
# changes are made behind the tool's back through the compute API, as a
# user's script would: a Cassandra firewall rule opened to 0.0.0.0/0
# (firewalls.patch) and an API group member taken out of the load
# balancer's target pool (targetPools.removeInstance). `plan` shows both as
# drift to update in place, `plan --refresh-only --detailed-exitcode` exits
# 2, one deploy puts them back with one firewalls.patch and one
# targetPools.addInstance and no other mutating request, and then both
# plans report nothing. A change made outside and put back outside plans no
# change. The health check pointed at another path outside is patched back
# with one httpHealthChecks.patch. Then an instance's network tag removed
# (setTags), the static address's access config removed
# (deleteAccessConfig) and the forwarding rule deleted, outside: plan shows
# the three as drift, and one deploy puts them back with one setTags, one
# addAccessConfig (the same address) and one forwardingRules.insert.
# Teardown leaves nothing.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-gce-drift.XXXXXX)
. "$root/tests/lib/cloudsim.sh"
. "$root/tests/soak/lib.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$root"
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 11
state=$work/state
spec=$work/gce.yaml
sed "s#\.\./templates/#$root/templates/#" configs/gce.yaml >"$spec"

base=${GOOGLE_COMPUTE_CUSTOM_ENDPOINT%/}/projects/$GOOGLE_CLOUD_PROJECT
# A token from cloudsim's metadata server, as a program on a GCE VM gets one.
token=$(curl -fsS -H "Metadata-Flavor: Google" \
  "http://$GCE_METADATA_HOST/computeMetadata/v1/instance/service-accounts/default/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# gce METHOD PATH [JSON]: the compute API; a mutation waits for its operation.
gce() {
  local out
  out=$(curl -fsS -X "$1" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    ${3:+--data "$3"} "$base$2")
  if [ "$1" = GET ]; then printf '%s\n' "$out"; return 0; fi
  local op
  op=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["selfLink"])')
  for _ in $(seq 1 50); do
    curl -fsS -X POST -H "Authorization: Bearer $token" "$op/wait" |
      python3 -c 'import json,sys; o=json.load(sys.stdin); sys.exit(0 if o["status"]=="DONE" and "error" not in o else 1)' &&
      return 0
  done
  fail "$1 $2 did not finish"
}
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
gce_kinds() {
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=gce" | python3 -c '
import json, sys, collections
c = collections.Counter(r["kind"] for r in json.load(sys.stdin)["resources"] if r["kind"] != "operation")
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))'
}
rule=/global/firewalls/gcedemo-cassandra-fw-3   # tcp 22 from 10.0.0.0/8
pool=/regions/us-central1/targetPools/gcedemo-api-lb
ranges() { gce GET "$rule" | jq_py 'print(",".join(d.get("sourceRanges", [])))'; }
pool_members() { gce GET "$pool" | jq_py 'print(" ".join(sorted(i.rsplit("/", 1)[1] for i in d.get("instances", []))))'; }
# The group's running members, as the pool should hold them.
group_members() {
  for z in us-central1-a us-central1-b us-central1-c; do
    gce GET "/zones/$z/instances"
  done | python3 -c '
import json, re, sys
names = []
for doc in sys.stdin.read().replace("}\n{", "}\x00{").split("\x00"):
    for i in json.loads(doc).get("items", []):
        if re.fullmatch(r"gcedemo-api-[a-z0-9]{4}", i["name"]) and i.get("status") == "RUNNING":
            names.append(i["name"])
print(" ".join(sorted(names)))'
}

orch deploy "$spec" --auto-approve >"$work/deploy.out" 2>&1 || { tail -20 "$work/deploy.out"; fail "first deploy"; }
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/clean.out" 2>&1 ||
  { cat "$work/clean.out"; fail "refresh-only plan right after the deploy reports drift"; }
grep -q "^No drift" "$work/clean.out" || { cat "$work/clean.out"; fail "no 'No drift' line"; }

# The monitoring server runs as the project's default account with the
# read-only compute scope its gce_sd_configs needs; the ring has none.
gce GET /zones/us-central1-a/instances/gcedemo-monitoring-0 | jq_py '
sa = d.get("serviceAccounts")
assert sa and len(sa) == 1 and sa[0]["email"].endswith("-compute@developer.gserviceaccount.com"), sa
assert sa[0]["scopes"] == ["https://www.googleapis.com/auth/compute.readonly"], sa' ||
  fail "the monitoring server has no read-only service account"
gce GET /zones/us-central1-a/instances/gcedemo-cassandra-0 | jq_py 'sys.exit(1 if d.get("serviceAccounts") else 0)' ||
  fail "a cassandra server has a service account"

want_ranges=$(ranges)
[ "$want_ranges" = "10.0.0.0/8" ] || fail "rule 3 of the cassandra firewall has source ranges '$want_ranges'"
# Members join the pool once running: wait for the group to settle.
for _ in $(seq 1 100); do
  [ -n "$(group_members)" ] && [ "$(pool_members)" = "$(group_members)" ] && break
  sleep 0.1
done
want_members=$(pool_members)
[ -n "$want_members" ] && [ "$want_members" = "$(group_members)" ] ||
  fail "the target pool holds '$want_members', the group runs '$(group_members)'"
member=${want_members%% *}
member_link=$(for z in us-central1-a us-central1-b us-central1-c; do gce GET "/zones/$z/instances"; done |
  python3 -c '
import json, sys
for doc in sys.stdin.read().replace("}\n{", "}\x00{").split("\x00"):
    for i in json.loads(doc).get("items", []):
        if i["name"] == sys.argv[1]: print(i["selfLink"])' "$member")
[ -n "$member_link" ] || fail "no selfLink for $member"

# Changes put back outside are no drift.
gce PATCH "$rule" '{"sourceRanges": ["0.0.0.0/0"]}'
gce PATCH "$rule" '{"sourceRanges": ["10.0.0.0/8"]}'
gce POST "$pool/removeInstance" "{\"instances\": [{\"instance\": \"$member_link\"}]}"
gce POST "$pool/addInstance" "{\"instances\": [{\"instance\": \"$member_link\"}]}"
orch plan "$spec" --detailed-exitcode >"$work/back.out" 2>&1 || { cat "$work/back.out"; fail "a change put back outside plans a change"; }

# The two changes behind the tool's back.
gce PATCH "$rule" '{"sourceRanges": ["0.0.0.0/0"]}'
gce POST "$pool/removeInstance" "{\"instances\": [{\"instance\": \"$member_link\"}]}"
[ "$(ranges)" = "0.0.0.0/0" ] || fail "the patch outside did not change the rule"
case " $(pool_members) " in *" $member "*) fail "$member is still in the pool";; esac

set +e
orch plan "$spec" --detailed-exitcode >"$work/plan.out" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || { cat "$work/plan.out"; fail "plan after the drift exited $code, want 2"; }
grep -q "^  ~ cassandra.firewall (update in place: drift: rules changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the firewall rule opened outside is not shown as drift"; }
grep -q "^  ~ api.lb (update in place: drift: targets changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the member taken out of the target pool is not shown as drift"; }
grep -q "^Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy, 0 to adopt." "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the plan changes more than the two drifted resources"; }

set +e
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/refresh.out" 2>&1
code=$?
orch plan "$spec" --refresh-only --json >"$work/refresh.json" 2>/dev/null
set -e
[ "$code" -eq 2 ] || { cat "$work/refresh.out"; fail "plan --refresh-only after the drift exited $code, want 2"; }
grep -q "^Drift: 2 resources changed outside orchestrator" "$work/refresh.out" || { cat "$work/refresh.out"; fail "no drift summary"; }
python3 - "$work/refresh.json" <<'PY' || fail "plan --refresh-only --json is not the two drifted changes"
import json, sys
p = json.load(open(sys.argv[1]))
got = sorted((c["address"], sorted(c["drift"]), c["action"]) for c in p["changes"])
assert all(c["outside"] for c in p["changes"]), got
assert got == [("api.lb", ["targets"], "update"), ("cassandra.firewall", ["rules"], "update")], got
PY

before=$(cloudsim_mutations gce)
orch deploy "$spec" --auto-approve >"$work/restore.out" 2>&1 || { tail -20 "$work/restore.out"; fail "restoring deploy"; }
made=$(cloudsim_made "$before" "$(cloudsim_mutations gce)")
python3 - "$made" <<'PY' || fail "the restoring deploy made other mutating requests"
import json, sys
made = json.loads(sys.argv[1])
patch = [k for k in made if k.startswith("PATCH ") and k.endswith("/global/firewalls/{firewall}")]
add = [k for k in made if k.startswith("POST ") and k.endswith("/targetPools/{targetPool}/addInstance")]
assert len(patch) == 1 and made[patch[0]] == 1, made
assert len(add) == 1 and made[add[0]] == 1, made
extra = {k: n for k, n in made.items() if k not in patch + add}
assert not extra, "unexpected: %s (all: %s)" % (extra, made)
print("restoring deploy: %s" % made)
PY
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/after.out" 2>&1 || { cat "$work/after.out"; fail "drift left after the restoring deploy"; }
orch plan "$spec" --detailed-exitcode >"$work/after2.out" 2>&1 || { cat "$work/after2.out"; fail "changes left after the restoring deploy"; }
[ "$(ranges)" = "$want_ranges" ] || fail "rule 3 has source ranges '$(ranges)', want '$want_ranges'"
[ "$(pool_members)" = "$want_members" ] || fail "the target pool holds '$(pool_members)', want '$want_members'"

# The load balancer's health check pointed at another path outside: patched back alone.
hc=/global/httpHealthChecks/gcedemo-api-lb
want_path=$(gce GET "$hc" | jq_py 'print(d["requestPath"])')
gce PATCH "$hc" '{"requestPath": "/changed-by-hand"}'
set +e
orch plan "$spec" --detailed-exitcode >"$work/hc.out" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || { cat "$work/hc.out"; fail "plan after the health check change exited $code, want 2"; }
grep -q "^  ~ api.lb (update in place: drift: health_check changed outside orchestrator)" "$work/hc.out" ||
  { cat "$work/hc.out"; fail "the health check changed outside is not shown as drift"; }
before=$(cloudsim_mutations gce)
orch deploy "$spec" --auto-approve >"$work/restore2.out" 2>&1 || { tail -20 "$work/restore2.out"; fail "deploy restoring the health check"; }
made=$(cloudsim_made "$before" "$(cloudsim_mutations gce)")
python3 - "$made" <<'PY' || fail "restoring the health check made other mutating requests"
import json, sys
made = json.loads(sys.argv[1])
assert list(made) == ["PATCH /compute/v1/projects/{project}/global/httpHealthChecks/{httpHealthCheck}"], made
assert list(made.values()) == [1], made
PY
[ "$(gce GET "$hc" | jq_py 'print(d["requestPath"])')" = "$want_path" ] || fail "the health check path is not back to $want_path"
orch plan "$spec" --detailed-exitcode >"$work/after3.out" 2>&1 || { cat "$work/after3.out"; fail "changes left after restoring the health check"; }

# An instance's network tag removed (setTags), the static address's access
# config removed (deleteAccessConfig) and the load balancer's forwarding
# rule deleted, all outside: each is drift put back in place by one call.
inst=/zones/us-central1-a/instances/gcedemo-cassandra-0
mon=/zones/us-central1-a/instances/gcedemo-monitoring-0
fip=/regions/us-central1/addresses/gcedemo-monitoring-fip-0
fr=/regions/us-central1/forwardingRules/gcedemo-api-lb
lb_addr=/regions/us-central1/addresses/gcedemo-api-lb
tags() { gce GET "$inst" | jq_py 'print(" ".join(d.get("tags", {}).get("items", [])))'; }
nat() { gce GET "$mon" | jq_py 'print(",".join(a.get("natIP", "") for n in d["networkInterfaces"] for a in n.get("accessConfigs", [])))'; }
address() { gce GET "$fip" | jq_py 'print(d["id"], d["address"], d["status"], ",".join(u.rsplit("/", 1)[1] for u in d.get("users", [])))'; }
rule_of() { gce GET "$fr" | jq_py 'print(d["IPAddress"], d["portRange"], d["target"].rsplit("/", 1)[1])'; }
want_tags=$(tags)
[ "$want_tags" = "gcedemo-cassandra" ] || fail "cassandra-0 has tags '$want_tags'"
want_address=$(address)
read -r fip_id fip_ip fip_status fip_users <<<"$want_address"
[ "$fip_status $fip_users" = "IN_USE gcedemo-monitoring-0" ] || fail "the static address is '$want_address'"
[ "$(nat)" = "$fip_ip" ] || fail "monitoring-0 has NAT IP '$(nat)', not the static $fip_ip"
lb_ip=$(gce GET "$lb_addr" | jq_py 'print(d["address"])')
want_rule=$(rule_of)
[ "$want_rule" = "$lb_ip 8080-8080 gcedemo-api-lb" ] || fail "the forwarding rule is '$want_rule'"

fingerprint=$(gce GET "$inst" | jq_py 'print(d["tags"]["fingerprint"])')
gce POST "$inst/setTags" "{\"fingerprint\": \"$fingerprint\", \"items\": []}"
gce POST "$mon/deleteAccessConfig?accessConfig=External%20NAT&networkInterface=nic0"
gce DELETE "$fr"
[ -z "$(tags)" ] || fail "setTags outside left tags '$(tags)'"
[ -z "$(nat)" ] || fail "deleteAccessConfig outside left NAT IP '$(nat)'"
[ "$(address | cut -d' ' -f3)" = RESERVED ] || fail "the static address is '$(address)' after deleteAccessConfig"

set +e
orch plan "$spec" --detailed-exitcode >"$work/net.out" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || { cat "$work/net.out"; fail "plan after the network changes exited $code, want 2"; }
grep -qF "  ~ cassandra.instance[0] (update in place: drift: target_tag changed outside orchestrator)" "$work/net.out" ||
  { cat "$work/net.out"; fail "the tag removed outside is not shown as drift"; }
grep -qF "  ~ monitoring.fip[0] (update in place: drift: instance_id changed outside orchestrator)" "$work/net.out" ||
  { cat "$work/net.out"; fail "the static address taken off its instance is not shown as drift"; }
grep -qF "  ~ api.lb (update in place: drift: listeners changed outside orchestrator)" "$work/net.out" ||
  { cat "$work/net.out"; fail "the forwarding rule deleted outside is not shown as drift"; }
grep -q "^Plan: 0 to add, 3 to change, 0 to replace, 0 to destroy, 0 to adopt." "$work/net.out" ||
  { cat "$work/net.out"; fail "the plan changes more than the three drifted resources"; }
set +e
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/net-refresh.out" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || { cat "$work/net-refresh.out"; fail "plan --refresh-only after the network changes exited $code, want 2"; }
grep -q "^Drift: 3 resources changed outside orchestrator" "$work/net-refresh.out" ||
  { cat "$work/net-refresh.out"; fail "no drift summary of the three"; }

before=$(cloudsim_mutations gce)
orch deploy "$spec" --auto-approve >"$work/restore3.out" 2>&1 || { tail -20 "$work/restore3.out"; fail "deploy restoring tag, address and forwarding rule"; }
made=$(cloudsim_made "$before" "$(cloudsim_mutations gce)")
python3 - "$made" <<'PY' || fail "restoring tag, address and forwarding rule made other mutating requests"
import json, sys
made = json.loads(sys.argv[1])
p = "/compute/v1/projects/{project}"
want = {"POST %s/zones/{zone}/instances/{instance}/setTags" % p: 1,
        "POST %s/zones/{zone}/instances/{instance}/addAccessConfig" % p: 1,
        "POST %s/regions/{region}/forwardingRules" % p: 1}
assert made == want, made
print("restoring tag, address and forwarding rule: %s" % made)
PY
[ "$(tags)" = "$want_tags" ] || fail "cassandra-0 has tags '$(tags)', want '$want_tags'"
[ "$(address)" = "$want_address" ] || fail "the static address is '$(address)', want '$want_address'"
[ "$(nat)" = "$fip_ip" ] || fail "monitoring-0 has NAT IP '$(nat)', want $fip_ip"
[ "$(rule_of)" = "$want_rule" ] || fail "the forwarding rule is '$(rule_of)', want '$want_rule'"
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/after4.out" 2>&1 || { cat "$work/after4.out"; fail "drift left after restoring the network changes"; }
orch plan "$spec" --detailed-exitcode >"$work/after5.out" 2>&1 || { cat "$work/after5.out"; fail "changes left after restoring the network changes"; }

orch teardown "$spec" --auto-approve >"$work/teardown.out" 2>&1 || { tail -20 "$work/teardown.out"; fail "teardown"; }
[ -z "$(gce_kinds)" ] || fail "left after teardown: $(gce_kinds)"
echo "gce_drift: ok"
