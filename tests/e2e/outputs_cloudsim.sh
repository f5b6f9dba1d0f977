#!/usr/bin/env bash
# Outputs after a real deploy of configs/quickstart.yaml to cloudsim:
# node 0 created before node 1 before node 2 (seed references),
# `output --json` (addresses per tier, load balancer, floating IP),
# `output --ansible-inventory` parsed by Debian's `ansible-inventory --list`,
# `output --ssh-config` read by `ssh -G`, and `graph` rendered by Graphviz
# `dot` (scripts/setup installs ansible-core, graphviz, openssh-client).
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$root"

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in ansible-inventory dot ssh; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup installs it)"
done
spec=configs/quickstart.yaml
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }

# The graph needs no cloud: every node and the seed edges, valid DOT.
orch graph "$spec" >"$work/graph.dot"
dot -Tsvg "$work/graph.dot" -o "$work/graph.svg" || fail "dot rejected the graph"
grep -q '<svg' "$work/graph.svg" || fail "no SVG from dot"
grep -qF '"cassandra.instance[1]" -> "cassandra.instance[0]";' "$work/graph.dot" || fail "no seed edge 1 -> 0"
grep -qF '"cassandra.instance[2]" -> "cassandra.instance[1]";' "$work/graph.dot" || fail "no seed edge 2 -> 1"
if grep -qF '"cassandra.instance[0]" -> "cassandra.instance[' "$work/graph.dot"; then fail "node 0 depends on a peer"; fi
grep -qF '"api.instance[0]" -> "monitoring.instance[0]";' "$work/graph.dot" || fail "api does not wait for monitoring"
nodes=$(grep -c '\[label=' "$work/graph.dot")
echo "graph: $nodes resources, $(grep -c -- ' -> ' "$work/graph.dot") edges"

cloudsim_start "$build" "$work" --time-scale 0.02 --seed 11
orch deploy "$spec" --auto-approve >"$work/deploy.out" 2>&1 || { cat "$work/deploy.out"; fail "deploy failed"; }
# Seeds order the ring: node 1 starts after node 0 is complete, node 2 after node 1.
line() { grep -n -m1 -F "$1" "$work/deploy.out" | cut -d: -f1; }
[ "$(line 'cassandra.instance[0]: create complete')" -lt "$(line 'cassandra.instance[1]: create started')" ] ||
  fail "cassandra node 1 started before node 0 was complete"
[ "$(line 'cassandra.instance[1]: create complete')" -lt "$(line 'cassandra.instance[2]: create started')" ] ||
  fail "cassandra node 2 started before node 1 was complete"

# JSON: addresses per tier, the load balancer and the floating IP.
orch output "$spec" --json >"$work/out.json"
python3 - "$work/out.json" <<'PY' || fail "output --json"
import json, sys
o = json.load(open(sys.argv[1]))
t = o["tiers"]
assert o["deployment"] == "quickstart", o["deployment"]
assert len(t["cassandra"]["instances"]) == 3, t["cassandra"]
assert len(t["api"]["instances"]) == 2, t["api"]
assert t["api"]["load_balancer_ip"], t["api"]
assert len(t["monitoring"]["floating_ips"]) == 1 and t["monitoring"]["floating_ips"][0]
assert t["monitoring"]["instances"][0]["floating_ip"] == t["monitoring"]["floating_ips"][0]
for tier in t.values():
    for i in tier["instances"]:
        assert i["private_ip"] and i["public_ip"], i
assert {i["provider"] for x in ("cassandra", "api") for i in t[x]["instances"]} == {"do"}, t
assert t["monitoring"]["instances"][0]["provider"] == "gcp", t["monitoring"]
print("output --json: %d instances, lb %s" % (sum(len(x["instances"]) for x in t.values()), t["api"]["load_balancer_ip"]))
PY

# Ansible: the inventory parses, groups by tier, carries the host vars.
orch output "$spec" --ansible-inventory >"$work/inventory.ini"
ANSIBLE_INVENTORY_UNPARSED_FAILED=true ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" ANSIBLE_HOME="$work/ansible" \
  ansible-inventory --list -i "$work/inventory.ini" >"$work/inventory.json" 2>"$work/inventory.err" ||
  { cat "$work/inventory.err"; fail "ansible-inventory could not parse the inventory"; }
python3 - "$work/inventory.json" "$work/out.json" <<'PY' || fail "inventory content"
import json, sys
inv = json.load(open(sys.argv[1]))
out = json.load(open(sys.argv[2]))
hostvars = inv["_meta"]["hostvars"]
for tier, t in out["tiers"].items():
    hosts = inv[tier]["hosts"]
    assert sorted(hosts) == sorted(i["name"] for i in t["instances"]), (tier, hosts)
    for i in t["instances"]:
        v = hostvars[i["name"]]
        assert v["private_ip"] == i["private_ip"] and v["provider"] == i["provider"], v
        assert v["address"] == i["address"], v
        assert v["ansible_host"] == i.get("floating_ip", i["public_ip"]), v
assert sorted(inv["quickstart"]["children"]) == ["api", "cassandra", "monitoring"], inv["quickstart"]
print("ansible-inventory: %d hosts in %d tier groups" % (len(hostvars), len(out["tiers"])))
PY

# ssh: every Host block resolves to its address.
orch output "$spec" --ssh-config >"$work/ssh_config"
python3 - "$work/out.json" <<'PY' >"$work/expected_hosts"
import json, sys
for t in json.load(open(sys.argv[1]))["tiers"].values():
    for i in t["instances"]:
        print(i["name"], i.get("floating_ip", i["public_ip"]))
PY
checked=0
while read -r name ip; do
  got=$(ssh -G -F "$work/ssh_config" "$name" </dev/null 2>/dev/null | awk '$1 == "hostname" {print $2}')
  [ "$got" = "$ip" ] || fail "ssh -G $name gives hostname '$got', expected $ip"
  checked=$((checked + 1))
done <"$work/expected_hosts"
[ "$checked" -eq 6 ] || fail "checked $checked ssh hosts, expected 6"
echo "ssh-config: $checked hosts"

orch teardown "$spec" --auto-approve >"$work/teardown.out" 2>&1 || { cat "$work/teardown.out"; fail "teardown"; }
[ "$(cloudsim_resource_count digitalocean)" -eq 0 ] || fail "resources left after teardown"
echo "PASS"
