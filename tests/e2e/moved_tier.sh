#!/usr/bin/env bash
# Renames without loss (docs/spec.md#moved): configs/quickstart.yaml deployed
# to cloudsim, then its tiers 'api' (a DigitalOcean group behind a load
# balancer) and 'monitoring' (a GCE instance with a static IP) renamed to
# 'front' and 'observer' with `moved:` entries. The plan moves every address
# of both and creates, updates, deletes and replaces nothing; the deploy records the move (serial bumped) and the next plan says
# "No changes.". Then the cassandra volumes are renamed in the spec and moved
# by hand with `orchestrator state mv`: again no create and no delete. The
# cloud keeps every resource, with the same id and name, throughout.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$work/configs"
cp "$root/configs/quickstart.yaml" "$work/configs/"
cp -r "$root/templates" "$work/templates"
cloudsim_start "$build" "$work/sim" --time-scale 0.02 --seed 9
cd "$work"
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
state="$work/state/quickstart.state.json"
cloud() { cloudsim_inventory; }
same() { cloudsim_same_inventory "$@"; }
serial() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$state"; }

orch deploy configs/quickstart.yaml --auto-approve >"$work/deploy.out" 2>&1 || { tail -20 "$work/deploy.out"; fail "first deploy"; }
cloud >"$work/cloud.before"
[ -s "$work/cloud.before" ] || fail "cloudsim holds no resource after the deploy"

# The renamed tier: its key and the firewall sources naming it.
sed -e 's/^  api:$/  front:/' -e 's/tier:api/tier:front/g' \
  -e 's/^  monitoring:$/  observer:/' -e 's/tier:monitoring/tier:observer/g' -e 's/tiers\.monitoring\./tiers.observer./g' \
  configs/quickstart.yaml >configs/renamed.yaml
printf 'moved:\n  - {from: api, to: front}\n  - {from: monitoring, to: observer}\n' >>configs/renamed.yaml
grep -q '^  front:$' configs/renamed.yaml && grep -q '^  observer:$' configs/renamed.yaml ||
  fail "the tiers were not renamed in the copy"

orch plan configs/renamed.yaml --json >"$work/plan.json" 2>"$work/plan.err" || { cat "$work/plan.err"; fail "plan --json"; }
python3 "$root/tests/e2e/moved_plan.py" "$work/plan.json" api=front,monitoring=observer \
  "api.instance[0]" api.lb "monitoring.instance[0]" "monitoring.fip[0]" >/dev/null || fail "the renamed tier's plan"
orch plan configs/renamed.yaml >"$work/plan.out" 2>&1 || { cat "$work/plan.out"; fail "plan"; }
grep -qxF "  # api.instance[0] has moved to front.instance[0]" "$work/plan.out" || { cat "$work/plan.out"; fail "the plan does not show the move"; }
grep -q "^Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy, 0 to adopt, 7 to move.$" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "the plan's summary"; }
echo "renamed tier plans: $(grep '^Plan:' "$work/plan.out")"

before=$(serial)
orch deploy configs/renamed.yaml --auto-approve >"$work/redeploy.out" 2>&1 || { tail -20 "$work/redeploy.out"; fail "deploy of the renamed tier"; }
[ "$(serial)" -gt "$before" ] || fail "the move was not written to the state (serial $before, now $(serial))"
python3 - "$state" <<'PY' || fail "the state after the move"
import json, sys
r = json.load(open(sys.argv[1]))["resources"]
old = ("api.", "monitoring.")
assert not [a for a in r if a.startswith(old)], sorted(r)
assert "front.instance[0]" in r and "observer.fip[0]" in r, sorted(r)
for a, v in r.items():
    assert not [d for d in v.get("depends_on", []) if d.startswith(old)], (a, v["depends_on"])
