#!/usr/bin/env bash
# Packer-built tier images on DigitalOcean (cloudsim, Debian's packer):
#  1. plan refuses a spec whose packer: image was never built, naming the
#     `orchestrator image build` command;
#  2. `image build cassandra --provider do` runs packer/digitalocean.json
#     (its bare build: cloudsim has no SSH), follows -machine-readable and
#     records the snapshot id; the token never appears on packer's command line;
#  3. plan says which build it uses; deploy makes droplets from that snapshot;
#  4. a CI-style packer run (tests/data/packer/ci-hook.json) writes a manifest
#     and calls `orchestrator image register` from shell-local; the next deploy
#     replaces the droplets with ones from the new snapshot;
#  5. teardown leaves no droplet and keeps the image records.
# Also: a failing build and an interrupted one (SIGINT: packer cleans up,
# exit 130) record nothing.
# Exits 77 (skipped) when packer is not installed.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib/packer.sh"
packer_find
work=$(mktemp -d /tmp/orch-packer-img-do.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 21
packer_env "$work"
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
api() { curl -fsS -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" "$DIGITALOCEAN_API_URL$1"; }
recorded() {  # the recorded id of spec image cass
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"]["cass"]["id"])' "$work/state/pk.state.json"
}
# "image_id" of every droplet named pk-cassandra-*, sorted, space-separated.
droplet_images() {
  api "/droplets?per_page=200" | python3 -c '
import json, sys
d = json.load(sys.stdin)["droplets"]
print(" ".join(sorted(str(x["image"]["id"]) for x in d if x["name"].startswith("pk-cassandra-"))))'
}

spec=$work/spec.yaml
cat >"$spec" <<EOF
deployment: pk
providers:
  do: {type: digitalocean, region: nyc3, token: "\${env:DIGITALOCEAN_TOKEN}"}
images:
  cass: {provider: do, source: ubuntu-22-04-x64, packer: $here/packer/digitalocean.json}
tiers:
  cassandra: {provider: do, count: 2, size: s-1vcpu-1gb, image: cass}
  tools: {provider: do, count: 1, size: s-1vcpu-1gb, image: ubuntu-22-04-x64}
EOF

# 1. No build recorded: plan and deploy refuse, naming the command.
if orch plan "$spec" >"$work/plan0.out" 2>&1; then fail "plan without a recorded build succeeded"; fi
grep -q "image 'cass' is built by Packer ($here/packer/digitalocean.json) but no build of it is recorded for deployment 'pk'; build it first: orchestrator image build cassandra --provider do --spec $spec" "$work/plan0.out" ||
  { cat "$work/plan0.out" >&2; fail "missing-build message"; }
[ "$(api /droplets | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])')" = 0 ] ||
  fail "droplets exist before any deploy"

# 2. image build. Watch packer's command line for the token while it runs.
start=$(date +%s)
orch image build cassandra --provider "do" --spec "$spec" --packer-build digitalocean-bare \
  >"$work/build.out" 2>"$work/build.err" &
rc=0
wait_keeping_secret $! "$DIGITALOCEAN_TOKEN" || rc=$?
[ "$rc" != 99 ] || fail "a secret appeared on packer's command line"
[ "$rc" = 0 ] || { cat "$work/build.err" >&2; fail "image build exited $rc"; }
build_secs=$(( $(date +%s) - start ))
cat "$work/build.err" >>"$work/orch.log"
grep -q "==> digitalocean-bare: Creating snapshot" "$work/build.err" || fail "packer progress not shown"
id1=$(recorded)
[[ "$id1" =~ ^[0-9]+$ ]] || fail "recorded id '$id1' is not a snapshot id"
grep -q "Image 'cass' built in .*: $id1 (pk-cass-[0-9]*). Recorded for deployment 'pk'" "$work/build.out" ||
  { cat "$work/build.out" >&2; fail "build summary"; }
api "/images/$id1" | python3 -c '
import json, sys
i = json.load(sys.stdin)["image"]
assert i["type"] == "snapshot" and i["name"].startswith("pk-cass-"), i' || fail "snapshot $id1 not in the API"
python3 - "$work/state/pk.state.json" "$here/packer/digitalocean.json" <<'PY' || fail "image record"
import hashlib, json, sys
r = json.load(open(sys.argv[1]))["images"]["cass"]
want = {"provider": "do", "provider_type": "digitalocean", "tier": "cassandra", "base": "ubuntu-22-04-x64",
        "template": sys.argv[2], "template_digest": hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()}
for k, v in want.items():
    assert r[k] == v, (k, r[k], v)
assert r["artifact"] == "nyc3:" + r["id"], r
assert r["built_micros"] > 0, r
PY
[ "$(api /droplets | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])')" = 0 ] ||
  fail "packer left its build droplet"

# A failing build records nothing: packer's error is shown, exit 1.
if orch image build cassandra --spec "$spec" --packer-build digitalocean-bare --packer-var region=xx9 \
  >"$work/bad.out" 2>&1; then fail "a build in an unknown region succeeded"; fi
grep -q "error: packer build exited 1: .*" "$work/bad.out" || { cat "$work/bad.out" >&2; fail "failed-build message"; }
grep -q "No image was recorded" "$work/bad.out" || fail "failed-build message"
[ "$(recorded)" = "$id1" ] || fail "a failed build changed the record"

# SIGINT during a build: packer is asked to clean up, exit 130, nothing recorded.
snapshots() { api "/images?private=true&per_page=200" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))'; }
before=$(snapshots)
"$build/orchestrator" --state-dir "$work/state" image build cassandra --spec "$spec" \
  --packer-build digitalocean-bare >"$work/int.out" 2>&1 &
ipid=$!
for _ in $(seq 1 100); do grep -q "Waiting for droplet to become active" "$work/int.out" && break; sleep 0.1; done
kill -INT "$ipid"
rc=0; wait "$ipid" || rc=$?
[ "$rc" = 130 ] || { cat "$work/int.out" >&2; fail "interrupted build exited $rc, not 130"; }
grep -q "interrupted; Packer was asked to clean up" "$work/int.out" || fail "interrupt message"
[ "$(recorded)" = "$id1" ] || fail "an interrupted build changed the record"
[ "$(api /droplets | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])')" = 0 ] ||
  fail "the interrupted build left its droplet"
[ "$(snapshots)" = "$before" ] || fail "the interrupted build still made a snapshot"

# 3. plan names the build; deploy uses it.
orch plan "$spec" >"$work/plan1.out" 2>&1 || { cat "$work/plan1.out" >&2; fail "plan after build"; }
grep -q "image 'cass': using Packer build $id1 (artifact nyc3:$id1) of .*, tier cassandra, from ubuntu-22-04-x64" \
  "$work/plan1.out" || { cat "$work/plan1.out" >&2; fail "plan does not say which image"; }
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy"
[ "$(droplet_images)" = "$id1 $id1" ] || fail "cassandra droplets use images '$(droplet_images)', not $id1"
orch deploy "$spec" --auto-approve >"$work/redeploy.out" 2>&1 || fail "redeploy"
grep -q "No changes." "$work/redeploy.out" || { cat "$work/redeploy.out" >&2; fail "redeploy with the same build is not a no-op"; }
api "/droplets?per_page=200" | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin)["droplets"] if x["name"] == "pk-tools-0"]
assert len(d) == 1 and d[0]["image"]["slug"] == "ubuntu-22-04-x64", d' || fail "tools droplet image"

