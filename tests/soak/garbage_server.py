#!/usr/bin/env python3
"""A fake cloud API that answers every request with one kind of garbage.

  garbage_server.py MODE PORTFILE [--api do|gce|openstack] [--valid LIST]

Listens on two free ports of 127.0.0.1 and writes "PORT OTHER_PORT" to
PORTFILE. Every request to PORT gets the MODE's answer (see answers()).
OTHER_PORT is a second host: a request that reaches it with an Authorization
or X-Auth-Token header is logged to PORTFILE.leak (a client must never send
its token to a host named only by a response). Stopped with SIGTERM.

--api shapes the few answers that name a collection (pages, wrong types) for
DigitalOcean (default), GCE or OpenStack. --valid answers some requests
correctly so the garbage reaches the calls behind them (comma-separated):
  token     GCE: POST .../token and the metadata server's token URL give an
            access token
  keystone  OpenStack: POST /v3/auth/tokens gives a token and a catalog whose
            compute, network, image, volumev3 and load-balancer endpoints are
            this server (/compute/v2.1, /network, /image, /volume/v3/p1,
            /load-balancer)
  versions  OpenStack: the compute and volume version documents
--garbage-only SUBSTR keeps the garbage for requests whose path contains
SUBSTR; every other list gets a valid empty answer, so the garbage reaches
each list in turn.
Without `keystone`, /v3/auth/tokens gets the garbage with an X-Subject-Token
header, so the body is what the client must judge.
"""
import argparse
import http.server
import itertools
import json
import os
import socket
import threading

ARGS = None
OTHER = {}
COUNTER = itertools.count(1)

# Collection keys of the three APIs: wrong types and bad items go under all
# of them, so whichever list the client asks for first meets them.
DO_KEYS = ("droplets", "volumes", "vpcs", "tags", "firewalls", "load_balancers", "ssh_keys")
OS_KEYS = ("servers", "networks", "security_groups", "floatingips", "loadbalancers", "volumes", "keypairs")
ALL_KEYS = DO_KEYS + OS_KEYS + ("items",)
BAD_ITEMS = [None, 5, "x", [], {"id": {"nested": True}, "name": 7, "tags": 7, "networks": "none", "labels": "x",
                                "description": 9, "status": [], "ip": {}, "fingerprint": 1.5, "selfLink": 5,
                                "addresses": {"net": [5, {"version": "four", "addr": 6}]}, "metadata": 3,
                                "networkInterfaces": "x", "targetSize": "big", "keypair": 4,
                                "provisioning_status": 2}]


def raw(text):
    return text.encode()


def answers(mode):
    """(status, headers, body, special) for MODE."""
    j = "application/json"
    if mode == "badjson":
        return 200, {"Content-Type": j}, b'{"droplets": [{"id": 1, "name": "x",', False
    if mode == "truncated":
        return 200, {"Content-Type": j, "Content-Length": "4096"}, b'{"droplets": [{"id": 1', True
    if mode == "missing":
        return 200, {"Content-Type": j}, b"{}", False
    if mode == "wrongtype":
        body = {k: "lots" for k in ALL_KEYS} | {"volumes": 7, "vpcs": None, "tags": {}, "ssh_keys": [],
                                                 "links": "up", "meta": {"total": "many"}, "nextPageToken": 7,
                                                 "servers_links": "up", "token": "x", "access_token": 5,
                                                 "expires_in": "soon", "version": [], "versions": "v"}
        return 200, {"Content-Type": j}, json.dumps(body).encode(), False
    if mode == "baditems":
        body = {k: BAD_ITEMS for k in ALL_KEYS} | {"meta": {"total": 5}, "token": BAD_ITEMS}
        return 200, {"Content-Type": j}, json.dumps(body).encode(), False
    if mode == "badcatalog":  # a Keystone token whose fields have the wrong types
        body = {"token": {"expires_at": 5, "project": "p", "catalog": [
            None, 5, {"type": 5, "endpoints": "x"},
            {"type": "compute", "endpoints": [None, 4, {"interface": 5, "region_id": [], "url": 7}]}]}}
        return 201, {"Content-Type": j}, json.dumps(body).encode(), False
    if mode == "nocatalog":
        return 201, {"Content-Type": j}, b'{"token": {"expires_at": "2099-01-01T00:00:00Z"}}', False
    if mode == "oddfields":
        return 200, {"Content-Type": j}, json.dumps(odd_fields()).encode(), False
    if mode == "html":
        return 200, {"Content-Type": "text/html"}, b"<html><body><h1>502 Bad Gateway</h1></body></html>", False
    if mode == "empty":
        return 200, {"Content-Type": j}, b"", False
    if mode == "binary":
        return 200, {"Content-Type": j}, bytes(range(256)) * 8, False
    if mode == "deep":
        return 200, {"Content-Type": j}, b'{"droplets": ' + b"[" * 200000 + b"]" * 200000 + b"}", False
    if mode == "hugenumbers":
        # 1e400 is beyond a double (DigitalOcean's run); 1e300 parses, but fits no integer.
        big = "1e400" if ARGS.api == "do" else "1e300"
        item = ('{"id": %s, "name": "x", "tags": [], "targetSize": %s, "addresses": {"n": [{"version": %s}]}}'
                % (big, big, big))
        lists = ", ".join('"%s": [%s]' % (k, item) for k in ALL_KEYS)
        return 200, {"Content-Type": j}, raw('{%s, "meta": {"total": 99999999999999999999999999}, '
                                              '"links": {"pages": {"next": 12}}, "access_token": "ya29.huge", '
                                              '"expires_in": %s, "token": {"expires_at": %s, "catalog": %s}}'
                                              % (lists, big, big, big)), False
    if mode in ("endlesspages", "foreignnext", "foreignop"):
        return 200, {"Content-Type": j}, b"", mode
    if mode == "error400html":
        return 400, {"Content-Type": "text/html"}, b"<html>" + b"A" * 100000 + b"</html>", False
    if mode == "error400long":  # a JSON error whose message is 100 kB
        long = "B" * 100000
        body = {"error": {"message": long, "code": 400, "errors": [{"reason": "invalid", "message": long}]},
                "error_description": long, "NeutronError": {"type": "X", "message": long}, "faultstring": long}
        return 400, {"Content-Type": j}, json.dumps(body).encode(), False
    raise SystemExit("unknown mode %s" % mode)


