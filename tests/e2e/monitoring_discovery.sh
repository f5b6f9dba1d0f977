#!/usr/bin/env bash
# The monitoring tier holds no address list: Prometheus finds the machines
# itself. configs/openstack.yaml is deployed to cloudsim with an application
# credential made for the monitoring host (its secret given through
# ${env:}); the user data the monitoring server received is taken from Nova,
# as its metadata service hands it over, and its Prometheus configuration
# script is run. Then:
#   - the secret is in that user data, and in no state file, plan or output;
#   - Debian's promtool accepts the generated configuration;
#   - a real Prometheus, pointed at cloudsim's Keystone by that
#     configuration, discovers the database servers (private IP:9100, labelled
#     with their tier) and nothing else;
#   - scaling the database tier 2 -> 3 plans no change to the monitoring
#     server (not even stale) and touches it in no request, and Prometheus
#     then discovers the third server on its own.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
. "$root/tests/soak/lib.sh"
prom_pid=
trap '[ -z "$prom_pid" ] || kill "$prom_pid" 2>/dev/null || true; cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
  fail "prometheus and promtool are needed (Debian package prometheus; scripts/setup installs it)"
cd "$root"
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 5
unset OS_CLOUD OS_CLIENT_CONFIG_FILE
state=$work/state
spec=$work/spec.yaml
sed "s#\.\./templates/#$root/templates/#" configs/openstack.yaml >"$spec"
api() { python3 tests/e2e/openstack_api.py "$@"; }

read -r cred_id cred_secret < <(api appcred monitoring-sd)
export OS_MONITORING_APPLICATION_CREDENTIAL_ID=$cred_id OS_MONITORING_APPLICATION_CREDENTIAL_SECRET=$cred_secret
export OS_MONITORING_AUTH_URL=$OS_AUTH_URL OS_MONITORING_REGION=${OS_REGION_NAME:-RegionOne}

orch plan "$spec" --out "$work/plan.bin" >"$work/plan.out" 2>&1 || { cat "$work/plan.out"; fail "first plan"; }
orch deploy "$spec" --auto-approve >"$work/deploy.out" 2>&1 || { tail -20 "$work/deploy.out"; fail "first deploy"; }
orch render "$spec" monitoring.instance[0] >"$work/render.out" 2>"$work/render.err" ||
  { cat "$work/render.err"; fail "render"; }
grep -q "shown as (sensitive)" "$work/render.err" || { cat "$work/render.err"; fail "render does not say secrets are masked"; }
for f in "$work/plan.out" "$work/plan.bin" "$work/deploy.out" "$work/render.out" "$work/render.err" $(find "$state" -type f); do
  if grep -qF "$cred_secret" "$f"; then fail "the application credential secret is in $f"; fi
done

# The user data the monitoring server got, as its metadata service gives it.
python3 - "$work/machine" <<'PY'
import base64, json, os, sys, urllib.request
import yaml
sys.path.insert(0, "tests/e2e")
import openstack_api as o
token, eps = o.login()
req = urllib.request.Request(eps["compute"] + "/servers/detail?name=first-app-monitoring-0",
                             headers={"X-Auth-Token": token, "Accept": "application/json",
                                      "OpenStack-API-Version": "compute 2.3",
                                      "X-OpenStack-Nova-API-Version": "2.3"})
