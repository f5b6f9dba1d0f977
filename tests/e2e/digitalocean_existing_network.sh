#!/usr/bin/env bash
# A spec whose network is `existing: NAME` (a VPC the account already has)
# against cloudsim: the VPC is made through the API first; deploy puts the
# droplets in it without creating or changing a VPC; a redeploy makes no
# mutating call; teardown deletes the droplets and leaves the VPC. A name
# the account does not have, or a VPC of another region, fails with a
# message saying so and creates no droplet.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-do-existing.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 5

orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }
do_api() {  # METHOD PATH [JSON]
  curl -fsS -X "$1" -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" -H "Content-Type: application/json" \
    ${3:+--data "$3"} "$DIGITALOCEAN_API_URL$2"
}
# "name region ip_range" of every VPC, sorted.
vpcs() {
  do_api GET "/vpcs?per_page=200" |
    python3 -c 'import json,sys; print("\n".join(sorted("%s %s %s" % (v["name"], v["region"], v["ip_range"]) for v in json.load(sys.stdin)["vpcs"])))'
}
# "name vpc_uuid" of the deployment's droplets.
droplets() {
  do_api GET "/droplets?tag_name=orchestrator-deployment:vpcdemo&per_page=200" |
    python3 -c 'import json,sys; print("\n".join(sorted("%s %s" % (d["name"], d.get("vpc_uuid")) for d in json.load(sys.stdin)["droplets"])))'
}
mutations() {
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
print(sum(r["count"] for r in json.load(sys.stdin)["requests"]
          if r["api"] == "digitalocean" and r["method"] in ("POST", "PUT", "PATCH", "DELETE")))'
}

start=$(date +%s)
vpc_id=$(do_api POST /vpcs '{"name": "team-net", "region": "nyc3", "ip_range": "10.77.0.0/20"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["vpc"]["id"])')
do_api POST /vpcs '{"name": "far-net", "region": "ams3", "ip_range": "10.78.0.0/20"}' >/dev/null
vpcs_before=$(vpcs)

spec=$work/spec.yaml
cat >"$spec" <<'EOF'
deployment: vpcdemo
providers:
  do: {type: digitalocean, region: nyc3}
networks:
  app: {provider: do, existing: "${var.net}"}
tiers:
  web:
    provider: do
    count: 2
    size: s-1vcpu-1gb
    image: ubuntu-22-04-x64
    network: app
    firewall: [{protocol: tcp, ports: "80", from: ["tier:web", "10.77.0.0/20"]}]
EOF

for bad in nope far-net; do
  if orch deploy "$spec" --var net=$bad --auto-approve >"$work/bad.log" 2>&1; then
    cat "$work/bad.log" >&2
    fail "deploy with existing: $bad succeeded"
  fi
  cat "$work/bad.log" >>"$work/orch.log"
  case $bad in
    nope) want="no VPC 'nope' in the account of provider 'do'" ;;
    far-net) want="VPC 'far-net' is in region ams3, but provider 'do' deploys to nyc3" ;;
  esac
  grep -q "$want" "$work/bad.log" || { cat "$work/bad.log" >&2; fail "no '$want' message"; }
  [ -z "$(droplets)" ] || fail "droplets created although the VPC was not usable"
done

orch deploy "$spec" --var net=team-net --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy"
got=$(droplets)
want=$(printf 'vpcdemo-web-0 %s\nvpcdemo-web-1 %s' "$vpc_id" "$vpc_id")
[ "$got" = "$want" ] || fail "droplets: got '$got', want '$want'"
[ "$(vpcs)" = "$vpcs_before" ] || fail "VPCs changed by deploy: $(vpcs)"

before=$(mutations)
orch deploy "$spec" --var net=team-net --auto-approve >>"$work/orch.log" 2>&1 || fail "second deploy"
[ "$(mutations)" -eq "$before" ] || fail "second deploy made $(( $(mutations) - before )) mutating calls"
echo "second deploy: 0 mutating calls"

orch teardown "$spec" --var net=team-net --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown"
[ -z "$(droplets)" ] || fail "droplets left after teardown: $(droplets)"
[ "$(vpcs)" = "$vpcs_before" ] || fail "VPCs changed by teardown: $(vpcs)"
echo "existing VPC ok in $(( $(date +%s) - start )) s"
