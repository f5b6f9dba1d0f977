#!/usr/bin/env python3
"""A fake DigitalOcean API that answers every request with one kind of garbage.

  garbage_server.py MODE PORTFILE

Listens on two free ports of 127.0.0.1 and writes "PORT OTHER_PORT" to
PORTFILE. Every request to PORT gets the MODE's answer (see ANSWERS). OTHER_PORT
is a second host: a request that reaches it with an Authorization header is
logged to PORTFILE.leak (a client must never send its token to a host named
only by a response). Stopped with SIGTERM.
"""
import http.server
import json
import os
import socket
import sys
import threading

MODE, PORTFILE = sys.argv[1], sys.argv[2]
OTHER = {}


def answers(mode):
    """(status, headers, body, close_early) for MODE."""
    j = "application/json"
    if mode == "badjson":
        return 200, {"Content-Type": j}, b'{"droplets": [{"id": 1, "name": "x",', False
    if mode == "truncated":
        return 200, {"Content-Type": j, "Content-Length": "4096"}, b'{"droplets": [{"id": 1', True
    if mode == "missing":
        return 200, {"Content-Type": j}, b"{}", False
    if mode == "wrongtype":
        return 200, {"Content-Type": j}, json.dumps({"droplets": "lots", "volumes": 7, "vpcs": None, "tags": {},
                                                      "firewalls": "x", "load_balancers": 1, "ssh_keys": [],
                                                      "links": "up", "meta": {"total": "many"}}).encode(), False
    if mode == "baditems":
        items = [None, 5, "x", [], {"id": {"nested": True}, "name": 7, "tags": 7, "networks": "none",
                                    "description": 9, "status": [], "ip": {}, "fingerprint": 1.5}]
        return 200, {"Content-Type": j}, json.dumps({k: items for k in ("droplets", "volumes", "vpcs", "tags", "firewalls",
                                                                         "load_balancers", "ssh_keys")} |
                                                     {"meta": {"total": 5}}).encode(), False
    if mode == "html":
        return 200, {"Content-Type": "text/html"}, b"<html><body><h1>502 Bad Gateway</h1></body></html>", False
    if mode == "empty":
        return 200, {"Content-Type": j}, b"", False
    if mode == "binary":
        return 200, {"Content-Type": j}, bytes(range(256)) * 8, False
    if mode == "deep":
        return 200, {"Content-Type": j}, b'{"droplets": ' + b"[" * 200000 + b"]" * 200000 + b"}", False
    if mode == "hugenumbers":
        return 200, {"Content-Type": j}, (b'{"droplets": [{"id": 1e400, "name": "x", "tags": []}], "meta": {"total": '
                                          b'99999999999999999999999999}, "links": {"pages": {"next": 12}}}'), False
    if mode == "endlesspages":
        # Every page claims a next page on the same host: the client must stop.
        return 200, {"Content-Type": j}, b"", "endless"
    if mode == "foreignnext":
        return 200, {"Content-Type": j}, b"", "foreign"
    if mode == "error400html":
        return 400, {"Content-Type": "text/html"}, b"<html>" + b"A" * 100000 + b"</html>", False
    raise SystemExit("unknown mode %s" % mode)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self):
        if self.server.server_port == OTHER["port"]:
            if self.headers.get("Authorization"):
                with open(PORTFILE + ".leak", "a") as f:
                    f.write("%s %s\n" % (self.command, self.path))
            body = b'{"droplets": [], "volumes": [], "meta": {"total": 0}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        status, headers, body, special = answers(MODE)
        if special in ("endless", "foreign"):
            key = self.path.split("?")[0].rstrip("/").split("/")[-1]
            host = "127.0.0.1:%d" % (OTHER["port"] if special == "foreign" else self.server.server_port)
            page = {key: [], "links": {"pages": {"next": "http://%s/v2/%s?page=2&per_page=200" % (host, key)}},
                    "meta": {"total": 10 ** 9}}
            body = json.dumps(page).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
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
    with open(PORTFILE + ".tmp", "w") as f:
        f.write("%d %d\n" % (main.server_port, other.server_port))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    main.serve_forever()


if __name__ == "__main__":
    serve()
