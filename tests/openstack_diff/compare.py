"""Normalises two recorded runs of the scenario and lists their differences.

A difference is a dict {"step", "where", "lab", "cloudsim"}; its id is "step|where". What is
compared for each pair of exchanges with the same step name:
  - the status code;
  - the headers that clients read (media type, version headers, presence of Location,
    X-Subject-Token, WWW-Authenticate and the request-id headers);
  - the JSON shape of the body: the same keys, and the same value type for each key
    (lists are compared by the merged shape of their elements);
  - the values of state and enum-like keys (VALUE_KEYS) and of error messages, after ids,
    timestamps, IP and MAC addresses are replaced by placeholders.
Polls compare their collapsed state sequences, ignoring states the scenario marked optional.
"""
import fnmatch
import re

# Keys whose values are compared (after normalisation), wherever they appear.
VALUE_KEYS = {
    "status", "provisioning_status", "operating_status", "OS-EXT-STS:vm_state", "OS-EXT-STS:task_state",
    "OS-EXT-STS:power_state", "admin_state_up", "protocol", "protocol_port", "lb_algorithm", "device_owner",
    "ip_version", "cidr", "gateway_ip", "enable_dhcp", "router:external", "shared", "direction", "ethertype",
    "port_range_min", "port_range_max", "remote_ip_prefix", "visibility", "disk_format", "container_format",
    "bootable", "multiattach", "encrypted", "size", "volume_type", "availability_zone", "type", "delay",
    "max_retries", "timeout", "weight", "tags", "name", "description", "key_name", "locked", "message",
    "faultstring", "faultcode", "code", "title", "NeutronError", "detail", "version", "min_version",
    "api_version",
}
# Keys whose values never are (they name objects, differ by design or by clock).
NEVER_VALUE_PARENTS = {"links", "versions", "catalog", "endpoints", "roles", "user", "project", "domain"}

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX32 = re.compile(r"\b[0-9a-f]{32}\b")
REQ_ID = re.compile(r"req-<id>")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
IPV4 = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(/\d{1,2})?\b")
MAC = re.compile(r"\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b")
URL = re.compile(r"https?://[^\s\"']+")


def norm_text(s, names):
    """Replaces volatile parts of a string by placeholders; `names` maps run-specific names."""
    for real, generic in names:
        s = s.replace(real, generic)
    s = URL.sub("<url>", s)
    s = UUID.sub("<id>", s)
    s = HEX32.sub("<id>", s)
    s = TIME.sub("<time>", s)
    s = MAC.sub("<mac>", s)
    # Addresses in CIDR form keep their prefix length (it is part of the request).
    s = IPV4.sub(lambda m: "<ip>" + (m.group(1) or ""), s)
    return s


def type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    return "object"


def shape(v):
    """A hashable-free description: dict -> {k: shape}, list -> ["list", merged element shape], scalar -> type."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        merged = None
        for x in v:
            merged = merge(merged, shape(x))
        return ["list", merged]
    return type_name(v)


def kind(s):
    return "object" if isinstance(s, dict) else "list" if isinstance(s, list) else s


def merge(a, b):
    """Merges two shapes: dicts key by key, lists by element, anything else into a union of types."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(out.get(k), v)
        return out
    if isinstance(a, list) and isinstance(b, list):
        return ["list", merge(a[1], b[1])]
    return "|".join(sorted(set(kind(a).split("|")) | set(kind(b).split("|"))))


