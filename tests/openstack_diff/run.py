#!/usr/bin/env python3
"""Differential test: one scripted sequence of OpenStack calls against the real lab and cloudsim.

usage: run.py --lab AUTH_URL,USER,PASSWORD,PROJECT --cloudsim AUTH_URL,USER,PASSWORD,PROJECT
              [--allowlist FILE] [--docs docs/cloudsim.md] [--out DIR]

Both scenario runs go in parallel. Their records are compared (compare.py); every difference
must match an entry of the allow-list (each with its reason), and every allow-list entry must be
named in the docs (the OpenStack section of docs/cloudsim.md) and must still match something.
Exit 0 when there is no unlisted difference.
"""
import argparse
import json
import os
import random
import string
import sys
import threading
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client  # noqa: E402
import compare  # noqa: E402
import scenario  # noqa: E402


def run_one(label, spec, out, lock):
    auth_url, user, password, project = spec.split(",", 3)
    run_id = "d" + "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))

    def log(line):
        with lock:
            print(line, flush=True)

    c = client.Client(label, auth_url, user, password, project, log)
    cleanup = []
    try:
        c.authenticate()
        scenario.run(c, run_id, cleanup)
    except Exception:  # a broken run is reported and compared as far as it went
        out[label + ".error"] = traceback.format_exc()
    finally:
        for undo in reversed(cleanup):
            try:
                undo()
            except Exception:
                pass
    out[label] = (c.records, [(run_id, "<run>")])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", required=True)
    ap.add_argument("--cloudsim", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--allowlist", default=os.path.join(here, "allowlist.json"))
    ap.add_argument("--docs", default=os.path.join(here, "..", "..", "docs", "cloudsim.md"))
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    out, lock = {}, threading.Lock()
    threads = [threading.Thread(target=run_one, args=(label, spec, out, lock))
               for label, spec in (("lab", args.lab), ("cloudsim", args.cloudsim))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    failed = False
    for label in ("lab", "cloudsim"):
        if label + ".error" in out:
            print("\n%s run failed:\n%s" % (label, out[label + ".error"]))
            failed = True
    recs_lab, names_lab = out["lab"]
    recs_sim, names_sim = out["cloudsim"]
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        for label, recs in (("lab", recs_lab), ("cloudsim", recs_sim)):
            with open(os.path.join(args.out, label + ".json"), "w") as f:
                json.dump([r.to_json() for r in recs], f, indent=1, default=str)

    with open(args.allowlist) as f:
        allowlist = json.load(f)["differences"]
    diffs = compare.compare_runs(recs_lab, recs_sim, names_lab, names_sim)
    unlisted, used = [], set()
    for d in diffs:
        entry = compare.allowed(d, allowlist)
        if entry:
            used.add(entry["id"])
        else:
            unlisted.append(d)
    print("\n%d exchanges/polls on the lab, %d on cloudsim; %d differences, %d allowed, %d unlisted"
          % (len(recs_lab), len(recs_sim), len(diffs), len(diffs) - len(unlisted), len(unlisted)))
    for d in unlisted:
        print("DIFF %-48s %-50s lab=%s cloudsim=%s" % (d["step"], d["where"], json.dumps(d["lab"], default=str),
                                                       json.dumps(d["cloudsim"], default=str)))
    with open(args.docs) as f:
        docs = f.read()
    for entry in allowlist:
        if not entry.get("reason"):
            print("allow-list entry %s has no reason" % entry["id"])
            failed = True
        if "`%s`" % entry["id"] not in docs:
            print("allow-list entry %s is not listed in %s" % (entry["id"], args.docs))
            failed = True
        if entry["id"] not in used and not failed and not unlisted:
            print("note: allow-list entry %s matched nothing in this run" % entry["id"])
    if unlisted or failed:
        print("FAILED")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
