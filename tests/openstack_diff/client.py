"""A small OpenStack REST client that records every exchange for the differential test.

Only the standard library: urllib and json. One Client talks to one cloud (the real lab or
cloudsim) as one user; every call is recorded as an Exchange under the name of its step, so that
two runs of the same scenario can be compared step by step.
"""
import json
import time
import urllib.error
import urllib.parse
import urllib.request

COMPUTE_MV = "2.79"
VOLUME_MV = "3.59"
TIMEOUT = 60


class Exchange:
    """One request and its answer, as the comparison sees it."""

    def __init__(self, step, method, path, status, headers, body):
        self.step = step
        self.method = method
        self.path = path
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def to_json(self):
        return {"step": self.step, "method": self.method, "path": self.path, "status": self.status,
                "headers": self.headers, "body": self.body}


class Poll:
    """A state sequence observed while polling one object (collapsed: no repeats)."""

    def __init__(self, step, states, optional):
        self.step = step
        self.states = states
        self.optional = set(optional)

    def to_json(self):
        return {"step": self.step, "states": self.states, "optional": sorted(self.optional)}


class Client:
    def __init__(self, label, auth_url, user, password, project, log):
        self.label = label
        self.auth_url = auth_url.rstrip("/")
        self.user = user
        self.password = password
        self.project = project
        self.log = log
        self.records = []  # Exchange and Poll, in order
        self.token = None
        self.endpoints = {}
        self.project_id = None

    # ---------------------------------------------------------------- raw HTTP
    def raw(self, method, url, body=None, headers=None, token=True, ctype="application/json"):
        hdr = {"Accept": "application/json"}
        if token and self.token:
            hdr["X-Auth-Token"] = self.token
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdr["Content-Type"] = ctype
        hdr.update(headers or {})
        for attempt in range(3):
            req = urllib.request.Request(url, data=data, method=method, headers=hdr)
            try:
                with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
                    status, rh, raw = r.status, r.headers, r.read()
                break
            except urllib.error.HTTPError as e:
                status, rh = e.code, e.headers
                try:
                    raw = e.read()
                    break
                except ConnectionError:
                    # uwsgi resets the connection when it refuses a request body it did not
                    # read (Glance's 409 to a second upload); the refusal is sent again.
                    raw = b""
                    continue
        headers_out = {k.lower(): v for k, v in rh.items()}
        text = raw.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = {"<text>": text}
        return status, headers_out, parsed

    def call(self, step, service, method, path, body=None, headers=None, token=True, ctype="application/json",
             record=True):
        """Calls `service` (catalog type, or a full URL when service is None) and records the exchange."""
        base = self.endpoints[service] if service else ""
        hdr = dict(headers or {})
        if service == "compute":
            hdr.setdefault("OpenStack-API-Version", "compute " + COMPUTE_MV)
            hdr.setdefault("X-OpenStack-Nova-API-Version", COMPUTE_MV)
        if service == "volumev3":
            hdr.setdefault("OpenStack-API-Version", "volume " + VOLUME_MV)
        status, rh, parsed = self.raw(method, base + path, body, hdr, token, ctype)
        if record:
            self.records.append(Exchange(step, method, path, status, rh, parsed))
        self.log("%-9s %-44s %s %s -> %d" % (self.label, step, method, path[:70], status))
        return status, rh, parsed

    def keep(self, step, method, path, result):
        """Records an answer obtained with record=False (an attempt chosen afterwards)."""
        status, rh, parsed = result
        self.records.append(Exchange(step, method, path, status, rh, parsed))

    # ---------------------------------------------------------------- identity
    def authenticate(self):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": self.user, "domain": {"name": "Default"}, "password": self.password}}},
            "scope": {"project": {"name": self.project, "domain": {"name": "Default"}}}}}
        status, rh, parsed = self.call("keystone.token.issue", None, "POST", self.auth_url + "/auth/tokens", body,
                                       token=False)
        if status != 201:
            raise RuntimeError("%s: authentication failed: %d %s" % (self.label, status, parsed))
        self.token = rh["x-subject-token"]
        tok = parsed["token"]
        self.project_id = tok["project"]["id"]
        for svc in tok.get("catalog", []):
            for ep in svc["endpoints"]:
                if ep["interface"] == "public":
                    self.endpoints[svc["type"]] = ep["url"].rstrip("/")
        return parsed

    # ---------------------------------------------------------------- polling
    def poll(self, step, service, path, state_of, done, optional=(), timeout=180, interval=0.25):
        """Polls GET path until done(status, body); records the collapsed state sequence.

        state_of(status, body) returns a string; 404 gives "404". Returns the last (status, body).
        """
        states = []
        deadline = time.time() + timeout
        while True:
            status, rh, parsed = self.call(step, service, "GET", path, record=False)
            s = state_of(status, parsed) if status != 404 else "404"
            if not states or states[-1] != s:
                states.append(s)
            if done(status, parsed) or time.time() > deadline:
                if time.time() > deadline:
                    states.append("<timeout>")
                break
            time.sleep(interval)
        self.records.append(Poll(step, states, optional))
        # The last answer is compared like any other exchange.
        self.records.append(Exchange(step + ".final", "GET", path, status, rh, parsed))
        return status, parsed
