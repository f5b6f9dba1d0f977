#!/usr/bin/env bash
# Location-independent state (docs/spec.md#user-data): configs/quickstart.yaml
# deployed to cloudsim from one checkout, then planned and deployed from a
# second checkout in another directory with the state directory moved:
# "No changes." and no mutating request. An edit of a template's content in
# the second checkout replaces the instances rendered from it.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# A checkout: the spec and the templates it names, as the repository lays them out.
checkout() {
  mkdir -p "$1/configs"
  cp "$root/configs/quickstart.yaml" "$1/configs/"
  cp -r "$root/templates" "$1/templates"
}
# Requests that change a cloud so far.
mutating() { cloudsim_mutations | awk '{n += $3} END {print n + 0}'; }

checkout "$work/first"
checkout "$work/elsewhere/second"
cloudsim_start "$build" "$work" --time-scale 0.02 --seed 5
cd "$work/first"
"$build/orchestrator" --state-dir "$work/state-a" deploy configs/quickstart.yaml --auto-approve >"$work/deploy.out" 2>&1 ||
  { tail -20 "$work/deploy.out"; fail "deploy from the first checkout"; }
python3 - "$work/state-a/quickstart.state.json" <<'PY' || fail "state does not record the templates by spec-relative path and digest"
import json, sys
s = json.load(open(sys.argv[1]))
uds = [r["attributes"]["user_data"] for r in s["resources"].values()
       if isinstance(r.get("attributes", {}).get("user_data"), dict)]
assert uds, "no user_data recorded"
for ud in uds:
    assert ud["template"].startswith("../templates/"), ud["template"]
    assert ud["digest"].startswith("sha256:") and len(ud["digest"]) == 71, ud
PY
# No resource record names a path of the checkout (the provider settings
# keep the spec's directory for a teardown by --deployment alone).
python3 - "$work/state-a/quickstart.state.json" "$work" <<'PY' || fail "a resource record depends on where the checkout is"
import json, sys
s = json.load(open(sys.argv[1]))
text = json.dumps(s["resources"])
assert sys.argv[2] not in text, [a for a, r in s["resources"].items() if sys.argv[2] in json.dumps(r)]
PY

mv "$work/state-a" "$work/elsewhere/state-b"
rm -rf "$work/first"
cd "$work/elsewhere/second"
orch() { "$build/orchestrator" --state-dir "$work/elsewhere/state-b" "$@"; }
orch plan configs/quickstart.yaml --detailed-exitcode >"$work/plan.out" 2>&1 ||
  { cat "$work/plan.out"; fail "the moved checkout plans changes"; }
grep -q "^No changes." "$work/plan.out" || { cat "$work/plan.out"; fail "no 'No changes.'"; }
before=$(mutating)
orch deploy configs/quickstart.yaml --auto-approve >"$work/redeploy.out" 2>&1 || { tail -20 "$work/redeploy.out"; fail "redeploy"; }
[ "$(mutating)" -eq "$before" ] || fail "deploy from the moved checkout made $(( $(mutating) - before )) mutating requests"
echo "moved checkout and state: No changes., 0 mutating requests"

# The template's content is part of the record: an edit replaces the
# instances rendered from it.
echo "# edited" >>templates/monitoring.yaml.tmpl
set +e
orch plan configs/quickstart.yaml --detailed-exitcode >"$work/edit.out" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || { cat "$work/edit.out"; fail "an edited template plans no change (exit $code)"; }
grep -qF -- "-/+ monitoring.instance[0] (replace: user_data changed)" "$work/edit.out" || { cat "$work/edit.out"; fail "the monitoring instance is not replaced"; }
orch teardown configs/quickstart.yaml --auto-approve >"$work/teardown.out" 2>&1 || { tail -20 "$work/teardown.out"; fail "teardown"; }
echo "checkout_moved: ok"
