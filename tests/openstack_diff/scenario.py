"""The scripted sequence of OpenStack calls run against both clouds.

Every call goes through Client.call/poll with a step name; the same scenario code runs against
the real lab and against cloudsim, so the two record lists line up step by step. Objects are
named "<run>-..." (run = a random prefix per cloud) and deleted at the end, also on failure.
"""
import time

CIRROS = "cirros-0.6.2-x86_64-disk"


def first(body, key):
    return (body or {}).get(key) or {}


def server_state(status, body):
    s = first(body, "server")
    return "%s/%s" % (s.get("status"), s.get("OS-EXT-STS:task_state"))


def volume_state(status, body):
    return first(body, "volume").get("status", "?")


def lb_state(key):
    return lambda status, body: first(body, key).get("provisioning_status", "?")


def status_is(*wanted):
    return lambda status, body: status in wanted


def run(c, run_id, cleanup):
    """Runs the whole scenario on client `c`; `cleanup` collects undo callbacks."""
    n = lambda s: "%s-%s" % (run_id, s)
    identity(c)
    image_id = images(c, n, cleanup)
    net = networks(c, n, cleanup)
    servers(c, n, cleanup, net)
    volumes(c, n, cleanup, net)
    octavia(c, n, cleanup, net)
    teardown_network(c, net)


def identity(c):
    root = c.auth_url.rsplit("/v3", 1)[0]
    c.call("keystone.versions", None, "GET", root + "/", token=False)
    c.call("keystone.version.v3", None, "GET", c.auth_url, token=False)
    bad = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": c.user, "domain": {"name": "Default"}, "password": "wrong-" + c.password}}}}}
    c.call("keystone.token.wrong_password", None, "POST", c.auth_url + "/auth/tokens", bad, token=False)
    c.call("keystone.catalog", None, "GET", c.auth_url + "/auth/catalog")
    c.call("keystone.token.validate", None, "GET", c.auth_url + "/auth/tokens",
           headers={"X-Subject-Token": c.token})
    c.call("keystone.catalog.no_token", None, "GET", c.auth_url + "/auth/catalog", token=False)
    for svc in ("compute", "network", "image", "volumev3", "load-balancer"):
        path = {"compute": "/servers", "network": "/v2.0/networks", "image": "/v2/images",
                "volumev3": "/volumes", "load-balancer": "/v2/lbaas/loadbalancers"}[svc]
        c.call("%s.no_token" % svc, svc, "GET", path, token=False)
        c.call("%s.bad_token" % svc, svc, "GET", path, headers={"X-Auth-Token": "not-a-token"}, token=False)


def images(c, n, cleanup):
    c.call("glance.images.list_by_name", "image", "GET", "/v2/images?name=" + CIRROS)
    st, _, img = c.call("glance.images.create", "image", "POST", "/v2/images", {
        "name": n("img"), "disk_format": "raw", "container_format": "bare", "visibility": "private",
        "tags": ["difftest"], "os_distro": "cirros"})
    iid = img["id"]
    cleanup.append(lambda: c.call("cleanup", "image", "DELETE", "/v2/images/" + iid, record=False))
    c.call("glance.images.show_queued", "image", "GET", "/v2/images/" + iid)
    c.call("glance.images.upload", "image", "PUT", "/v2/images/%s/file" % iid, bytes(range(256)) * 16,
           ctype="application/octet-stream")
    c.call("glance.images.show_active", "image", "GET", "/v2/images/" + iid)
    c.call("glance.images.upload_again", "image", "PUT", "/v2/images/%s/file" % iid, b"x" * 64,
           ctype="application/octet-stream")
    c.call("glance.images.tag_add", "image", "PUT", "/v2/images/%s/tags/%s" % (iid, n("t1")))
    c.call("glance.images.list_by_tag", "image", "GET", "/v2/images?tag=" + n("t1"))
    c.call("glance.images.update", "image", "PATCH", "/v2/images/" + iid,
           [{"op": "replace", "path": "/name", "value": n("img2")}],
           ctype="application/openstack-images-v2.1-json-patch")
    c.call("glance.images.update_readonly", "image", "PATCH", "/v2/images/" + iid,
           [{"op": "replace", "path": "/status", "value": "active"}],
           ctype="application/openstack-images-v2.1-json-patch")
    c.call("glance.images.show_missing", "image", "GET", "/v2/images/00000000-0000-4000-8000-000000000000")
    c.call("glance.images.delete", "image", "DELETE", "/v2/images/" + iid)
    c.call("glance.images.show_deleted", "image", "GET", "/v2/images/" + iid)
    return iid