def label(value):
    """GCE's label encoding (providers/gce/client.h EncodeLabelValue)."""
    return "".join(c if c.islower() or c.isdigit() or c == "-" else "_%02x" % ord(c) for c in value)


def odd_fields():
    """Lists whose one item is well formed where the list checks look (a
    string id/name, this deployment's tags) and of the wrong type everywhere
    else: the provider reads it without an exception."""
    odd = {"status": [], "description": 7, "selfLink": 5, "zone": {}, "machineType": 3, "networkInterfaces": [5],
           "targetSize": "big", "instanceTemplate": [], "target": {}, "IPAddress": 3, "address": [],
           "addresses": {"n": [5, {"version": "four", "addr": 6}], "m": 7}, "metadata": 3,
           "provisioning_status": 2, "vip_address": {}, "floating_ip_address": [], "fingerprint": 1.5,
           "OS-EXT-STS:task_state": 4}
    if ARGS.api == "gce":
        labels = {"orchestrator-deployment": label("hostilegce"), "orchestrator-address": label("network.main"),
                  "orchestrator-tier": []}
        item = odd | {"name": "hostilegce-main", "id": "1", "labels": labels}
        return {"kind": "compute#list", "items": [item, odd | {"name": "hostilegce-db-0", "id": "2",
                                                                "labels": "x", "networkInterfaces": "x"}]}
    tags = ["orchestrator-deployment=hostileos", "orchestrator-address=network.main", 5]
    item = odd | {"id": "a", "name": 5, "tags": tags}
    return {k: [item] for k in OS_KEYS} | {"keypairs": [{"keypair": {"name": "hostileos-ops", "fingerprint": 5}}],
                                            "servers_links": [{"rel": 5, "href": 6}, 7]}


def endless_page(path, host_port):
    """A page that names a further page, on `host_port`, every time anew."""
    n = next(COUNTER)
    if ARGS.api == "gce":
        return {"kind": "compute#list", "items": [], "nextPageToken": "page%d" % n}
    base = path.split("?")[0]
    if ARGS.api == "openstack":
        href = "http://127.0.0.1:%d%s?limit=200&marker=m%d" % (host_port, base, n)
        return {k: [] for k in OS_KEYS} | {"servers_links": [{"rel": "next", "href": href}],
                                            "networks_links": [{"rel": "next", "href": href}],
                                            "keypairs_links": [{"rel": "next", "href": href}],
                                            "volumes_links": [{"rel": "next", "href": href}]}
    key = base.rstrip("/").split("/")[-1]
    return {key: [], "links": {"pages": {"next": "http://127.0.0.1:%d/v2/%s?page=2&per_page=200" % (host_port, key)}},
            "meta": {"total": 10 ** 9}}


