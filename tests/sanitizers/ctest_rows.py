#!/usr/bin/env python3
"""Soak rows for a ctest run of the sanitized build (scripts/soak, section 6).

  ctest_rows.py BUILD_DIR JUNIT.xml RESULTS.jsonl

Appends one JSON line per ctest test to RESULTS.jsonl: section "sanitize",
"provider" the unit-test binary the test runs (or the e2e test's name), ok,
seconds and the test's name. `soak.py summary` then prints one row per
binary or e2e script with its test count and failures. A test that did not
run to its end (timeout, not built) counts as failed. Prints each failed
test with the sanitizer's SUMMARY line, if any. Exit status 1 when any test
failed or the JUnit file lists no test.
"""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET


def owners(build):
    """Test name -> the binary that runs it (e2e tests keep their name)."""
    out = subprocess.run(["ctest", "--test-dir", build, "--show-only=json-v1"], check=True,
                         capture_output=True, text=True).stdout
    names = {}
    for t in json.loads(out)["tests"]:
        cmd = t.get("command") or []
        names[t["name"]] = t["name"] if t["name"].startswith("e2e.") or not cmd else os.path.basename(cmd[0])
    return names


def main():
    build, junit, results = sys.argv[1:4]
    names = owners(build)
    cases = ET.parse(junit).getroot().iter("testcase")
    n = failed = 0
    with open(results, "a") as f:
        for c in cases:
            name = c.get("name")
            ok = c.get("status") == "run" and c.find("failure") is None
            n += 1
            failed += not ok
            f.write(json.dumps({"section": "sanitize", "provider": names.get(name, name), "ok": ok,
                                "seconds": float(c.get("time") or 0), "test": name}) + "\n")
            if not ok:
                text = (c.findtext("system-out") or "")
                found = re.findall(r"^SUMMARY: .*$|^.*runtime error: .*$", text, re.M)
                print("FAIL %s%s" % (name, ("  " + found[0]) if found else ""))
    print("sanitize: %d of %d tests passed" % (n - failed, n))
    return 1 if failed or not n else 0


if __name__ == "__main__":
    sys.exit(main())