def networks(c, n, cleanup):
    N = "/v2.0"
    c.call("neutron.networks.list_external", "network", "GET", N + "/networks?router:external=true")
    _, _, body = c.call("neutron.networks.create", "network", "POST", N + "/networks",
                        {"network": {"name": n("net"), "admin_state_up": True}})
    net_id = body["network"]["id"]
    cleanup.append(lambda: c.call("cleanup", "network", "DELETE", N + "/networks/" + net_id, record=False))
    _, _, body = c.call("neutron.subnets.create", "network", "POST", N + "/subnets", {"subnet": {
        "name": n("sub"), "network_id": net_id, "ip_version": 4, "cidr": "192.0.2.0/24"}})
    sub_id = body["subnet"]["id"]
    c.call("neutron.subnets.create_bad_cidr", "network", "POST", N + "/subnets", {"subnet": {
        "network_id": net_id, "ip_version": 4, "cidr": "192.0.2.0/33"}})
    c.call("neutron.subnets.create_overlap", "network", "POST", N + "/subnets", {"subnet": {
        "network_id": net_id, "ip_version": 4, "cidr": "192.0.2.128/25"}})
    _, _, body = c.call("neutron.networks.list_public", "network", "GET", N + "/networks?name=public")
    public_id = body["networks"][0]["id"]
    _, _, body = c.call("neutron.routers.create", "network", "POST", N + "/routers", {"router": {
        "name": n("router"), "external_gateway_info": {"network_id": public_id}}})
    router_id = body["router"]["id"]
    cleanup.append(lambda: c.call("cleanup", "network", "DELETE", N + "/routers/" + router_id, record=False))
    cleanup.append(lambda: c.call("cleanup", "network", "PUT", N + "/routers/%s/remove_router_interface" % router_id,
                                  {"subnet_id": sub_id}, record=False))
    c.call("neutron.routers.add_interface", "network", "PUT", N + "/routers/%s/add_router_interface" % router_id,
           {"subnet_id": sub_id})
    c.call("neutron.routers.show", "network", "GET", N + "/routers/" + router_id)
    _, _, body = c.call("neutron.security_groups.create", "network", "POST", N + "/security-groups", {
        "security_group": {"name": n("sg"), "description": "differential test"}})
    sg_id = body["security_group"]["id"]
    cleanup.append(lambda: c.call("cleanup", "network", "DELETE", N + "/security-groups/" + sg_id, record=False))
    rule = {"security_group_rule": {"security_group_id": sg_id, "direction": "ingress", "ethertype": "IPv4",
                                    "protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
                                    "remote_ip_prefix": "0.0.0.0/0"}}
    c.call("neutron.security_group_rules.create", "network", "POST", N + "/security-group-rules", rule)
    c.call("neutron.security_group_rules.create_duplicate", "network", "POST", N + "/security-group-rules", rule)
    c.call("neutron.security_groups.show", "network", "GET", N + "/security-groups/" + sg_id)
    for coll, oid in (("networks", net_id), ("security-groups", sg_id), ("routers", router_id)):
        c.call("neutron.%s.tag_add" % coll, "network", "PUT", N + "/%s/%s/tags/%s" % (coll, oid, n("a")))
        c.call("neutron.%s.tags_replace" % coll, "network", "PUT", N + "/%s/%s/tags" % (coll, oid),
               {"tags": [n("a"), n("b")]})
        c.call("neutron.%s.tag_check" % coll, "network", "GET", N + "/%s/%s/tags/%s" % (coll, oid, n("b")))
        c.call("neutron.%s.tag_check_missing" % coll, "network", "GET", N + "/%s/%s/tags/%s" % (coll, oid, n("z")))
        c.call("neutron.%s.list_by_tags" % coll, "network", "GET", N + "/%s?tags=%s,%s" % (coll, n("a"), n("b")))
        c.call("neutron.%s.list_by_tags_encoded" % coll, "network", "GET", N + "/%s?tags=%s%%2C%s" % (coll, n("a"), n("b")))
    # Zed has no tag-creation extension: tags in a create body are refused.
    c.call("neutron.networks.create_with_tags", "network", "POST", N + "/networks",
           {"network": {"name": n("tagged"), "tags": [n("a")]}})
    c.call("neutron.extensions.show_tag_creation", "network", "GET", N + "/extensions/tag-creation")
    c.call("neutron.extensions.show_tag", "network", "GET", N + "/extensions/standard-attr-tag")
    c.call("neutron.networks.show_missing", "network", "GET", N + "/networks/00000000-0000-4000-8000-000000000000")
    c.call("neutron.networks.list_bad_filter", "network", "GET", N + "/networks?no_such_attribute=1")
    _, _, body = c.call("neutron.ports.create", "network", "POST", N + "/ports", {"port": {
        "name": n("port"), "network_id": net_id, "security_groups": [sg_id]}})
    port_id = body["port"]["id"]
    cleanup.append(lambda: c.call("cleanup", "network", "DELETE", N + "/ports/" + port_id, record=False))
    c.call("neutron.ports.create_ip_taken", "network", "POST", N + "/ports", {"port": {
        "network_id": net_id, "fixed_ips": [{"subnet_id": sub_id,
                                             "ip_address": body["port"]["fixed_ips"][0]["ip_address"]}]}})
    c.call("neutron.ports.list_by_network", "network", "GET", N + "/ports?network_id=%s&device_owner=" % net_id)
    _, _, body = c.call("neutron.floatingips.create", "network", "POST", N + "/floatingips", {"floatingip": {
        "floating_network_id": public_id}})
    fip_id = body["floatingip"]["id"]
    cleanup.append(lambda: c.call("cleanup", "network", "DELETE", N + "/floatingips/" + fip_id, record=False))
    c.call("neutron.floatingips.associate", "network", "PUT", N + "/floatingips/" + fip_id,
           {"floatingip": {"port_id": port_id}})
    c.poll("neutron.floatingips.associated", "network", N + "/floatingips/" + fip_id,
           lambda s, b: first(b, "floatingip").get("status", "?"),
           lambda s, b: first(b, "floatingip").get("status") == "ACTIVE",
           # The agent sets ACTIVE asynchronously: whether a poll still sees
           # DOWN first is timing, not behaviour.
           optional=("DOWN",), timeout=20)
    c.call("neutron.floatingips.tag_add", "network", "PUT", N + "/floatingips/%s/tags/%s" % (fip_id, n("a")))
    c.call("neutron.floatingips.list_by_tags", "network", "GET", N + "/floatingips?tags=" + n("a"))
    c.call("neutron.floatingips.disassociate", "network", "PUT", N + "/floatingips/" + fip_id,
           {"floatingip": {"port_id": None}})
    c.call("neutron.floatingips.delete", "network", "DELETE", N + "/floatingips/" + fip_id)
    c.call("neutron.networks.delete_in_use", "network", "DELETE", N + "/networks/" + net_id)
    c.call("neutron.security_groups.delete_in_use", "network", "DELETE", N + "/security-groups/" + sg_id)
    c.call("neutron.ports.delete", "network", "DELETE", N + "/ports/" + port_id)
    return {"net": net_id, "sub": sub_id, "router": router_id, "sg": sg_id, "public": public_id}


