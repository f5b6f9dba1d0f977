#!/usr/bin/env bash
# packer/: every template passes Debian packer's `packer validate` for each
# tier script (DigitalOcean and GCE credentials are dummies and no API call
# is made; the openstack builder authenticates while validating, so it gets
# cloudsim's Keystone), rejects a missing script, declares the variables `orchestrator image
# build` sets, and the tier scripts pass `sh -n` (and shellcheck when
# installed). GCE's template is only validated: packer 1.6.6's googlecompute
# builder cannot be pointed at cloudsim (docs/images.md).
# Exits 77 (skipped) when packer is not installed.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib/packer.sh"
packer_find
work=$(mktemp -d /tmp/orch-packer-validate.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 5
packer_env "$work"
cd "$here/packer"
fail() { echo "FAIL: $*" >&2; exit 1; }
export DIGITALOCEAN_API_TOKEN=dummy-token GOOGLE_CLOUD_PROJECT=demo-project
unset GOOGLE_APPLICATION_CREDENTIALS OS_CLOUD
n=0
for t in digitalocean openstack gce; do
  for s in scripts/*.sh; do
    "$packer" validate -var "script=$here/packer/$s" -var "tier=$(basename "$s" .sh)" "$t.json" >"$work/out" 2>&1 ||
      { cat "$work/out" >&2; fail "packer validate $t.json with $s"; }
    n=$((n + 1))
  done
  if "$packer" validate -var "script=$work/missing.sh" "$t.json" >"$work/out" 2>&1; then
    fail "$t.json validated with a missing script"
  fi
  grep -q "missing.sh" "$work/out" || { cat "$work/out" >&2; fail "$t.json: missing script not named"; }
  python3 - "$t.json" <<'PY' || fail "$t.json variables/builds"
import json, sys
t = json.load(open(sys.argv[1]))
v = set(t["variables"])
need = {"base_image", "image_name", "tier", "script", "deployment", "image", "manifest"}
assert need <= v, need - v
builder = t["builders"][0]["type"]
names = [b.get("name", b["type"]) for b in t["builders"]]
assert names == [builder, builder + "-bare"], names
assert t["builders"][1]["communicator"] == "none" and t["builders"][0]["communicator"] == "ssh"
assert t["provisioners"][0]["only"] == [builder]
assert t["post-processors"][0]["type"] == "manifest"
PY
done
for s in scripts/*.sh; do sh -n "$s" || fail "sh -n $s"; done
if command -v shellcheck >/dev/null; then shellcheck -s sh scripts/*.sh || fail "shellcheck"; fi
echo "packer templates ok: $n validations (3 templates x $(ls scripts/*.sh | wc -l) tier scripts)"
