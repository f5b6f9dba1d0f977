#!/usr/bin/env python3
"""A counting reverse proxy for the OpenStack lab tests.

  openstack_proxy.py PORT_FILE LOG_FILE

Listens on 127.0.0.1 (a free port, written to PORT_FILE once listening) and
forwards /p/<port>/<rest> to http://127.0.0.1:<port>/<rest>. In answers,
every http://127.0.0.1:<port> (and localhost) URL, the Keystone catalog's
included, becomes http://127.0.0.1:<proxy>/p/<port>, so a client given
http://127.0.0.1:<proxy>/p/<keystone port>/v3 as its auth URL sends every
later request through the proxy too. Each request is logged to LOG_FILE as
"METHOD PATH STATUS", one line, which the tests count.
"""
import http.client
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

URL = re.compile(rb"http://(?:127\.0\.0\.1|localhost):(\d+)")
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        m = re.match(r"^/p/(\d+)(/.*)?$", self.path)
        if not m:
            self.send_error(404)
            return
        port, rest = int(m.group(1)), m.group(2) or "/"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request(self.command, rest, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError as e:
            self.send_error(502, str(e))
            return
        finally:
            conn.close()
        base = ("http://127.0.0.1:%d/p/" % self.server.server_port).encode()
        data = URL.sub(lambda mm: base + mm.group(1), data)
        with lock:
            with open(sys.argv[2], "a") as log:
                log.write("%s %s %d\n" % (self.command, self.path, resp.status))
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in ("content-length", "transfer-encoding", "connection"):
                continue
            if k.lower() == "location":
                v = URL.sub(lambda mm: base + mm.group(1), v.encode()).decode()
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = relay


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_port))
    server.serve_forever()


if __name__ == "__main__":
    main()