def teardown_network(c, net):
    N = "/v2.0"
    c.call("neutron.routers.delete_in_use", "network", "DELETE", N + "/routers/" + net["router"])
    c.call("neutron.routers.remove_interface", "network", "PUT",
           N + "/routers/%s/remove_router_interface" % net["router"], {"subnet_id": net["sub"]})
    c.call("neutron.routers.clear_gateway", "network", "PUT", N + "/routers/" + net["router"],
           {"router": {"external_gateway_info": {}}})
    c.call("neutron.routers.delete", "network", "DELETE", N + "/routers/" + net["router"])
    c.call("neutron.security_groups.delete", "network", "DELETE", N + "/security-groups/" + net["sg"])
    c.call("neutron.subnets.delete", "network", "DELETE", N + "/subnets/" + net["sub"])
    c.call("neutron.networks.delete", "network", "DELETE", N + "/networks/" + net["net"])
    c.call("neutron.networks.show_deleted", "network", "GET", N + "/networks/" + net["net"])


def servers(c, n, cleanup, net):
    _, _, body = c.call("nova.flavors.detail", "compute", "GET", "/flavors/detail")
    flavor = [f for f in body["flavors"] if f["name"] == "m1.tiny"][0]["id"]
    c.call("nova.flavors.show", "compute", "GET", "/flavors/" + flavor)
    _, _, body = c.call("glance.images.find_cirros", "image", "GET", "/v2/images?name=" + CIRROS)
    image = body["images"][0]["id"]
    pub = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHW2ZlnsB8ABuL+9ybmbs6sHTZU6k7cXKOFBI4C6Fqbq "
           "difftest@example.org")
    c.call("nova.keypairs.import", "compute", "POST", "/os-keypairs", {"keypair": {"name": n("key"),
                                                                                  "public_key": pub}})
    cleanup.append(lambda: c.call("cleanup", "compute", "DELETE", "/os-keypairs/" + n("key"), record=False))
    c.call("nova.keypairs.import_duplicate", "compute", "POST", "/os-keypairs", {"keypair": {
        "name": n("key"), "public_key": pub}})
    _, _, body = c.call("nova.server_groups.create", "compute", "POST", "/os-server-groups", {"server_group": {
        "name": n("group"), "policy": "anti-affinity"}})
    group = body["server_group"]["id"]
    cleanup.append(lambda: c.call("cleanup", "compute", "DELETE", "/os-server-groups/" + group, record=False))
    server = {"name": n("vm"), "imageRef": image, "flavorRef": flavor, "networks": [{"uuid": net["net"]}],
              "security_groups": [{"name": "default"}], "key_name": n("key"), "metadata": {"role": "diff"},
              "tags": [n("t")], "user_data": "I2Nsb3VkLWNvbmZpZwo="}
    st, _, body = c.call("nova.servers.create", "compute", "POST", "/servers",
                         {"server": server, "os:scheduler_hints": {"group": group}})
    sid = first(body, "server").get("id")
    if sid:
        cleanup.append(lambda: c.call("cleanup", "compute", "DELETE", "/servers/" + sid, record=False))
    # Tags change only once the server is built.
    c.call("nova.servers.tag_add_while_build", "compute", "PUT", "/servers/%s/tags/%s" % (sid, n("late")))
    # Nova goes through scheduling, block device mapping and spawning; the short steps in
    # between may be missed by a poll.
    c.poll("nova.servers.boot", "compute", "/servers/" + sid, server_state,
           lambda s, b: first(b, "server").get("status") in ("ACTIVE", "ERROR"),
           optional=("BUILD/None", "BUILD/networking", "BUILD/block_device_mapping"))
    c.call("nova.servers.list_by_tags", "compute", "GET", "/servers/detail?tags=" + n("t"))
    c.call("nova.servers.list_by_name", "compute", "GET", "/servers?name=" + n("vm"))
    c.call("nova.servers.tag_add", "compute", "PUT", "/servers/%s/tags/%s" % (sid, n("late")))
    c.call("nova.servers.tag_delete", "compute", "DELETE", "/servers/%s/tags/%s" % (sid, n("late")))
    c.call("nova.servers.tag_delete_missing", "compute", "DELETE", "/servers/%s/tags/%s" % (sid, n("late")))
    c.call("nova.servers.tags", "compute", "GET", "/servers/%s/tags" % sid)
    c.call("nova.servers.os_interface", "compute", "GET", "/servers/%s/os-interface" % sid)
    c.call("neutron.ports.list_by_device", "network", "GET", "/v2.0/ports?device_id=" + sid)
    c.call("nova.servers.update", "compute", "PUT", "/servers/" + sid, {"server": {"name": n("vm-renamed")}})
    c.call("nova.servers.stop", "compute", "POST", "/servers/%s/action" % sid, {"os-stop": None})
    c.poll("nova.servers.stopping", "compute", "/servers/" + sid, server_state,
           lambda s, b: first(b, "server").get("status") == "SHUTOFF", optional=("ACTIVE/powering-off",))
    c.call("nova.servers.stop_again", "compute", "POST", "/servers/%s/action" % sid, {"os-stop": None})
    c.call("nova.servers.start", "compute", "POST", "/servers/%s/action" % sid, {"os-start": None})
    c.poll("nova.servers.starting", "compute", "/servers/" + sid, server_state,
           lambda s, b: first(b, "server").get("status") == "ACTIVE", optional=("SHUTOFF/powering-on",))
    # min_count / max_count: the answer is the first server only.
    multi = dict(server, name=n("multi"), tags=[n("m")])
    multi.pop("key_name")
    c.call("nova.servers.create_min2_max2", "compute", "POST", "/servers",
           {"server": dict(multi, min_count=2, max_count=2)})
    _, _, body = c.call("nova.servers.list_multi", "compute", "GET", "/servers?tags=" + n("m"))
    for s in (body or {}).get("servers", []):
        sid_m = s["id"]
        cleanup.append(lambda sid_m=sid_m: c.call("cleanup", "compute", "DELETE", "/servers/" + sid_m, record=False))
    bad = dict(server, name=n("bad"), flavorRef="no-such-flavor")
    c.call("nova.servers.create_unknown_flavor", "compute", "POST", "/servers", {"server": bad})
    bad = dict(server, name=n("bad"), imageRef="00000000-0000-4000-8000-000000000000")
    c.call("nova.servers.create_unknown_image", "compute", "POST", "/servers", {"server": bad})
    bad = dict(server, name=n("bad"), key_name=n("no-such-key"))
    c.call("nova.servers.create_unknown_key", "compute", "POST", "/servers", {"server": bad})
    bad = dict(server, name=n("bad"), networks=[{"uuid": "00000000-0000-4000-8000-000000000000"}])
    c.call("nova.servers.create_unknown_network", "compute", "POST", "/servers", {"server": bad})
    bad = dict(server, name=n("bad"), unknown_property=1)
    c.call("nova.servers.create_unknown_property", "compute", "POST", "/servers", {"server": bad})
    c.call("nova.servers.show_missing", "compute", "GET", "/servers/00000000-0000-4000-8000-000000000000")
    for s in (body or {}).get("servers", []):
        c.call("nova.servers.delete_multi", "compute", "DELETE", "/servers/" + s["id"])
    net["server"] = sid
    net["group"] = group


