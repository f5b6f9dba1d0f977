#!/usr/bin/env python3
"""Reliability soak for orchestrator against cloudsim.

  soak.py faults BUILD_DIR [--seeds N] [--first-seed S] [--rate P] [--providers a,b]
  soak.py crash  BUILD_DIR [--kills N] [--first-seed S] [--providers a,b]
  soak.py summary RESULTS.jsonl

faults: for every provider of tests/soak/providers.txt and every seed, a fresh
cloudsim (--seed S) injects faults at rate P (429 with its headers, 500/502/503,
connection resets, slow answers, lost answers after a mutation that happened)
while orchestrator deploys the spec, scales it and tears it down. A run may
need several attempts (an error that outlasts the retries ends one early), but
every run must converge: `plan --detailed-exitcode` reports no change, the
cloud holds exactly the resources of a fault-free run (no duplicate), and
teardown leaves nothing. Every log (-vv text, --log-file, --log-format json),
state file, plan and output is then searched for the credentials cloudsim
handed out.

crash: deploy, the scaling deploy and teardown are each killed with SIGKILL
at a random request: cloudsim holds the k-th mutating request of the phase (k
drawn from the count of a fault-free run), before it is handled or after it
is handled but before it is answered, and the run is killed while it waits;
the next deploy must converge to the same resources with no duplicate, the
next teardown must leave nothing.

Each run appends one JSON object to --results (default: none); `summary`
prints the table of a results file. Exit status 1 when any run failed.
"""
import argparse
import collections
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET_ENV = re.compile(r"(TOKEN|PASSWORD|SECRET|PRIVATE_KEY)", re.I)
# Kill points that hit a provider bug not fixed yet, by (API, phase): the
# phase runs without its kill (and says why) unless --strict.
KNOWN_BUGS = {}  # none open


