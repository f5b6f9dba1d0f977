#!/usr/bin/env bash
# Drift on DigitalOcean against cloudsim: after a deploy of
# tests/soak/small.yaml, three changes are made behind the tool's back
# through the API (an inbound rule opened to everything on the database
# firewall, the tier tag taken off a web droplet, which takes it out of the
# load balancer, a reserved IP unassigned, and the load balancer's health
# check pointed at another path). `plan` shows each as drift,
# `plan --refresh-only --detailed-exitcode` exits 2, one deploy puts them
# back with no other mutating request, and then both plans report nothing.
# A change made outside and put back outside plans no change.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
. "$root/tests/soak/lib.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$root"
cloudsim_start "$build" "$work" --time-scale 0.02 --seed 11
state=$work/state
spec=tests/soak/small.yaml

# api METHOD PATH [BODY]: the DigitalOcean API, as a user's script calls it.
api() {
  curl -fsS -X "$1" -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$DIGITALOCEAN_API_URL$2"
}
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

orch deploy "$spec" --auto-approve >"$work/deploy.out" 2>&1 || { tail -20 "$work/deploy.out"; fail "first deploy"; }
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/clean.out" 2>&1 ||
  { cat "$work/clean.out"; fail "refresh-only plan right after the deploy reports drift"; }
grep -q "^No drift" "$work/clean.out" || { cat "$work/clean.out"; fail "no 'No drift' line"; }

fw=$(api GET /firewalls | jq_py 'print([f["id"] for f in d["firewalls"] if f["name"] == "smalltest-db-fw"][0])')
web1=$(api GET "/droplets?tag_name=smalltest-web" | jq_py 'print(sorted((x["name"], x["id"]) for x in d["droplets"])[1][1])')
ip=$(api GET /reserved_ips | jq_py 'print(sorted(i["ip"] for i in d["reserved_ips"] if i.get("droplet"))[0])')
ip_droplet=$(api GET "/reserved_ips/$ip" | jq_py 'print(d["reserved_ip"]["droplet"]["id"])')
fip_addr=$(python3 - "$(state_file)" "$ip" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print([a for a, r in s["resources"].items() if r["kind"] == "floating_ip" and r["id"] == sys.argv[2]][0])
PY
)
web1_addr=$(python3 - "$(state_file)" "$web1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print([a for a, r in s["resources"].items() if r["kind"] == "instance" and r["id"] == sys.argv[2]][0])
PY
)

# A change put back outside is no drift.
api DELETE /tags/smalltest-web/resources "{\"resources\":[{\"resource_id\":\"$web1\",\"resource_type\":\"droplet\"}]}" >/dev/null
api POST /tags/smalltest-web/resources "{\"resources\":[{\"resource_id\":\"$web1\",\"resource_type\":\"droplet\"}]}" >/dev/null
orch plan "$spec" --detailed-exitcode >"$work/back.out" 2>&1 || { cat "$work/back.out"; fail "a change put back outside plans a change"; }

# The four changes behind the tool's back.
api GET "/firewalls/$fw" | python3 -c '
import json, sys
f = json.load(sys.stdin)["firewall"]
rules = f["inbound_rules"] + [{"protocol": "tcp", "ports": "all", "sources": {"addresses": ["0.0.0.0/0"]}}]
print(json.dumps({"name": f["name"], "inbound_rules": rules, "outbound_rules": f["outbound_rules"], "tags": f["tags"]}))' \
  >"$work/fw.json"
api PUT "/firewalls/$fw" "$(cat "$work/fw.json")" >/dev/null
api DELETE /tags/smalltest-web/resources "{\"resources\":[{\"resource_id\":\"$web1\",\"resource_type\":\"droplet\"}]}" >/dev/null
api POST "/reserved_ips/$ip/actions" '{"type":"unassign"}' >/dev/null
lb=$(api GET /load_balancers | jq_py 'print([l["id"] for l in d["load_balancers"] if l["name"] == "smalltest-web-lb"][0])')
api GET "/load_balancers/$lb" | python3 -c '
import json, sys
l = json.load(sys.stdin)["load_balancer"]
l["health_check"]["path"] = "/changed-by-hand"
body = {k: l[k] for k in ("name", "forwarding_rules", "health_check", "tag", "vpc_uuid") if k in l}
body["region"] = l["region"]["slug"]
print(json.dumps(body))' >"$work/lb.json"
api PUT "/load_balancers/$lb" "$(cat "$work/lb.json")" >/dev/null
for _ in $(seq 1 500); do
  [ "$(api GET "/reserved_ips/$ip" | jq_py 'print(d["reserved_ip"].get("droplet") is None)')" = True ] && break
  sleep 0.02