def volumes(c, n, cleanup, net):
    sid = net["server"]
    st, _, body = c.call("cinder.volumes.create", "volumev3", "POST", "/volumes", {"volume": {
        "name": n("vol"), "size": 1, "description": "differential test", "metadata": {"role": "diff"}}})
    vid = first(body, "volume").get("id")
    cleanup.append(lambda: c.call("cleanup", "volumev3", "DELETE", "/volumes/" + vid, record=False))
    c.poll("cinder.volumes.creating", "volumev3", "/volumes/" + vid, volume_state,
           lambda s, b: volume_state(s, b) in ("available", "error"))
    c.call("cinder.volumes.list_detail", "volumev3", "GET", "/volumes/detail?name=" + n("vol"))
    c.call("cinder.volumes.show_missing", "volumev3", "GET", "/volumes/00000000-0000-4000-8000-000000000000")
    c.call("cinder.volumes.update", "volumev3", "PUT", "/volumes/" + vid, {"volume": {"description": "updated"}})
    c.call("nova.volume_attachments.create", "compute", "POST", "/servers/%s/os-volume_attachments" % sid,
           {"volumeAttachment": {"volumeId": vid}})
    c.poll("cinder.volumes.attaching", "volumev3", "/volumes/" + vid, volume_state,
           lambda s, b: volume_state(s, b) in ("in-use", "error"), optional=("available", "reserved", "attaching"))
    c.call("nova.volume_attachments.list", "compute", "GET", "/servers/%s/os-volume_attachments" % sid)
    c.call("nova.volume_attachments.show", "compute", "GET", "/servers/%s/os-volume_attachments/%s" % (sid, vid))
    c.call("cinder.volumes.delete_in_use", "volumev3", "DELETE", "/volumes/" + vid)
    c.call("nova.volume_attachments.delete", "compute", "DELETE",
           "/servers/%s/os-volume_attachments/%s" % (sid, vid))
    c.poll("cinder.volumes.detaching", "volumev3", "/volumes/" + vid, volume_state,
           lambda s, b: volume_state(s, b) == "available", optional=("in-use", "detaching"))
    c.call("cinder.volumes.delete", "volumev3", "DELETE", "/volumes/" + vid)
    c.poll("cinder.volumes.deleting", "volumev3", "/volumes/" + vid, volume_state, status_is(404),
           optional=("deleting",))
    c.call("nova.servers.delete", "compute", "DELETE", "/servers/" + sid)
    # Nova marks the instance DELETED shortly before it is gone; a poll may or may not see it.
    c.poll("nova.servers.deleting", "compute", "/servers/" + sid, server_state, status_is(404),
           optional=("ACTIVE/deleting", "DELETED/None"))
    c.call("nova.server_groups.delete", "compute", "DELETE", "/os-server-groups/" + net["group"])
    c.call("nova.keypairs.delete", "compute", "DELETE", "/os-keypairs/" + n("key"))
    c.call("nova.keypairs.delete_missing", "compute", "DELETE", "/os-keypairs/" + n("key"))


