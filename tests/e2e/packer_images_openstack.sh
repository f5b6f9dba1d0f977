#!/usr/bin/env bash
# Packer-built tier images on OpenStack (cloudsim, Debian's packer):
#  1. `image build api --provider os` runs packer/openstack.json's bare build
#     (Nova createImage -> Glance) with credentials only in OS_* variables,
#     records the Glance image id; Glance lists it active; no server is left;
#  2. packer run directly on the same template (as a CI pipeline would) writes
#     its manifest; `image register --manifest` records that build instead;
#  3. when this orchestrator has the OpenStack provider built in: deploy, the
#     servers boot from the registered image, teardown leaves no server.
# Exits 77 (skipped) when packer is not installed.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib/packer.sh"
packer_find
work=$(mktemp -d /tmp/orch-packer-img-os.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 23
packer_env "$work"
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
recorded() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"]["web"]["id"])' "$work/state/osk.state.json"
}
# GET on an OpenStack service of the catalog (image, compute) as the project.
os_get() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys, urllib.request
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": os.environ["OS_USERNAME"], "password": os.environ["OS_PASSWORD"],
    "domain": {"name": os.environ["OS_USER_DOMAIN_NAME"]}}}},
    "scope": {"project": {"name": os.environ["OS_PROJECT_NAME"],
                          "domain": {"name": os.environ["OS_PROJECT_DOMAIN_NAME"]}}}}}
req = urllib.request.Request(os.environ["OS_AUTH_URL"].rstrip("/") + "/auth/tokens", json.dumps(body).encode(),
                             {"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as r:
    token = r.headers["X-Subject-Token"]
    cat = json.load(r)["token"]["catalog"]
url = next(e["url"] for s in cat if s["type"] == sys.argv[1] for e in s["endpoints"] if e["interface"] == "public")
req = urllib.request.Request(url.rstrip("/") + sys.argv[2], headers={"X-Auth-Token": token})
with urllib.request.urlopen(req, timeout=10) as r:
    print(r.read().decode())
PY
}
servers_named() {  # "name=image_id" of servers whose name starts with $1, sorted
  os_get compute "/servers/detail" | python3 -c '
import json, sys
s = json.load(sys.stdin)["servers"]
print(" ".join(sorted("%s=%s" % (x["name"], (x.get("image") or {}).get("id")) for x in s if x["name"].startswith(sys.argv[1]))))' "$1"
}

spec=$work/spec.yaml
cat >"$spec" <<EOF
deployment: osk
providers:
  os:
    type: openstack
    region: "\${env:OS_REGION_NAME}"
    auth_url: "\${env:OS_AUTH_URL}"
    username: "\${env:OS_USERNAME}"
    password: "\${env:OS_PASSWORD}"
    project_name: "\${env:OS_PROJECT_NAME}"
    user_domain_name: "\${env:OS_USER_DOMAIN_NAME}"
    project_domain_name: "\${env:OS_PROJECT_DOMAIN_NAME}"
images:
  web: {provider: os, source: cirros-0.6.2-x86_64-disk, packer: $here/packer/openstack.json}
networks:
  main: {provider: os, cidr: 10.31.0.0/24}
tiers:
  api: {provider: os, count: 2, size: m1.tiny, image: web, network: main}
EOF

# 1. image build, with the password kept out of packer's command line.
start=$(date +%s)
orch image build api --provider os --spec "$spec" --packer-build openstack-bare --packer-var flavor=m1.tiny \
  >"$work/build.out" 2>"$work/build.err" &
rc=0
wait_keeping_secret $! "$OS_PASSWORD" || rc=$?
[ "$rc" != 99 ] || fail "a secret appeared on packer's command line"
[ "$rc" = 0 ] || { cat "$work/build.err" >&2; fail "image build exited $rc"; }
build_secs=$(( $(date +%s) - start ))
id1=$(recorded)
[[ "$id1" =~ ^[0-9a-f-]{36}$ ]] || fail "recorded id '$id1' is not a Glance image id"
grep -q "==> openstack-bare: Creating the image: osk-web-" "$work/build.err" || { cat "$work/build.err" >&2; fail "progress"; }
grep -q "Image 'web' built in .*: $id1 (osk-web-[0-9]*). Recorded for deployment 'osk'" "$work/build.out" || fail "summary"
os_get image "/v2/images/$id1" | python3 -c '
import json, sys
i = json.load(sys.stdin)
assert i["status"] == "active" and i["name"].startswith("osk-web-"), i
assert i.get("orchestrator_tier") == "api" and i.get("built_by") == "packer", i' || fail "Glance image $id1"
[ -z "$(servers_named packer_)" ] || fail "packer left its build server: $(servers_named packer_)"

# 2. A pipeline's own packer run, then register from its manifest.
"$packer" build -machine-readable -only=openstack-bare -var base_image=cirros-0.6.2-x86_64-disk \
  -var flavor=m1.tiny -var image=web -var tier=api -var deployment=osk -var image_name=osk-web-ci \
  -var "script=$here/packer/scripts/api.sh" \
  -var "manifest=$work/packer-manifest.json" packer/openstack.json >"$work/ci.out" 2>&1 ||
  { tail -n 30 "$work/ci.out" >&2; fail "pipeline packer build"; }
orch image register --manifest "$work/packer-manifest.json" --spec "$spec" >"$work/register.out" 2>&1 ||
  { cat "$work/register.out" >&2; fail "image register"; }
id2=$(recorded)
[ "$id2" != "$id1" ] || fail "register did not record the pipeline's build"
artifact=$(awk -F, '$3 == "artifact" && $5 == "id" {print $6}' "$work/ci.out" | head -n1)
[ "$id2" = "$artifact" ] || fail "recorded $id2, packer built $artifact"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["images"]["web"]
assert (r["tier"], r["base"], r["provider_type"]) == ("api", "cirros-0.6.2-x86_64-disk", "openstack"), r' \
  "$work/state/osk.state.json" || fail "registered record"

# 3. Deploy with the registered image (when the provider is built in).
if ! orch validate "$spec" >"$work/validate.out" 2>&1; then
  if grep -q "type 'openstack' is not built into" "$work/validate.out"; then
    echo "packer images on OpenStack ok: build $id1 in ${build_secs}s, registered $id2 (no OpenStack provider built in: deploy not run)"
    exit 0
  fi
  cat "$work/validate.out" >&2
  fail "validate"
fi
timeout 150 "$build/orchestrator" --state-dir "$work/state" deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 ||
  fail "deploy"
[ "$(servers_named osk-api-)" = "osk-api-0=$id2 osk-api-1=$id2" ] || fail "servers: $(servers_named osk-api-), want image $id2"
timeout 150 "$build/orchestrator" --state-dir "$work/state" teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1 ||
  fail "teardown"
[ -z "$(servers_named osk-)" ] || fail "servers left: $(servers_named osk-)"
[ "$(recorded)" = "$id2" ] || fail "image record lost at teardown"
echo "packer images on OpenStack ok: build $id1 in ${build_secs}s, registered $id2, deploy/teardown"
