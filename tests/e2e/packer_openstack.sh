#!/usr/bin/env bash
# Debian's packer (openstack builder, communicator none) against cloudsim:
# create a private network and subnet through Neutron, run `packer build`
# with tests/data/packer/openstack.json (Keystone v3 password auth at
# $OS_AUTH_URL), then check that packer exited 0, that the image it made is
# listed by GET /v2/images on the Glance endpoint (active, private, with the
# template's metadata and the source server's instance_uuid) and that the build server is gone.
# Exits 77 (skipped) when packer is not installed.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
packer=${PACKER:-$(command -v packer || true)}
if [ -z "$packer" ]; then echo "packer not installed; skipping"; exit 77; fi
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
work=$(mktemp -d /tmp/orch-packer-os.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 11
fail() { echo "FAIL: $*" >&2; tail -n 60 "$work/packer.log" >&2 || true; exit 1; }

# Keystone v3 password token for the project; endpoints from its catalog.
auth=$(python3 -c '
import json, os
print(json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {
  "name": os.environ["OS_USERNAME"], "password": os.environ["OS_PASSWORD"],
  "domain": {"name": os.environ["OS_USER_DOMAIN_NAME"]}}}},
  "scope": {"project": {"name": os.environ["OS_PROJECT_NAME"],
  "domain": {"name": os.environ["OS_PROJECT_DOMAIN_NAME"]}}}}}))')
curl -fsS -D "$work/token.hdr" -o "$work/token.json" -H 'Content-Type: application/json' \
  --data "$auth" "$OS_AUTH_URL/auth/tokens"
token=$(sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *\([^[:space:]]*\).*/\1/p' "$work/token.hdr")
[ -n "$token" ] || fail "no X-Subject-Token"
endpoint() {
  python3 -c '
import json, sys
cat = json.load(open(sys.argv[1]))["token"]["catalog"]
print(next(e["url"] for s in cat if s["type"] == sys.argv[2]
           for e in s["endpoints"] if e["interface"] == "public").rstrip("/"))' "$work/token.json" "$1"
}
neutron=$(endpoint network)
glance=$(endpoint image)
nova=$(endpoint compute)
api() { curl -fsS -H "X-Auth-Token: $token" -H 'Content-Type: application/json' "$@"; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[sys.argv[1]][sys.argv[2]])' "$@"; }

net=$(api -X POST --data '{"network": {"name": "packer-build"}}' "$neutron/v2.0/networks" | field network id)
api -X POST --data "{\"subnet\": {\"network_id\": \"$net\", \"ip_version\": 4, \"cidr\": \"10.77.0.0/24\", \"name\": \"packer-build\"}}" \
  "$neutron/v2.0/subnets" >/dev/null

image_name="packer-cirros-$$"
export PACKER_OS_NETWORK_ID=$net PACKER_OS_IMAGE_NAME=$image_name
export HOME=$work PACKER_CACHE_DIR=$work/packer_cache PACKER_CONFIG_DIR=$work CHECKPOINT_DISABLE=1 \
  PACKER_NO_COLOR=1 PACKER_LOG=1 PACKER_LOG_PATH=$work/packer.log TMPDIR=$work
start=$(date +%s)
rc=0
timeout 100 "$packer" build -machine-readable tests/data/packer/openstack.json >"$work/packer.out" 2>&1 || rc=$?
elapsed=$(( $(date +%s) - start ))
[ "$rc" = 0 ] || { cat "$work/packer.out" >&2; fail "packer build exited $rc"; }
artifact=$(awk -F, '$3 == "artifact" && $5 == "id" {print $6}' "$work/packer.out" | head -n1)
[ -n "$artifact" ] || fail "packer reported no artifact id"

# The image is listed by Glance, active, a private snapshot, with our metadata.
api "$glance/v2/images?name=$image_name" >"$work/images.json"
python3 - "$work/images.json" "$artifact" "$image_name" <<'PY' || fail "image check"
import json, sys
images = json.load(open(sys.argv[1]))["images"]
ids = [i["id"] for i in images]
assert ids == [sys.argv[2]], "listed %s, packer made %s" % (ids, sys.argv[2])
img = images[0]
for k, want in (("name", sys.argv[3]), ("status", "active"), ("visibility", "private"),
                ("image_type", "image"), ("built_by", "packer"), ("disk_format", "qcow2")):
    assert img.get(k) == want, "%s: %r != %r" % (k, img.get(k), want)
# packer's metadata (built_by, and image_type "image", which it always sends)
# overrides Nova's own snapshot properties; instance_uuid remains.
assert len(img.get("instance_uuid", "")) == 36, img
assert img["size"] > 0, img
PY
api "$glance/v2/images" | python3 -c '
import json, sys
assert sys.argv[1] in [i["id"] for i in json.load(sys.stdin)["images"]], "image not in the full list"' "$artifact" ||
  fail "image missing from GET /v2/images"
# packer deleted its build server.
left=$(api "$nova/servers" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["servers"]))')
[ "$left" = 0 ] || fail "$left server(s) left behind"
echo "packer openstack build ok: image $artifact in ${elapsed}s"