def octavia(c, n, cleanup, net):
    L = "/v2/lbaas"
    st, _, body = c.call("octavia.loadbalancers.create", "load-balancer", "POST", L + "/loadbalancers", {
        "loadbalancer": {"name": n("lb"), "vip_subnet_id": net["sub"], "tags": [n("lb")]}})
    lb = first(body, "loadbalancer").get("id")
    cleanup.append(lambda: c.call("cleanup", "load-balancer", "DELETE", L + "/loadbalancers/%s?cascade=true" % lb,
                                  record=False))
    active = lambda s, b: first(b, "loadbalancer").get("provisioning_status") in ("ACTIVE", "ERROR")
    lb_path = L + "/loadbalancers/" + lb
    # While PENDING_CREATE, a mutation of the load balancer and a new child are refused with 409
    # and two different texts.
    c.call("octavia.loadbalancers.update_while_pending_create", "load-balancer", "PUT", lb_path,
           {"loadbalancer": {"description": "refused"}})
    c.call("octavia.listeners.create_while_pending_create", "load-balancer", "POST", L + "/listeners", {
        "listener": {"name": n("refused"), "protocol": "HTTP", "protocol_port": 81, "loadbalancer_id": lb}})
    c.poll("octavia.loadbalancers.creating", "load-balancer", lb_path, lb_state("loadbalancer"), active)
    _, _, body = c.call("octavia.listeners.create", "load-balancer", "POST", L + "/listeners", {"listener": {
        "name": n("listener"), "protocol": "HTTP", "protocol_port": 80, "loadbalancer_id": lb}})
    listener = first(body, "listener").get("id")
    c.poll("octavia.loadbalancers.after_listener", "load-balancer", lb_path, lb_state("loadbalancer"), active,
           optional=("PENDING_UPDATE",))
    # A second update sent right after the first meets PENDING_UPDATE and is refused with 409.
    # The update takes well under a second on the lab, so the pair is tried until the second one
    # arrived in time; only that attempt is compared.
    for attempt in range(8):
        first_try = c.call("octavia.loadbalancers.update", "load-balancer", "PUT", lb_path,
                           {"loadbalancer": {"description": "update %d" % attempt}}, record=False)
        second = c.call("octavia.loadbalancers.update_while_pending", "load-balancer", "PUT", lb_path,
                        {"loadbalancer": {"description": "second update %d" % attempt}}, record=False)
        c.poll("octavia.loadbalancers.after_update", "load-balancer", lb_path, lb_state("loadbalancer"), active,
               optional=("PENDING_UPDATE",))
        if second[0] == 409 or attempt == 7:
            c.keep("octavia.loadbalancers.update", "PUT", lb_path, first_try)
            c.keep("octavia.loadbalancers.update_while_pending", "PUT", lb_path, second)
            break
        del c.records[-2:]  # the poll of an attempt that is not compared
    _, _, body = c.call("octavia.pools.create", "load-balancer", "POST", L + "/pools", {"pool": {
        "name": n("pool"), "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN", "listener_id": listener}})
    pool = first(body, "pool").get("id")
    c.poll("octavia.loadbalancers.after_pool", "load-balancer", L + "/loadbalancers/" + lb,
           lb_state("loadbalancer"), active, optional=("PENDING_UPDATE",))
    _, _, body = c.call("octavia.members.create", "load-balancer", "POST", L + "/pools/%s/members" % pool, {
        "member": {"name": n("m1"), "address": "192.0.2.10", "protocol_port": 8080, "subnet_id": net["sub"]}})
    c.poll("octavia.loadbalancers.after_member", "load-balancer", L + "/loadbalancers/" + lb,
           lb_state("loadbalancer"), active, optional=("PENDING_UPDATE",))
    c.call("octavia.members.batch_update", "load-balancer", "PUT", L + "/pools/%s/members" % pool, {"members": [
        {"name": n("m1"), "address": "192.0.2.10", "protocol_port": 8080, "subnet_id": net["sub"]},
        {"name": n("m2"), "address": "192.0.2.11", "protocol_port": 8080, "subnet_id": net["sub"]}]})
    c.poll("octavia.loadbalancers.after_batch", "load-balancer", L + "/loadbalancers/" + lb,
           lb_state("loadbalancer"), active, optional=("PENDING_UPDATE",))
    c.call("octavia.members.list", "load-balancer", "GET", L + "/pools/%s/members" % pool)
    c.call("octavia.healthmonitors.create", "load-balancer", "POST", L + "/healthmonitors", {"healthmonitor": {
        "pool_id": pool, "type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 3, "url_path": "/"}})
    c.poll("octavia.loadbalancers.after_healthmonitor", "load-balancer", L + "/loadbalancers/" + lb,
           lb_state("loadbalancer"), active, optional=("PENDING_UPDATE",))
    c.call("octavia.loadbalancers.list_by_tags", "load-balancer", "GET", L + "/loadbalancers?tags=" + n("lb"))
    c.call("octavia.listeners.show", "load-balancer", "GET", L + "/listeners/" + listener)
    c.call("octavia.pools.show", "load-balancer", "GET", L + "/pools/" + pool)
    c.call("octavia.loadbalancers.status", "load-balancer", "GET", L + "/loadbalancers/%s/status" % lb)
    c.call("octavia.loadbalancers.delete_with_children", "load-balancer", "DELETE", L + "/loadbalancers/" + lb)
    c.call("octavia.loadbalancers.delete_cascade", "load-balancer", "DELETE",
           L + "/loadbalancers/%s?cascade=true" % lb)
    c.poll("octavia.loadbalancers.deleting", "load-balancer", L + "/loadbalancers/" + lb,
           lb_state("loadbalancer"), status_is(404), optional=("PENDING_DELETE",))
    c.call("octavia.loadbalancers.show_missing", "load-balancer", "GET",
           L + "/loadbalancers/00000000-0000-4000-8000-000000000000")
    # The VIP port, if the cloud made one, is released with the load balancer.
    time.sleep(0.5)