# 4. The CI hook: packer's manifest post-processor, then shell-local runs
#    `orchestrator image register`.
DIGITALOCEAN_API_TOKEN=$DIGITALOCEAN_TOKEN "$packer" build -machine-readable -var "api_url=${DIGITALOCEAN_API_URL%v2}" \
  -var "orchestrator=$build/orchestrator" -var "state_dir=$work/state" -var "spec=$spec" \
  -var "manifest=$work/packer-manifest.json" tests/data/packer/ci-hook.json >"$work/ci.out" 2>&1 \
  || { tail -n 30 "$work/ci.out" >&2; fail "CI packer build"; }
id2=$(recorded)
[ "$id2" != "$id1" ] || { tail -n 30 "$work/ci.out" >&2; fail "image register did not record the new build"; }
grep -q "Image 'cass' registered: $id2 (artifact nyc3:$id2)" "$work/ci.out" || fail "register output"
python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
b = [x for x in m["builds"] if x["packer_run_uuid"] == m["last_run_uuid"]]
assert b[0]["artifact_id"] == "nyc3:" + sys.argv[2], b' "$work/packer-manifest.json" "$id2" || fail "manifest"
orch plan "$spec" >"$work/plan2.out" 2>&1 || fail "plan after register"
grep -q "using Packer build $id2" "$work/plan2.out" || fail "plan does not use the registered build"
grep -q -- "-/+ cassandra.instance\[1\] (replace: image changed" "$work/plan2.out" ||
  { cat "$work/plan2.out" >&2; fail "no rollout planned"; }
if grep -q "tools.instance" "$work/plan2.out"; then fail "the tools tier (stock image) would change"; fi
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy after register"
[ "$(droplet_images)" = "$id2 $id2" ] || fail "after register, droplets use '$(droplet_images)', not $id2"

# A manifest from another cloud's builder is refused.
python3 -c '
import json, sys
m = json.load(open(sys.argv[1])); m["builds"][-1]["builder_type"] = "openstack"
json.dump(m, open(sys.argv[2], "w"))' "$work/packer-manifest.json" "$work/wrong.json"
if orch image register --manifest "$work/wrong.json" --spec "$spec" >"$work/wrong.out" 2>&1; then fail "foreign manifest accepted"; fi
grep -q "made by the 'openstack' builder but image 'cass' lives on provider 'do'" "$work/wrong.out" || fail "foreign manifest message"
[ "$(recorded)" = "$id2" ] || fail "a refused register changed the record"

# 5. Teardown: no droplet left; the image records stay for the next deploy.
orch teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown"
[ "$(api /droplets | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])')" = 0 ] ||
  fail "droplets left after teardown"
[ "$(recorded)" = "$id2" ] || fail "image record lost at teardown"
echo "packer images on DigitalOcean ok: build $id1 in ${build_secs}s, registered $id2, deploy/rollout/teardown"
