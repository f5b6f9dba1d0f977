#!/usr/bin/env bash
# A lost node costs one node (docs/spec.md#creation-inputs), on each cloud
# against cloudsim: deploy a spec, delete one Cassandra instance through the
# cloud's own API as an operator's script would, and the next deploy makes
# exactly that instance, seeding from the surviving members, and re-attaches
# its data volume (which survived):
# one create and one attach, nothing replaced. The other instances (by the
# cloud's own ids) and every volume keep their ids; the instances whose
# user_data took the lost node's address are listed stale, not replaced;
# on DigitalOcean `deploy --replace api` then rebuilds the stale api tier.
# On GCE the monitoring instance, which owns a static address, is then lost
# and afterwards replaced: the address (GCE's id and IP) is kept and put on
# the new instance each time, never made again.
#   DigitalOcean: configs/quickstart.yaml, cassandra.instance[1] (DELETE /v2/droplets/{id})
#   GCE:          configs/gce.yaml, cassandra.instance[1] (instances.delete)
#   OpenStack:    configs/openstack.yaml, database.instance[1] (DELETE /servers/{id})
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-lost-node.XXXXXX)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$root"
cloudsim_start "$build" "$work" --time-scale 0.02 --seed 7
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }

base=${GOOGLE_COMPUTE_CUSTOM_ENDPOINT%/}/projects/$GOOGLE_CLOUD_PROJECT
gce_token=$(curl -fsS -H "Metadata-Flavor: Google" \
  "http://$GCE_METADATA_HOST/computeMetadata/v1/instance/service-accounts/default/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
gce_get() { curl -fsS -H "Authorization: Bearer $gce_token" "$base/$1"; }
do_get() { curl -fsS -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" "$DIGITALOCEAN_API_URL/$1"; }

# cloud_ids STATE: "address=cloud id" of every instance and volume,
# read from the cloud (GCE's numeric id: the name-based path stays the same
# for an instance made again), and "address@attached=instances" per volume.
cloud_ids() {
  local state=$1 addr id cloud
  python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
for a, r in sorted(s["resources"].items()):
    if ".instance[" in a or ".volume." in a:
        print(a, r["id"], r["provider_type"])' "$state" | while read -r addr id cloud; do
    case "$cloud" in
      digitalocean)
        if [[ $addr == *.volume.* ]]; then
          do_get "volumes/$id" | python3 -c 'import json,sys; v=json.load(sys.stdin)["volume"]; print("'"$addr"'=" + v["id"]); print("'"$addr"'@attached=" + ",".join(map(str, v["droplet_ids"])))'
        else
          do_get "droplets/$id" | python3 -c 'import json,sys; print("'"$addr"'=%s" % json.load(sys.stdin)["droplet"]["id"])'
        fi ;;
      gce)
        if [[ $addr == *.volume.* ]]; then
          gce_get "$id" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("'"$addr"'=" + d["id"]); print("'"$addr"'@attached=" + ",".join(u.rsplit("/", 1)[1] for u in d.get("users", [])))'
        else
          gce_get "$id" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("'"$addr"'=" + d["id"])'
        fi ;;
      openstack)
        if [[ $addr == *.volume.* ]]; then
          python3 tests/e2e/openstack_api.py req GET volumev3 "/volumes/$id" |
            python3 -c 'import json,sys; v=json.load(sys.stdin)["volume"]; print("'"$addr"'=" + v["id"]); print("'"$addr"'@attached=" + ",".join(a["server_id"] for a in v["attachments"]))'
        else
          python3 tests/e2e/openstack_api.py req GET compute "/servers/$id" |
            python3 -c 'import json,sys; print("'"$addr"'=" + json.load(sys.stdin)["server"]["id"])'
        fi ;;
    esac
  done
}

# planned_create SPEC OUT ADDR: plans into OUT until ADDR, deleted outside,
# is planned to be created (deletes finish asynchronously); fails if never.
planned_create() {
  for _ in $(seq 1 100); do
    orch plan "$1" >"$2" 2>&1 || { cat "$2"; fail "plan"; }
    grep -qF "+ $3 (create: deleted outside orchestrator)" "$2" && return 0
    sleep 0.1
  done
  cat "$2"
  fail "the lost $3 is not planned to be created"
}