done

set +e
orch plan "$spec" --detailed-exitcode >"$work/plan.out" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || { cat "$work/plan.out"; fail "plan after the drift exited $code, want 2"; }
grep -q "^  ~ db.firewall (update in place: drift: rules changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the firewall rule opened outside is not shown as drift"; }
grep -qF "  ~ $web1_addr (update in place: drift: target_tag changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the tag taken off $web1_addr is not shown as drift"; }
grep -qF "  ~ $fip_addr (update in place: drift: instance_id changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the unassigned reserved IP $fip_addr is not shown as drift"; }
grep -q "^  ~ web.lb (update in place: drift: health_check changed outside orchestrator)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the load balancer's health check changed outside is not shown as drift"; }
grep -q "^Plan: 0 to add, 4 to change, 0 to replace, 0 to destroy, 0 to adopt." "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the plan changes more than the four drifted resources"; }

set +e
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/refresh.out" 2>&1
code=$?
orch plan "$spec" --refresh-only --json >"$work/refresh.json" 2>/dev/null
set -e
[ "$code" -eq 2 ] || { cat "$work/refresh.out"; fail "plan --refresh-only after the drift exited $code, want 2"; }
grep -q "^Drift: 4 resources changed outside orchestrator" "$work/refresh.out" || { cat "$work/refresh.out"; fail "no drift summary"; }
python3 - "$work/refresh.json" <<'PY' || fail "plan --refresh-only --json is not the four drifted changes"
import json, sys
p = json.load(open(sys.argv[1]))
got = sorted((c["address"], sorted(c["drift"])) for c in p["changes"])
assert len(got) == 4 and all(c["outside"] for c in p["changes"]), got
assert ("db.firewall", ["rules"]) in got, got
PY

before=$(cloudsim_mutations digitalocean)
orch deploy "$spec" --auto-approve >"$work/restore.out" 2>&1 || { tail -20 "$work/restore.out"; fail "restoring deploy"; }
made=$(cloudsim_made "$before" "$(cloudsim_mutations digitalocean)")
python3 - "$made" <<'PY' || fail "the restoring deploy made other mutating requests"
import json, sys
made = json.loads(sys.argv[1])
# The firewall and load balancer PUTs (their tags are ensured first: a
# create of an existing tag changes nothing), the tier tag put back on the
# droplet, the reassignment.
allowed = {"PUT /v2/firewalls/{firewall_id}", "PUT /v2/load_balancers/{lb_id}", "POST /v2/tags", "POST /v2/tags/{tag}/resources",
           "POST /v2/reserved_ips/{ip}/actions", "POST /v2/floating_ips/{ip}/actions"}
extra = {k: n for k, n in made.items() if k not in allowed}
assert not extra, "unexpected: %s (all: %s)" % (extra, made)
assert made.get("PUT /v2/firewalls/{firewall_id}") == 1, made
assert made.get("POST /v2/tags/{tag}/resources") == 1, made
assert sum(n for k, n in made.items() if k.startswith("PUT /v2/load_balancers/")) == 1, made
assert sum(n for k, n in made.items() if k.endswith("/actions")) == 1, made
print("restoring deploy: %s" % made)
PY
orch plan "$spec" --refresh-only --detailed-exitcode >"$work/after.out" 2>&1 || { cat "$work/after.out"; fail "drift left after the restoring deploy"; }
orch plan "$spec" --detailed-exitcode >"$work/after2.out" 2>&1 || { cat "$work/after2.out"; fail "changes left after the restoring deploy"; }
[ "$(api GET "/reserved_ips/$ip" | jq_py 'print((d["reserved_ip"].get("droplet") or {}).get("id"))')" = "$ip_droplet" ] ||
  fail "reserved IP $ip is not back on droplet $ip_droplet"
api GET "/droplets/$web1" | jq_py 'sys.exit(0 if "smalltest-web" in d["droplet"]["tags"] else 1)' || fail "tier tag not back on $web1"
api GET "/firewalls/$fw" | jq_py 'sys.exit(0 if all(r["ports"] != "all" for r in d["firewall"]["inbound_rules"]) else 1)' ||
  fail "the rule opened outside is still on the firewall"

api GET "/load_balancers/$lb" | jq_py 'sys.exit(0 if d["load_balancer"]["health_check"]["path"] != "/changed-by-hand" else 1)' ||
  fail "the load balancer's health check is still the one set outside"

orch teardown "$spec" --auto-approve >"$work/teardown.out" 2>&1 || { tail -20 "$work/teardown.out"; fail "teardown"; }
[ -z "$(do_kinds)" ] || fail "left after teardown: $(do_kinds)"
echo "digitalocean_drift: ok"