def foreign_op(handler):
    """GCE: empty lists, and every mutation answers an Operation whose
    selfLink names the other host; its wait (on this host) ends in an error."""
    path = handler.path.split("?")[0]
    if path.endswith("/wait"):
        return {"kind": "compute#operation", "name": "op1", "status": "DONE",
                "error": {"errors": [{"code": "GARBAGE", "message": "the operation failed on purpose"}]}}
    if handler.command == "GET" and "/images/" in path:
        return {"name": "debian-12", "selfLink": "http://127.0.0.1:%d/compute/v1/projects/debian-cloud/global/images/"
                "debian-12" % handler.server.server_port}
    if handler.command == "GET":
        return {"kind": "compute#list"}
    return {"kind": "compute#operation", "name": "op1", "status": "RUNNING",
            "selfLink": "http://127.0.0.1:%d/compute/v1/projects/hostile-project/global/operations/op1" % OTHER["port"]}


def keystone_token(port):
    base = "http://127.0.0.1:%d" % port
    services = {"compute": "/compute/v2.1", "network": "/network", "image": "/image", "volumev3": "/volume/v3/p1",
                "load-balancer": "/load-balancer"}
    catalog = [{"type": t, "name": t, "endpoints": [{"interface": "public", "region_id": "RegionOne",
                                                     "region": "RegionOne", "url": base + p}]}
               for t, p in services.items()]
    return {"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "project": {"id": "p1", "name": "demo"},
                      "catalog": catalog, "methods": ["password"]}}


def valid_answer(handler):
    """The body of a correct answer when --valid covers this request, else None."""
    path = handler.path.split("?")[0]
    valid = set(filter(None, ARGS.valid.split(",")))
    if "token" in valid and (path.endswith("/token") or path.startswith("/computeMetadata/")):
        return {"access_token": "ya29.garbagetest", "expires_in": 3600, "token_type": "Bearer"}
    if "keystone" in valid and path.rstrip("/") == "/v3/auth/tokens":
        return keystone_token(handler.server.server_port)
    if "versions" in valid and path.rstrip("/") == "/compute/v2.1":
        return {"version": {"id": "v2.1", "status": "CURRENT", "min_version": "2.1", "version": "2.79"}}
    if "versions" in valid and path.rstrip("/") == "/volume/v3":
        return {"versions": [{"id": "v3.0", "status": "CURRENT", "min_version": "3.0", "version": "3.59"}]}
    if ARGS.garbage_only and ARGS.garbage_only not in path:
        return {"kind": "compute#list"} if ARGS.api == "gce" else {k: [] for k in DO_KEYS + OS_KEYS}
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed ACK each

    def log_message(self, *args):
        pass

    def send(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        j = {"Content-Type": "application/json"}
        if self.server.server_port == OTHER["port"]:
            if self.headers.get("Authorization") or self.headers.get("X-Auth-Token"):
                with open(ARGS.portfile + ".leak", "a") as f:
                    f.write("%s %s\n" % (self.command, self.path))
            body = {k: [] for k in DO_KEYS + OS_KEYS} | {"meta": {"total": 0}, "kind": "compute#list"}
            self.send(200, j, json.dumps(body).encode())
            return
        ok = valid_answer(self)
        if ok is not None:
            status = 201 if self.path.startswith("/v3/auth/tokens") else 200
            self.send(status, j | {"X-Subject-Token": "gAAAA-garbagetest"}, json.dumps(ok).encode())
            return
        status, headers, body, special = answers(ARGS.mode)
        if self.path.startswith("/v3/auth/tokens"):
            headers = headers | {"X-Subject-Token": "gAAAA-garbagetest"}
        if special in ("endlesspages", "foreignnext"):
            host = OTHER["port"] if special == "foreignnext" else self.server.server_port
            body = json.dumps(endless_page(self.path, host)).encode()
        elif special == "foreignop":
            body = json.dumps(foreign_op(self)).encode()
        self.send(status, headers, body)
        if special is True:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer


def serve():
    main = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    OTHER["port"] = other.server_port
    threading.Thread(target=other.serve_forever, daemon=True).start()
    with open(ARGS.portfile + ".tmp", "w") as f:
        f.write("%d %d\n" % (main.server_port, other.server_port))
    os.rename(ARGS.portfile + ".tmp", ARGS.portfile)
    main.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Answers every request with one kind of garbage.")
    parser.add_argument("mode")
    parser.add_argument("portfile")
    parser.add_argument("--api", choices=("do", "gce", "openstack"), default="do")
    parser.add_argument("--valid", default="")
    parser.add_argument("--garbage-only", default="")
    ARGS = parser.parse_args()
    serve()