# deploy --replace TIER rebuilds a stale tier, one instance after the
# other; an unknown name changes nothing and says what exists.
replace_stale() {
  local spec=$1 state=$2
  if orch plan "$spec" --replace nosuch >"$work/replace-bad.out" 2>&1; then fail "--replace nosuch was accepted"; fi
  grep -q -- "--replace nosuch: no instance, group or tier of that name in the spec (tiers with instances: api, cassandra, monitoring)" \
    "$work/replace-bad.out" || { cat "$work/replace-bad.out"; fail "--replace nosuch: no clear error"; }
  orch plan "$spec" --replace api >"$work/replace.out" 2>&1 || { cat "$work/replace.out"; fail "plan --replace api"; }
  grep -qF -- "-/+ api.instance[0] (replace: user_data changed (replacement requested with --replace))" "$work/replace.out" ||
    { cat "$work/replace.out"; fail "plan --replace api does not replace api.instance[0]"; }
  orch plan "$spec" --replace api --json >"$work/replace.json" 2>/dev/null
  python3 - "$work/replace.json" <<'PY' || fail "plan --replace api: not the api instances one after the other"
import json, sys
p = json.load(open(sys.argv[1]))
replaced = sorted(c["address"] for c in p["changes"] if c["action"] == "replace")
assert replaced == ["api.instance[0]", "api.instance[1]"], replaced
one = [c for c in p["changes"] if c["address"] == "api.instance[1]"][0]
assert "api.instance[0]" in one["depends_on"], one["depends_on"]
PY
  orch deploy "$spec" --replace api --auto-approve >"$work/replace-deploy.out" 2>&1 || { tail -20 "$work/replace-deploy.out"; fail "deploy --replace api"; }
  orch plan "$spec" >"$work/replace-after.out" 2>&1
  if grep -q "^  ! api\." "$work/replace-after.out"; then cat "$work/replace-after.out"; fail "api is still stale after --replace"; fi
  # Monitoring finds the ring by itself (docs/templates.md): never stale.
  if grep -q "^  ! monitoring\." "$work/replace-after.out"; then cat "$work/replace-after.out"; fail "monitoring is listed stale"; fi
  # Seeds are read at first boot only: the other Cassandra nodes are never stale.
  if grep -q "^  ! cassandra\." "$work/replace-after.out"; then cat "$work/replace-after.out"; fail "a Cassandra node is listed stale"; fi
}

