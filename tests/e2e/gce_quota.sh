#!/usr/bin/env bash
# A GCE managed instance group at the region's CPU quota (cloudsim's
# CLOUDSIM_GCE_CPUS_QUOTA): its member's lastAttempt holds QUOTA_EXCEEDED.
# The deploy fails once the tier's create timeout passes, naming the
# cloud's reason; it exits 1 with the group in state; the branches that do
# not need the group (another tier's instance, the group tier's firewall)
# are made; teardown then leaves nothing.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-gce-quota.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
# 3 vCPUs: an e2-small (2) fits, an n2-standard-4 (4) never does.
CLOUDSIM_GCE_CPUS_QUOTA=3 cloudsim_start "$build" "$work" --time-scale 0.01 --seed 5

spec=$work/spec.yaml
cat >"$spec" <<'YAML'
deployment: gcequota
providers:
  gcp: {type: gce, project: "${env:GOOGLE_CLOUD_PROJECT}", region: us-central1, zones: [us-central1-a]}
images:
  debian: {provider: gcp, source: "family:debian-12"}
networks:
  main: {provider: gcp, cidr: 10.40.0.0/20}
tiers:
  ops:
    provider: gcp
    count: 1
    size: e2-small
    image: debian
    network: main
  api:
    provider: gcp
    group: {min: 1, max: 1}
    size: n2-standard-4
    image: debian
    network: main
    timeouts: {create: 5s, delete: 5m}
    load_balancer:
      listeners: [{protocol: tcp, port: 8080, target_port: 8080}]
    firewall:
      - {protocol: tcp, ports: "8080", from: ["0.0.0.0/0"]}
YAML
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; cat "$work/deploy.log" >&2 || true; exit 1; }

set +e
orch deploy "$spec" --auto-approve >"$work/deploy.log" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fail "deploy exited $rc, want 1"
grep -q "api.group: .*group gcequota-api did not become stable within 5s: .*QUOTA_EXCEEDED: Quota 'CPUS' exceeded.  Limit: 3.0 in region us-central1." \
  "$work/deploy.log" || fail "the failure does not name the group, its deadline and the quota"
grep -q "raise the quota or lower the group size" "$work/deploy.log" || fail "no advice in the failure"
progress=$(grep -c "waiting for group gcequota-api to become stable" "$work/deploy.log" || true)
[ "$progress" -le 3 ] || fail "the wait was reported $progress times; once per change is enough"

# State: the group is recorded (its create is journaled), the branches that
# do not need it finished, the load balancer on top of it was not tried.
python3 - "$work/state/gcequota.state.json" <<'PY' || fail "state"
import json, sys
s = json.load(open(sys.argv[1]))
res, intents = s.get("resources", {}), s.get("intents", {})
assert "api.group" in res or "api.group" in intents, "api.group is not in state"
for a in ("ops.instance[0]", "api.firewall", "network.main"):
    assert a in res and res[a].get("id"), a + " was not made"
assert "api.lb" not in res, "api.lb was made on a failed group"
PY

# Timeouts change no cloud object: a new one plans nothing for what exists.
sed -i 's/timeouts: {create: 5s, delete: 5m}/timeouts: {create: 6s, delete: 4m}/' "$spec"
orch plan "$spec" >"$work/plan.log" 2>&1 || true
grep -q "api.group" "$work/plan.log" || { cat "$work/plan.log" >&2; fail "the plan does not finish the group's create"; }
if grep -q "api.firewall\|ops.instance" "$work/plan.log"; then cat "$work/plan.log" >&2; fail "a timeout change planned a change"; fi

orch teardown "$spec" --auto-approve >"$work/teardown.log" 2>&1 || { cat "$work/teardown.log" >&2; fail "teardown"; }
left=$(curl -fsS "$CLOUDSIM_ADMIN/resources?api=gce" | python3 -c '
import json, sys
print(" ".join(sorted(r["kind"] + ":" + r["name"] for r in json.load(sys.stdin)["resources"] if r["kind"] != "operation")))')
[ -z "$left" ] || fail "left after teardown: $left"
echo "quota ok"
