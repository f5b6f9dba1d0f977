#!/usr/bin/env bash
# A spec whose GCE network is `existing: NAME` (a network the project already
# has) against cloudsim: a custom-mode network with subnetworks in two
# regions is made through the compute API first, as someone else would;
# deploy puts two instances on its subnetwork of the provider's region and
# creates the tier's firewall rule on it, without creating or changing a
# network or subnetwork; `plan --detailed-exitcode` then finds nothing to
# do; teardown deletes the instances and the firewall rule and leaves the
# network and its subnetworks. A name the project does not have, or a
# network without a subnetwork in the region, fails with a message saying so
# and creates no instance. The same network named by its numeric id works
# too, in a redeploy right after the teardown.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-gce-existing.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 7

orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }
base=${GOOGLE_COMPUTE_CUSTOM_ENDPOINT%/}/projects/$GOOGLE_CLOUD_PROJECT
# A token from cloudsim's metadata server, as a program on a GCE VM gets one.
token=$(curl -fsS -H "Metadata-Flavor: Google" \
  "http://$GCE_METADATA_HOST/computeMetadata/v1/instance/service-accounts/default/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
gce() {  # METHOD PATH [JSON]
  curl -fsS -X "$1" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    ${3:+--data "$3"} "$base$2"
}
insert() {  # COLLECTION JSON: inserts and waits for the operation
  local op
  op=$(gce POST "$1" "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["selfLink"])')
  for _ in $(seq 1 50); do
    curl -fsS -X POST -H "Authorization: Bearer $token" "$op/wait" |
      python3 -c 'import json,sys; o=json.load(sys.stdin); sys.exit(0 if o["status"]=="DONE" and "error" not in o else 1)' &&
      return 0
  done
  fail "insert into $1 did not finish"
}
# "name mode subnetworks" of every network, then "name region range" of every
# subnetwork, sorted, with the fields that would show a change.
networks() {
  gce GET "/global/networks" | python3 -c '
import json, sys
for n in sorted(json.load(sys.stdin).get("items", []), key=lambda n: n["name"]):
    print(n["name"], n["id"], n.get("autoCreateSubnetworks"), sorted(s.rsplit("/", 1)[1] for s in n.get("subnetworks", [])))'
  for region in us-central1 europe-west1; do
    gce GET "/regions/$region/subnetworks" | python3 -c '
import json, sys
for s in sorted(json.load(sys.stdin).get("items", []), key=lambda s: s["name"]):
    print(s["name"], s["region"].rsplit("/", 1)[1], s["ipCidrRange"], s["network"].rsplit("/", 1)[1], s.get("description", ""))'
  done
}
# "name network subnetwork ip-in-range" of the deployment's instances.
instances() {
  gce GET "/zones/us-central1-a/instances" | python3 -c '
import ipaddress, json, sys
for i in sorted(json.load(sys.stdin).get("items", []), key=lambda i: i["name"]):
    if i.get("labels", {}).get("orchestrator-deployment") != "netdemo": continue
    ni = i["networkInterfaces"][0]
    inside = ipaddress.ip_address(ni["networkIP"]) in ipaddress.ip_network("10.77.0.0/20")
    print(i["name"], ni["network"].rsplit("/", 1)[1], ni["subnetwork"].rsplit("/", 1)[1], inside)'
}
# "name network" of the deployment's firewall rules.
firewalls() {
  gce GET "/global/firewalls" | python3 -c '
import json, sys
for f in sorted(json.load(sys.stdin).get("items", []), key=lambda f: f["name"]):
    if f["name"].startswith("netdemo-"): print(f["name"], f["network"].rsplit("/", 1)[1])'
}

start=$(date +%s)
insert /global/networks '{"name": "team-net", "autoCreateSubnetworks": false, "description": "made by hand"}'
insert /regions/us-central1/subnetworks \
  '{"name": "team-us", "network": "global/networks/team-net", "ipCidrRange": "10.77.0.0/20"}'
insert /regions/europe-west1/subnetworks \
  '{"name": "team-eu", "network": "global/networks/team-net", "ipCidrRange": "10.78.0.0/20"}'
insert /global/networks '{"name": "eu-net", "autoCreateSubnetworks": false}'
insert /regions/europe-west1/subnetworks \
  '{"name": "eu-only", "network": "global/networks/eu-net", "ipCidrRange": "10.79.0.0/20"}'
net_id=$(gce GET /global/networks/team-net | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
networks_before=$(networks)

spec=$work/spec.yaml
cat >"$spec" <<'EOF'
deployment: netdemo
providers:
  gcp: {type: gce, region: us-central1, zones: [us-central1-a]}
images:
  debian: {provider: gcp, source: "family:debian-12"}
networks:
  app: {provider: gcp, existing: "${var.net}"}
tiers:
  web:
    provider: gcp
    count: 2
    size: e2-small
    image: debian
    network: app
    firewall: [{protocol: tcp, ports: "80", from: ["10.77.0.0/20"]}]
EOF

for bad in nope eu-net; do
  if orch deploy "$spec" --var net=$bad --auto-approve >"$work/bad.log" 2>&1; then
    cat "$work/bad.log" >&2
    fail "deploy with existing: $bad succeeded"
  fi
  cat "$work/bad.log" >>"$work/orch.log"
  case $bad in
    nope) want="no network 'nope' in project $GOOGLE_CLOUD_PROJECT of provider 'gcp'; list them with \`gcloud compute networks list" ;;
    eu-net) want="network 'eu-net' of project $GOOGLE_CLOUD_PROJECT has no subnetwork in region us-central1, where provider 'gcp' deploys" ;;
  esac
  grep -qF "$want" "$work/bad.log" || { cat "$work/bad.log" >&2; fail "no '$want' message"; }
  [ -z "$(instances)" ] || fail "instances created although the network was not usable: $(instances)"
  [ -z "$(firewalls)" ] || fail "firewall rules created although the network was not usable: $(firewalls)"
done

orch deploy "$spec" --var net=team-net --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy"
got=$(instances)
want=$(printf 'netdemo-web-0 team-net team-us True\nnetdemo-web-1 team-net team-us True')
[ "$got" = "$want" ] || fail "instances: got '$got', want '$want'"
[ "$(firewalls)" = "netdemo-web-fw-0 team-net" ] || fail "firewall rules: '$(firewalls)'"
[ "$(networks)" = "$networks_before" ] || fail "networks changed by deploy: $(networks)"
echo "deployed on team-net in $(( $(date +%s) - start )) s"

set +e
orch plan "$spec" --var net=team-net --detailed-exitcode >>"$work/orch.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "plan --detailed-exitcode after deploy exited $rc, want 0 (no changes)"

orch teardown "$spec" --var net=team-net --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown"
[ -z "$(instances)" ] || fail "instances left after teardown: $(instances)"
[ -z "$(firewalls)" ] || fail "firewall rules left after teardown: $(firewalls)"
[ "$(networks)" = "$networks_before" ] || fail "networks changed by teardown: $(networks)"

# By numeric id, redeployed at once: the same deployment's inserts again
# (GCE ignores a requestId it saw in the last hour, so a new run needs new ones).
orch deploy "$spec" --var net="$net_id" --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy by id $net_id"
[ "$(instances)" = "$want" ] || fail "by id: instances: got '$(instances)', want '$want'"
[ "$(firewalls)" = "netdemo-web-fw-0 team-net" ] || fail "by id: firewall rules: '$(firewalls)'"
orch teardown "$spec" --var net="$net_id" --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown by id"
[ -z "$(instances)$(firewalls)" ] || fail "left after teardown by id: $(instances) $(firewalls)"
[ "$(networks)" = "$networks_before" ] || fail "networks changed: $(networks)"
echo "existing GCE network ok in $(( $(date +%s) - start )) s"