# GCE: the static address outlives its instance. monitoring.instance[0]
# (floating_ip: true) deleted outside, then replaced with --replace: each
# time the same address (GCE's id and IP, read through the API) goes back
# on the new instance with addAccessConfig; no address is made or deleted.
static_address_kept() {
  local spec=$1 state=$2 lost=monitoring.instance[0] fip=monitoring.fip[0]
  local fip_path inst_path
  fip_path=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resources"][sys.argv[2]]["id"])' "$state" "$fip")
  inst_path=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resources"][sys.argv[2]]["id"])' "$state" "$lost")
  address() { gce_get "$fip_path" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["id"], d["address"], d["status"], ",".join(u.rsplit("/", 1)[1] for u in d.get("users", [])))'; }
  nat() { gce_get "$inst_path" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(a.get("natIP", "") for n in d["networkInterfaces"] for a in n.get("accessConfigs", [])))'; }
  local want got made before
  want=$(address)
  [ "$(echo "$want" | cut -d' ' -f3-)" = "IN_USE gcedemo-monitoring-0" ] || fail "gce: the static address is '$want'"
  [ "$(nat)" = "$(echo "$want" | cut -d' ' -f2)" ] || fail "gce: monitoring-0 is not on its static address"
  # check_kept WHAT: the same address on the instance now there, and no
  # address request among the mutating ones ($made).
  check_kept() {
    got=$(address)
    [ "$got" = "$want" ] || fail "gce: after $1 the static address is '$got', was '$want'"
    [ "$(nat)" = "$(echo "$want" | cut -d' ' -f2)" ] || fail "gce: after $1 monitoring-0 has NAT IP '$(nat)'"
    python3 - "$made" <<'PY' || fail "gce: $1 touched an address: $made"
import json, sys
made = json.loads(sys.argv[1])
assert not [k for k in made if "/addresses" in k], made
assert made.get("POST /compute/v1/projects/{project}/zones/{zone}/instances/{instance}/addAccessConfig") == 1, made
PY
  }

  curl -fsS -X DELETE -H "Authorization: Bearer $gce_token" "$base/$inst_path" >/dev/null
  planned_create "$spec" "$work/gce.fip-plan.out" "$lost"
  grep -qF "~ $fip (update in place: instance_id changed" "$work/gce.fip-plan.out" ||
    { cat "$work/gce.fip-plan.out"; fail "gce: $fip is not kept and moved in place"; }
  grep -q "^Plan: 1 to add, 1 to change, 0 to replace, 0 to destroy, 0 to adopt." "$work/gce.fip-plan.out" ||
    { cat "$work/gce.fip-plan.out"; fail "gce: the lost monitoring node costs more than itself and its address"; }
  before=$(cloudsim_mutations gce)
  orch deploy "$spec" --auto-approve >"$work/gce.fip-deploy.out" 2>&1 || { tail -20 "$work/gce.fip-deploy.out"; fail "gce: redeploy after losing $lost"; }
  made=$(cloudsim_made "$before" "$(cloudsim_mutations gce)")
  check_kept "losing $lost"
  echo "gce: lost $lost, its static address kept; the redeploy's mutating requests: $made"

  orch plan "$spec" --replace monitoring >"$work/gce.fip-replace.out" 2>&1 || { cat "$work/gce.fip-replace.out"; fail "gce: plan --replace monitoring"; }
  grep -qF -- "-/+ $lost (replace:" "$work/gce.fip-replace.out" || { cat "$work/gce.fip-replace.out"; fail "gce: --replace monitoring does not replace $lost"; }
  grep -qF "~ $fip (update in place: instance_id changed" "$work/gce.fip-replace.out" ||
    { cat "$work/gce.fip-replace.out"; fail "gce: --replace monitoring does not keep $fip"; }
  before=$(cloudsim_mutations gce)
  orch deploy "$spec" --replace monitoring --auto-approve >"$work/gce.fip-replace-deploy.out" 2>&1 ||
    { tail -20 "$work/gce.fip-replace-deploy.out"; fail "gce: deploy --replace monitoring"; }
  made=$(cloudsim_made "$before" "$(cloudsim_mutations gce)")
  check_kept "deploy --replace monitoring"
  echo "gce: replaced $lost, its static address kept; the deploy's mutating requests: $made"
  orch plan "$spec" --detailed-exitcode >"$work/gce.fip-after.out" 2>&1 || { cat "$work/gce.fip-after.out"; fail "gce: not converged after keeping the address"; }
}

# lose CLOUD SPEC DEPLOYMENT TIER: the scenario on one cloud (CLOUD as
# cloudsim names the api: digitalocean, gce, openstack).
lose() {
  local cloud=$1 spec=$work/$2 dep=$3 tier=$4
  sed "s#\.\./templates/#$root/templates/#" "configs/$2" >"$spec"
  local state=$work/state/$dep.state.json lost=$tier.instance[1] vol=$tier.volume.data[1]
  orch deploy "$spec" --auto-approve >"$work/$cloud.deploy.out" 2>&1 || { tail -20 "$work/$cloud.deploy.out"; fail "$cloud: deploy"; }
  cloud_ids "$state" >"$work/$cloud.before"
  local id
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resources"][sys.argv[2]]["id"])' "$state" "$lost")
  case "$cloud" in
    digitalocean) curl -fsS -X DELETE -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" "$DIGITALOCEAN_API_URL/droplets/$id" ;;
    gce) curl -fsS -X DELETE -H "Authorization: Bearer $gce_token" "$base/$id" >/dev/null ;;
    openstack) python3 tests/e2e/openstack_api.py req DELETE compute "/servers/$id" >/dev/null ;;
  esac
  # Gone from the cloud's listing (deletes finish asynchronously).
  planned_create "$spec" "$work/$cloud.plan.out" "$lost"
  grep -qF "~ $vol (update in place: instance_id changed" "$work/$cloud.plan.out" ||
    { cat "$work/$cloud.plan.out"; fail "$cloud: $vol is not re-attached in place"; }
  local summary
  summary=$(grep '^Plan:' "$work/$cloud.plan.out")
  [ "$summary" = "Plan: 1 to add, 1 to change, 0 to replace, 0 to destroy, 0 to adopt." ] ||
    { cat "$work/$cloud.plan.out"; fail "$cloud: the plan does more than one node: $summary"; }
  grep -q "^  ! .* (stale: $tier.instance\[1\] is created)" "$work/$cloud.plan.out" ||
    { cat "$work/$cloud.plan.out"; fail "$cloud: no referrer of $lost is listed stale"; }

  local before
  before=$(cloudsim_mutations)
  orch deploy "$spec" --auto-approve >"$work/$cloud.redeploy.out" 2>&1 || { tail -20 "$work/$cloud.redeploy.out"; fail "$cloud: redeploy"; }
  local made
  made=$(cloudsim_made "$before" "$(cloudsim_mutations)")
  python3 - "$cloud" "$made" <<'PY' || fail "$cloud: the redeploy sent other mutating requests: $made"
