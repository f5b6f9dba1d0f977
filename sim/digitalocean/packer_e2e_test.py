#!/usr/bin/env python3
"""End to end: `packer build` (digitalocean builder, communicator none)
against a cloudsim started here on 127.0.0.1.

Usage: packer_e2e_test.py CLOUDSIM_BINARY [PACKER_BINARY]
(Not yet registered with ctest: it has not been run against a cloudsim
binary that includes the DigitalOcean API.)
Exits 0 on success, 77 (skipped) if packer is not installed, 1 on failure.
Checks that packer created a droplet, shut it down, snapshotted it, found
the snapshot and deleted the droplet: afterwards the snapshot is listed by
/v2/images?private=true and /v2/snapshots, and no droplet is left.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request


def api(base, token, path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode())


def main():
    cloudsim = sys.argv[1]
    packer = sys.argv[2] if len(sys.argv) > 2 else shutil.which("packer")
    if not packer or not os.path.exists(packer):
        print("packer not installed; skipping")
        return 77
    work = tempfile.mkdtemp(prefix="cloudsim_packer_")
    proc = subprocess.Popen([cloudsim, "--port", "0", "--time-scale", "0.01", "--seed", "3"],
                            stdout=subprocess.PIPE, stderr=open(os.path.join(work, "cloudsim.log"), "w"),
                            text=True)
    try:
        startup = json.loads(proc.stdout.readline())
        base = startup["base"]
        token = startup["env"]["DIGITALOCEAN_TOKEN"]
        template = {
            "builders": [{
                "type": "digitalocean",
                "api_token": token,
                "api_url": base + "/",
                "image": "ubuntu-22-04-x64",
                "region": "nyc3",
                "size": "s-1vcpu-1gb",
                "snapshot_name": "golden-{{timestamp}}",
                "communicator": "none",
                "state_timeout": "2m",
                "snapshot_timeout": "2m",
            }]
        }
        path = os.path.join(work, "template.json")
        with open(path, "w") as f:
            json.dump(template, f)
        env = dict(os.environ)
        env.update({"CHECKPOINT_DISABLE": "1", "PACKER_NO_COLOR": "1", "HOME": work,
                    "PACKER_CACHE_DIR": os.path.join(work, "cache"), "PACKER_LOG": "1",
                    "PACKER_LOG_PATH": os.path.join(work, "packer.log"),
                    "HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": "",
                    "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
        run = subprocess.run([packer, "build", "-machine-readable", path], env=env, cwd=work,
                             capture_output=True, text=True, timeout=240)
        failures = []
        if run.returncode != 0:
            failures.append("packer exited %d" % run.returncode)
        images = api(base, token, "/v2/images?private=true")["images"]
        names = [i["name"] for i in images if i["type"] == "snapshot"]
        if len(names) != 1 or not names[0].startswith("golden-"):
            failures.append("expected one golden-* snapshot image, got %s" % names)
        snaps = api(base, token, "/v2/snapshots?resource_type=droplet")["snapshots"]
        if len(snaps) != 1:
            failures.append("expected one droplet snapshot, got %d" % len(snaps))
        left = api(base, token, "/v2/droplets")["meta"]["total"]
        if left != 0:
            failures.append("%d droplet(s) left behind" % left)
        artifact = [l for l in run.stdout.splitlines() if ",artifact," in l and ",id," in l]
        if not artifact:
            failures.append("packer reported no artifact")
        if failures:
            print("\n".join(failures))
            print("--- packer stdout\n" + run.stdout[-4000:])
            print("--- packer stderr\n" + run.stderr[-2000:])
            log = os.path.join(work, "packer.log")
            if os.path.exists(log):
                print("--- packer log (tail)\n" + open(log).read()[-6000:])
            return 1
        print("ok: packer built %s (%s)" % (names[0], artifact[0]))
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
