#!/usr/bin/env bash
# Reused and shared objects converge (docs/providers/digitalocean.md): two
# deployments against cloudsim share one SSH key. configs/quickstart.yaml
# uploads the `ops` key; configs/digitalocean.yaml names the same key (same
# fingerprint, another comment), finds it and records it as reused. Its
# next plan says "No changes." and its redeploy makes no mutating request;
# its teardown leaves the key, which the quickstart still uses; the
# quickstart's teardown deletes it. Lookups show as reads (`<= image...`),
# and so does the key found by its fingerprint, in the very first plan.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-shared-key.XXXXXX)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$root"
cloudsim_start "$build" "$work" --time-scale 0.02 --seed 3
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
mutating() { cloudsim_mutations | awk '{n += $3} END {print n + 0}'; }
keys() {
  curl -fsS -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" "$DIGITALOCEAN_API_URL/account/keys" |
    python3 -c 'import json,sys; print(" ".join(sorted(k["name"] for k in json.load(sys.stdin)["ssh_keys"])))'
}
for f in quickstart digitalocean; do sed "s#\.\./templates/#$root/templates/#" "configs/$f.yaml" >"$work/$f.yaml"; done

orch deploy "$work/quickstart.yaml" --auto-approve >"$work/quickstart.out" 2>&1 || { tail -20 "$work/quickstart.out"; fail "quickstart deploy"; }
[ "$(keys)" = "quickstart-ops" ] || fail "keys after the quickstart: $(keys)"

orch plan "$work/digitalocean.yaml" >"$work/first-plan.out" 2>&1 || { cat "$work/first-plan.out"; fail "dodemo plan"; }
grep -qF " <= image.ubuntu (read)" "$work/first-plan.out" || { cat "$work/first-plan.out"; fail "the image lookup is not shown as a read"; }
# The account's key with the same fingerprint is found, not created.
grep -qF " <= ssh_key.ops@do (read: the account's key 'quickstart-ops' has this fingerprint)" "$work/first-plan.out" ||
  { cat "$work/first-plan.out"; fail "the shared key is not shown as a read"; }
if grep -q "+ ssh_key" "$work/first-plan.out"; then cat "$work/first-plan.out"; fail "the shared key is planned as a create"; fi
orch deploy "$work/digitalocean.yaml" --auto-approve >"$work/dodemo.out" 2>&1 || { tail -20 "$work/dodemo.out"; fail "dodemo deploy"; }
[ "$(keys)" = "quickstart-ops" ] || fail "a second key was uploaded: $(keys)"
python3 - "$work/state/dodemo.state.json" <<'PY' || fail "dodemo does not record the key as reused"
import json, sys
k = json.load(open(sys.argv[1]))["resources"]["ssh_key.ops@do"]
assert k["outputs"].get("reused") is True and k["cloud_name"] == "quickstart-ops", k
PY

orch plan "$work/digitalocean.yaml" --detailed-exitcode >"$work/plan.out" 2>&1 || { cat "$work/plan.out"; fail "dodemo plans changes over the shared key"; }
grep -q "^No changes." "$work/plan.out" || { cat "$work/plan.out"; fail "no 'No changes.'"; }
before=$(mutating)
orch deploy "$work/digitalocean.yaml" --auto-approve >"$work/redeploy.out" 2>&1 || { tail -20 "$work/redeploy.out"; fail "dodemo redeploy"; }
[ "$(mutating)" -eq "$before" ] || fail "the redeploy made $(( $(mutating) - before )) mutating requests: $(cloudsim_made "$before" "$(cloudsim_mutations)")"
echo "shared key: dodemo's redeploy made 0 mutating requests"

orch teardown "$work/digitalocean.yaml" --auto-approve >"$work/td1.out" 2>&1 || { tail -20 "$work/td1.out"; fail "dodemo teardown"; }
[ "$(keys)" = "quickstart-ops" ] || fail "dodemo's teardown deleted the shared key: $(keys)"
orch plan "$work/quickstart.yaml" --detailed-exitcode >"$work/qplan.out" 2>&1 || { cat "$work/qplan.out"; fail "the quickstart changed"; }
orch teardown "$work/quickstart.yaml" --auto-approve >"$work/td2.out" 2>&1 || { tail -20 "$work/td2.out"; fail "quickstart teardown"; }
[ -z "$(keys)" ] || fail "the owner's teardown left keys: $(keys)"
echo "shared_ssh_key: ok"
