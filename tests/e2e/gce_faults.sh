#!/usr/bin/env bash
# The GCE lifecycle with cloudsim injecting 10% faults (rate-limit 403s,
# 5xx, resets and lost responses, 2.5% each): no duplicate, nothing left.
set -euo pipefail
exec bash "$(dirname "$0")/gce_lifecycle.sh" "$1" "api=gce,429=0.025,5xx=0.025,reset=0.025,lost=0.025"