import json, sys
made = json.loads(sys.argv[2])
want = {
    "digitalocean": {"POST /v2/droplets": 1, "POST /v2/volumes/{volume_id}/actions": 1},
    "gce": {"POST /compute/v1/projects/{project}/zones/{zone}/instances": 1,
            "POST /compute/v1/projects/{project}/zones/{zone}/instances/{instance}/attachDisk": 1},
    "openstack": {"POST /compute/v2.1/servers": 1, "POST /compute/v2.1/servers/{id}/os-volume_attachments": 1},
}[sys.argv[1]]
assert made == want, made
PY
  cloud_ids "$state" >"$work/$cloud.after"
  python3 - "$work/$cloud.before" "$work/$cloud.after" "$lost" "$vol" <<'PY' || fail "$cloud: ids changed beyond the lost node"
import sys
def read(p):
    return dict(l.strip().split("=", 1) for l in open(p) if l.strip())
b, a = read(sys.argv[1]), read(sys.argv[2])
lost, vol = sys.argv[3], sys.argv[4]
assert set(a) == set(b), (sorted(b), sorted(a))
for k in b:
    if k == lost:
        assert a[k] != b[k], "the lost instance has its old id"
    elif k == vol + "@attached":
        # The instance made in place of the lost one: its id (its name on GCE).
        assert a[k] and a[k] != b[k] or a[k].endswith("-1"), "%s is attached to %r" % (vol, a[k])
        assert a[k] == a[lost] or a[k].endswith("-1"), (a[k], a[lost])
    else:
        assert a[k] == b[k], "%s: %s -> %s" % (k, b[k], a[k])
PY
  # Made again, it seeds from the surviving members (nodes 0 and 2), never from itself alone.
  python3 - "$state" "$tier" <<'PY' || fail "$cloud: the new node does not seed from the survivors"
import json, sys
r = json.load(open(sys.argv[1]))["resources"]
t = sys.argv[2]
seeds = r[t + ".instance[1]"]["attributes"]["user_data"]["vars"].get("seeds")
if seeds is not None:
    want = ",".join(r["%s.instance[%d]" % (t, i)]["outputs"]["private_ip"] for i in (0, 2))
    assert seeds == want, (seeds, want)
PY
  orch plan "$spec" --detailed-exitcode >"$work/$cloud.plan2.out" 2>&1 || { cat "$work/$cloud.plan2.out"; fail "$cloud: not converged"; }
  grep -q "^No changes." "$work/$cloud.plan2.out" || { cat "$work/$cloud.plan2.out"; fail "$cloud: no 'No changes.'"; }
  echo "$cloud: lost $lost: '$summary'; the redeploy's mutating requests: $made"
  [ "$cloud" != digitalocean ] || replace_stale "$spec" "$state"
  [ "$cloud" != gce ] || static_address_kept "$spec" "$state"
  orch teardown "$spec" --auto-approve >"$work/$cloud.teardown.out" 2>&1 || { tail -20 "$work/$cloud.teardown.out"; fail "$cloud: teardown"; }
}

lose digitalocean quickstart.yaml quickstart cassandra
lose gce gce.yaml gcedemo cassandra
lose openstack openstack.yaml first-app database
echo "lost_node: ok"
