#!/usr/bin/env bash
# Renames without loss on OpenStack (docs/spec.md#moved): configs/openstack.yaml
# deployed to cloudsim, then its tiers 'api' (a server group behind an
# Octavia load balancer) and 'database' (servers with Cinder volumes, a
# security group other tiers' rules name) renamed to 'front' and 'ring' with
# `moved:` entries. The plan moves every address of both and creates,
# updates, deletes and replaces nothing; the deploy makes no mutating
# request, the next plan says "No changes.", and the cloud keeps every
# resource with the same id and name. Teardown of the renamed spec leaves
# nothing.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cloudsim_start "$build" "$work/sim" --time-scale 0.01 --seed 13
unset OS_CLOUD OS_CLIENT_CONFIG_FILE
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
spec=$work/spec.yaml
sed "s#\.\./templates/#$root/templates/#" "$root/configs/openstack.yaml" >"$spec"

orch deploy "$spec" --auto-approve >"$work/deploy.out" 2>&1 || { tail -20 "$work/deploy.out"; fail "first deploy"; }
cloudsim_inventory >"$work/cloud.before"
grep -q '^openstack ' "$work/cloud.before" || fail "cloudsim holds no OpenStack resource after the deploy"

sed -e 's/^  api:$/  front:/' -e 's/tier:api/tier:front/g' -e 's/depends_on: \[api\]/depends_on: [front]/' \
  -e 's/^  database:$/  ring:/' -e 's/tier:database/tier:ring/g' -e 's/tiers\.database\./tiers.ring./g' \
  "$spec" >"$work/renamed.yaml"
printf 'moved:\n  - {from: api, to: front}\n  - {from: database, to: ring}\n' >>"$work/renamed.yaml"
grep -q '^  front:$' "$work/renamed.yaml" && grep -q '^  ring:$' "$work/renamed.yaml" ||
  fail "the tiers were not renamed in the copy"

orch plan "$work/renamed.yaml" --json >"$work/plan.json" 2>"$work/plan.err" || { cat "$work/plan.err"; fail "plan --json"; }
python3 "$root/tests/e2e/moved_plan.py" "$work/plan.json" api=front,database=ring \
  "api.instance[0]" api.lb api.firewall "database.instance[0]" "database.volume.data[1]" database.firewall ||
  fail "the renamed tiers' plan"

before=$(cloudsim_mutations openstack)
orch deploy "$work/renamed.yaml" --auto-approve >"$work/redeploy.out" 2>&1 || { tail -20 "$work/redeploy.out"; fail "deploy of the renamed tiers"; }
made=$(cloudsim_made "$before" "$(cloudsim_mutations openstack)")
[ "$made" = "{}" ] || fail "the deploy of the move made mutating requests: $made"
cloudsim_inventory >"$work/cloud.after"
cloudsim_same_inventory "$work/cloud.before" "$work/cloud.after" || fail "the cloud's resources (ids, names) changed with the move"
orch plan "$work/renamed.yaml" --detailed-exitcode >"$work/again.out" 2>&1 || { cat "$work/again.out"; fail "the plan after the move has changes"; }
grep -q "^No changes." "$work/again.out" || { cat "$work/again.out"; fail "no 'No changes.' after the move"; }
echo "after the move: 0 mutating requests, No changes., cloud ids and names unchanged"

orch teardown "$work/renamed.yaml" --auto-approve >"$work/teardown.out" 2>&1 || { tail -20 "$work/teardown.out"; fail "teardown"; }
left=$(cloudsim_inventory | grep -c '^openstack .* first-app' || true)
[ "$left" -eq 0 ] || { cloudsim_inventory | grep first-app; fail "teardown left $left resources behind"; }
echo "moved_tier_openstack: ok"