def shape_diffs(a, b, where, out):
    """Lists the differences between two shapes."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            w = where + "." + k
            if k not in b:
                out.append((w, "present", "absent"))
            elif k not in a:
                out.append((w, "absent", "present"))
            else:
                shape_diffs(a[k], b[k], w, out)
        return
    if isinstance(a, list) and isinstance(b, list):
        if a[1] is None or b[1] is None:
            return  # an empty list matches any list
        shape_diffs(a[1], b[1], where + "[]", out)
        return
    ta, tb = kind(a), kind(b)
    if ta != tb:
        out.append((where, "type " + ta, "type " + tb))


def values(v, names, where="body", parent="", out=None):
    """Collects {path: normalised value} for VALUE_KEYS; list elements are collected as sets."""
    if out is None:
        out = {}
    if isinstance(v, dict):
        for k, x in v.items():
            if k in NEVER_VALUE_PARENTS:
                continue
            w = where + "." + k
            if k in VALUE_KEYS and not isinstance(x, (dict,)):
                out[w] = canon(x, names)
            else:
                values(x, names, w, k, out)
    elif isinstance(v, list):
        for x in v:
            sub = values(x, names, where + "[]", parent, {})
            for k, val in sub.items():
                out.setdefault(k, set()).add(val if not isinstance(val, set) else frozenset(val))
    return out


def canon(x, names):
    if isinstance(x, str):
        return norm_text(x, names)
    if isinstance(x, list):
        return tuple(sorted(canon(y, names) for y in x))
    return x


def show(v):
    if isinstance(v, (set, frozenset)):
        return sorted(show(x) for x in v)
    if isinstance(v, tuple):
        return list(v)
    return v


HEADERS_PRESENT = ("location", "x-subject-token", "www-authenticate", "x-openstack-request-id")
HEADERS_VALUE = ("openstack-api-version", "x-openstack-nova-api-version")


def header_diffs(ha, hb):
    out = []
    ca = (ha.get("content-type") or "").split(";")[0].strip()
    cb = (hb.get("content-type") or "").split(";")[0].strip()
    if ca != cb:
        out.append(("header.content-type", ca or "<none>", cb or "<none>"))
    for h in HEADERS_PRESENT:
        if (h in ha) != (h in hb):
            out.append(("header." + h, "present" if h in ha else "absent", "present" if h in hb else "absent"))
    for h in HEADERS_VALUE:
        if ha.get(h) != hb.get(h):
            out.append(("header." + h, ha.get(h, "<none>"), hb.get(h, "<none>")))
    return out


def rename_keys(v, names):
    """Object keys that carry run-specific names (server addresses by network name) made generic."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            for real, generic in names:
                k = k.replace(real, generic)
            out[k] = rename_keys(x, names)
        return out
    if isinstance(v, list):
        return [rename_keys(x, names) for x in v]
    return v


def exchange_diffs(a, b, names_a, names_b):
    out = []
    if a.status != b.status:
        out.append(("status", a.status, b.status))
    hd = header_diffs(a.headers, b.headers)
    if a.body is None or b.body is None:
        # No client reads the media type of an empty body.
        hd = [d for d in hd if d[0] != "header.content-type"]
    out += hd
    body_a, body_b = rename_keys(a.body, names_a), rename_keys(b.body, names_b)
    sd = []
    shape_diffs(shape(body_a), shape(body_b), "body", sd)
    out += sd
    va, vb = values(body_a, names_a), values(body_b, names_b)
    for k in sorted(set(va) & set(vb)):
        if va[k] != vb[k]:
            out.append((k, show(va[k]), show(vb[k])))
    return out


def poll_diffs(a, b):
    sa = [s for s in a.states if s not in a.optional]
    sb = [s for s in b.states if s not in b.optional]
    if sa != sb:
        return [("states", a.states, b.states)]
    return []


def compare_runs(recs_a, recs_b, names_a, names_b):
    """Pairs records by step name (in order) and returns the list of differences."""
    diffs = []

    def by_step(recs):
        d = {}
        for r in recs:
            d.setdefault((type(r).__name__, r.step), []).append(r)
        return d

    da, db = by_step(recs_a), by_step(recs_b)
    for key in list(dict.fromkeys(list(da) + list(db))):
        kind, step = key
        la, lb = da.get(key, []), db.get(key, [])
        if len(la) != len(lb):
            diffs.append({"step": step, "where": "count", "lab": len(la), "cloudsim": len(lb)})
        for ra, rb in zip(la, lb):
            found = poll_diffs(ra, rb) if kind == "Poll" else exchange_diffs(ra, rb, names_a, names_b)
            for where, va, vb in found:
                diffs.append({"step": step, "where": where, "lab": va, "cloudsim": vb})
    return diffs


def allowed(diff, allowlist):
    for entry in allowlist:
        if fnmatch.fnmatchcase(diff["step"], entry["step"]) and fnmatch.fnmatchcase(diff["where"], entry["where"]):
            return entry
    return None
