#!/usr/bin/env bash
# SSH keys on GCE against cloudsim: a spec whose single-instance tier and
# group tier use key `ops` deploys; the instance, the group's template and
# its members carry the metadata item `ssh-keys` = "ops:TYPE KEY" (GCE has
# no key object, so nothing else is created); `plan --detailed-exitcode`
# then finds nothing to do and a second deploy makes no mutating call.
# Changing the key converges in one deploy: the instance gets it through
# instances.setMetadata (same instance, not replaced), the group through a
# new template rolled out to its members; plan is then clean again. A tier
# that drops its key loses the item the same way. Teardown leaves nothing.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-gce-ssh.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 11

orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }
admin() { curl -fsS "$CLOUDSIM_ADMIN/resources?api=gce$1"; }

# Two keys made with `ssh-keygen -t ed25519 -C ops@host`.
key1="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJKxcXwXMiR1cbJnKz/Z3gU4mE4NpTAq8RTO+C0a8sN2"
key2="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH7Qv/qEiWB9Vd4+kaYB9QmlM7Z89MrjHYVbhEVAGmxr"
echo "$key1 ops@host" >"$work/ops.pub"

spec=$work/spec.yaml
cat >"$spec" <<'EOF'
deployment: sshdemo
providers:
  gcp: {type: gce, region: us-central1, zones: [us-central1-a]}
ssh_keys:
  ops: {public_key: "${file:ops.pub}"}
images:
  debian: {provider: gcp, source: "family:debian-12"}
networks:
  main: {provider: gcp, cidr: 10.40.0.0/20}
tiers:
  bastion:
    provider: gcp
    count: 1
    size: e2-small
    image: debian
    network: main
    ssh_keys: [ops]
    firewall: [{protocol: tcp, ports: "22", from: ["0.0.0.0/0"]}]
  api:
    provider: gcp
    group: {min: 2, max: 3}
    size: e2-small
    image: debian
    network: main
    ssh_keys: [ops]
EOF

# "name id ssh-keys" of every instance and "template:name ssh-keys" of every
# template ("-" when the item is missing), sorted.
keys() {
  admin "&kind=instance" | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin)["resources"], key=lambda r: r["name"]):
    print(r["name"])' | while read -r name; do
    curl -fsS -H "Authorization: Bearer $token" \
      "${GOOGLE_COMPUTE_CUSTOM_ENDPOINT%/}/projects/$GOOGLE_CLOUD_PROJECT/zones/us-central1-a/instances/$name" |
      python3 -c '
import json, sys
i = json.load(sys.stdin)
v = {m["key"]: m.get("value", "") for m in i.get("metadata", {}).get("items", [])}.get("ssh-keys", "-")
print(i["name"], i["id"], v.replace("\n", "|"))'
  done
  curl -fsS -H "Authorization: Bearer $token" \
    "${GOOGLE_COMPUTE_CUSTOM_ENDPOINT%/}/projects/$GOOGLE_CLOUD_PROJECT/global/instanceTemplates" | python3 -c '
import json, sys
for t in sorted(json.load(sys.stdin).get("items", []), key=lambda t: t["name"]):
    items = t["properties"].get("metadata", {}).get("items", [])
    print("template:" + t["name"], {m["key"]: m.get("value", "") for m in items}.get("ssh-keys", "-"))'
}
# Mutating GCE requests so far (operation waits and read-only POSTs excluded).
mutations() {
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
s = [r for r in json.load(sys.stdin)["requests"] if r["api"] == "gce"]
read_posts = ("/wait", "/listManagedInstances", "/token")
print(sum(r["count"] for r in s if r["method"] in ("POST","PUT","PATCH","DELETE") and not r["route"].endswith(read_posts)))'
}
kinds() {
  admin "" | python3 -c '
import json, sys, collections
c = collections.Counter(r["kind"] for r in json.load(sys.stdin)["resources"] if r["kind"] != "operation")
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))'
}
# Every instance and template line carries `want`, and there are n instances.
check_keys() {  # WANT N_INSTANCES WHEN
  local got bad n
  got=$(keys)
  n=$(grep -vc '^template:' <<<"$got" || true)
  [ "$n" = "$2" ] || fail "$3: $n instances, want $2: $got"
  grep -q '^template:' <<<"$got" || fail "$3: no instance template: $got"
  bad=$(awk -v want=" $1" 'substr($0, length($0) - length(want) + 1) != want' <<<"$got")
  [ -z "$bad" ] || fail "$3: without ssh-keys '$1': $bad"
}
plan_clean() {
  set +e
  orch plan "$spec" --detailed-exitcode >>"$work/orch.log" 2>&1
  local rc=$?
  set -e
  [ "$rc" -eq 0 ] || fail "plan --detailed-exitcode $1 exited $rc, want 0 (no changes)"
}
bastion_id() { keys | awk '$1 == "sshdemo-bastion-0" { print $2 }'; }

start=$(date +%s)
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy"
token=$(curl -fsS -H "Metadata-Flavor: Google" \
  "http://$GCE_METADATA_HOST/computeMetadata/v1/instance/service-accounts/default/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
check_keys "ops:$key1" 3 "after deploy"
[ "$(admin "&kind=instanceTemplate" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["resources"]))')" = 1 ] ||
  fail "templates after deploy: $(keys)"
want="firewall=1 instance=3 instanceGroupManager=1 instanceTemplate=1 autoscaler=1 network=1 subnetwork=1"
want=$(tr ' ' '\n' <<<"$want" | sort | tr '\n' ' ' | sed 's/ $//')
[ "$(kinds)" = "$want" ] || fail "after deploy: got '$(kinds)', want '$want'"
orch state list --spec "$spec" >"$work/state.txt" 2>&1 || fail "state list"
grep -q "^ssh_key.ops@gcp  *ssh_key  *gcp  *ops:ssh-ed25519 " "$work/state.txt" || fail "ssh_key.ops@gcp in state: $(cat "$work/state.txt")"
plan_clean "after deploy"
mut1=$(mutations)
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "second deploy"
mut2=$(mutations)
[ "$mut2" -eq "$mut1" ] || fail "second deploy made $((mut2 - mut1)) mutating calls"
echo "deployed with ssh keys in $(( $(date +%s) - start )) s; second deploy: 0 mutating calls"

id_before=$(bastion_id)
echo "$key2 ops@host" >"$work/ops.pub"
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy with the new key"
check_keys "ops:$key2" 3 "after the key change"
[ "$(bastion_id)" = "$id_before" ] || fail "the bastion instance was replaced ($id_before -> $(bastion_id)), not updated"
[ "$(admin "&kind=instanceTemplate" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["resources"]))')" = 1 ] ||
  fail "templates after the key change: $(keys)"
plan_clean "after the key change"
echo "key change converged in $(( $(date +%s) - start )) s"

# The bastion tier drops the key: setMetadata removes the item, the group keeps it.
sed -i '0,/    ssh_keys: \[ops\]/{/    ssh_keys: \[ops\]/d}' "$spec"
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy without the bastion's key"
got=$(keys)
[ "$(awk '$1 == "sshdemo-bastion-0" { print $2, $3 }' <<<"$got")" = "$id_before -" ] ||
  fail "the bastion still has ssh-keys or was replaced: $got"
[ "$(grep -c " ops:$key2\$" <<<"$got")" = 3 ] || fail "the group lost its key: $got"
plan_clean "after the bastion dropped its key"

orch teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown"
left=$(kinds)
[ -z "$left" ] || fail "left after teardown: $left"
echo "gce ssh keys ok in $(( $(date +%s) - start )) s"
