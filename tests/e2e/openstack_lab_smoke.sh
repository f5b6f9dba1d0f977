#!/usr/bin/env bash
# The real OpenStack lab (scripts/openstack-lab) answers as a cloud: a project-scoped token with a
# catalog of every service, a server that reaches ACTIVE, a volume that reaches available and a
# load balancer that reaches ACTIVE, through the real APIs as the non-admin demo user; everything
# made is deleted again. Starts the lab if it is not running (at once if it is); a lab that
# cannot start fails the test.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
cd "$here"
scripts/openstack-lab start || { echo "FAIL: the OpenStack lab did not start" >&2; exit 1; }
scripts/openstack-lab status
eval "$(scripts/openstack-lab env)"
[ -s "$(scripts/openstack-lab env --clouds-yaml)" ] || { echo "FAIL: no clouds.yaml" >&2; exit 1; }
python3 - <<'PY'
import os, sys, time
sys.path.insert(0, "tests/openstack_diff")
import client

c = client.Client("lab", os.environ["OS_AUTH_URL"], os.environ["OS_USERNAME"], os.environ["OS_PASSWORD"],
                  os.environ["OS_PROJECT_NAME"], lambda line: print(line, flush=True))
tok = c.authenticate()
def check(cond, what):
    if not cond:
        print("FAIL: " + what, flush=True)
        sys.exit(1)
check(tok["token"]["project"]["name"] == os.environ["OS_PROJECT_NAME"], "token not scoped to the project")
check("admin" not in [r["name"] for r in tok["token"]["roles"]], "the lab user must not be admin")
for svc in ("identity", "compute", "network", "image", "volumev3", "load-balancer", "placement"):
    check(svc in c.endpoints, "catalog lacks " + svc)

def wait(what, service, path, key, field, want, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st, _, body = c.call(what, service, "GET", path, record=False)
        value = (body or {}).get(key, {}).get(field)
        if value == want:
            return body[key]
        check(value not in ("ERROR", "error"), "%s went to %s: %s" % (what, value, body))
        time.sleep(1)
    check(False, "%s did not reach %s in %d s" % (what, want, timeout))

run = "smoke%d" % os.getpid()
undo = []
try:
    st, _, body = c.call("flavors", "compute", "GET", "/flavors")
    flavor = [f["id"] for f in body["flavors"] if f["name"] == "m1.tiny"]
    check(flavor, "no m1.tiny flavor")
    st, _, body = c.call("images", "image", "GET", "/v2/images?name=cirros-0.6.2-x86_64-disk")
    check(body["images"] and body["images"][0]["status"] == "active", "no active cirros image")
    image = body["images"][0]["id"]
    st, _, body = c.call("public", "network", "GET", "/v2.0/networks?name=public")
    check(body["networks"] and body["networks"][0]["router:external"], "no external network public")
    st, _, body = c.call("net", "network", "POST", "/v2.0/networks", {"network": {"name": run}})
    check(st == 201, "network create: %d" % st)
    net = body["network"]["id"]
    undo.append(("network", "/v2.0/networks/" + net))
    st, _, body = c.call("subnet", "network", "POST", "/v2.0/subnets", {"subnet": {
        "network_id": net, "ip_version": 4, "cidr": "192.0.2.0/24", "name": run}})
    check(st == 201, "subnet create: %d" % st)
    sub = body["subnet"]["id"]
    st, _, body = c.call("server", "compute", "POST", "/servers", {"server": {
        "name": run, "flavorRef": flavor[0], "imageRef": image, "networks": [{"uuid": net}]}})
    check(st == 202, "server create: %d %s" % (st, body))
    sid = body["server"]["id"]
    undo.append(("compute", "/servers/" + sid))
    wait("server", "compute", "/servers/" + sid, "server", "status", "ACTIVE")
    st, _, body = c.call("volume", "volumev3", "POST", "/volumes", {"volume": {"name": run, "size": 1}})
    check(st == 202, "volume create: %d %s" % (st, body))
    vid = body["volume"]["id"]
    undo.append(("volumev3", "/volumes/" + vid))
    wait("volume", "volumev3", "/volumes/" + vid, "volume", "status", "available")
    st, _, body = c.call("lb", "load-balancer", "POST", "/v2/lbaas/loadbalancers", {"loadbalancer": {
        "name": run, "vip_subnet_id": sub}})
    check(st == 201, "load balancer create: %d %s" % (st, body))
    lb = body["loadbalancer"]["id"]
    undo.append(("load-balancer", "/v2/lbaas/loadbalancers/%s?cascade=true" % lb))
    wait("lb", "load-balancer", "/v2/lbaas/loadbalancers/" + lb, "loadbalancer", "provisioning_status", "ACTIVE")
    print("smoke: server ACTIVE, volume available, load balancer ACTIVE")
finally:
    # Delete in reverse order, waiting for each object to go before its network.
    for service, path in reversed(undo):
        c.call("delete", service, "DELETE", path, record=False)
        deadline = time.time() + 120
        while time.time() < deadline and c.call("gone", service, "GET", path.split("?")[0], record=False)[0] != 404:
            time.sleep(1)
    st = c.call("gone", "network", "GET", "/v2.0/networks/" + net, record=False)[0] if undo else 404
    check(st == 404, "network left behind")
PY