def load_providers(only):
    """Entries of providers.txt whose provider directory and spec exist."""
    out = []
    with open(os.path.join(ROOT, "tests/soak/providers.txt")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, api, spec, scale_from, scale_to = shlex.split(line)
            if only and name not in only:
                continue
            if not os.path.isdir(os.path.join(ROOT, "providers", api)):
                continue
            if not os.path.isfile(os.path.join(ROOT, spec)):
                continue
            out.append(dict(name=name, api=api, spec=spec, scale_from=scale_from, scale_to=scale_to))
    return out


class Cloudsim:
    """One cloudsim process on a free port, stopped by pid."""

    def __init__(self, build, work, seed, time_scale):
        os.makedirs(work, exist_ok=True)
        self.log = open(os.path.join(work, "cloudsim.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(build, "cloudsim"), "--port", "0", "--seed", str(seed), "--time-scale", str(time_scale),
             "--data-dir", os.path.join(work, "cloudsim-data")],
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline()
        if not line.startswith(b"{"):
            self.stop()
            raise RuntimeError("cloudsim did not start: %r" % line)
        hello = json.loads(line)
        self.admin = hello["admin"]
        self.env = {k: str(v) for k, v in hello.get("env", {}).items()}
        # What the cloud holds before any run (OpenStack's external network,
        # public images, each project's default security group) is not ours.
        self.initial = {(r["api"], r["kind"], r["id"]) for r in self.get("/resources")["resources"]}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def get(self, path):
        return json.loads(subprocess.run(["curl", "-fsS", self.admin + path], check=True,
                                         capture_output=True).stdout)

    def set_faults(self, spec):
        subprocess.run(["curl", "-fsS", "-X", "POST", "--data", spec or "none", self.admin + "/faults"],
                       check=True, capture_output=True)

    def post(self, path, body, method="POST"):
        return json.loads(subprocess.run(["curl", "-fsS", "-X", method, "-H", "Content-Type: application/json",
                                          "--data", json.dumps(body), self.admin + path],
                                         check=True, capture_output=True).stdout)

    def hold(self, rule):
        """Adds a request hold (docs/cloudsim.md#holds); returns its id."""
        return self.post("/holds", rule)["id"]

    def release(self, hold_id):
        subprocess.run(["curl", "-fsS", "-X", "DELETE", self.admin + "/holds/" + hold_id], check=True,
                       capture_output=True)

    def resources(self, api):
        """Live resources of api that did not exist when cloudsim started."""
        return [r for r in self.get("/resources?api=" + api)["resources"]
                if (r["api"], r["kind"], r["id"]) not in self.initial]

    def secrets(self):
        """Credential values: variables named like secrets, and the key lines
        of private keys in files the environment points to (GCE service
        account JSON, PEM files)."""
        out = [v for k, v in self.env.items() if SECRET_ENV.search(k) and len(v) >= 6]
        for v in self.env.values():
            if not os.path.isfile(v):
                continue
            with open(v, errors="replace") as f:
                text = f.read().replace("\\n", "\n")
            if "PRIVATE KEY-----" in text:
                out += [l for l in text.splitlines() if len(l) >= 40 and "-----" not in l and '"' not in l]
        return out


def kinds(resources):
    """'droplet=7 vpc=1 ...' (tags excluded: they are labels, not resources)."""
    c = collections.Counter(r["kind"] for r in resources if r["kind"] != "tag")
    return " ".join("%s=%d" % kv for kv in sorted(c.items()))


def duplicates(resources):
    c = collections.Counter((r["kind"], r["name"]) for r in resources if r.get("name") and r["kind"] != "tag")
    return sorted("%s/%s" % k for k, n in c.items() if n > 1)


class Run:
    """One provider run in its own directory: spec copy, state dir, logs."""

    def __init__(self, build, provider, work, sim, seed):
        self.build, self.p, self.work, self.sim, self.seed = build, provider, work, sim, seed
        self.state = os.path.join(work, "state")
        self.spec = os.path.join(work, "spec.yaml")
        with open(os.path.join(ROOT, provider["spec"])) as f:
            text = f.read()
        spec_dir = os.path.dirname(os.path.join(ROOT, provider["spec"]))
        text = text.replace("../templates/", os.path.join(ROOT, "templates") + "/")
        text = re.sub(r"template: (\w[\w.-]*)", lambda m: "template: " + os.path.join(spec_dir, m.group(1)), text)
        text = re.sub(r"(credentials|cacert): \./", r"\1: " + spec_dir + "/", text)
        with open(self.spec, "w") as f:
            f.write(text)
        self.env = dict(os.environ)
        self.env.update(sim.env)
        self.n = 0
        # Log format rotates with the seed so every form is searched for secrets.
        self.log_args = [["-vv"], ["-vv", "--log-format", "json"], ["-v", "--log-file", os.path.join(work, "orch.log")],
                         ["--log-file", os.path.join(work, "orch.jsonl"), "--log-format", "json"]][seed % 4]

    def cmd(self, *args):
        return [os.path.join(self.build, "orchestrator"), "--state-dir", self.state] + self.log_args + list(args)

    def out(self, tag):
        self.n += 1
        return open(os.path.join(self.work, "%02d-%s.out" % (self.n, tag)), "wb")

    def orch(self, tag, *args, timeout=600):
        with self.out(tag) as o:
            return subprocess.run(self.cmd(*args), env=self.env, stdout=o, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=timeout).returncode

    def start(self, tag, *args):
        o = self.out(tag)
        p = subprocess.Popen(self.cmd(*args), env=self.env, stdout=o, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        o.close()
        return p

    def retry(self, tag, tries, *args, ok=(0,)):
        for i in range(1, tries + 1):
            code = self.orch(tag, *args)
            if code in ok:
                return i, code
        return tries, code

    def deploy(self, tries):
        return self.retry("deploy", tries, "deploy", self.spec, "--auto-approve")[0]

    def converged(self, tries):
        """plan --detailed-exitcode: 0 no change; 1 (an API error) is retried."""
        return self.retry("plan", tries, "plan", self.spec, "--detailed-exitcode", ok=(0, 2))[1] == 0

    def teardown(self, tries):
        return self.retry("teardown", tries, "teardown", self.spec, "--auto-approve")[0]

    def scale(self):
        with open(self.spec) as f:
            text = f.read()
        if self.p["scale_from"] not in text:
            raise RuntimeError("scale rule %r not found in %s" % (self.p["scale_from"], self.p["spec"]))
        with open(self.spec, "w") as f:
            f.write(text.replace(self.p["scale_from"], self.p["scale_to"], 1))

    def leaks(self):
        """Files we wrote that contain one of cloudsim's credentials."""
        found = []
        secrets = [s.encode() for s in self.sim.secrets()]
        for d, _, files in os.walk(self.work):
            if "cloudsim-data" in d:
                continue
            for fn in files:
                if fn.startswith("cloudsim"):
                    continue
                path = os.path.join(d, fn)
                with open(path, "rb") as f:
                    data = f.read()
                found += ["%s in %s" % (s.decode()[:4] + "...", os.path.relpath(path, self.work))
                          for s in secrets if s in data]
        return found

    def tail(self):
        outs = sorted(f for f in os.listdir(self.work) if f.endswith(".out"))
        if not outs:
            return ""
        with open(os.path.join(self.work, outs[-1]), errors="replace") as f:
            return "".join(f.readlines()[-15:])


def baseline(build, provider, root, mode, time_scale):
    """A fault-free deploy/scale/teardown: expected resources and durations."""
    work = os.path.join(root, "%s-%s-baseline" % (provider["name"], mode))
    sim = Cloudsim(build, work, 1, time_scale)
    try:
        r = Run(build, provider, work, sim, 0)
        # A hold that never holds counts the phase's mutating requests with
        # the matcher the crash runs' kill holds use.
        counter = sim.hold(dict(api=provider["api"], method="mutating", skip=1000000))
        mutating_so_far = lambda: sim.get("/holds/" + counter)["matched"]
        t0 = time.monotonic()
        if r.deploy(1) != 1 or not r.converged(1):
            raise RuntimeError("fault-free deploy of %s failed:\n%s" % (provider["spec"], r.tail()))
        t_deploy = time.monotonic() - t0
        m_deploy = mutating_so_far()
        first = kinds(sim.resources(provider["api"]))
        r.scale()
        t0 = time.monotonic()
        if r.deploy(1) != 1:
            raise RuntimeError("fault-free scale of %s failed:\n%s" % (provider["spec"], r.tail()))
        t_scale = time.monotonic() - t0
        m_scale = mutating_so_far() - m_deploy
        scaled = kinds(sim.resources(provider["api"]))
        t0 = time.monotonic()
        if r.teardown(1) != 1:
            raise RuntimeError("fault-free teardown of %s failed:\n%s" % (provider["spec"], r.tail()))
        t_teardown = time.monotonic() - t0
        m_teardown = mutating_so_far() - m_deploy - m_scale
        left = kinds(sim.resources(provider["api"]))
        if left:
            raise RuntimeError("fault-free teardown of %s left %s" % (provider["spec"], left))
        return dict(first=first, scaled=scaled, t_deploy=t_deploy, t_scale=t_scale, t_teardown=t_teardown,
                    m_deploy=m_deploy, m_scale=m_scale, m_teardown=m_teardown)
    finally:
        sim.stop()


def fault_run(args, provider, base, seed, root):
    work = os.path.join(root, "%s-faults-%d" % (provider["name"], seed))
    sim = Cloudsim(args.build, work, seed, args.time_scale)
    res = dict(section="faults", provider=provider["name"], seed=seed, ok=False, errors=[], kills=0)
    try:
        r = Run(args.build, provider, work, sim, seed)
        share = args.rate / 5
        sim.set_faults("api=%s,429=%g,5xx=%g,reset=%g,slow=%g,lost=%g" %
                       ((provider["api"],) + (share,) * 5))
        dups = set()
        attempts = 0

        def step(name, want):
            nonlocal attempts
            attempts += r.deploy(args.tries)
            if not r.converged(args.tries):
                res["errors"].append("%s: not converged" % name)
            rs = sim.resources(provider["api"])
            dups.update(duplicates(rs))
            got = kinds(rs)
            if got != want:
                res["errors"].append("%s: resources %s, want %s" % (name, got, want))

        step("deploy", base["first"])
        r.scale()
        step("scale", base["scaled"])
        attempts += r.teardown(args.tries)
        left = kinds(sim.resources(provider["api"]))
        stats = sim.get("/stats")
        res.update(attempts=attempts, duplicates=len(dups), leftovers=left,
                   faults=stats.get("faults_injected", 0),
                   requests=sum(x["count"] for x in stats["requests"] if x["api"] == provider["api"]))
        if dups:
            res["errors"].append("duplicates: %s" % ", ".join(sorted(dups)))
        if left:
            res["errors"].append("left after teardown: %s" % left)
        leaks = r.leaks()
        res["leaks"] = len(leaks)
        if leaks:
            res["errors"].append("secrets leaked: %s" % "; ".join(leaks))
        if res["errors"]:
            res["tail"] = r.tail()
        res["ok"] = not res["errors"]
    except Exception as e:  # a harness failure is a failed run, reported
        res["errors"].append("harness: %s" % e)
    finally:
        sim.stop()
    if res["ok"] and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return res


def kill_at(sim, api, proc, point):
    """SIGKILLs proc while cloudsim holds its point = (k, stage) mutating
    request of api; False when proc ended before making k of them."""
    k, stage = point
    hold = sim.hold(dict(api=api, method="mutating", skip=k - 1, count=1, stage=stage))
    try:
        while proc.poll() is None:
            if sim.get("/holds/%s?held=1&timeout_s=1" % hold)["met"]:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
        return False
    finally:
        sim.release(hold)


def kill_point(rng, mutating):
    """(k, stage): the k-th of a phase's mutating requests (1 to 90% of the
    fault-free count), held before it is handled or after (its answer lost)."""
    return rng.randint(1, max(1, int(mutating * 0.9))), rng.choice(("before", "after"))


def point_text(point):
    return "mutating request %d (held %s it was handled)" % point


def crash_run(args, provider, base, seed, root):
    work = os.path.join(root, "%s-crash-%d" % (provider["name"], seed))
    sim = Cloudsim(args.build, work, seed, args.time_scale)
    rng = random.Random(seed)
    res = dict(section="crash", provider=provider["name"], seed=seed, ok=False, errors=[], kills=0, faults=0,
               duplicates=0, leftovers="", attempts=0)
    try:
        r = Run(args.build, provider, work, sim, seed)
        api = provider["api"]
        d = kill_point(rng, base["m_deploy"])
        res["deploy_kill_at"] = "%d%s" % (d[0], d[1][0])
        res["kills"] += kill_at(sim, api, r.start("deploy-killed", "deploy", r.spec, "--auto-approve"), d)
        dups = set()

        def redeploy(what, at, want):
            res["attempts"] += r.deploy(3)
            rs = sim.resources(provider["api"])
            found = duplicates(rs)
            dups.update(found)
            if found:
                res["errors"].append("%s after kill at %s: duplicates %s" % (what, point_text(at), ", ".join(found)))
            if not r.converged(2):
                res["errors"].append("%s after kill at %s: not converged" % (what, point_text(at)))
            if kinds(rs) != want:
                res["errors"].append("%s after kill at %s: resources %s, want %s" % (what, point_text(at), kinds(rs), want))

        redeploy("deploy", d, base["first"])
        # The scaling deploy killed the same way (new group members created
        # in a batch, load balancer members updated).
        r.scale()
        s = kill_point(rng, base["m_scale"])
        known = KNOWN_BUGS.get((provider["api"], "scale"))
        if known and not args.strict:
            res["known"] = "scale not killed (known bug: %s)" % known
        else:
            res["scale_kill_at"] = "%d%s" % (s[0], s[1][0])
            res["kills"] += kill_at(sim, api, r.start("scale-killed", "deploy", r.spec, "--auto-approve"), s)
        redeploy("scale", s, base["scaled"])
        t = kill_point(rng, base["m_teardown"])
        res["teardown_kill_at"] = "%d%s" % (t[0], t[1][0])
        res["kills"] += kill_at(sim, api, r.start("teardown-killed", "teardown", r.spec, "--auto-approve"), t)
        res["attempts"] += r.teardown(3)
        left = kinds(sim.resources(provider["api"]))
        res.update(duplicates=len(dups), leftovers=left)
        if left:
            res["errors"].append("left after teardown killed at %s: %s" % (point_text(t), left))
        if res["errors"]:
            res["tail"] = r.tail()
        res["ok"] = not res["errors"]
    except Exception as e:
        res["errors"].append("harness: %s" % e)
    finally:
        sim.stop()
    if res["ok"] and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return res


def emit(args, res):
    line = "%-7s %-12s seed %-4d %s" % (res["section"], res["provider"], res["seed"], "ok" if res["ok"] else "FAIL")
    if res["section"] == "faults" and "faults" in res:
        line += "  attempts=%d faults=%d requests=%d" % (res["attempts"], res["faults"], res["requests"])
    if res["section"] == "crash":
        line += "  kills=%d at %s" % (res["kills"], "/".join(
            "%s" % res[k] if k in res else "-" for k in ("deploy_kill_at", "scale_kill_at", "teardown_kill_at")))
    print(line, flush=True)
    if res.get("known") and res["known"] not in emit.known:  # once per bug
        emit.known.add(res["known"])
        print("    " + res["known"], flush=True)
    for e in res["errors"]:
        print("    " + e, flush=True)
    if res.get("tail") and args.verbose:
        print(res["tail"], flush=True)
    if args.results:
        with open(args.results, "a") as f:
            f.write(json.dumps(res) + "\n")


emit.known = set()


def summary(path):
    rows = collections.OrderedDict()
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            key = (r["section"], r.get("provider", "-"))
            s = rows.setdefault(key, collections.Counter())
            s["runs"] += r.get("runs", 1)
            s["failed"] += 0 if r["ok"] else r.get("failed", 1)
            for k in ("faults", "kills", "duplicates", "execs", "seconds"):
                s[k] += r.get(k, 0) or 0
            left = r.get("leftovers", "")
            s["leftovers"] += left if isinstance(left, int) else sum(int(x.split("=")[1]) for x in left.split())
    hdr = ("section", "provider", "runs", "failed", "faults inj.", "kills", "dups", "leftovers", "fuzz execs", "secs")
    fmt = "%-10s %-20s %5s %6s %11s %6s %5s %9s %10s %6s"
    print(fmt % hdr)
    total = collections.Counter()
    for (sec, prov), s in rows.items():
        total.update(s)
        print(fmt % (sec, prov, s["runs"], s["failed"], s["faults"], s["kills"], s["duplicates"], s["leftovers"],
                     s["execs"], int(s["seconds"])))
    print(fmt % ("total", "", total["runs"], total["failed"], total["faults"], total["kills"], total["duplicates"],
                 total["leftovers"], total["execs"], int(total["seconds"])))
    return 1 if total["failed"] else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["faults", "crash", "summary"])
    ap.add_argument("build", help="build directory (or results file for summary)")
    ap.add_argument("--providers", default="", help="comma-separated subset of providers.txt")
    ap.add_argument("--seeds", type=int, default=3, help="fault runs per provider")
    ap.add_argument("--kills", type=int, default=4, help="SIGKILL points in all (three per crash run)")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--rate", type=float, default=0.2, help="fault probability per request")
    ap.add_argument("--tries", type=int, default=8, help="attempts per deploy/teardown under faults")
    ap.add_argument("--time-scale", type=float, default=0.01)
    ap.add_argument("--results", help="append one JSON line per run here")
    ap.add_argument("--work", help="work directory (default: a new temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the work directories of passing runs")
    ap.add_argument("--verbose", action="store_true", help="print the last output of failed runs")
    ap.add_argument("--strict", action="store_true", help="kill at the points KNOWN_BUGS lists too")
    args = ap.parse_args()
    if args.mode == "summary":
        return summary(args.build)
    args.build = os.path.abspath(args.build)
    providers = load_providers([p for p in args.providers.split(",") if p])
    if not providers:
        print("soak: no provider to run", file=sys.stderr)
        return 1
    root = args.work or tempfile.mkdtemp(prefix="orch-soak-")
    os.makedirs(root, exist_ok=True)
    failed = 0
    for p in providers:
        t0 = time.monotonic()
        try:
            base = baseline(args.build, p, root, args.mode, args.time_scale)
        except Exception as e:  # the provider cannot even run without faults
            failed += 1
            emit(args, dict(section=args.mode, provider=p["name"], seed=0, ok=False, kills=0,
                            errors=["baseline: %s" % e]))
            continue
        print("%-7s %-12s baseline: %s (deploy %.1fs, teardown %.1fs; mutating requests: deploy %d, scale %d, "
              "teardown %d)" % (args.mode, p["name"], base["first"], base["t_deploy"], base["t_teardown"],
                                base["m_deploy"], base["m_scale"], base["m_teardown"]), flush=True)
        # faults: --seeds runs. crash: runs until this provider's share of
        # --kills landed (a kill drawn after the process ended is no kill).
        want_kills = -(-args.kills // len(providers))
        kills = 0
        seed = args.first_seed
        while (seed - args.first_seed < args.seeds if args.mode == "faults"
               else kills < want_kills and seed - args.first_seed < 4 * want_kills):
            t1 = time.monotonic()
            res = (fault_run if args.mode == "faults" else crash_run)(args, p, base, seed, root)
            res["seconds"] = time.monotonic() - t1
            kills += res["kills"]
            failed += not res["ok"]
            emit(args, res)
            seed += 1
        print("%-7s %-12s done in %.0fs" % (args.mode, p["name"], time.monotonic() - t0), flush=True)
    if not args.work and not args.keep and not failed:
        shutil.rmtree(root, ignore_errors=True)
    elif failed:
        print("soak: work kept in %s" % root, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