PY
cloud >"$work/cloud.after"
same "$work/cloud.before" "$work/cloud.after" || fail "the cloud's resources (ids, names) changed with the move"
orch plan configs/renamed.yaml --detailed-exitcode >"$work/again.out" 2>&1 || { cat "$work/again.out"; fail "the plan after the move has changes"; }
grep -q "^No changes." "$work/again.out" || { cat "$work/again.out"; fail "no 'No changes.' after the move"; }
# The entry may stay in the spec, and may go: either way nothing changes.
sed '/^moved:$/,$d' configs/renamed.yaml >configs/renamed-only.yaml
orch plan configs/renamed-only.yaml --detailed-exitcode >"$work/without.out" 2>&1 ||
  { cat "$work/without.out"; fail "the plan without the moved entry has changes"; }
echo "after the deploy: No changes., cloud ids and names unchanged"

# By hand: the cassandra volumes renamed data -> disk, moved with state mv.
sed 's/- {name: data, size_gb: 100}/- {name: disk, size_gb: 100}/' configs/renamed-only.yaml >configs/disk.yaml
grep -q 'name: disk' configs/disk.yaml || fail "the volume was not renamed in the copy"
set +e
orch plan configs/disk.yaml --detailed-exitcode >"$work/disk.out" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] && grep -qF "  + cassandra.volume.disk[0] (create)" "$work/disk.out" ||
  { cat "$work/disk.out"; fail "renaming the volume without a move should plan a create (exit $code)"; }
for i in 0 1 2; do
  orch state mv --deployment quickstart "cassandra.volume.data[$i]" "cassandra.volume.disk[$i]" >"$work/mv.out" 2>&1 ||
    { cat "$work/mv.out"; fail "state mv of volume $i"; }
  grep -qxF "Moved cassandra.volume.data[$i] to cassandra.volume.disk[$i]" "$work/mv.out" || { cat "$work/mv.out"; fail "state mv output"; }
done
orch plan configs/disk.yaml --json >"$work/disk.json" 2>"$work/disk.err" || { cat "$work/disk.err"; fail "plan after state mv"; }
python3 - "$work/disk.json" <<'PY' || fail "the plan after state mv"
import json, sys
p = json.load(open(sys.argv[1]))
vols = [c for c in p["changes"] if c["address"].startswith("cassandra.volume.")]
assert len(vols) == 3 and all(c["address"].startswith("cassandra.volume.disk[") for c in vols), vols
for c in p["changes"]:
    assert c["action"] not in ("create", "delete", "replace"), (c["address"], c["action"], c["reason"])
PY
if orch state mv --deployment quickstart cassandra.volume.data[0] cassandra.volume.disk[0] >"$work/mv2.out" 2>&1; then
  fail "a second state mv of the same address succeeded"
fi
grep -qF "error: no resource 'cassandra.volume.data[0]' in state" "$work/mv2.out" || { cat "$work/mv2.out"; fail "state mv of an address not in state"; }
if orch state mv --deployment quickstart front.instance[0] cassandra.instance[0] >"$work/mv3.out" 2>&1; then
  fail "state mv onto a recorded address succeeded"
fi
grep -qF "cannot move 'front.instance[0]' to 'cassandra.instance[0]': the state already records id" "$work/mv3.out" ||
  { cat "$work/mv3.out"; fail "state mv onto a recorded address: message"; }
# A move to a tier the spec does not declare: an error at the entry, before any cloud is asked.
cp configs/disk.yaml configs/bad.yaml
printf 'moved:\n  - {from: front, to: nowhere}\n' >>configs/bad.yaml
line=$(wc -l <configs/bad.yaml)
if orch validate configs/bad.yaml >"$work/bad.out" 2>&1; then fail "a move to an undeclared tier validates"; fi
grep -qF "configs/bad.yaml:$line:5: error: tier 'nowhere' is not declared in the spec" "$work/bad.out" ||
  { cat "$work/bad.out"; fail "the undeclared tier's error"; }
cloud >"$work/cloud.mv"
same "$work/cloud.after" "$work/cloud.mv" || fail "state mv changed the cloud"
echo "state mv: no create and no delete for the moved volumes"

orch teardown configs/disk.yaml --auto-approve >"$work/teardown.out" 2>&1 || { tail -20 "$work/teardown.out"; fail "teardown"; }
left=$(cloud | grep -c ' quickstart' || true)
[ "$left" -eq 0 ] || { cloud; fail "teardown left $left resources behind"; }
echo "moved_tier: ok"
