#!/usr/bin/env bash
# Differential test: tests/openstack_diff/run.py runs one scripted sequence of OpenStack calls
# (auth and catalog, servers incl. min/max_count and bad requests, networks, subnets, routers,
# ports, security groups and floating IPs with tags, volumes and attachments, images, the Octavia
# tree incl. a 409 while PENDING_UPDATE, error cases) against the real lab (scripts/openstack-lab,
# started here if it is not running; a lab that cannot start fails the test) and against cloudsim,
# as the non-admin demo user of each, and fails on any difference not in
# tests/openstack_diff/allowlist.json (each listed with its reason in docs/cloudsim.md).
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
work=$(mktemp -d /tmp/orch-osdiff.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

scripts/openstack-lab start || { echo "FAIL: the OpenStack lab did not start" >&2; exit 1; }
lab=$(
  eval "$(scripts/openstack-lab env)"
  echo "$OS_AUTH_URL,$OS_USERNAME,$OS_PASSWORD,$OS_PROJECT_NAME"
)
# cloudsim's latencies scaled so that every transition is still seen in progress by a poll.
cloudsim_start "$build" "$work" --time-scale 0.1 --seed 7
sim="$OS_AUTH_URL,demo,cloudsim-demo,demo"
# A real difference in behaviour shows on every run; one that a second run
# does not reproduce came from timing on the live lab (an agent's pace, a
# dropped connection) and is reported, not failed on.
if ! python3 tests/openstack_diff/run.py --lab "$lab" --cloudsim "$sim" --out "$work/records"; then
  echo "differential: the first run differed; running the scenario again to tell behaviour from timing"
  python3 tests/openstack_diff/run.py --lab "$lab" --cloudsim "$sim" --out "$work/records-2"
  echo "differential: the second run is clean: the differences above did not reproduce"
fi