servers = json.load(urllib.request.urlopen(req, timeout=30))["servers"]
assert len(servers) == 1, [s["name"] for s in servers]
text = base64.b64decode(servers[0]["OS-EXT-SRV-ATTR:user_data"]).decode()
doc = yaml.safe_load(text)
root = sys.argv[1]
for f in doc["write_files"]:
    path = root + f["path"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(f["content"])
    os.chmod(path, int(f.get("permissions", "0644"), 8))
PY
secrets=$work/machine/etc/orchestrator/monitoring-secrets.env
grep -qF "$cred_secret" "$secrets" || fail "the monitoring host did not get its credential secret"
[ "$(stat -c %a "$secrets")" = 600 ] || fail "monitoring-secrets.env is not 0600"
grep -q '^DEPLOYMENT="first-app"$' "$work/machine/etc/orchestrator/monitoring.env" ||
  fail "the monitoring host was not given its deployment"
# Discovery re-lists every 60 s by default; the test does not wait that long.
sed -i 's/^SD_REFRESH=.*/SD_REFRESH="1s"/' "$work/machine/etc/orchestrator/monitoring.env"
bash "$work/machine/usr/local/sbin/orchestrator-prometheus-config" "$work/machine/etc/orchestrator" "$work/machine/etc/prometheus" ||
  fail "the Prometheus configuration script failed"
config=$work/machine/etc/prometheus/prometheus.yml
promtool check config "$config" >"$work/promtool.out" 2>&1 || { cat "$work/promtool.out" "$config"; fail "promtool rejects the configuration"; }
grep -q "openstack_sd_configs" "$config" || fail "no OpenStack discovery in $config"
if grep -qE "digitalocean_sd_configs|gce_sd_configs" "$config"; then fail "discovery for a cloud that was not configured"; fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus --config.file="$config" --storage.tsdb.path="$work/tsdb" --web.listen-address="127.0.0.1:$port" \
  >"$work/prometheus.log" 2>&1 &
prom_pid=$!

# "tier=ADDRESS ..." of the node-openstack targets Prometheus found, sorted,
# once it has found N of them (or what it has after 60 s).
discovered() {
  python3 - "$port" "$1" <<'PY'
import json, sys, time, urllib.request
port, want = sys.argv[1], int(sys.argv[2])
got = []
for _ in range(120):
    try:
        d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/v1/targets?state=active" % port, timeout=5))
        got = sorted("%s=%s" % (t["labels"].get("tier"), t["labels"]["__address__"] if "__address__" in t["labels"]
                                else t["scrapeUrl"].split("/")[2])
                     for t in d["data"]["activeTargets"] if t["labels"].get("job") == "node-openstack")
        if len(got) == want:
            break
    except OSError:
        pass
    time.sleep(0.5)
print(" ".join(got))
PY
}
# The database servers' private addresses, as Nova reports them.
expected() {
  python3 - <<'PY'
import sys
sys.path.insert(0, "tests/e2e")
import openstack_api as o
token, eps = o.login()
out = []
for s in o.listing(token, eps["compute"] + "/servers/detail", "servers"):
    if (s.get("metadata") or {}).get("orchestrator-tier") != "database":
        continue
    for addrs in s["addresses"].values():
        out += ["database=%s:9100" % a["addr"] for a in addrs if a.get("OS-EXT-IPS:type", "fixed") == "fixed"]
print(" ".join(sorted(out)))
PY
}

want=$(expected)
[ "$(echo "$want" | wc -w)" = 2 ] || fail "expected 2 database servers, Nova shows: $want"
got=$(discovered 2)
[ "$got" = "$want" ] || { tail -20 "$work/prometheus.log"; fail "Prometheus discovered '$got', expected '$want'"; }

# Scaling the ring: the monitoring server is not part of the change.
sed -i '/^  database:/,/^  [a-z]*:$/ s/^    count: 2$/    count: 3/' "$spec"
grep -A3 "^  database:" "$spec" | grep -q "count: 3" || fail "could not scale the database tier in the spec"
orch plan "$spec" --json >"$work/scale.json" 2>"$work/scale.err" || { cat "$work/scale.err"; fail "plan after scaling"; }
python3 - "$work/scale.json" <<'PY' || fail "the scale plan touches more than the new database server"
import json, sys
p = json.load(open(sys.argv[1]))
changed = sorted(c["address"] for c in p["changes"] if c["action"] != "no-op")
stale = sorted(c["address"] for c in p["changes"] if c.get("stale"))
mon = [c for c in p["changes"] if c["address"].startswith("monitoring.")]
assert all(c["action"] == "no-op" and not c.get("stale") for c in mon), mon
assert not any(a.startswith("monitoring.") for a in changed + stale), (changed, stale)
assert "database.instance[2]" in changed, changed
PY
server_id() {
  api req GET compute "/servers/detail?name=first-app-monitoring-0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["servers"][0]["id"])'
}
mon_id=$(server_id)
orch deploy "$spec" --auto-approve >"$work/scale.out" 2>&1 || { tail -20 "$work/scale.out"; fail "deploy after scaling"; }
if grep -q "monitoring\." "$work/scale.out"; then cat "$work/scale.out"; fail "the scaling deploy mentions the monitoring tier"; fi
[ "$(server_id)" = "$mon_id" ] || fail "the monitoring server was replaced"
want=$(expected)
[ "$(echo "$want" | wc -w)" = 3 ] || fail "expected 3 database servers after scaling, Nova shows: $want"
got=$(discovered 3)
[ "$got" = "$want" ] || { tail -20 "$work/prometheus.log"; fail "after scaling Prometheus discovered '$got', expected '$want'"; }
echo "discovered: $got"

orch teardown "$spec" --auto-approve >"$work/teardown.out" 2>&1 || { tail -20 "$work/teardown.out"; fail "teardown"; }
echo "PASS: monitoring discovery"
