#!/usr/bin/env bash
# Data disks are deleted only on purpose (docs/spec.md#tiers): against
# cloudsim, configs/digitalocean.yaml with `protect: true` on its Cassandra
# tier. Shrinking the ring from 3 to 2 nodes plans the node and its volume
# each on its own line (`- cassandra.volume.data[2] (delete: DATA: ...)`),
# and the plan and the deploy fail naming both, with nothing sent to the
# cloud; `--allow-destroy` naming them lets it proceed. Teardown of the
# protected tier is refused the same way until `--allow-destroy cassandra`.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-protect.XXXXXX)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$root"
cloudsim_start "$build" "$work" --time-scale 0.02 --seed 9
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
mutating() { cloudsim_mutations | awk '{n += $3} END {print n + 0}'; }
spec=$work/digitalocean.yaml
sed -e "s#\.\./templates/#$root/templates/#" -e 's/^    count: 3$/    count: 3\n    protect: true/' \
  configs/digitalocean.yaml >"$spec"
grep -q "protect: true" "$spec" || fail "the spec edit did not apply"
orch deploy "$spec" --auto-approve >"$work/deploy.out" 2>&1 || { tail -20 "$work/deploy.out"; fail "deploy"; }

sed -i 's/^    count: 3$/    count: 2/' "$spec"
refused="tier 'cassandra' is protected (protect: true at $spec:34:3) and this plan would destroy cassandra.instance[2] (delete: not in the spec), cassandra.volume.data[2] (delete: DATA: not in the spec)"
if orch plan "$spec" >"$work/plan.out" 2>&1; then cat "$work/plan.out"; fail "plan shrinking a protected tier succeeded"; fi
grep -qF -- "$refused" "$work/plan.out" || { cat "$work/plan.out"; fail "plan: no refusal naming the instance and the volume"; }
grep -qF -- "--allow-destroy cassandra.instance[2] --allow-destroy cassandra.volume.data[2]" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "plan: the refusal does not say how to proceed"; }
grep -qF -- "  - cassandra.volume.data[2] (delete: DATA: not in the spec)" "$work/plan.out" ||
  { cat "$work/plan.out"; fail "plan: the volume's delete is not on its own line, marked DATA"; }
before=$(mutating)
if orch deploy "$spec" --auto-approve >"$work/refused.out" 2>&1; then fail "deploy shrinking a protected tier succeeded"; fi
grep -qF -- "$refused" "$work/refused.out" || { cat "$work/refused.out"; fail "deploy: no refusal"; }
[ "$(mutating)" -eq "$before" ] || fail "the refused deploy sent $(( $(mutating) - before )) mutating requests"
# Naming one of the two is not enough.
if orch deploy "$spec" --auto-approve --allow-destroy cassandra.instance[2] >"$work/half.out" 2>&1; then fail "deploy allowed with one of two named"; fi
orch deploy "$spec" --auto-approve --allow-destroy cassandra.instance[2] --allow-destroy cassandra.volume.data[2] \
  >"$work/allowed.out" 2>&1 || { tail -20 "$work/allowed.out"; fail "deploy with --allow-destroy"; }
python3 - "$work/state/dodemo.state.json" <<'PY' || fail "the ring was not shrunk"
import json, sys
r = json.load(open(sys.argv[1]))["resources"]
assert "cassandra.instance[2]" not in r and "cassandra.volume.data[2]" not in r, sorted(r)
assert "cassandra.volume.data[1]" in r
PY
echo "protect: the shrink was refused with 0 mutating requests, and went ahead with --allow-destroy"

if orch teardown "$spec" --auto-approve >"$work/td-refused.out" 2>&1; then fail "teardown of a protected tier succeeded"; fi
grep -qF "tier 'cassandra' is protected" "$work/td-refused.out" || { cat "$work/td-refused.out"; fail "teardown: no refusal"; }
orch teardown "$spec" --auto-approve --allow-destroy cassandra >"$work/td.out" 2>&1 || { tail -20 "$work/td.out"; fail "teardown --allow-destroy cassandra"; }
[ "$(cloudsim_resource_count digitalocean)" -le 0 ] || echo "note: $(cloudsim_resource_count digitalocean) DigitalOcean object(s) left"
echo "protected_tier: ok"
